import { Document } from 'yaml';
import { type CommandDefinition, isGroup } from '../../core/command.js';
import { usageOf } from '../../core/parse-args.js';

export interface SlackManifestOptions {
  mode: 'socket' | 'http';
  /** HTTP mode: the public https://HOST/slack/events that Slack posts commands and clicks to. */
  requestUrl?: string;
  /** One `/<singleCommand> <command> …` instead of one slash command per bot command. */
  singleCommand?: string;
  name?: string;
}

/** The bot token's scopes, each with the reason the bot needs it. */
export const slackBotScopes = {
  commands: 'the slash commands',
  'chat:write': 'approval requests, progress messages, and updating them (chat.postMessage, chat.update)',
  'chat:write.public': 'approval outcomes and alerts in public channels the bot has not been invited to',
  'usergroups:read': 'user-group membership for slack-group: rules in rbac (usergroups.list)',
  'files:write': 'files that go with an answer, such as the env files /worker-env recommend writes (files.uploadV2)',
} as const;

/**
 * Slack's app manifest, built from the command declarations: paste it at api.slack.com/apps → Create New App →
 * From a manifest, and the app has the right slash commands, scopes and interactivity in one step.
 */
export function slackManifest(
  definitions: readonly CommandDefinition[],
  options: SlackManifestOptions,
): Record<string, unknown> {
  const name = options.name ?? 'lotus-chatops';
  const url = options.mode === 'http' ? { url: options.requestUrl ?? 'https://HOST/slack/events' } : {};
  const commands = options.singleCommand
    ? [
        {
          command: `/${options.singleCommand}`,
          description: short(`Run a bot command: ${definitions.map((d) => d.name).join(', ')}`, 2000),
          usage_hint: '<command> [arguments] (help lists them)',
          should_escape: false,
          ...url,
        },
      ]
    : definitions.map((definition) => {
        const hint = usageHint(definition);
        return {
          command: `/${definition.name}`,
          description: short(definition.description, 2000),
          ...(hint ? { usage_hint: short(hint, 1000) } : {}),
          should_escape: false,
          ...url,
        };
      });
  return {
    _metadata: { major_version: 1 },
    display_information: { name, description: 'Run a lotus-miner cluster from Slack' },
    features: {
      bot_user: { display_name: name, always_online: true },
      slash_commands: commands,
    },
    oauth_config: { scopes: { bot: Object.keys(slackBotScopes) } },
    settings: {
      interactivity: { is_enabled: true, ...(options.mode === 'http' ? { request_url: url.url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: options.mode === 'socket',
      token_rotation_enabled: false,
    },
  };
}

/** The manifest as YAML, with a header saying where it comes from and why each scope is asked for. */
export function slackManifestYaml(definitions: readonly CommandDefinition[], options: SlackManifestOptions): string {
  const document = new Document(slackManifest(definitions, options));
  document.commentBefore = [
    ' Slack app manifest for lotus-chatops. Generated from commands/ by slackManifestYaml()',
    ' (src/adapters/slack/slack-manifest.ts); refresh it with',
    '   UPDATE_GOLDEN=1 npx vitest run test/unit/slack/slack-manifest.test.ts',
    ' Create the app at https://api.slack.com/apps → Create New App → From a manifest, and paste this file.',
    '',
    ' Bot token scopes:',
    ...Object.entries(slackBotScopes).map(([scope, why]) => `   ${scope}: ${why}`),
    ' Socket Mode also needs an app-level token (Basic Information → App-Level Tokens) with the',
    ' connections:write scope: that is slack.appToken; the Bot User OAuth Token is slack.botToken.',
    ' HTTP mode instead: give each command and settings.interactivity a request_url of https://HOST/slack/events',
    ' and set socket_mode_enabled: false (slackManifestYaml with mode "http" does it).',
  ].join('\n');
  return document.toString({ lineWidth: 120 });
}

/** `list [all] | approve id | deny id reason` for a group; the options of a single command. */
function usageHint(definition: CommandDefinition): string {
  if (isGroup(definition)) {
    return definition.subcommands.map((sub) => usageOf(sub.name, sub.options).replace(/^\//, '')).join(' | ');
  }
  return usageOf(definition.name, definition.options).replace(/^\/\S+\s*/, '');
}

function short(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

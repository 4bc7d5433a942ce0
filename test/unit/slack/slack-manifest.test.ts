import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { slackBotScopes, slackManifest, slackManifestYaml } from '../../../src/adapters/slack/slack-manifest.js';
import { loadCommands } from '../../../src/core/load-commands.js';

const committed = join(import.meta.dirname, '..', '..', '..', 'config', 'slack-manifest.yaml');

describe('the Slack app manifest', () => {
  it('given the commands in commands/, when the manifest is generated, then config/slack-manifest.yaml is that manifest', async () => {
    const generated = slackManifestYaml(await loadCommands(), { mode: 'socket' });
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(committed, generated);
    expect(existsSync(committed), 'config/slack-manifest.yaml is missing: run with UPDATE_GOLDEN=1').toBe(true);
    expect(
      readFileSync(committed, 'utf8'),
      'config/slack-manifest.yaml is out of date with commands/: run UPDATE_GOLDEN=1 npx vitest run test/unit/slack/slack-manifest.test.ts',
    ).toBe(generated);
  });

  it('given the commands, when the manifest is generated, then it has one slash command per top-level command with its usage', async () => {
    const commands = await loadCommands();
    const manifest = parse(slackManifestYaml(commands, { mode: 'socket' })) as {
      features: {
        slash_commands: Array<{ command: string; usage_hint?: string; should_escape: boolean; url?: string }>;
      };
      oauth_config: { scopes: { bot: string[] } };
      settings: { socket_mode_enabled: boolean; interactivity: { is_enabled: boolean } };
    };
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(commands.map((c) => `/${c.name}`));
    const approvals = manifest.features.slash_commands.find((c) => c.command === '/approvals');
    expect(approvals?.usage_hint).toBe('list [all] | approve id [reason…] | deny id reason…');
    expect(manifest.features.slash_commands.every((c) => c.url === undefined && c.should_escape === false)).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual([
      'commands',
      'chat:write',
      'chat:write.public',
      'usergroups:read',
      'files:write',
    ]);
    expect(manifest.settings).toMatchObject({ socket_mode_enabled: true, interactivity: { is_enabled: true } });
  });

  it('given HTTP mode and a single command, when the manifest is generated, then the command and interactivity post to the request URL', async () => {
    const manifest = slackManifest(await loadCommands(), {
      mode: 'http',
      requestUrl: 'https://bot.example/slack/events',
      singleCommand: 'lotus',
    }) as {
      features: { slash_commands: Array<{ command: string; url: string }> };
      settings: { socket_mode_enabled: boolean; interactivity: { request_url: string } };
    };
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({ command: '/lotus', url: 'https://bot.example/slack/events' }),
    ]);
    expect(manifest.settings).toMatchObject({
      socket_mode_enabled: false,
      interactivity: { request_url: 'https://bot.example/slack/events' },
    });
  });

  it('names a reason for every scope it asks for', () => {
    expect(Object.values(slackBotScopes).every((why) => why.length > 10)).toBe(true);
  });
});

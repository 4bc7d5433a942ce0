import type { ChannelRef } from '../../core/command.js';
import { newCorrelationId } from '../../core/correlation-id.js';
import type { Logger } from '../../core/logger.js';
import type { Runtime } from '../../core/runtime.js';
import type { SlackIdentity } from './identity.js';
import { ProgressMessage } from './progress-message.js';
import { deliverReply } from './reply-delivery.js';
import type { ResponseUrl } from './response-url.js';
import type { SlashCommandPayload } from './slack-payloads.js';
import type { SlackPoster } from './slack-poster.js';

export interface CommandHandlerDeps {
  runtime: Pick<Runtime, 'dispatch' | 'messagePosted'>;
  identity: SlackIdentity;
  poster: SlackPoster;
  responseUrl(url: string): ResponseUrl;
  log: Logger;
  /** `/lotus pledge 3` instead of `/pledge 3`. */
  singleCommand?: string;
}

/**
 * A slash command, already acknowledged: who asked, handed to the runtime, and the answer delivered. The runtime turns
 * every command error into a reply; what can still fail here is Slack itself, which is logged and, where Slack can
 * still be reached, told to the asker with a reference.
 */
export async function handleSlashCommand(deps: CommandHandlerDeps, payload: SlashCommandPayload): Promise<void> {
  const respond = deps.responseUrl(payload.response_url);
  const what = `${payload.command} ${payload.text}`.trim();
  const log = deps.log.child({ slackUser: payload.user_id, channel: payload.channel_id, command: payload.command });
  try {
    const { command, text } = commandLine(payload, deps.singleCommand);
    const principal = await deps.identity.principalOf(payload.user_id, payload.user_name);
    const channel: ChannelRef = {
      platform: 'slack',
      id: payload.channel_id,
      ...(payload.channel_name ? { name: payload.channel_name } : {}),
    };
    const progress = new ProgressMessage(deps.poster, payload.channel_id, what, log);
    const reply = await deps.runtime.dispatch({
      principal,
      channel,
      command,
      text,
      progress: (t) => progress.update(t),
    });
    const replaceTs = await progress.finish();
    const posted = await deliverReply(
      deps.poster,
      { channelId: payload.channel_id, userId: payload.user_id, what, respond, ...(replaceTs ? { replaceTs } : {}) },
      reply,
      log,
    );
    if (reply.subject && posted)
      await deps.runtime.messagePosted(reply.subject, {
        platform: 'slack',
        channelId: payload.channel_id,
        messageIds: posted,
      });
  } catch (error) {
    const reference = newCorrelationId();
    log.error({ err: error, reference }, 'a slash command could not be answered');
    await respond
      .send({
        response_type: 'ephemeral',
        text: `Something went wrong while answering ${what}. The bot's log has the details under ${reference}.`,
      })
      .catch((sendError: unknown) => log.error({ err: sendError, reference }, 'could not tell the asker either'));
  }
}

/**
 * `/deadlines all` → deadlines + `all`. With a single command, `/lotus deadlines all` gives the same, and a bare
 * `/lotus` is help.
 */
export function commandLine(
  payload: { command: string; text: string },
  singleCommand: string | undefined,
): { command: string; text: string } {
  const name = payload.command.replace(/^\//, '');
  if (singleCommand === undefined || name !== singleCommand) return { command: name, text: payload.text.trim() };
  const match = /^\s*\/?(\S+)\s*([\s\S]*)$/.exec(payload.text);
  if (!match) return { command: 'help', text: '' };
  return { command: match[1] as string, text: (match[2] ?? '').trim() };
}

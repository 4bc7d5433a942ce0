import type { Logger } from '../../core/logger.js';
import type { Reply } from '../../core/reply.js';
import { escapeMrkdwn, renderReply, type SlackMessage } from './render.js';
import type { ResponseUrl } from './response-url.js';
import type { SlackPoster } from './slack-poster.js';

export interface DeliveryTarget {
  channelId: string;
  /** Who asked: named when their answer was shown to them alone. */
  userId: string;
  /** What they typed, e.g. `/deadlines all`. */
  what: string;
  respond: ResponseUrl;
  /** A message of ours (the progress message) that the first part of the answer replaces. */
  replaceTs?: string;
}

/**
 * Where each part of an answer goes:
 * - for the asker only (an error about their input): ephemeral, through response_url;
 * - a reply with buttons or a subject (an approval request): channel messages from chat.postMessage (ephemeral
 *   messages can be clicked only by the asker, and their timestamps are what later updates edit), falling back to an
 *   in-channel response_url post;
 * - anything else: an in-channel response_url post, which works even where the bot is not a member, or the progress
 *   message updated in place.
 * A part that cannot be posted either way is reported to the asker, never dropped in silence.
 *
 * Returns the timestamps of the messages posted, when every part became a channel message of the bot's own: then the
 * answer can be found again and updated.
 */
export async function deliverReply(
  poster: SlackPoster,
  target: DeliveryTarget,
  reply: Reply,
  log: Logger,
): Promise<string[] | undefined> {
  const messages = renderReply(reply);
  if (reply.ephemeral) {
    if (target.replaceTs) {
      const ended = `${escapeMrkdwn(target.what)}: ended; the answer was shown to <@${target.userId}> only.`;
      await poster
        .updateMessage(target.channelId, target.replaceTs, {
          text: ended,
          blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: ended }] }],
        })
        .catch((error: unknown) => log.info({ err: error }, 'could not close the progress message'));
    }
    await sendAll(
      messages,
      (m) => target.respond.send({ response_type: 'ephemeral', text: m.text, blocks: m.blocks }),
      target,
      log,
    );
    return undefined;
  }
  const posted: Array<string | undefined> = messages.map(() => undefined);
  const viaChat = async (m: SlackMessage, index: number): Promise<void> => {
    let ts = target.replaceTs;
    if (index === 0 && ts) await poster.updateMessage(target.channelId, ts, m);
    else ts = await poster.postMessage(target.channelId, m);
    posted[index] = ts;
  };
  const viaResponseUrl = (m: SlackMessage): Promise<void> =>
    target.respond.send({ response_type: 'in_channel', text: m.text, blocks: m.blocks });
  const chatFirst = target.replaceTs !== undefined || (reply.actions?.length ?? 0) > 0 || reply.subject !== undefined;
  await sendAll(
    messages,
    async (m, index) => {
      // The last response_url use is kept for telling the asker that something could not be posted.
      const urlUsable = target.respond.remaining > 1;
      if (chatFirst || !urlUsable) {
        try {
          await viaChat(m, index);
        } catch (error) {
          if (!urlUsable) throw error;
          log.info(
            { err: error, channel: target.channelId },
            'chat.postMessage failed; answering through response_url',
          );
          await viaResponseUrl(m);
        }
        return;
      }
      try {
        await viaResponseUrl(m);
      } catch (error) {
        log.info({ err: error }, 'response_url failed; answering through chat.postMessage');
        await viaChat(m, index);
      }
    },
    target,
    log,
  );
  await attachFiles(poster, target, reply, posted[0], log);
  return posted.every((ts) => ts !== undefined) ? (posted as string[]) : undefined;
}

/** The reply's files, in the thread of its first message when that is ours; a failed upload is told to the asker. */
async function attachFiles(
  poster: SlackPoster,
  target: DeliveryTarget,
  reply: Reply,
  threadTs: string | undefined,
  log: Logger,
): Promise<void> {
  const files = reply.attachments ?? [];
  if (files.length === 0) return;
  try {
    await poster.attach(target.channelId, files, threadTs ? { threadTs } : {});
  } catch (error) {
    log.info({ err: error, channel: target.channelId }, "could not attach the answer's files");
    const detail = error instanceof Error ? error.message : String(error);
    const names = files.map((f) => f.filename).join(', ');
    await target.respond
      .send({
        response_type: 'ephemeral',
        text: escapeMrkdwn(`${names} could not be attached (${detail}); the same text is in the answer above.`),
      })
      .catch((err: unknown) => log.info({ err }, 'could not tell the asker either'));
  }
}

async function sendAll(
  messages: SlackMessage[],
  send: (message: SlackMessage, index: number) => Promise<void>,
  target: DeliveryTarget,
  log: Logger,
): Promise<void> {
  const failed: number[] = [];
  let lastError: unknown;
  for (const [index, message] of messages.entries()) {
    try {
      await send(message, index);
    } catch (error) {
      failed.push(index + 1);
      lastError = error;
    }
  }
  if (failed.length === 0) return;
  log.error(
    { err: lastError, parts: failed, of: messages.length, what: target.what },
    'could not post (part of) an answer to Slack',
  );
  const detail = lastError instanceof Error ? lastError.message : String(lastError);
  const text =
    messages.length === 1
      ? `The answer to ${target.what} could not be posted: ${detail}`
      : `Part(s) ${failed.join(', ')} of ${messages.length} of the answer to ${target.what} were not posted: ${detail}`;
  await target.respond
    .send({ response_type: 'ephemeral', text: escapeMrkdwn(text) })
    .catch((error: unknown) => log.error({ err: error }, 'could not tell the asker either'));
}

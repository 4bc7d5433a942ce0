import type { webApi } from '@slack/bolt';
import type { ChannelPoster, MessageRef } from '../../core/channel-poster.js';
import type { ChannelRef } from '../../core/command.js';
import type { Attachment, Reply } from '../../core/reply.js';
import { escapeMrkdwn, renderReply, type SlackMessage } from './render.js';
import { slackError } from './slack-error.js';
import { type EchoedBlock, postedMessageSchema } from './slack-payloads.js';

/**
 * Posts and updates bot messages through the Web API. It is the core's poster for `slack:<channel>`: a posted reply
 * comes back as a reference (its messages' timestamps) that the store keeps, so that any process's change can update
 * it in place or answer in its thread later.
 */
export class SlackPoster implements ChannelPoster {
  readonly platform = 'slack';

  constructor(private readonly client: webApi.WebClient) {}

  async post(channel: ChannelRef, reply: Reply): Promise<MessageRef> {
    return { platform: this.platform, channelId: channel.id, messageIds: await this.postReply(channel.id, reply) };
  }

  /**
   * Each posted message is replaced by the matching part of the new reply. A part the new reply does not have is
   * emptied to a short line; a part more is posted in the thread.
   */
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const messages = renderReply(reply);
    for (const [index, ts] of ref.messageIds.entries()) {
      const message = messages[index] ?? continued(reply.title);
      await this.updateMessage(ref.channelId, ts, message);
    }
    const [first] = ref.messageIds;
    for (const message of messages.slice(ref.messageIds.length))
      await this.postMessage(ref.channelId, message, first ? { threadTs: first } : {});
  }

  async replyInThread(ref: MessageRef, reply: Reply): Promise<void> {
    const [first] = ref.messageIds;
    await this.postReply(ref.channelId, reply, first ? { threadTs: first } : {});
  }

  /** Every message of the rendered reply, in order, with their timestamps. */
  async postReply(channelId: string, reply: Reply, options: { threadTs?: string } = {}): Promise<string[]> {
    const posted: string[] = [];
    for (const message of renderReply(reply)) posted.push(await this.postMessage(channelId, message, options));
    return posted;
  }

  async postMessage(channelId: string, message: SlackMessage, options: { threadTs?: string } = {}): Promise<string> {
    try {
      const result = await this.client.chat.postMessage({
        channel: channelId,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      });
      return postedMessageSchema.parse(result).ts;
    } catch (error) {
      throw slackError('chat.postMessage', error, { channel: channelId });
    }
  }

  /** Shown to one user in a channel they are in; for answers that have no response_url to go through. */
  async postEphemeral(channelId: string, userId: string, message: SlackMessage): Promise<void> {
    try {
      await this.client.chat.postEphemeral({
        channel: channelId,
        user: userId,
        text: message.text,
        blocks: message.blocks,
      });
    } catch (error) {
      throw slackError('chat.postEphemeral', error, { channel: channelId });
    }
  }

  /**
   * Uploads the reply's files into the channel (in the thread of `threadTs` when given) with files.uploadV2: an upload
   * URL per file, the bytes, then one completion that shares them all in one message.
   */
  async attach(
    channelId: string,
    attachments: readonly Attachment[],
    options: { threadTs?: string } = {},
  ): Promise<void> {
    if (attachments.length === 0) return;
    try {
      await this.client.files.uploadV2({
        channel_id: channelId,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
        file_uploads: attachments.map((a) => ({ content: a.text, filename: a.filename, title: a.filename })),
      });
    } catch (error) {
      throw slackError('files.uploadV2', error, { channel: channelId });
    }
  }

  /** Always with blocks: an update with text only would leave the old blocks, buttons included, in place. */
  async updateMessage(
    channelId: string,
    ts: string,
    message: { text: string; blocks: Array<SlackMessage['blocks'][number] | EchoedBlock> },
  ): Promise<void> {
    try {
      await this.client.chat.update({ channel: channelId, ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      throw slackError('chat.update', error, { channel: channelId });
    }
  }
}

function continued(title: string): SlackMessage {
  const text = `${escapeMrkdwn(title)} (continued above)`;
  return { text, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text }] }] };
}

import type { webApi } from '@slack/bolt';
import type { ChannelPoster } from '../../core/channel-poster.js';
import type { ChannelRef } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import { renderReply, type SlackMessage } from './render.js';
import { slackError } from './slack-error.js';
import { type EchoedBlock, postedMessageSchema } from './slack-payloads.js';

/**
 * Posts and updates bot messages through the Web API. It is the core's poster for `slack:<channel>` (approval outcomes
 * in the requester's channel, alerts later), and the adapter's way to post approval requests and progress messages,
 * which must be real channel messages with a timestamp so that they can be updated.
 */
export class SlackPoster implements ChannelPoster {
  readonly platform = 'slack';

  constructor(private readonly client: webApi.WebClient) {}

  async post(channel: ChannelRef, reply: Reply): Promise<void> {
    await this.postReply(channel.id, reply);
  }

  /** Every message of the rendered reply, in order; their timestamps let an alert be updated or threaded later. */
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

  /** Always with blocks: an update with text only would leave the old blocks, buttons included, in place. */
  async update(
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

import type { webApi } from '@slack/bolt';
import { type ChannelPoster, RequestMessages } from '../../core/channel-poster.js';
import { type Clock, systemClock } from '../../core/clock.js';
import type { ChannelRef } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import { escapeMrkdwn, renderReply, type SlackBlock, type SlackMessage, slackLimits } from './render.js';
import { slackError } from './slack-error.js';
import { type EchoedBlock, postedMessageSchema } from './slack-payloads.js';

/** An approval request as posted: the channel message with its buttons. */
export interface SlackRequestMessage {
  channelId: string;
  ts: string;
  blocks: Array<SlackBlock | EchoedBlock>;
}

/**
 * Posts and updates bot messages through the Web API. It is the core's poster for `slack:<channel>` (approval outcomes
 * in the requester's channel, alerts later), and the adapter's way to post approval requests and progress messages,
 * which must be real channel messages with a timestamp so that they can be updated.
 *
 * It remembers where each approval request was posted (`requests`: in memory, at most 500 for 1 hour), so that a
 * request decided other than by its buttons (`/approvals` anywhere, `exec`, expiry) has its message updated by
 * `approvalClosed`: buttons removed, the outcome shown. After a restart those are forgotten: such a message keeps its
 * buttons, and a click on it is answered "already …" to the clicker alone.
 */
export class SlackPoster implements ChannelPoster {
  readonly platform = 'slack';
  readonly requests: RequestMessages<SlackRequestMessage>;

  constructor(
    private readonly client: webApi.WebClient,
    clock: Clock = systemClock,
  ) {
    this.requests = new RequestMessages(clock);
  }

  /** Remembers the request(s) whose buttons a posted message carries. */
  rememberRequests(channelId: string, ts: string, blocks: Array<SlackBlock | EchoedBlock>): void {
    for (const b of blocks) {
      const id = b.block_id?.startsWith('approval:') ? b.block_id.slice('approval:'.length) : undefined;
      if (id) this.requests.remember(id, { channelId, ts, blocks });
    }
  }

  async approvalClosed(approvalId: string, outcome: Reply): Promise<void> {
    const where = this.requests.close(approvalId, outcome);
    if (where) await this.showClosed(approvalId, where, outcome);
  }

  /** The request message without its buttons, then the outcome (or, if that does not fit, its title). */
  async showClosed(approvalId: string, where: SlackRequestMessage, outcome: Reply): Promise<void> {
    const kept = where.blocks.filter((b) => b.block_id !== `approval:${approvalId}`);
    const head: Array<SlackBlock | EchoedBlock> = kept.length ? [...kept, { type: 'divider' }] : [];
    const text = `Closed: ${escapeMrkdwn(outcome.title)}`;
    let blocks = [...head, ...(renderReply(outcome)[0]?.blocks ?? [])];
    if (JSON.stringify(blocks).length > slackLimits.messageChars || blocks.length > slackLimits.blocksPerMessage)
      blocks = [...head, { type: 'context', elements: [{ type: 'mrkdwn', text }] }];
    await this.update(where.channelId, where.ts, { text, blocks });
  }

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

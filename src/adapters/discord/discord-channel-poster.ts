import type { APIEmbed } from 'discord.js';
import { type ChannelPoster, RequestMessages } from '../../core/channel-poster.js';
import { type Clock, systemClock } from '../../core/clock.js';
import type { ChannelRef } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import { decidedMessage } from './approval-buttons.js';
import type { ChannelMessages } from './channel-messages.js';
import { discordError } from './discord-error.js';
import { renderEmbeds } from './render.js';

/** An approval request as posted: the message (an interaction reply or a channel message) that carries its buttons. */
export interface DiscordRequestMessage {
  channelId: string;
  messageId: string;
  embeds: APIEmbed[];
}

/**
 * What the core uses to reach a Discord channel (`discord:<channel id>`): approval outcomes in the requester's channel
 * and, later, alerts. A reply too large for one message arrives as several, in order.
 *
 * It remembers where each approval request was posted (`requests`: in memory, at most 500 for 1 hour), so that a
 * request decided other than by its buttons (`/approvals` anywhere, `exec`, expiry) has its message edited by
 * `approvalClosed` over the bot's REST API (the 15-minute interaction token may be long gone): buttons removed, the
 * outcome shown. After a restart those are forgotten: such a message keeps its buttons, and a click on it is answered
 * "already …" to the clicker alone.
 */
export class DiscordChannelPoster implements ChannelPoster {
  readonly platform = 'discord';
  readonly requests: RequestMessages<DiscordRequestMessage>;

  constructor(
    private readonly messages: ChannelMessages,
    /** The REST base, named in errors. */
    private readonly api = 'Discord',
    clock: Clock = systemClock,
  ) {
    this.requests = new RequestMessages(clock);
  }

  async post(channel: ChannelRef, reply: Reply): Promise<void> {
    if (channel.platform !== this.platform)
      throw new RangeError(`not a Discord channel: ${channel.platform}:${channel.id}`);
    try {
      for (const message of renderEmbeds(reply)) await this.messages.post(channel.id, message);
    } catch (error) {
      // Says which platform and hop failed; an unreachable Discord is then kept in the outbox, a refusal is not.
      throw discordError(error, { api: this.api, action: `posting to channel ${channel.id}` });
    }
  }

  async approvalClosed(approvalId: string, outcome: Reply): Promise<void> {
    const where = this.requests.close(approvalId, outcome);
    if (where) await this.showClosed(where, outcome);
  }

  /** The request message without its buttons, with as much of the outcome as fits (the outcome is posted anyway). */
  async showClosed(where: DiscordRequestMessage, outcome: Reply): Promise<void> {
    const { edit } = decidedMessage(where.embeds, renderEmbeds(outcome), outcome.title, outcome, false);
    try {
      await this.messages.edit(where.channelId, where.messageId, edit);
    } catch (error) {
      throw discordError(error, { api: this.api, action: `editing message ${where.messageId}` });
    }
  }
}

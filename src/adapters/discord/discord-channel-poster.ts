import type { ChannelPoster } from '../../core/channel-poster.js';
import type { ChannelRef } from '../../core/command.js';
import type { Reply } from '../../core/reply.js';
import type { ChannelMessages } from './channel-messages.js';
import { discordError } from './discord-error.js';
import { renderEmbeds } from './render.js';

/**
 * What the core uses to reach a Discord channel (`discord:<channel id>`): approval outcomes in the requester's channel
 * and, later, alerts. A reply too large for one message arrives as several, in order.
 */
export class DiscordChannelPoster implements ChannelPoster {
  readonly platform = 'discord';

  constructor(
    private readonly messages: ChannelMessages,
    /** The REST base, named in errors. */
    private readonly api = 'Discord',
  ) {}

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
}

import type { ChannelPoster, MessageRef } from '../../core/channel-poster.js';
import type { ChannelRef } from '../../core/command.js';
import { mentionsOf, type Reply } from '../../core/reply.js';
import type { ChannelMessages } from './channel-messages.js';
import { discordError } from './discord-error.js';
import { type DiscordMessage, renderEmbeds } from './render.js';

/**
 * What the core uses to reach a Discord channel (`discord:<channel id>`) over the bot's REST API, where no interaction
 * token is involved (it lasts 15 minutes; a request may be decided hours later): posts, edits of posted messages
 * (an interaction's reply included), and replies under a message. A reply too large for one message is several.
 */
export class DiscordChannelPoster implements ChannelPoster {
  readonly platform = 'discord';

  constructor(
    private readonly messages: ChannelMessages,
    /** The REST base, named in errors. */
    private readonly api = 'Discord',
  ) {}

  async post(channel: ChannelRef, reply: Reply): Promise<MessageRef> {
    if (channel.platform !== this.platform)
      throw new RangeError(`not a Discord channel: ${channel.platform}:${channel.id}`);
    const ids: string[] = [];
    try {
      for (const [i, message] of renderEmbeds(reply).entries())
        ids.push((await this.messages.post(channel.id, message, i === 0 ? pages(reply) : undefined)).id);
    } catch (error) {
      // Says which platform and hop failed; an unreachable Discord is then kept in the outbox, a refusal is not.
      throw discordError(error, { api: this.api, action: `posting to channel ${channel.id}` });
    }
    return { platform: this.platform, channelId: channel.id, messageIds: ids };
  }

  /**
   * Each posted message is replaced by the matching part of the new reply, its buttons with it (none when the new
   * reply has none). A part the new reply lacks is emptied to a line; a part more follows as a reply.
   */
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const messages = renderEmbeds(reply);
    try {
      for (const [index, id] of ref.messageIds.entries()) {
        const message = messages[index] ?? continued(reply.title);
        await this.messages.edit(ref.channelId, id, { embeds: message.embeds, components: message.components });
      }
      const [first] = ref.messageIds;
      for (const message of messages.slice(ref.messageIds.length))
        await this.messages.post(ref.channelId, message, undefined, first);
    } catch (error) {
      throw discordError(error, { api: this.api, action: `editing message ${ref.messageIds[0] ?? '?'}` });
    }
  }

  async replyInThread(ref: MessageRef, reply: Reply): Promise<void> {
    try {
      for (const [i, message] of renderEmbeds(reply).entries())
        await this.messages.post(ref.channelId, message, i === 0 ? pages(reply) : undefined, ref.messageIds[0]);
    } catch (error) {
      throw discordError(error, { api: this.api, action: `answering under message ${ref.messageIds[0] ?? '?'}` });
    }
  }
}

/** The Discord users and roles the reply pages (an edit never pings: Discord notifies on new messages only). */
function pages(reply: Reply): { users: string[]; roles: string[] } {
  return { users: mentionsOf(reply, 'discord'), roles: mentionsOf(reply, 'discord-role') };
}

function continued(title: string): DiscordMessage {
  return { embeds: [{ description: `${title} (continued above)` }], components: [] };
}

import { type REST, Routes } from 'discord.js';
import { z } from 'zod';
import type { DiscordMessage } from './render.js';

/** A message edit: embeds replaced, components replaced when given and left as they are when not. */
export interface MessageEdit {
  embeds: DiscordMessage['embeds'];
  components?: DiscordMessage['components'];
}

const created = z.looseObject({ id: z.string() });

/**
 * Channel messages over the bot's REST API, where no interaction token is involved: alerts and approval outcomes
 * posted by the core, and answers whose 15-minute interaction token has run out. Rendered content never pings
 * anyone; only the people and roles named (the asker, an alert's on-call role) are mentioned, by id.
 */
export class ChannelMessages {
  constructor(private readonly rest: REST) {}

  /** `replyTo` makes it a reply to that message of the channel (Discord's threads need a permission replies do not). */
  async post(
    channelId: string,
    message: DiscordMessage,
    mention: { users?: readonly string[]; roles?: readonly string[] } = {},
    replyTo?: string,
  ): Promise<{ id: string }> {
    const users = [...(mention.users ?? [])];
    const roles = [...(mention.roles ?? [])];
    const content = [...users.map((u) => `<@${u}>`), ...roles.map((r) => `<@&${r}>`)].join(' ');
    const body = {
      ...(content ? { content } : {}),
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
      embeds: message.embeds,
      components: message.components,
      // Only the ids named here may ping; whatever the rendered text holds never does.
      allowed_mentions: { parse: [], users, roles },
      ...(message.files ? { attachments: message.files.map((f, id) => ({ id, filename: f.name })) } : {}),
    };
    const files = message.files?.map((f) => ({ name: f.name, data: f.attachment }));
    return created.parse(
      await this.rest.post(Routes.channelMessages(channelId), { body, ...(files ? { files } : {}) }),
    );
  }

  async edit(channelId: string, messageId: string, edit: MessageEdit): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), {
      body: { ...edit, allowed_mentions: { parse: [] } },
    });
  }
}

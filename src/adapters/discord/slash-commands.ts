import type { ChatInputCommandInteraction } from 'discord.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Runtime } from '../../core/runtime.js';
import type { ChannelMessages } from './channel-messages.js';
import { discordPrincipal } from './identity.js';
import { inboundOptions } from './interaction-options.js';
import { InteractionResponder } from './interaction-responder.js';

export interface SlashCommandsOptions {
  runtime: Pick<Runtime, 'dispatch' | 'messagePosted'>;
  clock: Clock;
  log: Logger;
  channelMessages: ChannelMessages;
}

/**
 * A slash command: acknowledged at once with a deferred reply (Discord drops an interaction not acknowledged within
 * 3 seconds, and any command may take longer), handed to the runtime with its typed options, and answered by editing
 * the deferred reply.
 */
export class SlashCommands {
  constructor(private readonly options: SlashCommandsOptions) {}

  async onCommand(interaction: ChatInputCommandInteraction, receivedAt: number): Promise<void> {
    const { runtime, clock, log, channelMessages } = this.options;
    const { subcommand, options } = inboundOptions(interaction.options.data);
    const label = `/${[interaction.commandName, subcommand].filter((part) => part !== undefined).join(' ')}`;
    try {
      await interaction.deferReply();
    } catch (error) {
      // Without the acknowledgement Discord has already told the user the command failed: running it now would act
      // on a request they believe was dropped.
      log.warn({ err: error, command: label }, 'a slash command could not be acknowledged; it was not run');
      return;
    }
    const responder = new InteractionResponder(interaction, { clock, log, channelMessages, receivedAt, label });
    const channelName = interaction.channel && 'name' in interaction.channel ? interaction.channel.name : undefined;
    const reply = await runtime.dispatch({
      principal: discordPrincipal(interaction),
      channel: { platform: 'discord', id: interaction.channelId, ...(channelName ? { name: channelName } : {}) },
      command: interaction.commandName,
      ...(subcommand === undefined ? {} : { subcommand }),
      options,
      progress: (text) => responder.progress(text),
    });
    const posted = await responder.finish(reply);
    // A reply with a subject (an approval request) can be found again and edited, whichever process decides it.
    if (reply.subject && posted && !reply.ephemeral)
      await runtime.messagePosted(reply.subject, {
        platform: 'discord',
        channelId: interaction.channelId,
        messageIds: posted,
      });
  }
}

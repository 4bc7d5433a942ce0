import {
  type APIModalInteractionResponseCallbackData,
  type ButtonInteraction,
  ComponentType,
  MessageFlags,
  type ModalSubmitInteraction,
  TextInputStyle,
} from 'discord.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Runtime } from '../../core/runtime.js';
import type { ChannelMessages } from './channel-messages.js';
import { customIds } from './custom-ids.js';
import { discordLimits } from './discord-limits.js';
import { discordPrincipal } from './identity.js';
import { InteractionResponder } from './interaction-responder.js';

export interface ActionButtonsOptions {
  runtime: Pick<Runtime, 'dispatch' | 'promptFor'>;
  clock: Clock;
  log: Logger;
  channelMessages: ChannelMessages;
}

/** The text input of a button's form. */
const answerInput = 'answer';

/**
 * Buttons under the bot's messages. Each carries a command line (`run:/approvals approve K7M2Q9`), and a click runs it
 * exactly as if the clicker had typed it, with their own roles: the runtime checks them, the channel, the approval
 * gate, and audits it. The answer is for the clicker alone; what everyone should see (a request decided, its outcome)
 * reaches the messages concerned through the store, whichever process made the change. A button that needs more text
 * (`ask:`, a deny's reason) first opens a form.
 */
export class ActionButtons {
  constructor(private readonly options: ActionButtonsOptions) {}

  async onButton(interaction: ButtonInteraction, receivedAt: number): Promise<void> {
    const target = customIds.parse(interaction.customId);
    if (!target) {
      await interaction.reply({ content: 'This button is not handled by this bot.', flags: MessageFlags.Ephemeral });
      return;
    }
    if (target.kind === 'ask') {
      // A form must be the first answer to the click, so nothing is deferred before it.
      const label = 'label' in interaction.component ? (interaction.component.label ?? 'Answer') : 'Answer';
      await interaction.showModal(this.form(target.command, label));
      return;
    }
    await interaction.deferUpdate();
    await this.run(interaction, receivedAt, target.command);
  }

  async onModalSubmit(interaction: ModalSubmitInteraction, receivedAt: number): Promise<void> {
    const target = customIds.parse(interaction.customId);
    if (!target || target.kind !== 'ask' || !interaction.isFromMessage()) {
      await interaction.reply({ content: 'This form is not handled by this bot.', flags: MessageFlags.Ephemeral });
      return;
    }
    const answer = interaction.fields.getTextInputValue(answerInput).replace(/\s+/g, ' ').trim();
    await interaction.deferUpdate();
    await this.run(interaction, receivedAt, `${target.command} ${answer}`.trim());
  }

  private async run(
    interaction: ButtonInteraction | ModalSubmitInteraction,
    receivedAt: number,
    line: string,
  ): Promise<void> {
    const { clock, log, channelMessages, runtime } = this.options;
    const [command = '', ...words] = line.replace(/^\//, '').split(' ');
    const responder = new InteractionResponder(interaction, {
      clock,
      log,
      channelMessages,
      receivedAt,
      label: line,
      ...(interaction.message ? { originalMessageId: interaction.message.id } : {}),
    });
    const reply = await runtime.dispatch({
      principal: discordPrincipal(interaction),
      channel: { platform: 'discord', id: interaction.channelId ?? 'unknown' },
      command,
      text: words.join(' '),
      trigger: 'button',
    });
    await responder.whisper(reply);
  }

  private form(command: string, label: string): APIModalInteractionResponseCallbackData {
    const prompt = this.options.runtime.promptFor(command)?.label ?? 'Your answer';
    return {
      custom_id: customIds.encode('ask', command),
      title: `${label}: ${command}`.slice(0, discordLimits.modalTitle),
      components: [
        {
          type: ComponentType.Label,
          label: label.slice(0, 45),
          description: prompt.slice(0, 100),
          component: {
            type: ComponentType.TextInput,
            custom_id: answerInput,
            style: TextInputStyle.Paragraph,
            min_length: 1,
            max_length: 500,
            required: true,
          },
        },
      ],
    };
  }
}

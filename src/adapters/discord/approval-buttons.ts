import {
  type APIEmbed,
  type APIModalInteractionResponseCallbackData,
  type ButtonInteraction,
  ComponentType,
  MessageFlags,
  type ModalSubmitInteraction,
  TextInputStyle,
} from 'discord.js';
import type { Clock } from '../../core/clock.js';
import type { ChannelRef, Principal } from '../../core/command.js';
import type { Logger } from '../../core/logger.js';
import { block, type Reply } from '../../core/reply.js';
import type { Runtime } from '../../core/runtime.js';
import type { ChannelMessages, MessageEdit } from './channel-messages.js';
import { customIds } from './custom-ids.js';
import type { DiscordChannelPoster } from './discord-channel-poster.js';
import { discordLimits } from './discord-limits.js';
import { discordPrincipal } from './identity.js';
import { InteractionResponder } from './interaction-responder.js';
import { embedChars, renderEmbeds, severityColours } from './render.js';

export interface ApprovalButtonsOptions {
  runtime: Pick<Runtime, 'voteFrom'>;
  clock: Clock;
  log: Logger;
  channelMessages: ChannelMessages;
  /** Where approval requests were posted: a click that decides one updates its message, and the poster does not. */
  poster?: Pick<DiscordChannelPoster, 'requests' | 'showClosed'>;
}

/** The text input of the deny form. */
const reasonInput = 'reason';

/**
 * Approve and Deny under an approval request. A click is a vote through the runtime's one gate (RBAC, never the
 * requester, expiry), with the clicker's own identity. Deny first asks for a reason in a form. A decided request's
 * message is edited: buttons removed, who decided and the outcome added. A refused click is answered to the clicker
 * alone, and the buttons stay for someone who may.
 */
export class ApprovalButtons {
  constructor(private readonly options: ApprovalButtonsOptions) {}

  async onButton(interaction: ButtonInteraction, receivedAt: number): Promise<void> {
    const target = customIds.parse(interaction.customId);
    if (!target || target.kind === 'deny-reason') {
      await interaction.reply({ content: 'This button is not handled by this bot.', flags: MessageFlags.Ephemeral });
      return;
    }
    if (target.kind === 'deny') {
      // A modal must be the first answer to the click, so nothing is deferred before it.
      await interaction.showModal(denyModal(target.requestId));
      return;
    }
    await interaction.deferUpdate();
    await this.vote(interaction, receivedAt, target.requestId, 'approve');
  }

  async onModalSubmit(interaction: ModalSubmitInteraction, receivedAt: number): Promise<void> {
    const target = customIds.parse(interaction.customId);
    if (!target || target.kind !== 'deny-reason' || !interaction.isFromMessage()) {
      await interaction.reply({ content: 'This form is not handled by this bot.', flags: MessageFlags.Ephemeral });
      return;
    }
    const reason = interaction.fields.getTextInputValue(reasonInput).trim();
    await interaction.deferUpdate();
    await this.vote(interaction, receivedAt, target.requestId, 'deny', reason);
  }

  private async vote(
    interaction: (ButtonInteraction | ModalSubmitInteraction) & {
      message: { id: string; embeds: Array<{ toJSON(): APIEmbed }> };
    },
    receivedAt: number,
    requestId: string,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<void> {
    const { clock, log, channelMessages, runtime } = this.options;
    const principal: Principal = discordPrincipal(interaction);
    const channel: ChannelRef = { platform: 'discord', id: interaction.channelId ?? 'unknown' };
    const responder = new InteractionResponder(interaction, {
      clock,
      log,
      channelMessages,
      receivedAt,
      label: `Approval ${requestId}`,
      originalMessageId: interaction.message.id,
    });
    const requests = this.options.poster?.requests;
    requests?.claim(requestId);
    let decided = false;
    try {
      const reply = await runtime.voteFrom(principal, channel, requestId, decision, reason);
      decided = !reply.ephemeral && (decision === 'deny' || reply.outcome !== undefined);
      await this.show(interaction, responder, reply, decision);
    } finally {
      const meanwhile = requests?.release(requestId, decided);
      if (meanwhile) {
        await this.options.poster
          ?.showClosed(meanwhile.where, meanwhile.outcome)
          .catch((error: unknown) => log.warn({ err: error, requestId }, 'could not show a closed approval request'));
      }
    }
  }

  private async show(
    interaction: { user: { id: string }; message: { embeds: Array<{ toJSON(): APIEmbed }> } },
    responder: InteractionResponder,
    reply: Reply,
    decision: 'approve' | 'deny',
  ): Promise<void> {
    if (reply.ephemeral) {
      await responder.whisper(reply);
      return;
    }
    const original = interaction.message.embeds.map((e) => e.toJSON());
    const verdict = `${decision === 'approve' ? 'Approved' : 'Denied'} by <@${interaction.user.id}>`;
    const outcome = renderEmbeds({ ...reply, blocks: [block.text(verdict), ...reply.blocks] });
    // An approval short of the required count leaves the request open: the buttons stay for the next approver.
    // Every decided vote comes back with an outcome (ok or failed from the execution; a deny closes the request).
    const stillOpen = decision === 'approve' && reply.outcome === undefined;
    const { edit, rest } = decidedMessage(original, outcome, verdict, reply, stillOpen);
    await responder.update(edit);
    if (rest.length > 0) await responder.publish(rest);
  }
}

/** The request message with the decision added, as much as fits; what does not fit follows as its own messages. */
export function decidedMessage(
  original: APIEmbed[],
  outcome: ReturnType<typeof renderEmbeds>,
  verdict: string,
  reply: Reply,
  stillOpen: boolean,
): { edit: MessageEdit; rest: ReturnType<typeof renderEmbeds> } {
  const fits = (embeds: APIEmbed[]): boolean =>
    embeds.length <= discordLimits.embedsPerMessage && embedChars(embeds) <= discordLimits.messageEmbedChars;
  const components = stillOpen ? {} : { components: [] };
  const [first, ...later] = outcome;
  if (first && fits([...original, ...first.embeds])) {
    return { edit: { embeds: [...original, ...first.embeds], ...components }, rest: later };
  }
  const note: APIEmbed = {
    description: `${verdict}. The outcome follows below.`,
    color: severityColours[reply.severity ?? 'none'],
  };
  if (fits([...original, note])) return { edit: { embeds: [...original, note], ...components }, rest: outcome };
  return { edit: { embeds: original, ...components }, rest: outcome };
}

function denyModal(requestId: string): APIModalInteractionResponseCallbackData {
  return {
    custom_id: customIds.encode('deny-reason', requestId),
    title: `Deny request ${requestId}`.slice(0, discordLimits.modalTitle),
    components: [
      {
        type: ComponentType.Label,
        label: 'Why do you deny it?',
        description: 'Shown to the requester and kept in the audit trail.',
        component: {
          type: ComponentType.TextInput,
          custom_id: reasonInput,
          style: TextInputStyle.Paragraph,
          min_length: 3,
          max_length: 500,
          required: true,
        },
      },
    ],
  };
}

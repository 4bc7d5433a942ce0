import { DiscordAPIError, MessageFlags, RESTJSONErrorCodes } from 'discord.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { block, type Reply } from '../../core/reply.js';
import type { ChannelMessages, MessageEdit } from './channel-messages.js';
import { type DiscordMessage, renderEmbeds } from './render.js';

/** An interaction already acknowledged (deferReply or deferUpdate): what discord.js's interactions offer after that. */
export interface DeferredInteraction {
  readonly channelId: string | null;
  readonly user: { id: string };
  editReply(options: MessageEdit): Promise<unknown>;
  followUp(options: DiscordMessage & { flags?: MessageFlags.Ephemeral }): Promise<unknown>;
  deleteReply(): Promise<void>;
}

export interface InteractionResponderOptions {
  clock: Clock;
  log: Logger;
  channelMessages: Pick<ChannelMessages, 'post' | 'edit'>;
  /** When the interaction arrived, by `clock`: its token is valid for 15 minutes from then. */
  receivedAt: number;
  /** Title of progress messages, e.g. "/pledge start". */
  label: string;
  /** The message a button or modal belongs to: edited over the bot's own REST API once the token is gone. */
  originalMessageId?: string;
  tokenLifetimeMs?: number;
  /** How long before the token's end the responder stops trusting it. */
  tokenMarginMs?: number;
}

/** Discord's answers when an interaction token is no longer valid. */
const deadTokenCodes = new Set<number | string>([
  RESTJSONErrorCodes.UnknownWebhook,
  RESTJSONErrorCodes.UnknownInteraction,
  RESTJSONErrorCodes.InvalidWebhookToken,
]);

/**
 * Answers one acknowledged interaction. Edits go out one at a time and in order, so a late progress update can never
 * overwrite the final answer. Progress is coalesced (only the newest text is shown) and never makes the command wait
 * for Discord. Once the 15-minute interaction token is near its end, or Discord says it is gone, answers go to the
 * channel over the bot's REST API instead, mentioning the asker, so that long work is never answered into the void.
 */
export class InteractionResponder {
  private queue: Promise<void> = Promise.resolve();
  private pendingProgress: string | undefined;
  private finished = false;

  constructor(
    private readonly interaction: DeferredInteraction,
    private readonly options: InteractionResponderOptions,
  ) {}

  tokenUsable(): boolean {
    const lifetime = this.options.tokenLifetimeMs ?? 15 * 60_000;
    const margin = this.options.tokenMarginMs ?? 60_000;
    return this.options.clock.now() < this.options.receivedAt + lifetime - margin;
  }

  /** Shows progress in the deferred reply. Returns at once; the edit follows when the previous one is done. */
  progress(text: string): Promise<void> {
    if (this.finished || !this.tokenUsable()) return Promise.resolve();
    const scheduled = this.pendingProgress !== undefined;
    this.pendingProgress = text;
    if (!scheduled) {
      this.enqueue(async () => {
        const latest = this.pendingProgress;
        this.pendingProgress = undefined;
        if (latest === undefined || this.finished || !this.tokenUsable()) return;
        const [message] = renderEmbeds({
          title: this.options.label,
          severity: 'info',
          blocks: [block.text(`⏳ ${latest}`)],
        });
        if (message) await this.interaction.editReply(message);
      }).catch((error: unknown) => this.options.log.warn({ err: error }, 'could not show progress on Discord'));
    }
    return Promise.resolve();
  }

  /**
   * The final answer of a slash command: it replaces the deferred reply. A reply for the asker alone replaces it with
   * an ephemeral message (the public "thinking…" message is deleted first, since a deferred reply cannot change its
   * visibility). Parts beyond the first message follow as follow-ups. Resolves with the ids of the public messages
   * sent, in order, when Discord said each (undefined when it did not, or when the answer was private).
   */
  async finish(reply: Reply): Promise<string[] | undefined> {
    this.finished = true;
    this.pendingProgress = undefined;
    const messages = renderEmbeds(reply);
    const ids: Array<string | undefined> = [];
    await this.enqueue(async () => {
      let sent = 0;
      await this.withToken(
        async () => {
          if (reply.ephemeral) await this.interaction.deleteReply();
          for (const message of messages) {
            if (reply.ephemeral) await this.interaction.followUp({ ...message, flags: MessageFlags.Ephemeral });
            else if (sent === 0) ids.push(idOf(await this.interaction.editReply(message)));
            else ids.push(idOf(await this.interaction.followUp(message)));
            sent++;
          }
        },
        async () => {
          ids.push(...(await this.toChannel(messages.slice(sent), true)));
        },
      );
    });
    if (reply.ephemeral || ids.length !== messages.length || ids.some((id) => id === undefined)) return undefined;
    return ids as string[];
  }

  /** Edits the message the interaction belongs to (a button's message; a slash command's deferred reply). */
  update(edit: MessageEdit): Promise<void> {
    return this.enqueue(() =>
      this.withToken(
        () => this.interaction.editReply(edit),
        async () => {
          const channelId = this.interaction.channelId;
          if (this.options.originalMessageId === undefined || channelId === null) {
            this.options.log.warn('the interaction token is gone and the message cannot be edited otherwise');
            return;
          }
          await this.options.channelMessages.edit(channelId, this.options.originalMessageId, edit);
        },
      ),
    );
  }

  /** Public messages after the interaction's own message, e.g. the rest of a long outcome. */
  publish(messages: readonly DiscordMessage[]): Promise<void> {
    return this.enqueue(async () => {
      let sent = 0;
      await this.withToken(
        async () => {
          for (const message of messages) {
            await this.interaction.followUp(message);
            sent++;
          }
        },
        async () => {
          await this.toChannel(messages.slice(sent), false);
        },
      );
    });
  }

  /** A message only the clicker sees (a refused vote). Without a token there is no private way left; it is logged. */
  whisper(reply: Reply): Promise<void> {
    return this.enqueue(() =>
      this.withToken(
        async () => {
          for (const message of renderEmbeds(reply))
            await this.interaction.followUp({ ...message, flags: MessageFlags.Ephemeral });
        },
        async () =>
          this.options.log.warn(
            { title: reply.title },
            'an answer for one user could not be shown: the interaction token is gone',
          ),
      ),
    );
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withToken(viaToken: () => Promise<unknown>, viaChannel: () => Promise<void>): Promise<void> {
    if (this.tokenUsable()) {
      try {
        await viaToken();
        return;
      } catch (error) {
        if (!isDeadToken(error)) throw error;
        this.options.log.warn(
          { err: error },
          'the interaction token is no longer valid; answering over the channel instead',
        );
      }
    }
    await viaChannel();
  }

  /** Resolves with the ids of the messages posted. */
  private async toChannel(
    messages: readonly DiscordMessage[],
    mentionAsker: boolean,
  ): Promise<Array<string | undefined>> {
    const channelId = this.interaction.channelId;
    if (channelId === null) {
      this.options.log.error(
        { label: this.options.label },
        'an answer could not be delivered: no token and no channel',
      );
      return [];
    }
    const ids: Array<string | undefined> = [];
    for (const [i, message] of messages.entries()) {
      const posted = await this.options.channelMessages.post(
        channelId,
        message,
        mentionAsker && i === 0 ? { users: [this.interaction.user.id] } : undefined,
      );
      ids.push(idOf(posted));
    }
    return ids;
  }
}

/** The id of a message discord.js (or the REST API) returned, if it is one. */
function idOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null || !('id' in message)) return undefined;
  return typeof message.id === 'string' ? message.id : undefined;
}

function isDeadToken(error: unknown): boolean {
  return error instanceof DiscordAPIError && (error.status === 401 || deadTokenCodes.has(error.code));
}

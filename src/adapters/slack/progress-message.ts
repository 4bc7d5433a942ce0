import type { Logger } from '../../core/logger.js';
import { renderProgress } from './render.js';
import type { SlackPoster } from './slack-poster.js';

/**
 * `ctx.progress` for a slash command: the first call posts a message to the channel, later calls update it in place,
 * and the final answer replaces it. Progress never slows the command or makes it fail: updates run in the background,
 * only the latest text is sent when several arrive while one is in flight, and a channel the bot cannot post in just
 * means no progress is shown.
 */
export class ProgressMessage {
  private ts: string | undefined;
  private pending: string | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly poster: SlackPoster,
    private readonly channelId: string,
    private readonly what: string,
    private readonly log: Logger,
  ) {}

  update(text: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending = text;
    this.running ??= this.flush();
    return Promise.resolve();
  }

  /** Waits for the update in flight and stops further ones; returns the message to replace, if one was posted. */
  async finish(): Promise<string | undefined> {
    this.stopped = true;
    this.pending = undefined;
    await this.running;
    return this.ts;
  }

  private async flush(): Promise<void> {
    while (this.pending !== undefined && !this.stopped) {
      const text = this.pending;
      this.pending = undefined;
      const message = renderProgress(this.what, text);
      try {
        if (this.ts === undefined) this.ts = await this.poster.postMessage(this.channelId, message);
        else await this.poster.updateMessage(this.channelId, this.ts, message);
      } catch (error) {
        this.log.info(
          { err: error, channel: this.channelId },
          'progress cannot be shown in this channel; the answer will still come',
        );
        if (this.ts === undefined) this.stopped = true;
      }
    }
    this.running = undefined;
  }
}

import type { MessageRef } from '../store/store.js';
import type { ChannelRef } from './command.js';
import type { Logger } from './logger.js';
import type { Reply } from './reply.js';

export type { MessageRef };

/** Something that can post to a channel of its platform: an adapter, seen from the core. */
export interface ChannelPoster {
  readonly platform: string;
  /** Posts the reply; the reference of what was posted, or undefined when it was queued to be posted later. */
  post(channel: ChannelRef, reply: Reply): Promise<MessageRef | undefined>;
  /** Replaces a posted reply with a new one (buttons removed, a status changed), part by part. */
  update(ref: MessageRef, reply: Reply): Promise<void>;
  /** Answers under a posted reply: a thread on Slack, a reply to the message on Discord. */
  replyInThread(ref: MessageRef, reply: Reply): Promise<void>;
}

/**
 * Reaches whichever adapter serves a platform. A platform with no adapter running is logged and skipped: posting is
 * never an error for the caller, which has already done its work (the decision stands, the alert is recorded).
 */
export class ChannelPosters {
  private readonly posters = new Map<string, ChannelPoster>();

  constructor(private readonly log: Logger) {}

  register(poster: ChannelPoster): void {
    this.posters.set(poster.platform, poster);
  }

  unregister(platform: string): void {
    this.posters.delete(platform);
  }

  /** Whether an adapter for the platform runs in this process. */
  serves(platform: string): boolean {
    return this.posters.has(platform);
  }

  async post(channel: ChannelRef, reply: Reply): Promise<MessageRef | undefined> {
    return this.attempt(channel.platform, 'posting to a channel', { channel: channel.id }, (p) =>
      p.post(channel, reply),
    );
  }

  async update(ref: MessageRef, reply: Reply): Promise<boolean> {
    const done = await this.attempt(ref.platform, 'updating a message', { ref }, async (p) => {
      await p.update(ref, reply);
      return true;
    });
    return done === true;
  }

  async replyInThread(ref: MessageRef, reply: Reply): Promise<boolean> {
    const done = await this.attempt(ref.platform, 'answering in a thread', { ref }, async (p) => {
      await p.replyInThread(ref, reply);
      return true;
    });
    return done === true;
  }

  private async attempt<T>(
    platform: string,
    what: string,
    where: Record<string, unknown>,
    work: (poster: ChannelPoster) => Promise<T>,
  ): Promise<T | undefined> {
    const poster = this.posters.get(platform);
    if (!poster) {
      this.log.debug({ platform, ...where }, `no adapter for this platform; ${what} skipped`);
      return undefined;
    }
    try {
      return await work(poster);
    } catch (error) {
      this.log.warn({ err: error, platform, ...where }, `${what} failed`);
      return undefined;
    }
  }
}

import type { Clock } from './clock.js';
import type { ChannelRef } from './command.js';
import type { Logger } from './logger.js';
import type { Reply } from './reply.js';

/** Something that can post a reply to a channel of its platform: an adapter, seen from the core. */
export interface ChannelPoster {
  readonly platform: string;
  post(channel: ChannelRef, reply: Reply): Promise<void>;
  /**
   * An approval request reached its final state in this process (executed, denied or expired), however it was
   * decided: the adapter may update the message it posted the request in (buttons removed, the outcome shown).
   */
  approvalClosed?(approvalId: string, outcome: Reply): Promise<void>;
}

/**
 * Posts to whichever adapter serves a channel's platform. Approval outcomes go back to the channel the request came
 * from; alerts (a later feature) go to the channels their routes name. A platform with no adapter running is logged
 * and skipped, never an error for the caller.
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

  async post(channel: ChannelRef, reply: Reply): Promise<boolean> {
    const poster = this.posters.get(channel.platform);
    if (!poster) {
      this.log.debug({ channel }, 'no adapter for this platform; message not posted');
      return false;
    }
    try {
      await poster.post(channel, reply);
      return true;
    } catch (error) {
      this.log.warn({ err: error, channel }, 'posting to a channel failed');
      return false;
    }
  }

  /**
   * Tells every adapter that can show it that an approval request is closed, whichever platform the request was
   * posted on (it may have been decided on another). Failures are logged, never thrown: the decision stands.
   */
  async approvalClosed(approvalId: string, outcome: Reply): Promise<void> {
    for (const poster of [...this.posters.values()]) {
      if (!poster.approvalClosed) continue;
      try {
        await poster.approvalClosed(approvalId, outcome);
      } catch (error) {
        this.log.warn(
          { err: error, approvalId, platform: poster.platform },
          'could not show a closed approval request',
        );
      }
    }
  }
}

/** What a click-decided request leaves for its adapter to show, when it was closed otherwise meanwhile. */
export interface ClosedMeanwhile<T> {
  where: T;
  outcome: Reply;
}

interface Remembered<T> {
  where: T;
  at: number;
  /** Clicks on the message being decided now: their own update shows the outcome, so `close` leaves it alone. */
  clicks: number;
  /** An outcome that arrived while a click was in flight, to show if that click does not decide the request. */
  closedMeanwhile?: Reply;
}

/**
 * Where an adapter posted each approval request (a channel and message id), kept in memory, bounded: at most 500
 * requests and 1 hour by default. A restart forgets them: such a message keeps its buttons after a decision made
 * elsewhere, and a later click on it is answered privately with "already …" by the runtime's gate, as before.
 *
 * A request is updated once: either by the click that decided it (`claim` before voting, `release` after) or by
 * `close`, whichever decided it; each returns the message only to the one that must update it.
 */
export class RequestMessages<T> {
  private readonly entries = new Map<string, Remembered<T>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly clock: Clock,
    options: { ttlMs?: number; maxEntries?: number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60 * 60_000;
    this.maxEntries = options.maxEntries ?? 500;
  }

  remember(approvalId: string, where: T): void {
    const now = this.clock.now();
    for (const [id, entry] of this.entries) {
      if (now - entry.at > this.ttlMs || this.entries.size >= this.maxEntries) this.entries.delete(id);
      else break;
    }
    this.entries.delete(approvalId);
    this.entries.set(approvalId, { where, at: now, clicks: 0 });
  }

  /** A click on the request's message is about to vote. */
  claim(approvalId: string): void {
    const entry = this.live(approvalId);
    if (entry) entry.clicks++;
  }

  /**
   * The click has been answered. If it decided the request, its own update showed that and the message is forgotten;
   * if not, and the request was closed otherwise meanwhile, that outcome is returned to be shown now.
   */
  release(approvalId: string, decidedByClick: boolean): ClosedMeanwhile<T> | undefined {
    const entry = this.live(approvalId);
    if (!entry) return undefined;
    if (decidedByClick) {
      this.entries.delete(approvalId);
      return undefined;
    }
    entry.clicks = Math.max(0, entry.clicks - 1);
    if (entry.clicks > 0 || entry.closedMeanwhile === undefined) return undefined;
    this.entries.delete(approvalId);
    return { where: entry.where, outcome: entry.closedMeanwhile };
  }

  /** The request is closed: where its message is, unless unknown or a click in flight will show it. */
  close(approvalId: string, outcome: Reply): T | undefined {
    const entry = this.live(approvalId);
    if (!entry) return undefined;
    if (entry.clicks > 0) {
      entry.closedMeanwhile = outcome;
      return undefined;
    }
    this.entries.delete(approvalId);
    return entry.where;
  }

  private live(approvalId: string): Remembered<T> | undefined {
    const entry = this.entries.get(approvalId);
    if (entry && this.clock.now() - entry.at > this.ttlMs) {
      this.entries.delete(approvalId);
      return undefined;
    }
    return entry;
  }
}

import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { HealthReporter } from './connection-health.js';
import { isUnreachable } from './platform-error.js';

/** How a delivery failed, as the platform's answer says: wait and retry, or give the message up. */
export type DeliveryFailure = 'rate-limited' | 'unreachable' | 'refused';

/** A failed delivery, classified by the wire that read the platform's answer. */
export class DeliveryError extends Error {
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    /** For `rate-limited`: how long the platform asks to be left alone, when it says. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** At most `max` deliveries in any `perMs` (a platform's published rate limit). */
export interface RateWindow {
  max: number;
  perMs: number;
}

export interface DeliveryQueueOptions<T> {
  /** For the log: the platform (`dingtalk`, `pagerduty`). */
  platform: string;
  clock: Clock;
  log: Logger;
  /** Every window must have room for a delivery to be made. */
  windows: readonly RateWindow[];
  /** How long to wait after the platform answered that its rate limit was exceeded (unless it says). */
  rateLimitedBackoffMs: number;
  /** Messages kept per destination; past that the oldest are held back and counted (see `heldBack`). */
  capacity: number;
  /** A message not delivered after this long is dropped, with an error in the log (default 6 h). */
  maxAgeMs?: number;
  deliver(key: string, item: T): Promise<void>;
  /** The message's title, for the log (never its destination's URL). */
  describe(item: T): string;
  /** The one message that stands for `count` held back ones, sent before the rest when there is room. */
  heldBack?(key: string, count: number): T;
  /** Where each destination's deliveries are reported for /health (and the outage announcements). */
  health?(key: string): HealthReporter;
}

interface Waiting<T> {
  item: T;
  queuedAt: number;
}

interface Destination<T> {
  health: HealthReporter | undefined;
  dropped: number;
  queue: Array<Waiting<T>>;
  /** When deliveries were made, for the windows. */
  sent: number[];
  blockedUntil: number;
  failures: number;
  heldBack: number;
  draining: Promise<void>;
}

const maxUnreachableBackoffMs = 10 * 60_000;

/**
 * Messages to webhook destinations (a robot, a PagerDuty service), each in order, never faster than its platform's
 * published rate limit: what does not fit waits here and goes out when the window has room (`flush`, run
 * periodically). A storm therefore never turns into a storm of errors: at most `capacity` messages wait per
 * destination; older ones are held back and replaced by one message that counts them. When the platform still answers
 * that the limit was exceeded (someone else posts with the same robot), the destination rests for the platform's
 * penalty and the message is tried again; an unreachable platform is retried with growing waits; a refusal (a wrong
 * signature, an invalid key) drops the message with an error in the log, naming the destination and never its URL.
 */
export class DeliveryQueue<T> {
  private readonly destinations = new Map<string, Destination<T>>();
  private dropped = 0;

  constructor(private readonly options: DeliveryQueueOptions<T>) {}

  /** Messages waiting, over all destinations. */
  get waiting(): number {
    let n = 0;
    for (const d of this.destinations.values()) n += d.queue.length + (d.heldBack > 0 ? 1 : 0);
    return n;
  }

  /** Messages given up (refused, too old), since the start. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Queues the message behind the destination's others and delivers what the rate limit allows now. */
  enqueue(key: string, item: T): Promise<void> {
    const d = this.destination(key);
    d.queue.push({ item, queuedAt: this.options.clock.now() });
    if (d.queue.length > this.options.capacity) {
      const over = d.queue.length - this.options.capacity;
      d.queue.splice(0, over);
      d.heldBack += over;
      if (d.heldBack === over)
        this.options.log.warn(
          { platform: this.options.platform, destination: key, capacity: this.options.capacity },
          'more alert messages than the rate limit lets through; the oldest are held back and counted in one message',
        );
    }
    return this.drain(key);
  }

  /** Delivers, for every destination, what its window and rest allow now. */
  async flush(): Promise<void> {
    await Promise.all([...this.destinations.keys()].map((key) => this.drain(key)));
  }

  /** At shutdown: what was never delivered is named in the log. */
  abandon(): void {
    for (const [key, d] of this.destinations) {
      for (const w of d.queue.splice(0)) this.drop(key, w, 'the bot stopped before it could be delivered');
      if (d.heldBack > 0)
        this.options.log.error(
          { platform: this.options.platform, destination: key, count: d.heldBack },
          'alert messages held back by the rate limit were never delivered',
        );
      d.heldBack = 0;
    }
  }

  private destination(key: string): Destination<T> {
    let d = this.destinations.get(key);
    if (!d) {
      d = {
        health: this.options.health?.(key),
        dropped: 0,
        queue: [],
        sent: [],
        blockedUntil: 0,
        failures: 0,
        heldBack: 0,
        draining: Promise.resolve(),
      };
      this.destinations.set(key, d);
    }
    return d;
  }

  /** One drain at a time per destination, so that its messages keep their order. */
  private drain(key: string): Promise<void> {
    const d = this.destination(key);
    const run = d.draining.then(() => this.deliverDue(key, d)).finally(() => this.reportOutbox(d));
    d.draining = run.catch(() => undefined);
    return run;
  }

  private roomNow(d: Destination<T>, now: number): boolean {
    const longest = Math.max(0, ...this.options.windows.map((w) => w.perMs));
    d.sent = d.sent.filter((t) => now - t < longest);
    return this.options.windows.every((w) => d.sent.filter((t) => now - t < w.perMs).length < w.max);
  }

  private async deliverDue(key: string, d: Destination<T>): Promise<void> {
    const { clock, log, platform } = this.options;
    const maxAge = this.options.maxAgeMs ?? 6 * 60 * 60_000;
    for (;;) {
      const now = clock.now();
      while (d.queue.length > 0 && now - (d.queue[0] as Waiting<T>).queuedAt > maxAge)
        this.drop(key, d.queue.shift() as Waiting<T>, `not delivered within ${Math.round(maxAge / 60_000)} min`);
      const digest = d.heldBack > 0 && this.options.heldBack ? this.options.heldBack(key, d.heldBack) : undefined;
      const next = digest ?? d.queue[0]?.item;
      if (next === undefined || now < d.blockedUntil || !this.roomNow(d, now)) return;
      d.sent.push(now);
      try {
        await this.options.deliver(key, next);
      } catch (error) {
        const failure =
          error instanceof DeliveryError ? error.failure : isUnreachable(error) ? 'unreachable' : 'refused';
        const reason = error instanceof Error ? error.message : String(error);
        if (failure === 'rate-limited') {
          d.health?.problem('rate limit', reason);
          const waitMs =
            error instanceof DeliveryError && error.retryAfterMs !== undefined
              ? error.retryAfterMs
              : this.options.rateLimitedBackoffMs;
          d.blockedUntil = now + waitMs;
          log.warn(
            { platform, destination: key, waiting: d.queue.length, retryInMs: waitMs, reason },
            'the platform says its rate limit was exceeded; the messages wait and are tried again',
          );
          return;
        }
        if (failure === 'unreachable') {
          d.health?.state('reconnecting', { hop: 'webhook', detail: reason });
          d.failures++;
          const waitMs = Math.min(30_000 * 2 ** (d.failures - 1), maxUnreachableBackoffMs);
          d.blockedUntil = now + waitMs;
          log.warn(
            { platform, destination: key, waiting: d.queue.length, retryInMs: waitMs, reason },
            'could not deliver an alert message now; it waits and is tried again',
          );
          return;
        }
        d.health?.problem('refused', reason);
        if (digest !== undefined) {
          d.heldBack = 0;
          log.error({ platform, destination: key, reason }, 'the message counting held-back alerts was refused');
        } else this.drop(key, d.queue.shift() as Waiting<T>, reason);
        continue;
      }
      d.failures = 0;
      d.health?.state('connected');
      if (digest !== undefined) d.heldBack = 0;
      else d.queue.shift();
    }
  }

  private reportOutbox(d: Destination<T>): void {
    d.health?.outbox(d.queue.length + (d.heldBack > 0 ? 1 : 0), d.dropped);
  }

  private drop(key: string, waiting: Waiting<T>, reason: string): void {
    this.dropped++;
    const d = this.destinations.get(key);
    if (d) d.dropped++;
    this.options.log.error(
      {
        platform: this.options.platform,
        destination: key,
        title: this.options.describe(waiting.item),
        queuedAt: new Date(waiting.queuedAt).toISOString(),
        reason,
      },
      'an alert message was not delivered and was dropped',
    );
  }
}

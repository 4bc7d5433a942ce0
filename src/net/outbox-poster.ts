import type { ChannelPoster, MessageRef } from '../core/channel-poster.js';
import type { Clock } from '../core/clock.js';
import type { ChannelRef } from '../core/command.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Reply } from '../core/reply.js';
import type { HealthReporter } from './connection-health.js';
import { isUnreachable } from './platform-error.js';

export interface OutboxOptions {
  clock: Clock;
  log: Logger;
  /** Messages kept per platform; past that the oldest is dropped, with an error in the log (default 50). */
  capacity?: number;
  /** A message still not posted after this long is dropped, with an error in the log (default 6 h). */
  maxAgeMs?: number;
  health?: HealthReporter;
  /** Each message given up on is counted here (/metrics). */
  metrics?: Metrics;
}

/** What waits: a new post, an update of a posted message, or an answer in its thread. */
type Operation =
  | { kind: 'post'; channel: ChannelRef }
  | { kind: 'update'; ref: MessageRef }
  | { kind: 'thread'; ref: MessageRef };

interface Waiting {
  op: Operation;
  reply: Reply;
  queuedAt: number;
}

/**
 * A platform's poster with a small outbox in memory. A post, update or thread answer that fails because the platform
 * cannot be reached (the proxy, DNS, TLS, a timeout, a 5xx) is kept and tried again by `flush`, which runs when the
 * platform is back and periodically; one the platform refuses (no access to the channel, say) fails at once. A post
 * that waited is posted without telling anyone where: its message cannot be updated later. Nothing is lost
 * silently: a message dropped because the outbox is full or because it waited too long is logged as an error with
 * its channel and title, and counted in /health. The outbox lives in memory only; a restart empties it (and says so
 * in the log if it held anything).
 */
export class OutboxPoster implements ChannelPoster {
  readonly platform: string;
  private readonly queue: Waiting[] = [];
  private dropped = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: ChannelPoster,
    private readonly options: OutboxOptions,
  ) {
    this.platform = inner.platform;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async post(channel: ChannelRef, reply: Reply): Promise<MessageRef | undefined> {
    let ref: MessageRef | undefined;
    await this.send({ kind: 'post', channel }, reply, async () => {
      ref = await this.inner.post(channel, reply);
    });
    return ref;
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    await this.send({ kind: 'update', ref }, reply, () => this.inner.update(ref, reply));
  }

  async replyInThread(ref: MessageRef, reply: Reply): Promise<void> {
    await this.send({ kind: 'thread', ref }, reply, () => this.inner.replyInThread(ref, reply));
  }

  private async send(op: Operation, reply: Reply, attempt: () => Promise<void>): Promise<void> {
    // Keep the order: while older messages wait, a new one waits behind them.
    if (this.queue.length > 0) {
      this.enqueue(op, reply, 'older messages are still waiting');
      void this.flush();
      return;
    }
    try {
      await attempt();
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.enqueue(op, reply, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Tries the waiting messages in order; stops at the first that still cannot be posted. Flushes run one after the
   * other, so a flush asked for while one runs (and perhaps has just given up) tries again.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.drain());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** At shutdown: what was never posted is named in the log. */
  abandon(): void {
    for (const item of this.queue.splice(0)) this.drop(item, 'the bot stopped before it could be posted');
    this.report();
  }

  private async drain(): Promise<void> {
    const maxAge = this.options.maxAgeMs ?? 6 * 60 * 60 * 1000;
    while (this.queue.length > 0) {
      const item = this.queue[0] as Waiting;
      if (this.options.clock.now() - item.queuedAt > maxAge) {
        this.queue.shift();
        this.drop(item, `not posted within ${Math.round(maxAge / 60_000)} min`);
        continue;
      }
      try {
        await this.perform(item);
      } catch (error) {
        if (isUnreachable(error)) break;
        this.queue.shift();
        this.drop(item, error instanceof Error ? error.message : String(error));
        continue;
      }
      this.queue.shift();
      this.options.log.info(
        {
          platform: this.platform,
          channel: channelOf(item.op),
          title: item.reply.title,
          waitedMs: this.options.clock.now() - item.queuedAt,
        },
        'posted a message that had waited in the outbox',
      );
    }
    this.report();
  }

  private async perform(item: Waiting): Promise<void> {
    const { op, reply } = item;
    if (op.kind === 'post') await this.inner.post(op.channel, reply);
    else if (op.kind === 'update') await this.inner.update(op.ref, reply);
    else await this.inner.replyInThread(op.ref, reply);
  }

  private enqueue(op: Operation, reply: Reply, reason: string): void {
    this.queue.push({ op, reply, queuedAt: this.options.clock.now() });
    const capacity = this.options.capacity ?? 50;
    while (this.queue.length > capacity)
      this.drop(this.queue.shift() as Waiting, `the outbox holds at most ${capacity} messages`);
    this.options.log.warn(
      { platform: this.platform, channel: channelOf(op), title: reply.title, waiting: this.queue.length, reason },
      'could not post now; the message waits in the outbox and is posted when the platform is back',
    );
    this.report();
  }

  private drop(item: Waiting, reason: string): void {
    this.dropped++;
    this.options.metrics?.outboxDropped(this.platform);
    this.options.log.error(
      {
        platform: this.platform,
        channel: channelOf(item.op),
        title: item.reply.title,
        queuedAt: new Date(item.queuedAt).toISOString(),
        reason,
      },
      'a message was never posted and was dropped from the outbox',
    );
  }

  private report(): void {
    this.options.health?.outbox(this.queue.length, this.dropped);
  }
}

function channelOf(op: Operation): string {
  return op.kind === 'post' ? op.channel.id : op.ref.channelId;
}

import type { Clock } from '../core/clock.js';
import type { ChannelRef } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import type { Logger } from '../core/logger.js';
import type { PlatformHealth } from '../core/platform-health.js';
import { block, type Reply } from '../core/reply.js';
import { type ConnectionHealth, platformName } from './connection-health.js';

export interface OutageAnnouncerOptions {
  health: ConnectionHealth;
  /** The core's posters (ChannelPosters): a channel's platform picks the adapter. */
  posters: { post(channel: ChannelRef, reply: Reply): Promise<unknown> };
  /** Where outages are announced; a platform's own outage goes only to the channels of the others. */
  channels: readonly ChannelRef[];
  /** How long a platform must be away before it is announced. */
  downAfterMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * Tells the other platforms when one has been unreachable for longer than `downAfterMs`: once, and once more when it
 * is back. `check` does the work; the caller runs it on every health change and periodically (`start`).
 */
export class OutageAnnouncer {
  private readonly announced = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly options: OutageAnnouncerOptions) {}

  start(intervalMs = 15_000): void {
    this.unsubscribe = this.options.health.onChange(() => void this.check());
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** Announces what is due; checks never overlap, so an outage is announced once. */
  check(): Promise<void> {
    this.checking = this.checking
      .then(() => this.announceDue())
      .catch((error: unknown) => {
        this.options.log.error({ err: error }, 'could not announce a platform outage');
      });
    return this.checking;
  }

  private async announceDue(): Promise<void> {
    const now = this.options.clock.now();
    for (const health of this.options.health.platforms()) {
      const downSince = this.announced.get(health.platform);
      if (downSince === undefined && health.state !== 'connected' && now - health.since >= this.options.downAfterMs) {
        this.announced.set(health.platform, health.since);
        await this.tell(health.platform, outageReply(health, now));
      } else if (downSince !== undefined && health.state === 'connected') {
        this.announced.delete(health.platform);
        await this.tell(health.platform, backReply(health.platform, downSince, health.since));
      }
    }
  }

  private async tell(platform: string, reply: Reply): Promise<void> {
    const elsewhere = this.options.channels.filter((c) => c.platform !== platform);
    if (elsewhere.length === 0) {
      this.options.log.warn(
        { platform, title: reply.title },
        'no other platform to announce this on (network.health.announce)',
      );
      return;
    }
    for (const channel of elsewhere) {
      const posted = (await this.options.posters.post(channel, reply)) !== undefined;
      this.options.log.info({ platform, channel, posted, title: reply.title }, 'announced a platform outage');
    }
  }
}

function utc(at: number): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}

function outageReply(health: PlatformHealth, now: number): Reply {
  const name = platformName(health.platform);
  const problem = health.lastProblem ? ` Last problem (${health.lastProblem.hop}): ${health.lastProblem.detail}` : '';
  if (health.kind === 'webhook')
    return {
      title: `${name} is unreachable`,
      severity: 'warning',
      blocks: [
        block.text(
          `The bot has not delivered to ${name} since ${utc(health.since)} (${formatDuration(now - health.since)}).${problem}`,
        ),
        block.text(
          `Alert messages for ${name} wait and are sent when it answers again; the alerts themselves are here and in /alerts.`,
        ),
      ],
    };
  return {
    title: `${name} is unreachable`,
    severity: 'warning',
    blocks: [
      block.text(
        `The bot has not reached ${name} since ${utc(health.since)} (${formatDuration(now - health.since)}; ${health.state}).${problem}`,
      ),
      block.text(
        `Commands typed in ${name} do not reach the bot meanwhile; use this channel or the terminal. Messages for ${name} wait and are posted when it is back.`,
      ),
    ],
  };
}

function backReply(platform: string, downSince: number, backAt: number): Reply {
  const name = platformName(platform);
  return {
    title: `${name} is back`,
    severity: 'success',
    blocks: [
      block.text(
        `${name} was unreachable from ${utc(downSince)} to ${utc(backAt)} (${formatDuration(backAt - downSince)}).`,
      ),
    ],
  };
}

import type { ChannelPoster, MessageRef } from '../../core/channel-poster.js';
import type { Clock } from '../../core/clock.js';
import type { ChannelRef } from '../../core/command.js';
import { OpsError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Reply } from '../../core/reply.js';
import type { HealthReporter } from '../../net/connection-health.js';
import { DeliveryError, DeliveryQueue } from '../../net/delivery-queue.js';
import type { PlatformFetch } from '../../net/platform-transport.js';
import { type RobotMessage, robotMessage } from './robot-markdown.js';
import type { RobotTarget, RobotWire } from './robot-wire.js';

export interface RobotPosterOptions {
  wire: RobotWire;
  robots: readonly RobotTarget[];
  /** The platforms' transport: the proxy settings Slack and Discord use. */
  fetch: PlatformFetch;
  clock: Clock;
  log: Logger;
  /** Each request (default 10 s). */
  timeoutMs?: number;
  /** Messages waiting per robot (default: one minute's worth of its rate limit). */
  capacity?: number;
  /** The message that stands for `count` held back by the rate limit, in the robot's language. */
  heldBack(robot: string, count: number): Reply;
  /** Each robot's deliveries, for /health: `dingtalk:ops-cn`. */
  health?(destination: string): HealthReporter;
}

/**
 * One platform's group robots as a channel poster: `wecom:ops-cn` is the robot `ops-cn`. Robots cannot edit a message
 * or answer under one, so an update is not sent and a thread answer is a new short message in the same group (the
 * alert texts quote the alert's id). Every message goes through a per-robot queue that keeps the platform's rate
 * limit; posting returns at once with the robot as the message's reference, queued or not, so that the alert's later
 * follow-ups find it.
 */
export class RobotPoster implements ChannelPoster {
  readonly platform: string;
  private readonly robots: Map<string, RobotTarget>;
  private readonly queue: DeliveryQueue<RobotMessage>;

  constructor(private readonly options: RobotPosterOptions) {
    const { wire } = options;
    const health = options.health?.bind(options);
    this.platform = wire.platform;
    this.robots = new Map(options.robots.map((r) => [r.name, r]));
    this.queue = new DeliveryQueue<RobotMessage>({
      platform: wire.platform,
      clock: options.clock,
      log: options.log,
      windows: wire.windows,
      rateLimitedBackoffMs: wire.rateLimitedBackoffMs,
      capacity: options.capacity ?? Math.min(...wire.windows.filter((w) => w.perMs >= 60_000).map((w) => w.max)),
      deliver: (name, message) => this.deliver(name, message),
      describe: (message) => message.title,
      heldBack: (name, count) => robotMessage(options.heldBack(name, count), wire.platform),
      ...(health ? { health: (name: string) => health(`${wire.platform}:${name}`) } : {}),
    });
  }

  get waiting(): number {
    return this.queue.waiting;
  }

  async post(channel: ChannelRef, reply: Reply): Promise<MessageRef | undefined> {
    this.robot(channel.id);
    const ref = { platform: this.platform, channelId: channel.id, messageIds: [] };
    await this.queue.enqueue(channel.id, robotMessage(reply, this.platform));
    return ref;
  }

  /** A robot's message cannot be edited: the change reaches the group as a follow-up (replyInThread). */
  async update(): Promise<void> {}

  async replyInThread(ref: MessageRef, reply: Reply): Promise<void> {
    this.robot(ref.channelId);
    await this.queue.enqueue(ref.channelId, robotMessage(reply, this.platform));
  }

  /** Delivers what waits and the rate limits allow now (run periodically). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  abandon(): void {
    this.queue.abandon();
  }

  private robot(name: string): RobotTarget {
    const robot = this.robots.get(name);
    if (!robot) throw new OpsError('ROBOT_UNKNOWN', { robot: `${this.platform}:${name}` });
    return robot;
  }

  private async deliver(name: string, message: RobotMessage): Promise<void> {
    const { wire } = this.options;
    const { url, body } = wire.request(this.robot(name), message, this.options.clock.now());
    let response: Awaited<ReturnType<PlatformFetch>>;
    try {
      response = await this.options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // Said without the URL: it holds the robot's key.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new DeliveryError('unreachable', `${wire.label} robot ${name} could not be reached: ${cause}`);
    }
    const text = await response.text().catch(() => '');
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    wire.read(response.status, answer);
  }
}

import { type DiscordAdapter, startDiscordAdapter } from '../adapters/discord/discord-adapter.js';
import { type SlackAdapter, startSlackAdapter } from '../adapters/slack/slack-adapter.js';
import type { Config } from '../config/schema.js';
import type { ChannelPoster, ChannelPosters } from '../core/channel-poster.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { ChannelRef } from '../core/command.js';
import { parseDuration } from '../core/duration.js';
import { isOpsError, OpsError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Runtime } from '../core/runtime.js';
import { ConnectionHealth, type HealthReporter, platformName } from '../net/connection-health.js';
import { OutageAnnouncer } from '../net/outage-announcer.js';
import { OutboxPoster } from '../net/outbox-poster.js';
import { isUnreachable } from '../net/platform-error.js';
import { createPlatformTransport, type PlatformTransport } from '../net/platform-transport.js';
import { describeProxy, type ProxySettings, proxySettings } from '../net/proxy-settings.js';
import type { Store } from '../store/store.js';

export interface ChatPlatformsOptions {
  config: Config;
  /** The runtime the adapters hand commands to, the posters they register with, and the store (replayed requests). */
  app: { runtime: Runtime; posters: ChannelPosters; store?: Pick<Store, 'rememberRequestSignature'> };
  health: ConnectionHealth;
  log: Logger;
  env: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Outbox drops are counted here (/metrics). */
  metrics?: Metrics;
  /** Slack Socket Mode links kept open (default 2: the second takes commands while the first is refreshed). */
  slackSocketLinks?: number;
  /**
   * Whether this instance announces outages now (default: always). Instances sharing PostgreSQL announce only while
   * they lead, so that one outage is not told twice.
   */
  announceWhile?: () => boolean;
  /** First wait before starting a platform again that could not be reached at start (default 5 s, doubling to 5 min). */
  restartAfterMs?: number;
  /** Tests shorten the adapters' own waits; production uses their defaults and the `network` section. */
  tuning?: {
    slack?: Partial<Parameters<typeof startSlackAdapter>[0]>;
    discord?: Partial<Parameters<typeof startDiscordAdapter>[0]>;
    bridgeBackoff?: { firstMs: number; maxMs: number };
  };
}

export interface ChatPlatforms {
  settings: ProxySettings;
  slack(): SlackAdapter | undefined;
  discord(): DiscordAdapter | undefined;
  /** Waiting messages per platform, flushed when the platform is back. */
  outboxes: Map<string, OutboxPoster>;
  announcer: OutageAnnouncer;
  stop(): Promise<void>;
}

interface Platform<A> {
  name: 'slack' | 'discord';
  start(transport: PlatformTransport, health: HealthReporter): Promise<A>;
  poster(adapter: A): ChannelPoster;
  stop(adapter: A): Promise<void>;
}

/**
 * Starts the configured chat platforms the way `run` does: each over its own transport (the configured proxy, or
 * direct), with explicit timeouts and retries from `network`, health reported to `health`, posts kept in an outbox
 * while the platform cannot be reached, and outages announced on the other platform.
 *
 * A platform that refuses the bot's credentials stops the start (that needs the operator). One that cannot be reached
 * is reported as down, and started again in the background, with growing waits, until it can be; the others run
 * meanwhile.
 */
export async function startChatPlatforms(options: ChatPlatformsOptions): Promise<ChatPlatforms> {
  const { config, app, health, log } = options;
  const clock = options.clock ?? systemClock;
  const settings = proxySettings(config.network, options.env);
  const timeoutMs = parseDuration(config.network.timeout);
  const retries = config.network.retries;
  log.info(
    settings.proxy
      ? {
          proxy: describeProxy(settings.proxy),
          from: settings.source === 'config' ? 'network.proxy' : 'HTTPS_PROXY',
          noProxy: settings.noProxy,
        }
      : { noProxy: settings.noProxy },
    settings.proxy
      ? 'chat platforms are reached through the proxy'
      : 'chat platforms are reached directly (no proxy set)',
  );

  const outboxes = new Map<string, OutboxPoster>();
  const transports: PlatformTransport[] = [];
  const running = new Map<string, { stop(): Promise<void> }>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let slack: SlackAdapter | undefined;
  let discord: DiscordAdapter | undefined;

  const launch = async <A>(platform: Platform<A>, onStarted: (adapter: A) => void): Promise<void> => {
    const reporter = health.reporter(platform.name);
    const transport = createPlatformTransport(settings, {
      log: log.child({ platform: platform.name }),
      connectTimeoutMs: timeoutMs,
      ...(options.tuning?.bridgeBackoff ? { bridgeBackoff: options.tuning.bridgeBackoff } : {}),
    });
    transports.push(transport);
    let adapter: A | undefined;
    const started = (): ChannelPoster => {
      if (adapter === undefined)
        throw new OpsError('PLATFORM_UNREACHABLE', {
          platform: platformName(platform.name),
          hop: 'start',
          detail: 'not connected yet',
        });
      return platform.poster(adapter);
    };
    // Registered at once: until the adapter runs, posts for this platform wait in the outbox instead of being dropped.
    const outbox = new OutboxPoster(
      {
        platform: platform.name,
        post: (channel, reply) => started().post(channel, reply),
        update: (ref, reply) => started().update(ref, reply),
        replyInThread: (ref, reply) => started().replyInThread(ref, reply),
      },
      { clock, log, health: reporter, ...(options.metrics ? { metrics: options.metrics } : {}) },
    );
    outboxes.set(platform.name, outbox);
    app.posters.register(outbox);

    let wait = options.restartAfterMs ?? 5_000;
    const attempt = async (first: boolean): Promise<void> => {
      try {
        const started = await platform.start(transport, reporter);
        if (stopped) {
          await platform.stop(started);
          return;
        }
        adapter = started;
        running.set(platform.name, { stop: () => platform.stop(started) });
        onStarted(started);
        if (!first) log.info({ platform: platform.name }, `${platformName(platform.name)} started after all`);
        void outbox.flush();
      } catch (error) {
        if (first && !isUnreachable(error)) throw error;
        const detail = isOpsError(error) ? error.message : error instanceof Error ? error.message : String(error);
        reporter.state('down', { hop: 'start', detail });
        log.error(
          { platform: platform.name, err: error, retryInMs: wait },
          `${platformName(platform.name)} could not be reached; the bot runs without it and tries again`,
        );
        if (stopped) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          void attempt(false);
        }, wait);
        timer.unref();
        timers.add(timer);
        wait = Math.min(wait * 2, 5 * 60_000);
      }
    };
    await attempt(true);
  };

  const slackRetry = { retries, factor: 4, minTimeout: 1_000, maxTimeout: 5_000 };
  const stopAll = async (): Promise<void> => {
    stopped = true;
    announcer.stop();
    clearInterval(flusher);
    for (const timer of timers) clearTimeout(timer);
    for (const [name, adapter] of running) {
      app.posters.unregister(name);
      await adapter
        .stop()
        .catch((error: unknown) => log.warn({ err: error, platform: name }, 'stopping an adapter failed'));
    }
    for (const outbox of outboxes.values()) outbox.abandon();
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
  };

  const announcer = new OutageAnnouncer({
    health,
    posters: {
      post: async (channel, reply) =>
        (options.announceWhile?.() ?? true) ? app.posters.post(channel, reply) : undefined,
    },
    channels: config.network.health.announce.map(channelRef),
    downAfterMs: parseDuration(config.network.health.downAfter),
    clock,
    log,
  });
  const unsubscribe = health.onChange((h) => {
    if (h.state === 'connected') void outboxes.get(h.platform)?.flush();
  });
  const flusher = setInterval(() => {
    for (const outbox of outboxes.values()) if (outbox.waiting > 0) void outbox.flush();
  }, 30_000);
  flusher.unref();

  try {
    if (config.slack?.enabled) {
      const slackConfig = config.slack;
      await launch<SlackAdapter>(
        {
          name: 'slack',
          start: (transport, reporter) =>
            startSlackAdapter({
              runtime: app.runtime,
              config: slackConfig,
              rbac: config.rbac,
              log,
              clock,
              transport,
              health: reporter,
              retryConfig: slackRetry,
              timeoutMs,
              socketLinks: options.slackSocketLinks ?? 2,
              ...(app.store
                ? {
                    replays: {
                      remember: (signature: string, until: number, now: number) =>
                        (app.store as Pick<Store, 'rememberRequestSignature'>).rememberRequestSignature(
                          signature,
                          until,
                          now,
                        ),
                    },
                  }
                : {}),
              ...options.tuning?.slack,
            }),
          poster: (a) => a.poster,
          stop: (a) => a.stop(),
        },
        (a) => {
          slack = a;
        },
      );
    }
    if (config.discord?.enabled) {
      const discordConfig = config.discord;
      await launch<DiscordAdapter>(
        {
          name: 'discord',
          start: (transport, reporter) =>
            startDiscordAdapter({
              config: discordConfig,
              runtime: app.runtime,
              log,
              clock,
              transport,
              health: reporter,
              rest: { timeoutMs, retries },
              ...options.tuning?.discord,
            }),
          poster: (a) => a.poster,
          stop: (a) => a.stop(),
        },
        (a) => {
          discord = a;
        },
      );
    }
  } catch (error) {
    unsubscribe();
    await stopAll();
    throw error;
  }
  announcer.start();
  return {
    settings,
    slack: () => slack,
    discord: () => discord,
    outboxes,
    announcer,
    async stop() {
      unsubscribe();
      await stopAll();
    },
  };
}

function channelRef(text: string): ChannelRef {
  const [platform = '', id = ''] = text.split(':');
  return { platform, id };
}

import { PagerDutyEvents, type PagerDutyService } from '../adapters/pagerduty/pagerduty-events.js';
import { dingtalkWire } from '../adapters/robots/dingtalk-robot.js';
import { feishuWire } from '../adapters/robots/feishu-robot.js';
import { RobotPoster } from '../adapters/robots/robot-poster.js';
import type { RobotTarget, RobotWire } from '../adapters/robots/robot-wire.js';
import { wecomWire } from '../adapters/robots/wecom-robot.js';
import { robotHeldBack } from '../alerts/robot-texts.js';
import type { Config } from '../config/schema.js';
import type { ChannelPosters } from '../core/channel-poster.js';
import { type Clock, systemClock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import { type Logger, registerSecret } from '../core/logger.js';
import type { ConnectionHealth } from '../net/connection-health.js';
import { createPlatformTransport, type PlatformTransport } from '../net/platform-transport.js';
import { describeProxy, proxySettings } from '../net/proxy-settings.js';

export const robotWires: Record<RobotWire['platform'], RobotWire> = {
  wecom: wecomWire,
  dingtalk: dingtalkWire,
  feishu: feishuWire,
};

/** Robots and PagerDuty services with their URLs, secrets and keys read from the environment. */
export interface OutboundTargets {
  robots: Map<RobotWire['platform'], RobotTarget[]>;
  services: PagerDutyService[];
}

/**
 * Reads every robot's webhook and secret and every PagerDuty routing key from the environment the configuration
 * names, checks their shape (said without the value), and registers each as a secret so that no log line shows it:
 * the whole URL, and the key inside it on its own (a URL may be logged in pieces).
 */
export function outboundTargets(config: Pick<Config, 'robots' | 'pagerduty'>, env: NodeJS.ProcessEnv): OutboundTargets {
  const read = (path: string, name: string): string => {
    const value = env[name];
    if (value === undefined || value.trim() === '') throw new OpsError('OUTBOUND_ENV_MISSING', { path, name });
    registerSecret(value.trim());
    return value.trim();
  };
  const robots = new Map<RobotWire['platform'], RobotTarget[]>();
  config.robots.forEach((robot, i) => {
    const wire = robotWires[robot.platform];
    const path = `robots[${i}].webhookEnv`;
    const webhook = read(path, robot.webhookEnv);
    let url: URL;
    try {
      url = new URL(webhook);
    } catch {
      throw new OpsError('OUTBOUND_ENV_INVALID', {
        path,
        name: robot.webhookEnv,
        what: `a ${wire.label} webhook URL`,
        detail: 'it is not a URL',
      });
    }
    for (const value of url.searchParams.values()) registerSecret(value);
    registerSecret(url.pathname.split('/').at(-1));
    const problem =
      url.protocol === 'https:' || url.protocol === 'http:' ? wire.webhookProblem(url) : 'it is not an https:// URL';
    if (problem)
      throw new OpsError('OUTBOUND_ENV_INVALID', {
        path,
        name: robot.webhookEnv,
        what: `a ${wire.label} webhook URL`,
        detail: problem,
      });
    const secret = robot.secretEnv === undefined ? undefined : read(`robots[${i}].secretEnv`, robot.secretEnv);
    robots.set(robot.platform, [
      ...(robots.get(robot.platform) ?? []),
      { name: robot.name, webhook, ...(secret ? { secret } : {}) },
    ]);
  });
  const services = config.pagerduty.map((service, i) => {
    const routingKey = read(`pagerduty[${i}].routingKeyEnv`, service.routingKeyEnv);
    if (!/^[A-Za-z0-9]{32}$/.test(routingKey))
      throw new OpsError('OUTBOUND_ENV_INVALID', {
        path: `pagerduty[${i}].routingKeyEnv`,
        name: service.routingKeyEnv,
        what: 'a PagerDuty routing key',
        detail: 'an Events API v2 integration key is 32 letters and digits',
      });
    return { name: service.name, routingKey, url: service.url };
  });
  return { robots, services };
}

export interface OutboundAlerts {
  /** One poster per platform with robots; register them with the app's posters. */
  robots: RobotPoster[];
  pager: PagerDutyEvents | undefined;
  /** Delivers what waited for the rate limits or an unreachable platform (run periodically). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface OutboundAlertsOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  log: Logger;
  clock?: Clock;
  /** Where each robot's and PagerDuty service's deliveries are reported (/health, outage announcements). */
  health?: Pick<ConnectionHealth, 'reporter'>;
}

/**
 * The robots and PagerDuty, over their own platform transport: the proxy settings (network.proxy or HTTPS_PROXY,
 * NO_PROXY) and timeout Slack and Discord use. Nothing is started when neither is configured.
 */
export function startOutboundAlerts(options: OutboundAlertsOptions): OutboundAlerts {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;
  const targets = outboundTargets(config, options.env);
  if (targets.robots.size === 0 && targets.services.length === 0)
    return { robots: [], pager: undefined, flush: async () => undefined, stop: async () => undefined };
  const settings = proxySettings(config.network, options.env);
  const timeoutMs = parseDuration(config.network.timeout);
  const transport: PlatformTransport = createPlatformTransport(settings, {
    log: log.child({ component: 'outbound-alerts' }),
    connectTimeoutMs: timeoutMs,
  });
  const { health } = options;
  const reporter = health ? { health: (destination: string) => health.reporter(destination, { kind: 'webhook' }) } : {};
  // Every robot and service is listed in /health from the start, not only once it has been sent something.
  for (const r of config.robots) health?.reporter(`${r.platform}:${r.name}`, { kind: 'webhook' });
  for (const s of targets.services) health?.reporter(`pagerduty:${s.name}`, { kind: 'webhook' });
  const languages = new Map(config.robots.map((r) => [`${r.platform}:${r.name}`, r.language]));
  const robots = [...targets.robots].map(
    ([platform, list]) =>
      new RobotPoster({
        wire: robotWires[platform],
        robots: list,
        fetch: transport.fetch,
        clock,
        log,
        timeoutMs,
        heldBack: (name, count) => robotHeldBack(count, languages.get(`${platform}:${name}`) ?? 'en'),
        ...reporter,
      }),
  );
  const pager =
    targets.services.length > 0
      ? new PagerDutyEvents({ services: targets.services, fetch: transport.fetch, clock, log, timeoutMs, ...reporter })
      : undefined;
  log.info(
    {
      robots: config.robots.map((r) => `${r.platform}:${r.name}`),
      pagerduty: targets.services.map((s) => s.name),
      route: settings.proxy ? `via ${describeProxy(settings.proxy)}` : 'direct',
    },
    'alerts also go to group robots and PagerDuty',
  );
  return {
    robots,
    pager,
    async flush() {
      await Promise.all([...robots.map((r) => r.flush()), pager?.flush()]);
    },
    async stop() {
      for (const r of robots) r.abandon();
      pager?.abandon();
      await transport.close().catch(() => undefined);
    },
  };
}

/** Registers the robots with the app's posters, and flushes what waits every few seconds until stopped. */
export function runOutboundAlerts(
  outbound: OutboundAlerts,
  posters: ChannelPosters,
  everyMs = 5_000,
): () => Promise<void> {
  for (const robot of outbound.robots) posters.register(robot);
  const timer = setInterval(() => void outbound.flush(), everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    for (const robot of outbound.robots) posters.unregister(robot.platform);
    await outbound.stop();
  };
}

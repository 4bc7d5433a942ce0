import { terminalPrincipal } from '../adapters/terminal/identity.js';
import { TerminalAdapter } from '../adapters/terminal/terminal-adapter.js';
import { createApp } from '../app.js';
import type { Config } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import { explainable } from '../core/store-failure.js';
import { ConnectionHealth } from '../net/connection-health.js';
import { StoreError } from '../store/store-error.js';
import { heartbeatPath, startHeartbeat } from './heartbeat.js';
import { resolveConfig } from './resolve-config.js';
import { type ChatPlatforms, startChatPlatforms } from './start-chat-platforms.js';
import { runOutboundAlerts, startOutboundAlerts } from './start-outbound-alerts.js';
import { whileLeading } from './while-leading.js';

/** `lotus-chatops run`: every configured adapter, the background work, until SIGINT/SIGTERM or the terminal closes. */
export async function run(configPath: string | undefined, as: string | undefined): Promise<number> {
  const resolved = await resolveConfig(configPath, process.env);
  const { config } = resolved;
  // JSON for log collectors; readable lines when a person watches the terminal (LOG_FORMAT=json keeps JSON there).
  const pretty = config.log.pretty || (process.stderr.isTTY === true && process.env.LOG_FORMAT !== 'json');
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level, pretty });
  // The platforms' connection health: written by the adapters, read by /health and the outage announcements.
  const health = new ConnectionHealth({ clock: systemClock, log: log.child({ component: 'health' }) });
  // Group robots and PagerDuty: their webhooks and keys are read from the environment before anything starts.
  const outbound = startOutboundAlerts({ config, env: process.env, log, health });
  // /metrics: a registry of the bot's own, made only when asked for (prom-client is not loaded otherwise).
  const metrics = config.metrics.enabled
    ? (await import('../net/prometheus-metrics.js')).createPrometheusMetrics()
    : undefined;
  const app = await createApp(config, {
    log,
    health,
    ...(outbound.pager ? { pager: outbound.pager } : {}),
    ...(metrics ? { metrics } : {}),
  }).catch(async (error: unknown) => {
    await outbound.stop();
    throw error;
  });
  metrics?.watch({ health, firingAlerts: () => app.store.listAlerts({ status: 'firing', limit: 10_000 }) });
  // A damaged store is found before the bot takes a command, not after it has written into the damage.
  const integrity = await app.store.checkIntegrity();
  if (!integrity.ok) {
    await outbound.stop();
    await app.close();
    throw explainable(new StoreError('damaged', config.store.url ?? config.store.path, integrity.detail));
  }
  const stops: Array<() => Promise<void> | void> = [];
  let chat: ChatPlatforms;
  // Instances sharing PostgreSQL: Slack on every one (Socket Mode hands each event to one link), Discord's gateway
  // only on the leader (two gateways would each answer every interaction), started and stopped as the lead moves.
  const discordFollowsLead = config.store.url !== undefined && config.discord?.enabled === true;
  try {
    // Slack and Discord over the configured proxy (or directly), with the network section's timeouts and retries.
    chat = await startChatPlatforms({
      config: discordFollowsLead ? { ...config, discord: undefined } : config,
      app,
      health,
      log,
      env: process.env,
      ...(metrics ? { metrics } : {}),
      ...(config.store.url === undefined ? {} : { announceWhile: () => app.leadership.leading() }),
    });
  } catch (error) {
    await outbound.stop();
    await app.close();
    throw error;
  }
  stops.push(() => chat.stop());
  stops.push(runOutboundAlerts(outbound, app.posters));
  if (config.metrics.enabled || config.alertmanager.enabled) {
    const { startBotHttp } = await import('./start-bot-http.js');
    const listener = await startBotHttp({
      config,
      app,
      ...(metrics ? { metrics, counts: metrics } : {}),
      log,
    });
    if (listener) stops.push(() => listener.close());
  }
  if (discordFollowsLead) {
    const discordOnly: Config = {
      ...config,
      slack: undefined,
      // Outages are announced by the first set of platforms' announcer, not twice.
      network: { ...config.network, health: { ...config.network.health, announce: [] } },
    };
    stops.push(
      whileLeading(
        app.leadership,
        {
          name: "Discord's gateway",
          start: () =>
            startChatPlatforms({
              config: discordOnly,
              app,
              health,
              log,
              env: process.env,
              ...(metrics ? { metrics } : {}),
            }),
        },
        log,
      ),
    );
  }
  const terminalWanted = config.terminal.enabled || (!config.slack?.enabled && !config.discord?.enabled);
  let terminalDone: Promise<void> | undefined;
  if (terminalWanted) {
    const terminal = new TerminalAdapter({
      runtime: app.runtime,
      principal: terminalPrincipal(as ?? config.terminal.as ?? resolved.defaultPrincipal),
      input: process.stdin,
      output: process.stdout,
      banner: `lotus-chatops on ${config.cluster.name}. Type /help.`,
    });
    app.posters.register(terminal);
    terminalDone = terminal.start();
    stops.push(() => terminal.stop());
  }
  // Pledge schedules run here, in the long-lived process, never in `exec`.
  app.startBackgroundWork();
  const stopHeartbeat = startHeartbeat(heartbeatPath(config.store.path), { clock: systemClock, health });
  stops.push(stopHeartbeat);
  log.info(
    {
      cluster: config.cluster.name,
      slack: config.slack?.enabled === true,
      discord: config.discord?.enabled === true,
      terminal: terminalWanted,
    },
    'lotus-chatops started',
  );
  await waitForShutdown(terminalDone);
  for (const stop of stops) await stop();
  await app.close();
  return 0;
}

function waitForShutdown(terminalDone: Promise<void> | undefined): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    void terminalDone?.then(resolve);
  });
}

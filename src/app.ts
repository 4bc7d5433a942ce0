import { alertMessages } from './alerts/alert-messages.js';
import type { AlertmanagerReceiver } from './alerts/alertmanager-receiver.js';
import { pledgeScheduleJob } from './cluster/pledge/pledge-schedule-job.js';
import type { BotServices } from './command-kit.js';
import type { Config } from './config/schema.js';
import type { ChannelPosters } from './core/channel-poster.js';
import { type Clock, systemClock } from './core/clock.js';
import type { CommandDefinition } from './core/command.js';
import { parseDuration } from './core/duration.js';
import type { JobRegistry } from './core/jobs/job-registry.js';
import { createKernel } from './core/kernel.js';
import type { Leadership } from './core/leadership.js';
import { loadCommands } from './core/load-commands.js';
import type { Logger } from './core/logger.js';
import { type Metrics, noMetrics } from './core/metrics.js';
import type { Pager } from './core/pager.js';
import type { HealthView } from './core/platform-health.js';
import { processOwner } from './core/process-owner.js';
import type { Runtime } from './core/runtime.js';
import { openStore } from './store/open-store.js';
import type { ExecutionOwner, Store } from './store/store.js';

export interface App {
  config: Config;
  runtime: Runtime<BotServices>;
  store: Store;
  posters: ChannelPosters;
  /** The background jobs; they run only after `startBackgroundWork`. Tests tick them by hand on a fake clock. */
  jobs: JobRegistry;
  /** Which instance leads (jobs, Discord's gateway); always this one on SQLite. */
  leadership: Leadership;
  /**
   * Work that runs on its own in a long-lived process (`run`, `demo`), never in `exec`: pledge schedules, expiring
   * approval requests, reporting interrupted executions, and keeping chat messages in step with the store. Call it
   * once the adapters are registered, so that what the jobs post reaches them.
   */
  startBackgroundWork(options?: { timer?: boolean }): void;
  /** Resolves once work handed off the answer's path is done: audit entries, chat updates asked for (tests). */
  settled(): Promise<void>;
  /** Alertmanager's notifications into alerts, when alertmanager.enabled (served by the HTTP listener). */
  alertmanager?: AlertmanagerReceiver;
  close(): Promise<void>;
}

export interface AppOptions {
  log: Logger;
  clock?: Clock;
  /** Defaults to the SQLite file the config names. */
  store?: Store;
  /** Defaults to every file in commands/. */
  commands?: readonly CommandDefinition<BotServices>[];
  /** The chat platforms' connection health, for /health (`run` passes it; exec and demo have none). */
  health?: HealthView;
  /** This process as leases name it (tests play several processes in one). */
  owner?: ExecutionOwner;
  /** How long an execution's lease lasts without renewal (default: the config's store.executionLease). */
  executionLeaseMs?: number;
  /** PagerDuty, for routes that page (`run` passes it when `pagerduty` is configured). */
  pager?: Pager;
  /** Where commands, approvals, jobs, lotus calls and SSH commands are counted (/metrics); default: nowhere. */
  metrics?: Metrics;
  /** Whether other instances share the store and compete for the lead (default: the config names PostgreSQL). */
  sharedStore?: boolean;
  /** The leader's lease (default: the config's store.leaderLease). */
  leaderLeaseMs?: number;
}

/**
 * Wires config → store, cluster services and the kernel (runtime, posters, jobs), plus the cluster's own jobs.
 * Adapters are started by the caller (cli/run.ts), which then starts the background work. Nothing here looks at other
 * processes' executions: only the long-lived process's jobs do, and only once their leases have run out.
 */
export async function createApp(config: Config, options: AppOptions): Promise<App> {
  const clock = options.clock ?? systemClock;
  const metrics = options.metrics ?? noMetrics;
  const opened = options.store ? undefined : await openStore(config.store);
  const store = options.store ?? (opened as { store: Store }).store;
  const sharedStore = options.sharedStore ?? opened?.shared ?? config.store.url !== undefined;
  // The cluster's clients (lotus, SSH) are loaded by the first command or job that needs them, never by /help.
  let cluster: BotServices | undefined;
  const kernel = createKernel<BotServices>({
    commands: options.commands ?? ((await loadCommands()) as CommandDefinition<BotServices>[]),
    store,
    cluster: async () => {
      const [{ createClusterServices }, { createAlertDesk }] = await Promise.all([
        import('./cluster/create-cluster-services.js'),
        import('./alerts/alert-desk-service.js'),
      ]);
      const services = createClusterServices(config, { log: options.log, clock, metrics });
      const alerts = createAlertDesk({
        store,
        clock,
        config: config.alerts,
        alertmanager: config.alertmanager,
        services: () => services,
        changed: () => kernel.changed(),
      });
      cluster = Object.assign(services, { alerts });
      return cluster;
    },
    rbac: config.rbac,
    log: options.log,
    clock,
    owner: options.owner ?? processOwner(clock),
    executionLeaseMs: options.executionLeaseMs ?? parseDuration(config.store.executionLease),
    ...(options.health ? { health: options.health } : {}),
    metrics,
    leadership: {
      shared: sharedStore,
      ttlMs: options.leaderLeaseMs ?? parseDuration(config.store.leaderLease),
      announce: config.network.health.announce.map((text) => {
        const [platform = '', id = ''] = text.split(':');
        return { platform, id };
      }),
    },
  });
  kernel.addJob({
    name: 'store-check',
    description: "Checks the store's file for damage (quick_check); a damaged file is written no more",
    everyMs: 6 * 60 * 60_000,
    timeoutMs: 10 * 60_000,
    async run({ log }) {
      const result = await store.checkIntegrity();
      if (!result.ok) {
        log.error({ detail: result.detail }, 'the store is damaged; it is no longer written to');
        throw new Error(`the store is damaged: ${result.detail}; restore it from a backup`);
      }
      return undefined;
    },
  });
  kernel.addJob(
    pledgeScheduleJob({
      store,
      cluster: () => kernel.runtime.services(),
      posters: kernel.posters,
      clock,
      log: options.log.child({ component: 'pledge-schedule' }),
    }),
  );
  // Any long-lived process shows alerts in chat (wherever they were raised); only alerts.enabled runs the checks.
  kernel.addSubject(
    alertMessages({
      store,
      posters: kernel.posters,
      clock,
      routes: config.alerts.routes,
      robotLanguages: new Map(config.robots.map((r) => [`${r.platform}:${r.name}`, r.language])),
      source: config.cluster.name,
      ...(options.pager ? { pager: options.pager } : {}),
    }),
  );
  if (config.alerts.enabled) {
    const { alertEngineJob } = await import('./alerts/alert-engine.js');
    kernel.addJob(
      alertEngineJob({
        store,
        services: () => kernel.runtime.services(),
        config: config.alerts,
        changed: () => kernel.changed(),
      }),
    );
  }
  let alertmanager: AlertmanagerReceiver | undefined;
  if (config.alertmanager.enabled) {
    const { alertmanagerReceiver } = await import('./alerts/alertmanager-receiver.js');
    alertmanager = alertmanagerReceiver({
      store,
      clock,
      alerts: config.alerts,
      config: config.alertmanager,
      changed: () => kernel.changed(),
    });
  }
  return {
    config,
    ...(alertmanager ? { alertmanager } : {}),
    runtime: kernel.runtime,
    store,
    posters: kernel.posters,
    jobs: kernel.jobs,
    leadership: kernel.leadership,
    startBackgroundWork: (o) => kernel.startBackgroundWork(o),
    settled: () => kernel.settled(),
    async close() {
      await kernel.stop();
      await cluster?.close();
      await store.close();
    },
  };
}

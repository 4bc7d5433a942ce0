import { createClusterServices } from './cluster/create-cluster-services.js';
import { PledgeScheduler } from './cluster/pledge/pledge-scheduler.js';
import type { Config } from './config/schema.js';
import { ChannelPosters } from './core/channel-poster.js';
import { type Clock, systemClock } from './core/clock.js';
import type { CommandDefinition } from './core/command.js';
import { loadCommands } from './core/load-commands.js';
import type { Logger } from './core/logger.js';
import { Runtime } from './core/runtime.js';
import type { HealthView } from './net/connection-health.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface App {
  config: Config;
  runtime: Runtime;
  store: Store;
  posters: ChannelPosters;
  /**
   * Work that runs on its own in a long-lived process (`run`, `demo`), never in `exec`: pledge schedules, and telling
   * requesters when their approval requests expire.
   */
  startBackgroundWork(): void;
  /** The schedule runner; tests tick it by hand on a fake clock. */
  pledgeScheduler: PledgeScheduler;
  close(): Promise<void>;
}

export interface AppOptions {
  log: Logger;
  clock?: Clock;
  /** Defaults to the SQLite file the config names. */
  store?: Store;
  /** Defaults to every file in commands/. */
  commands?: readonly CommandDefinition[];
  /** The chat platforms' connection health, for /health (`run` passes it; exec and demo have none). */
  health?: HealthView;
}

/** Wires config → store, cluster services and runtime. Adapters are started by the caller (main.ts). */
export async function createApp(config: Config, options: AppOptions): Promise<App> {
  const clock = options.clock ?? systemClock;
  const store = options.store ?? new SqliteStore(config.store.path);
  const posters = new ChannelPosters(options.log);
  const cluster = createClusterServices(config, { log: options.log, clock });
  const runtime = new Runtime({
    commands: options.commands ?? (await loadCommands()),
    store,
    cluster,
    rbac: config.rbac,
    posters,
    log: options.log,
    clock,
    ...(options.health ? { health: options.health } : {}),
  });
  await runtime.recover();
  let expirySweep: NodeJS.Timeout | undefined;
  const pledgeScheduler = new PledgeScheduler({
    store,
    cluster,
    posters,
    clock,
    log: options.log.child({ component: 'pledge-schedule' }),
  });
  return {
    config,
    runtime,
    store,
    posters,
    pledgeScheduler,
    startBackgroundWork() {
      pledgeScheduler.start();
      expirySweep = setInterval(() => {
        runtime
          .sweepExpired()
          .catch((error: unknown) => options.log.error({ err: error }, 'expiring approval requests failed'));
      }, 60_000);
      expirySweep.unref();
    },
    async close() {
      clearInterval(expirySweep);
      await pledgeScheduler.stop();
      await runtime.settled();
      await cluster.close();
      await store.close();
    },
  };
}

import { createClusterServices } from './cluster/create-cluster-services.js';
import type { Config } from './config/schema.js';
import { ChannelPosters } from './core/channel-poster.js';
import { systemClock, type Clock } from './core/clock.js';
import type { CommandDefinition } from './core/command.js';
import { loadCommands } from './core/load-commands.js';
import type { Logger } from './core/logger.js';
import { Runtime } from './core/runtime.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface App {
  config: Config;
  runtime: Runtime;
  store: Store;
  posters: ChannelPosters;
  close(): Promise<void>;
}

export interface AppOptions {
  log: Logger;
  clock?: Clock;
  /** Defaults to the SQLite file the config names. */
  store?: Store;
  /** Defaults to every file in commands/. */
  commands?: readonly CommandDefinition[];
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
  });
  await runtime.recover();
  return {
    config,
    runtime,
    store,
    posters,
    async close() {
      await cluster.close();
      await store.close();
    },
  };
}

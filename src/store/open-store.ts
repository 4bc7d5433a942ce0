import type { Config } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/**
 * The store the configuration names: PostgreSQL when `store.url` is set (several instances may share it), else the
 * SQLite file at `store.path`. The pg driver is loaded only for PostgreSQL.
 */
export async function openStore(config: Config['store']): Promise<{ store: Store; shared: boolean; where: string }> {
  if (config.url !== undefined) {
    const { PgStore } = await import('./pg-store.js');
    const store = await PgStore.open({
      url: config.url,
      ...(config.password === undefined ? {} : { password: config.password }),
      lockTimeoutMs: parseDuration(config.busyTimeout),
    });
    return { store, shared: true, where: store.where };
  }
  return {
    store: new SqliteStore(config.path, { busyTimeoutMs: parseDuration(config.busyTimeout) }),
    shared: false,
    where: config.path,
  };
}

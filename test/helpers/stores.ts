import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { PgStore } from '../../src/store/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { describeWithPostgres, startPostgres, type TestPostgres } from './postgres.js';

/**
 * Both stores behind one door, so that every behaviour of the Store contract is checked on each: SQLite on a temp
 * file, PostgreSQL on a throwaway server (one per test file) with a fresh database per `fresh()`.
 */

/** One empty store, and how to reach it again as another process (or instance) would. */
export interface SharedStore {
  store: Store;
  /** Another handle on the same data: a second process on the file, a second instance on the database. */
  open(): Promise<Store>;
  /** Runs SQL on the data behind the store's back (to check what the database itself refuses). */
  raw(sql: string): Promise<void>;
  /** Where it is: the file's path or the database's URL. */
  location: string;
}

export interface StoreFactory {
  kind: 'sqlite' | 'postgres';
  fresh(): Promise<SharedStore>;
  /** The PostgreSQL server, to stop and start it (undefined for SQLite). */
  server(): TestPostgres | undefined;
}

function tracker() {
  const open: Store[] = [];
  return {
    track<T extends Store>(store: T): T {
      open.push(store);
      return store;
    },
    async closeAll() {
      for (const store of open.splice(0).reverse()) await store.close();
    },
  };
}

export function sqliteFactory(): StoreFactory & { closeAll(): Promise<void> } {
  const t = tracker();
  return {
    kind: 'sqlite',
    server: () => undefined,
    async fresh() {
      const path = join(mkdtempSync(join(tmpdir(), 'lcops-store-')), 'store.db');
      return {
        store: t.track(new SqliteStore(path)),
        open: async () => t.track(new SqliteStore(path)),
        async raw(sql) {
          const db = new Database(path);
          try {
            db.exec(sql);
          } finally {
            db.close();
          }
        },
        location: path,
      };
    },
    closeAll: () => t.closeAll(),
  };
}

export function postgresFactory(): StoreFactory & {
  start(): Promise<void>;
  stop(): Promise<void>;
  closeAll(): Promise<void>;
} {
  const t = tracker();
  let server: TestPostgres | undefined;
  return {
    kind: 'postgres',
    server: () => server,
    async start() {
      server = await startPostgres();
    },
    async stop() {
      await t.closeAll();
      await server?.stop();
    },
    async fresh() {
      if (!server) throw new Error('the PostgreSQL server was not started (postgresFactory().start in beforeAll)');
      const url = await server.createDatabase();
      const open = async () => t.track(await PgStore.open({ url, connectTimeoutMs: 2_000 }));
      return {
        store: await open(),
        open,
        async raw(sql) {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query(sql);
          } finally {
            await client.end();
          }
        },
        location: url,
      };
    },
    closeAll: () => t.closeAll(),
  };
}

/**
 * Declares a suite twice: on SQLite, and on PostgreSQL (skipped loudly without its binaries, failing under CI=true).
 * The body gets the factory of its store and opens what it needs with `fresh()`; everything is closed after each test.
 */
export function describeEachStore(name: string, body: (stores: StoreFactory) => void): void {
  describe(`${name} [SQLite]`, () => {
    const factory = sqliteFactory();
    afterEach(() => factory.closeAll());
    body(factory);
  });
  describeWithPostgres(`${name} [PostgreSQL]`, () => {
    const factory = postgresFactory();
    beforeAll(() => factory.start());
    afterEach(() => factory.closeAll());
    afterAll(() => factory.stop());
    body(factory);
  });
}

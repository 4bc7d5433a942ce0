import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { parseDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { resolveConfig } from './resolve-config.js';

/**
 * `lotus-chatops backup FILE`: a consistent copy of the store, taken while the bot runs (SQLite's online backup: pages
 * are copied in steps, and a write meanwhile restarts only what it touched). The copy is checked before it is called
 * good. Restoring is stopping the bot, putting the copy in the store's place (and removing the -wal and -shm files
 * beside it), and starting the bot again.
 */
export async function backup(
  configPath: string | undefined,
  target: string,
  options: { force: boolean; out: Writable; env: NodeJS.ProcessEnv },
): Promise<number> {
  if (existsSync(target) && !options.force)
    throw new OpsError('USAGE', { detail: `${target} exists; give another file, or --force to replace it` });
  const { config } = await resolveConfig(configPath, options.env);
  if (config.store.url !== undefined)
    throw new OpsError('USAGE', {
      detail: 'the store is PostgreSQL (store.url): back it up with pg_dump or the database’s own backups',
    });
  const store = new SqliteStore(config.store.path, { busyTimeoutMs: parseDuration(config.store.busyTimeout) });
  try {
    await store.backupTo(target);
  } finally {
    await store.close();
  }
  const copy = new Database(target, { readonly: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new OpsError('STORE_DAMAGED', { path: target, detail: String(check) });
    const count = (table: string) => (copy.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    options.out.write(
      `Backed up ${config.store.path} to ${target}: ${count('approvals')} approval request(s), ${count('audit')} audit entries; the copy passes quick_check.\n`,
    );
  } finally {
    copy.close();
  }
  return 0;
}

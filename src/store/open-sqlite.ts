import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { latestSchemaVersion, migrate } from './migrations.js';
import { StoreError } from './store-error.js';

export interface SqliteOpenOptions {
  /** How long a statement waits for another process's write lock before it fails with STORE_BUSY. */
  busyTimeoutMs: number;
}

/**
 * Opens the store's file the way every process should: the busy timeout first (so that nothing below fails at once
 * on another process's lock), WAL, and the schema checked read-only; migrations, which take the write lock, run only
 * when the file is behind. A process that only reads (`exec /help`) never waits for a writer. Every failure names the
 * file and what to do.
 */
export function openSqlite(path: string, options: SqliteOpenOptions): Database.Database {
  if (path !== ':memory:') {
    try {
      makeDirectory(dirname(path));
    } catch (error) {
      throw storeError(path, error);
    }
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw storeError(path, error);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs))}`);
    // Reading the mode takes no lock; changing it does, and happens once in the file's life.
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    if (schemaVersion(db) < latestSchemaVersion) migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw storeError(path, error);
  }
}

/**
 * Creates the directory and its missing parents one by one: Node's recursive mkdir never returns on some special file
 * systems (/proc), where this fails at once with the reason.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const each of missing) mkdirSync(each);
}

/** The newest migration applied, read without a write lock; 0 for a new file. */
function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * SQLite's failures that an operator can act on, as a StoreError (which file, what is wrong); the core explains them
 * (core/store-failure.ts). Anything else is passed through unchanged (a bug, shown by reference only).
 */
export function storeError(path: string, error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED') {
    return new StoreError('busy', path, message, { holder: lockHolder(path) ?? 'another process', cause: error });
  }
  if (
    code === 'SQLITE_NOTADB' ||
    code === 'SQLITE_CORRUPT' ||
    (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))
  )
    return new StoreError('damaged', path, message, { cause: error });
  const errno = (error as NodeJS.ErrnoException).code;
  if (
    errno === 'EACCES' ||
    errno === 'EPERM' ||
    errno === 'EROFS' ||
    errno === 'ENOENT' ||
    errno === 'ENOTDIR' ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM' ||
    (typeof code === 'string' && (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY')))
  ) {
    return new StoreError('cannot-open', path, message, { user: userName(), cause: error });
  }
  return error;
}

/**
 * Which process holds a lock on the store, from /proc/locks (Linux): SQLite locks the file itself, and in WAL mode
 * its -shm file, with POSIX locks. Undefined where that cannot be told.
 */
export function lockHolder(path: string): string | undefined {
  try {
    const inodes = new Set<string>();
    for (const file of [path, `${path}-shm`]) {
      try {
        inodes.add(String(statSync(file).ino));
      } catch {
        // No -shm file yet: only the file itself can be locked.
      }
    }
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const fields = line.trim().split(/\s+/);
      // "1: POSIX  ADVISORY  WRITE 12345 08:01:1234567 128 128"
      const pid = Number(fields[4]);
      const inode = fields[5]?.split(':')[2];
      if (!inode || !inodes.has(inode) || !Number.isInteger(pid) || pid === process.pid) continue;
      return `process ${pid}${commandOf(pid)}`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function commandOf(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmdline ? ` (${cmdline.length > 120 ? `${cmdline.slice(0, 119)}…` : cmdline})` : '';
  } catch {
    return '';
  }
}

function userName(): string {
  try {
    return `the user ${userInfo().username}`;
  } catch {
    return 'the user';
  }
}

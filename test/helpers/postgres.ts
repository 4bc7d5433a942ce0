import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, test } from 'vitest';

/**
 * A throwaway PostgreSQL for the tests: the Debian `postgresql` package's binaries, `initdb` into a temp dir as the
 * postgres user (initdb refuses root), `pg_ctl` on a free loopback port with fsync off, a fresh database per test
 * or suite, and everything removed at the end. One server per test file (vitest runs files in separate processes).
 * synchronous_commit stays on: a test that crashes the server (`stopServer`) must find every commit it was told of.
 */

const run = promisify(execFile);

// LCOPS_TEST_PGBIN points at another PostgreSQL bin directory (or at nothing, to check the missing-binaries path);
// by default the newest version Debian's packages installed.
const pgBin = process.env.LCOPS_TEST_PGBIN ?? newestDebianPgBin();

function newestDebianPgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return join(root, versions[0] ?? '15', 'bin');
}
const installHint = 'apt-get install -y postgresql';
const isRoot = process.getuid?.() === 0;
/** The superuser initdb creates; trust authentication on loopback only. */
const superuser = 'lcops';

const missing = ['initdb', 'pg_ctl', 'postgres'].filter((name) => !existsSync(join(pgBin, name)));
export const postgresAvailability: { available: boolean; reason: string } =
  missing.length === 0
    ? { available: true, reason: '' }
    : { available: false, reason: `${missing.join(', ')} not found in ${pgBin}; install with \`${installHint}\`` };

/**
 * `describe` for suites that need PostgreSQL. Without the binaries a developer gets a loud warning and skipped tests;
 * under CI (`CI=true`) it is a failing test, so the PostgreSQL suite can never silently not run.
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (postgresAvailability.available) {
    describe(name, body);
    return;
  }
  const message = `PostgreSQL tests cannot run: ${postgresAvailability.reason}.`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs PostgreSQL (CI=true, so this is a failure, not a skip)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n!!! ${message} SKIPPING "${name}". !!!\n`);
  describe.skip(name, body);
}

export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  /** A new, empty database; its postgres:// URL (no password: trust on loopback). */
  createDatabase(): Promise<string>;
  /** Stops the server as a crash would (`-m immediate`): every connection is cut. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  startServer(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Runs a PostgreSQL program as the postgres user when we are root (initdb and postgres refuse root). */
async function pgRun(program: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const path = join(pgBin, program);
  return isRoot ? run('runuser', ['-u', 'postgres', '--', path, ...args]) : run(path, args);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!postgresAvailability.available) throw new Error(postgresAvailability.reason);
  const dir = await mkdtemp(join(tmpdir(), 'lcops-pg-'));
  if (isRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await pgRun('initdb', ['-D', data, '-A', 'trust', '-U', superuser, '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const startServer = async () => {
    await pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'pg.log'), '-w', '-o', options, 'start']);
  };
  const stopServer = async () => {
    await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await startServer();
  let databases = 0;
  return {
    host: '127.0.0.1',
    port,
    user: superuser,
    async createDatabase() {
      databases++;
      const name = `t${databases}_${process.pid}`;
      const admin = new pg.Client({ host: '127.0.0.1', port, user: superuser, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://${superuser}@127.0.0.1:${port}/${name}`;
    },
    stopServer,
    startServer,
    async stop() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

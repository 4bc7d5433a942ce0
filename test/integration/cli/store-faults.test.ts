import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { ensureBuilt, runCli } from '../../helpers/cli.js';
import { eventually } from '../../helpers/eventually.js';

const token = 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl';
const holders: ChildProcess[] = [];

beforeAll(() => {
  ensureBuilt();
});
afterEach(() => {
  for (const holder of holders.splice(0)) holder.kill('SIGKILL');
});

/** A configuration whose store is `storePath`; /help and /audit need no lotus. */
function configFor(storePath: string, extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'lcops-store-cfg-'));
  const path = join(dir, 'bot.yaml');
  writeFileSync(
    path,
    `cluster:
  daemons: [{ name: d, api: "${token}:/ip4/127.0.0.1/tcp/1234/http" }]
  miners: [{ name: m, actor: f01000, api: "${token}:/ip4/127.0.0.1/tcp/2345/http", roles: [seal] }]
rbac:
  roles:
    admin: [terminal:root]
store:
  path: ${storePath}
${extra}`,
  );
  return path;
}

function freshStore(): string {
  return join(mkdtempSync(join(tmpdir(), 'lcops-store-')), 'store.db');
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('a store that cannot be used', () => {
  it('given a directory the bot may not write, then exec names the file and what to fix, and exits 2', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a read-only mount is what refuses root, and /proc is one.
      const result = await runCli([
        'exec',
        '--config',
        configFor('/proc/lotus-chatops/store.db'),
        '--as',
        'root',
        '/help',
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('The store /proc/lotus-chatops/store.db cannot be opened or written');
      noStackTrace(result.stderr);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'lcops-ro-'));
    chmodSync(dir, 0o500);
    const result = await runCli(['exec', '--config', configFor(join(dir, 'store.db')), '--as', 'root', '/help']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot be opened or written');
    noStackTrace(result.stderr);
  });

  it.each([
    ['a file that is not SQLite', () => 'this is a YAML file, not a database\n'.repeat(200)],
    ['a truncated store', () => truncatedStore()],
  ])('given %s, then exec says the store is damaged and how to recover, and exits 2', async (_what, content) => {
    const path = freshStore();
    writeFileSync(path, content());
    const result = await runCli(['exec', '--config', configFor(path), '--as', 'root', '/help']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The store ${path} is damaged`);
    expect(result.stderr).toContain('restore the latest backup');
    noStackTrace(result.stderr);
  });

  it('given another process holding the write lock, then /help answers at once, and a command that writes says who holds it', async () => {
    const path = freshStore();
    const config = configFor(path, '  busyTimeout: 1s\n');
    expect((await runCli(['exec', '--config', config, '--as', 'root', '/help'])).code).toBe(0);
    const holder = holdWriteLock(path);
    await eventually(async () => holder.locked());

    const help = await runCli(['exec', '--config', config, '--as', 'root', '/help']);
    expect(help.stdout).toContain('Commands you may run');
    noStackTrace(help.stderr);
    // The answer came first; only the audit entry waited (1 s) and was logged as not written.
    expect(help.stderr).toContain('is busy');

    const audit = await runCli([
      'exec',
      '--config',
      config,
      '--as',
      'root',
      '/approvals',
      'deny',
      'ABCDEF',
      'busy test',
    ]);
    expect(audit.code).toBe(1);
    expect(audit.stdout).toMatch(/The store .*store\.db is busy: process \d+ \(.*node.*\) holds its write lock/);
    noStackTrace(audit.stdout + audit.stderr);
  });

  it('given a damaged page in a table, then run refuses to start, naming the file and how to recover', async () => {
    const path = freshStore();
    await damagedStore(path);
    const result = await runCli(['run', '--config', configFor(path)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The store ${path} is damaged`);
    expect(result.stderr).toContain('restore the latest backup (lotus-chatops backup)');
    noStackTrace(result.stderr);
  });

  it('given a damaged page, then the store refuses every write once quick_check found it, and still reads', async () => {
    const path = freshStore();
    await damagedStore(path);
    const store = new SqliteStore(path);
    try {
      expect((await store.checkIntegrity()).ok).toBe(false);
      await expect(
        store.appendJournal({ at: 1, kind: 'x', principal: 'terminal:root', approvalId: null, data: {} }),
      ).rejects.toThrow(/found by PRAGMA quick_check/);
      expect(await store.listJobs()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('lotus-chatops backup', () => {
  it('given a store in use, then the backup is a consistent copy with its approvals and audit, and an existing file is kept unless --force', async () => {
    const path = freshStore();
    const config = configFor(path);
    expect((await runCli(['exec', '--config', config, '--as', 'root', '/audit'])).code).toBe(0);
    const target = join(mkdtempSync(join(tmpdir(), 'lcops-backup-')), 'copy.db');
    const made = await runCli(['backup', '--config', config, target]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(
      /Backed up .* to .*copy\.db: 0 approval request\(s\), \d+ audit entries; the copy passes quick_check/,
    );
    const copy = new Database(target, { readonly: true });
    expect((copy.prepare("SELECT COUNT(*) AS n FROM audit WHERE command = 'audit'").get() as { n: number }).n).toBe(1);
    copy.close();

    const again = await runCli(['backup', '--config', config, target]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; give another file, or --force to replace it');
    expect((await runCli(['backup', '--config', config, '--force', target])).code).toBe(0);
  });
});

/** A store cut off after its first page: the schema says there are more pages than the file has. */
function truncatedStore(): Buffer {
  const path = freshStore();
  const store = new Database(path);
  store.exec('CREATE TABLE t (x TEXT); INSERT INTO t VALUES (randomblob(50000));');
  store.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return readFileSync(path).subarray(0, 100);
}

/** A real store with enough audit rows for several pages, then garbage written over a page in the middle. */
async function damagedStore(path: string): Promise<void> {
  const store = new SqliteStore(path);
  for (let i = 0; i < 400; i++)
    await store.appendAudit({
      at: i,
      principal: 'terminal:root',
      event: 'command.run',
      command: 'help',
      approvalId: null,
      outcome: 'ok',
      correlationId: `c${i}`,
      detail: { filler: 'x'.repeat(200) },
    });
  await store.close();
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const pages = Number(db.pragma('page_count', { simple: true }));
  db.close();
  const file = await open(path, 'r+');
  const page = Math.floor(pages / 2);
  await file.write(Buffer.alloc(pageSize, 0xa5), 0, pageSize, page * pageSize);
  await file.close();
}

/** Another process (a node one-liner) that takes the store's write lock and keeps it. */
function holdWriteLock(path: string): { locked(): boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'lcops-holder-'));
  mkdirSync(dir, { recursive: true });
  const script = `const D=require(${JSON.stringify(join(process.cwd(), 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(path)});d.exec('BEGIN IMMEDIATE');d.exec("INSERT INTO journal (at, kind, principal, data_json) VALUES (0, 'lock', 'x', '{}')");console.log('locked');setInterval(()=>{},1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  holders.push(child);
  let locked = false;
  child.stdout?.on('data', (d: Buffer) => {
    if (d.toString().includes('locked')) locked = true;
  });
  return { locked: () => locked };
}

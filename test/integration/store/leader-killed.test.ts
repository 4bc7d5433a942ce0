import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgStore } from '../../../src/store/pg-store.js';
import { ensureBuilt } from '../../helpers/cli.js';
import { eventually } from '../../helpers/eventually.js';
import { describeWithPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';

/**
 * Two real `lotus-chatops run` processes on one PostgreSQL; the leader is killed with SIGKILL (no clean shutdown, its
 * lease is simply no longer renewed) and the other must lead within the stated time: the lease plus a third.
 */

const leaseMs = 3_000;
const takeoverMs = leaseMs + leaseMs / 3;
/** Timers in a busy process fire late; a few hundred ms of that is not a slow take-over. */
const schedulingSlackMs = 1_000;
/** How the terminal shows an alert's first message: its severity, then its id. */
const ALERT_HEADLINE = /^\[[^\]]+\] (?:CRITICAL|Warning|Info) (A\d+):/gm;

let server: TestPostgres;
let url: string;
let store: PgStore;
let config: string;
const children: ChildProcessWithoutNullStreams[] = [];

function startBot(): { child: ChildProcessWithoutNullStreams; log: () => string } {
  const child = spawn(process.execPath, ['dist/src/main.js', 'run', '--config', config], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LCOPS_PG_URL: url,
      LCOPS_PG_PASSWORD: 'not-used-by-trust-auth',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    log += d.toString();
  });
  return { child, log: () => log };
}

/** The alert ids a bot's terminal showed as new alerts (their first message, not updates or thread replies). */
function posted(log: string): string[] {
  return [...log.matchAll(ALERT_HEADLINE)].map((m) => m[1] as string);
}

describeWithPostgres('the leader killed with SIGKILL', () => {
  beforeAll(async () => {
    ensureBuilt();
    server = await startPostgres();
    url = await server.createDatabase();
    store = await PgStore.open({ url });
    const dir = mkdtempSync(join(tmpdir(), 'lcops-leader-'));
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'cluster:',
        '  daemons: [{ name: daemon, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http" }]',
        '  miners: [{ name: miner, actor: f01000, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http", roles: [seal] }]',
        'store:',
        `  path: ${join(dir, 'heartbeat.db')}`,
        '  url: ${LCOPS_PG_URL}',
        '  password: ${LCOPS_PG_PASSWORD}',
        `  leaderLease: ${leaseMs / 1000}s`,
        'terminal: { enabled: true, as: "terminal:alice" }',
        // The daemon's port is closed: the daemons check raises an alert, posted by whoever leads, to its terminal.
        'alerts:',
        '  enabled: true',
        '  routes: [{ channels: ["terminal:console"] }]',
        '  every: { daemons: 1s, miners: "off", windowpost: "off", funds: "off", sealing: "off", workers: "off", lotus-alerts: "off" }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await server?.stop();
  });

  it('given two running bots, when the leader is killed, then the other leads within the lease and a third, names the one it replaced, does not post the alert the dead one posted, and gives the lead up when it stops', async () => {
    const first = startBot();
    await eventually(
      async () => (await store.leadership('leader'))?.holder.includes(`:${first.child.pid}:`) === true,
      15_000,
    );
    await eventually(async () => posted(first.log()).length > 0, 15_000);
    const second = startBot();
    await eventually(async () => (await store.listInstances(0)).length === 2, 15_000);
    const firstId = (await store.leadership('leader'))?.holder as string;
    expect(firstId).toContain(`:${first.child.pid}:`);
    // The standby stays a standby while the leader renews.
    expect((await store.leadership('leader'))?.holder).toBe(firstId);

    const died = new Promise((resolve) => first.child.on('close', resolve));
    first.child.kill('SIGKILL');
    await died;
    await eventually(async () => (await store.leadership('leader'))?.holder !== firstId, 4 * takeoverMs);

    const lease = await store.leadership('leader');
    expect(lease?.holder).toContain(`:${second.child.pid}:`);
    expect(lease?.previous).toBe(firstId);
    // The dead leader's last renewal is its last heartbeat (one tick writes both, with one clock reading).
    const lastRenewal = (await store.listInstances(0)).find((i) => i.id === firstId)?.lastSeen as number;
    expect((lease?.since as number) - lastRenewal).toBeLessThanOrEqual(takeoverMs + schedulingSlackMs);
    expect((lease?.since as number) - lastRenewal).toBeGreaterThanOrEqual(leaseMs - schedulingSlackMs);
    await eventually(async () => second.log().includes('this instance now leads'), 5_000);
    expect(second.log()).toContain(firstId);
    // The alert the dead leader posted is not posted again by its successor, which runs the checks from now on.
    const runsBefore = (await store.listJobs()).find((j) => j.name === 'alerts')?.runs ?? 0;
    await eventually(
      async () => ((await store.listJobs()).find((j) => j.name === 'alerts')?.runs ?? 0) >= runsBefore + 3,
      15_000,
    );
    expect(posted(first.log())).toEqual(['A1']);
    expect(posted(second.log())).toEqual([]);
    // The password came from the environment and never reached the log.
    expect(second.log()).not.toContain('not-used-by-trust-auth');

    const exited = new Promise<number | null>((resolve) => second.child.on('close', resolve));
    second.child.stdin.end();
    expect(await exited).toBe(0);
    const released = await store.leadership('leader');
    expect(released?.expiresAt).toBeLessThanOrEqual(Date.now());
  });
});

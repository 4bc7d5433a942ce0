import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoEnvironment } from '../../../src/cli/demo.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { ensureBuilt, runCli } from '../../helpers/cli.js';
import { eventually } from '../../helpers/eventually.js';

/**
 * Real processes sharing one store, as operators run them: a long-lived `run` and short `exec`s. Leases are 3 s here
 * (store.executionLease), so that a crash is reported within seconds.
 */
let sim: SimulatedCluster;
let dir: string;
let configPath: string;
let storePath: string;
let env: NodeJS.ProcessEnv;
const bots: ChildProcessWithoutNullStreams[] = [];

beforeAll(() => {
  ensureBuilt();
});

// A fresh cluster and store per test: a pledge fills the simulated AP slots for the next one.
beforeEach(async () => {
  sim = await startSimulator({ scenario: 'small' });
  dir = mkdtempSync(join(tmpdir(), 'lcops-owned-'));
  storePath = join(dir, 'store.db');
  env = demoEnvironment(sim, storePath);
  configPath = join(dir, 'bot.yaml');
  writeFileSync(
    configPath,
    readFileSync('config/demo.yaml', 'utf8')
      .replace('operator: [terminal:alice, terminal:bob]', "operator: ['terminal:*']")
      .replace('  path: ${SIM_STORE_PATH}', '  path: ${SIM_STORE_PATH}\n  executionLease: 3s'),
  );
});

afterEach(async () => {
  for (const bot of bots.splice(0)) bot.kill('SIGKILL');
  await sim?.close();
});

const exec = (as: string, line: string) => runCli(['exec', '--config', configPath, '--as', as, line], { env });

/** A long-lived `run` whose terminal belongs to `as`; its output is collected as it comes. */
function startRun(as: string): { process: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, ['dist/src/main.js', 'run', '--config', configPath, '--as', as], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  bots.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { process: child, output: () => output };
}

async function request(count: number): Promise<string> {
  const asked = await exec('alice', `/pledge ${count}`);
  const id = /Approval request (\w{6}):/.exec(asked.stdout)?.[1];
  if (!id) throw new Error(`no request in:\n${asked.stdout}${asked.stderr}`);
  return id;
}

const pledged = (): number => sim.controls.requestCounts('seal-miner').PledgeSector ?? 0;

async function audit(): Promise<Array<{ event: string; approvalId: string | null; detail: Record<string, unknown> }>> {
  const store = new SqliteStore(storePath);
  try {
    return await store.queryAudit({ limit: 500 });
  } finally {
    await store.close();
  }
}

describe('executions across real processes', () => {
  it('given a run pledging 20 sectors on a slow lotus, when exec /help runs beside it, then the pledge ends succeeded with its real count', async () => {
    const id = await request(20);
    sim.controls.resetRequestCounts();
    sim.controls.setLatency(100, 'seal-miner');
    const bot = startRun('bob');
    await eventually(async () => bot.output().includes('Type /help'));
    bot.process.stdin.write(`/approvals approve ${id}\n`);
    await eventually(async () => pledged() >= 2);

    const help = await exec('victor', '/help');
    expect(help.code).toBe(0);
    expect(pledged()).toBeLessThan(20);

    await eventually(async () => bot.output().includes('Pledged 20 sector(s) on seal-miner'), 30_000);
    const events = (await audit()).filter((e) => e.approvalId === id).map((e) => e.event);
    expect(events).toContain('execution.succeeded');
    expect(events).not.toContain('execution.interrupted');
    expect(bot.output()).not.toContain('was interrupted');
  });

  it('given kill -9 during an execution, when a new run starts, then after the lease it is reported interrupted once, with what it did, and not run again', async () => {
    const id = await request(10);
    sim.controls.resetRequestCounts();
    sim.controls.setLatency(300, 'seal-miner');
    const first = startRun('bob');
    await eventually(async () => first.output().includes('Type /help'));
    first.process.stdin.write(`/approvals approve ${id}\n`);
    // Sectors are pledged one after another, each journalled before the next is asked for: a third request means
    // two are in the journal (the second request alone may still be on its way back when the process dies).
    await eventually(async () => pledged() >= 3);
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));

    const second = startRun('carol');
    await eventually(async () => second.output().includes(`/pledge start (${id}) was interrupted`), 20_000);
    // Each sector was journalled as lotus returned it: the notice lists them though the process died mid-way.
    expect(second.output()).toMatch(/Sectors pledged before it stopped:\s+\d+(, \d+)+/);
    // It keeps looking, and says it once; nothing is pledged again (a call in flight at the kill has landed by now).
    const done = pledged();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(second.output().split(`(${id}) was interrupted`).length - 1).toBe(1);
    expect(pledged()).toBe(done);
    const interrupted = (await audit()).filter((e) => e.approvalId === id && e.event === 'execution.interrupted');
    expect(interrupted).toHaveLength(1);
  });

  it('given two exec approvals still running when a run starts, then the run leaves them alone and both outcomes are recorded', async () => {
    const first = await request(6);
    const second = await request(6);
    sim.controls.setLatency(600, 'seal-miner');
    const votes = [exec('bob', `/approvals approve ${first}`), exec('dave', `/approvals approve ${second}`)];
    sim.controls.resetRequestCounts();
    await eventually(async () => pledged() >= 1);
    const bot = startRun('carol');
    const results = await Promise.all(votes);
    for (const result of results) expect(result.stdout).toContain('Pledged 6 sector(s) on seal-miner');
    const events = (await audit()).filter((e) => e.approvalId === first || e.approvalId === second);
    expect(events.filter((e) => e.event === 'execution.succeeded')).toHaveLength(2);
    expect(events.filter((e) => e.event === 'execution.interrupted')).toEqual([]);
    expect(bot.output()).not.toContain('was interrupted');
  });
});

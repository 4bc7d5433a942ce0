import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createApp } from '../../../src/app.js';
import { demoEnvironment } from '../../../src/cli/demo.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { packageRoot } from '../../../src/core/package-root.js';
import { WPOST_PROVING_PERIOD } from '../../../src/lotus/deadline-math.js';
import { mergeScenario, parseScenario, scenarioVariants } from '../../../src/simulator/scenario.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { ensureBuilt } from '../../helpers/cli.js';
import { eventually } from '../../helpers/eventually.js';
import {
  installRollbackStandIns,
  type RollbackHosts,
  rollbackHosts,
  stopAllMiners,
  unitTag,
} from '../../helpers/rollback-hosts.js';
import { captureLog } from '../../helpers/runtime-harness.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

/**
 * A rollback whose process is killed (SIGKILL) in the middle of a step, then carried on by a person: real bot
 * processes sharing one store, the simulator on the wall clock, the miners on a real sshd. Leases are 3 s.
 */
let sshd: TestSshd;
let sim: SimulatedCluster;
let hosts: RollbackHosts;
let storePath: string;
let configPath: string;
const bots: ChildProcessWithoutNullStreams[] = [];

function bot(args: string[]): { process: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, ['dist/src/main.js', ...args, '--config', configPath], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  bots.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { process: child, output: () => output };
}

async function finished(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

async function withStore<T>(read: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(storePath);
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

describeWithSshd('a rollback killed mid-step', () => {
  beforeAll(async () => {
    ensureBuilt();
    sshd = await startSshd();
    await installRollbackStandIns(sshd);
    // One partition, in deadline 0, which opens 12 hours from now whenever the test runs: the window is open.
    const epoch = Math.floor((Date.now() / 1000 - 1598306400) / 30);
    sim = await startSimulator({
      scenario: parseScenario(
        mergeScenario(scenarioVariants.small(), {
          chain: {
            liveSectors: 2349,
            dealMinerSectors: 0,
            provingPeriodBoundary: (epoch + WPOST_PROVING_PERIOD / 2) % WPOST_PROVING_PERIOD,
          },
        }),
      ),
    });
    const dir = mkdtempSync(join(tmpdir(), 'lcops-rollback-'));
    storePath = join(dir, 'store.db');
    const { config } = loadConfigFile(join(packageRoot(), 'config', 'demo.yaml'), demoEnvironment(sim, storePath));
    hosts = await rollbackHosts(sshd, { deal: false });
    hosts.configure(config, sim);
    config.rbac.roles.admin = ['terminal:alice', 'terminal:bob', 'terminal:carol'];
    config.store.executionLease = '3s';
    config.alerts.enabled = false;
    configPath = join(dir, 'bot.yaml');
    writeFileSync(configPath, stringify(config));
  });
  afterAll(async () => {
    for (const child of bots.splice(0)) child.kill('SIGKILL');
    await sim?.close();
    await sshd?.stop();
  });

  /**
   * Starts every miner, has alice request the rollback and bob and carol approve it, and kills carol's process while
   * it stops the winning-post-miner (the stop hangs, as on a stuck host). Then a long-lived run takes over.
   */
  async function crashMidStep() {
    // The stand-ins and repos, written over SSH by the bot's user, as the bot itself would find them; the same
    // connection reads the host's processes later.
    const app = await createApp(loadConfigFile(configPath, {}).config, { log: captureLog().log });
    const services = await app.runtime.services();
    const lines = async () =>
      (await services.runOnHost('miners-host', ['ps', '-eo', 'args='])).stdout
        .split('\n')
        .filter((l) => /\/lotus-miner run /.test(l));
    await services.runOnHost('miners-host', stopAllMiners(sshd));
    await hosts.start(async (argv, stdin) => {
      const out = await services.runOnHost('miners-host', argv, stdin === undefined ? {} : { stdin });
      if (out.code !== 0) throw new Error(`${argv.join(' ')}: ${out.stderr}`);
      return out;
    });

    const asked = bot(['exec', '--as', 'alice', '/rollback-plan execute single']);
    await finished(asked.process);
    const id = /Approval request (\w{6}):/.exec(asked.output())?.[1] as string;
    expect(id, asked.output()).toBeDefined();
    const bob = bot(['exec', '--as', 'bob', `/approvals approve ${id}`]);
    await finished(bob.process);

    const hang = join(sshd.scratchDir, 'hang-stop-wnpost-miner');
    await writeFile(hang, '');
    const carol = bot(['exec', '--as', 'carol', `/approvals approve ${id}`]);
    await eventually(
      () =>
        withStore(async (store) =>
          (await store.journalOf(id)).some((e) => e.data.phase === 'step-started' && e.data.step === 3),
        ),
      30_000,
    );
    carol.process.kill('SIGKILL');
    await finished(carol.process);
    await rm(hang);

    const run = bot(['run', '--as', 'carol']);
    await eventually(async () => run.output().includes('may or may not have happened'), 30_000);
    const continuation = /Confirm with \/approvals approve (\w{6})/.exec(run.output())?.[1] as string;
    expect(continuation).toBeDefined();
    return { app, lines, run, continuation };
  }

  it('given the process running a rollback killed while it stops the winning-post-miner, then a person is asked to check that step, and Confirm and continue finishes the run from there, audited', async () => {
    const { app, lines, run, continuation } = await crashMidStep();
    expect(run.output()).toContain(
      'Steps 1–2 are done. Step 3 (Stop winning-post-miner (winning-post)) may or may not have happened: check no lotus-miner run process of winning-post-miner on miners-host, and its API does not answer.',
    );
    expect(run.output()).toContain('Confirm and continue');
    // Nothing went on by itself: the winning-post-miner still runs.
    expect((await lines()).some((l) => l.includes(`--unit-tag=${unitTag(sshd, 'wnpost-miner')} `))).toBe(true);

    run.process.stdin.write(`/approvals approve ${continuation}\n`);
    await eventually(async () => run.output().includes('Rollback of f01000 to a single miner done: 7 steps'), 60_000);
    const after = await lines();
    expect(after.some((l) => l.includes(`--unit-tag=${unitTag(sshd, 'wnpost-miner')} `))).toBe(false);
    expect(after.find((l) => l.includes(`--unit-tag=${unitTag(sshd, 'seal-miner')} `))).toMatch(
      /--window-post=true --winning-post=true/,
    );
    await app.close();
    run.process.kill('SIGKILL');

    const audit = await withStore((store) => store.queryAudit({ limit: 500 }));
    const confirmed = audit.filter((e) => e.approvalId === continuation).map((e) => `${e.principal} ${e.event}`);
    expect(confirmed).toContain('terminal:carol approval.approved');
    // The continuation is the bot's own request: its execution is recorded under it, the confirmation under carol.
    expect(confirmed).toContain('system:recovery execution.succeeded');
  });

  it('given the same crash, when a person aborts, then nothing more is done and the abort is audited', async () => {
    const { app, lines, run, continuation } = await crashMidStep();
    run.process.stdin.write(`/approvals deny ${continuation} the miners stay as they are\n`);
    await eventually(async () => run.output().includes(`Denied: /rollback-plan execute (${continuation})`), 30_000);
    expect((await lines()).some((l) => l.includes(`--unit-tag=${unitTag(sshd, 'wnpost-miner')} `))).toBe(true);
    await app.close();
    run.process.kill('SIGKILL');
    const audit = await withStore((store) => store.queryAudit({ limit: 500 }));
    const aborted = audit.filter((e) => e.approvalId === continuation).map((e) => `${e.principal} ${e.event}`);
    expect(aborted).toContain('terminal:carol approval.denied');
    expect(aborted).not.toContain('system:recovery execution.started');
  });
});

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import type { Config } from '../../../src/config/schema.js';
import type { Reply } from '../../../src/core/reply.js';
import { requestIdOf } from '../../helpers/runtime-harness.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

let sshd: TestSshd;
let s: SimApp;

function check(reply: Reply, label: string) {
  for (const b of reply.blocks) if (b.kind === 'checks') return b.checks.find((c) => c.label === label);
  return undefined;
}

/** Adds a host reached over the test sshd, and the bot's key to reach it. */
function addSshHost(config: Config, name: string, workers: Config['cluster']['hosts'][number]['workers'] = []): void {
  config.ssh.privateKeyPath = sshd.clientKeyPath;
  config.cluster.hosts.push({
    name,
    address: sshd.address,
    port: sshd.port,
    user: sshd.user,
    hostKey: sshd.hostKeyFingerprint,
    workers,
  });
}

/** A worker repository on the test host holding this myscheduler.json. */
async function workerRepo(file: object): Promise<string> {
  const repo = join(sshd.scratchDir, `worker-${Math.random().toString(36).slice(2)}`);
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'myscheduler.json'), JSON.stringify(file));
  return repo;
}

/** The demo cluster with the seal-miner and the sector counter on one host reached over the real sshd. */
function withHost(repo: string) {
  return (config: Config) => {
    addSshHost(config, 'miner-host');
    const [counter, , seal] = config.cluster.miners;
    Object.assign(counter as object, { host: 'miner-host', repoPath: repo });
    Object.assign(seal as object, { host: 'miner-host', forkCommands: true });
  };
}

describeWithSshd('/pledge with the fork commands over SSH', () => {
  beforeAll(async () => {
    sshd = await startSshd();
    // A stand-in for the fork's lotus-miner: records its argv and the API info it was given, prints what it did.
    await sshd.program(
      'lotus-miner',
      `#!/bin/sh
printf '%s\\n' "$@" > "${sshd.scratchDir}/argv"
printf '%s' "$MINER_API_INFO" > "${sshd.scratchDir}/api-info"
tr '\\0' ' ' < /proc/$PPID/cmdline > "${sshd.scratchDir}/parent-cmdline"
tr '\\0' ' ' < /proc/$$/cmdline > "${sshd.scratchDir}/own-cmdline"
echo "Created CC sector: 20001"
echo "Created CC sector: 20002"
`,
    );
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.close();
  });

  async function repoWithSectorId(value: string): Promise<string> {
    const repo = join(sshd.scratchDir, `repo-${value}`);
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'sectorid'), `${value}\n`);
    return repo;
  }

  it('given mode=fill, when approved, then lotus-miner sectors mypledge runs on the miner host with the API info on stdin', async () => {
    const repo = await repoWithSectorId('50000000');
    s = await startSimApp({ scenario: 'small', configure: withHost(repo) });
    const plan = await s.run('alice', '/pledge mode=fill');
    const text = renderText(plan);
    expect(text).toContain('How:                   lotus-miner sectors mypledge on miner-host');
    expect(check(plan, 'Sector numbers')).toEqual({
      status: 'pass',
      label: 'Sector numbers',
      detail: 'counter at 50000000 on miner-host; next 50000001 is free on chain',
    });
    const done = await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    // The stand-in makes two sectors where the plan counted three free AP slots: said, in the title and the audit.
    expect(done.title).toBe('lotus-miner sectors mypledge ran on miner-host: 2 sector(s), the plan said 3');
    expect(done.severity).toBe('warning');
    expect(renderText(done)).toMatch(/Sectors seen in the output:\s+20001, 20002/);
    expect(renderText(done)).toContain('mypledge started 2 sector(s) where the approved plan said 3');
    const audit = await s.app.store.queryAudit({ limit: 20 });
    expect(audit.find((e) => e.event === 'execution.succeeded')?.detail.result).toEqual({
      title: 'lotus-miner sectors mypledge ran on miner-host: 2 sector(s), the plan said 3',
      severity: 'warning',
    });
    expect(await readFile(join(sshd.scratchDir, 'argv'), 'utf8')).toBe('sectors\nmypledge\n');
    const apiInfo = await readFile(join(sshd.scratchDir, 'api-info'), 'utf8');
    expect(apiInfo).toBe(s.config.cluster.miners[2]?.api);
    // The token travelled on stdin, never on a command line that `ps` would show (ours, or the timeout wrapper's).
    const token = apiInfo.split(':')[0] as string;
    const parent = await readFile(join(sshd.scratchDir, 'parent-cmdline'), 'utf8');
    expect(parent).toMatch(/^timeout /);
    expect(parent).not.toContain(token);
    expect(await readFile(join(sshd.scratchDir, 'own-cmdline'), 'utf8')).not.toContain(token);
    const status = renderText(await s.run('victor', '/pledge status'));
    expect(status).toMatch(/\n20001\s+seal-miner/);
  });

  it('given mode=per-worker, then it runs mypledgeonce', async () => {
    const repo = await repoWithSectorId('50000000');
    s = await startSimApp({ scenario: 'small', configure: withHost(repo) });
    const plan = await s.run('alice', '/pledge mode=per-worker');
    await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    expect(await readFile(join(sshd.scratchDir, 'argv'), 'utf8')).toBe('sectors\nmypledgeonce\n');
  });

  it("given the counter's sectorid below numbers already on chain, then the plan is blocked as a collision", async () => {
    const repo = await repoWithSectorId('5');
    s = await startSimApp({ scenario: 'small', configure: withHost(repo) });
    const plan = await s.run('alice', '/pledge 1');
    expect(plan.outcome).toBe('refused');
    expect(check(plan, 'Sector numbers')?.detail).toBe(
      "collision: the counter's next number 6 (sectorid 5 on miner-host) is already allocated on chain; raise sectorid above every allocated number",
    );
  });

  it('given an unreadable sectorid, then the check warns with the reason instead of guessing', async () => {
    s = await startSimApp({ scenario: 'small', configure: withHost(join(sshd.scratchDir, 'no-such-repo')) });
    const plan = await s.run('alice', '/pledge 1');
    expect(check(plan, 'Sector numbers')?.status).toBe('warn');
    expect(check(plan, 'Sector numbers')?.detail).toMatch(
      /cannot read the counter's sectorid on miner-host: .*No such file/,
    );
  });
});

describeWithSshd('/pledge reads myscheduler.json where the miner does not report the limits', () => {
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.close();
  });

  /** sealer-03 runs an upstream worker build: its WorkerStats has no AddPieceMax; its file on the host does. */
  const onSealer03 = (repo: string) => (config: Config) =>
    addSshHost(config, 'sealer-03', [{ name: 'sealer-03-a', kind: 'AP+PC1', repoPath: repo }]);

  it("given AddPieceMax 4 in sealer-03's file, then fill counts its four free AP slots", async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: onSealer03(await workerRepo({ AddPieceMax: 4, PreCommit1Max: 6 })),
    });
    const plan = renderText(await s.run('alice', '/pledge mode=fill'));
    expect(plan).toMatch(/\nsealer-03\s+0\/4\s+5\/6\s+ok/);
    expect(plan).toContain('Pledge plan: 6 sector(s) on seal-miner');
  });

  it('given IsPlanOffline in the file, then sealer-03 is draining and not counted', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: onSealer03(await workerRepo({ AddPieceMax: 4, IsPlanOffline: true })),
    });
    const reply = await s.run('alice', '/pledge mode=fill');
    expect(renderText(reply)).toMatch(/\nsealer-03\s+0\/4\s+\S+\s+draining \(IsPlanOffline\)/);
    expect(reply.title).toBe('Pledge plan: 2 sector(s) on seal-miner');
  });
});

describeWithSshd('/pledge on hosts that run four workers each', () => {
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.close();
  });

  /** sealer-03 runs four upstream workers (the miner names them all "sealer-03"); each has its own myscheduler.json. */
  async function fourWorkers(files: object[]): Promise<(config: Config) => void> {
    const repos = await Promise.all(files.map((file) => workerRepo(file)));
    return (config: Config) =>
      addSshHost(
        config,
        'sealer-03',
        repos.map((repoPath, i) => ({ name: `sealer-03-w${i + 1}`, kind: 'AP+PC1' as const, repoPath })),
      );
  }

  it('given four workers on one host whose files agree, when fill is planned, then every worker counts with its own free slots', async () => {
    const same = { AddPieceMax: 4, PreCommit1Max: 6 };
    s = await startSimApp({
      scenario: 'four-workers-per-host',
      configure: await fourWorkers([same, same, same, same]),
    });
    const plan = await s.run('alice', '/pledge mode=fill');
    const text = renderText(plan);
    // sealer-01 has 2 of 3 AP slots free; each of the four sealer-03 workers 4 of 4: 2 + 16.
    expect(plan.title).toBe('Pledge plan: 18 sector(s) on seal-miner');
    expect(text.match(/\nsealer-03\s+0\/4\s+\S+\s+ok/g)).toHaveLength(4);
    expect(text).not.toContain('unknown');
  });

  it('given four workers whose files differ, then their limits are unknown and the plan says why and how to tell them apart', async () => {
    s = await startSimApp({
      scenario: 'four-workers-per-host',
      configure: await fourWorkers([{ AddPieceMax: 4 }, { AddPieceMax: 4 }, { AddPieceMax: 2 }, { AddPieceMax: 4 }]),
    });
    const text = renderText(await s.run('alice', '/pledge mode=fill'));
    expect(text.match(/\nsealer-03\s+0\/unknown/g)).toHaveLength(4);
    expect(text).toContain(
      'sealer-03 runs 4 workers whose myscheduler.json differ, and the miner names them all "sealer-03": give each its configured name (lotus-worker run --name, or LOTUS_WORKER_NAME)',
    );
  });

  it('given a host that is not configured, then the limits of its workers are unknown, saying so', async () => {
    s = await startSimApp({ scenario: 'four-workers-per-host' });
    const text = renderText(await s.run('alice', '/pledge mode=fill'));
    expect(text).toContain('sealer-03: AP limit unknown');
    expect(text).toContain('no host or worker named sealer-03 is configured');
  });
});

describeWithSshd('/pledge when the fork command hangs', () => {
  beforeAll(async () => {
    sshd = await startSshd();
    // A seal-miner that starts one sector, then stops answering.
    await sshd.program(
      'lotus-miner',
      `#!/bin/sh
echo "Created CC sector: 30001"
sleep 30
echo "Created CC sector: 30002"
`,
    );
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.close();
  });

  it('given pledge.forkTimeout 2s, when mypledge hangs, then it is killed after 2 s and the reply says what it had started', async () => {
    const repo = join(sshd.scratchDir, 'repo-hang');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'sectorid'), '50000000\n');
    s = await startSimApp({
      scenario: 'small',
      configure: (config) => {
        withHost(repo)(config);
        config.pledge.forkTimeout = '2s';
      },
    });
    const plan = await s.run('alice', '/pledge mode=fill');
    const done = await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    expect(done.title).toBe('lotus-miner sectors mypledge did not finish on miner-host within 2 s');
    expect(done.outcome).toBe('failed');
    const text = renderText(done);
    expect(text).toMatch(/Sectors it printed:\s+30001/);
    expect(text).toContain('/pledge status');
    // The sector it printed before it hung is known: journalled as it appeared.
    expect(renderText(await s.run('victor', '/pledge status'))).toMatch(/\n30001\s+seal-miner/);
  });
});

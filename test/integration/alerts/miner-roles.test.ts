import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import type { Reply } from '../../../src/core/reply.js';
import { parseApiInfo } from '../../../src/lotus/api-info.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

let sshd: TestSshd;
let s: SimApp | undefined;
let hung: Server | undefined;
const held: Socket[] = [];
const miners: ChildProcess[] = [];
let fakeMiner: string;

/** Starts a process that ps shows as `lotus-miner run ARGS…` (a shell script of that name that sleeps). */
function runMiner(args: string[]): void {
  miners.push(spawn(fakeMiner, ['run', ...args], { stdio: 'ignore' }));
}

function lines(reply: Reply): string[] {
  return reply.blocks.flatMap((b) =>
    b.kind === 'checks' ? b.checks.map((c) => `${c.status} ${c.label}: ${c.detail}`) : [],
  );
}

/** Both PoSt miners of the demo on hosts: `miner-host` over the real sshd, or a host that never answers. */
function placeMiners(where: { winning: 'miner-host' | 'hung-host'; window: 'miner-host' }) {
  return (config: Config) => {
    config.ssh.privateKeyPath = sshd.clientKeyPath;
    config.cluster.hosts.push(
      {
        name: 'miner-host',
        address: sshd.address,
        port: sshd.port,
        user: sshd.user,
        hostKey: sshd.hostKeyFingerprint,
        workers: [],
      },
      {
        name: 'hung-host',
        address: '127.0.0.1',
        port: (hung?.address() as { port: number }).port,
        user: sshd.user,
        hostKey: sshd.hostKeyFingerprint,
        workers: [],
      },
    );
    config.alerts = { ...config.alerts, enabled: true, timeout: '3s' };
    config.ssh.connectTimeout = '3s';
    const [winning, window] = config.cluster.miners;
    Object.assign(winning as object, { host: where.winning });
    Object.assign(window as object, { host: where.window });
  };
}

const portOf = (config: Config, index: number) =>
  /:(\d+)$/.exec(parseApiInfo(config.cluster.miners[index]?.api ?? '', 'miner')[0]?.display ?? '')?.[1] ?? '0';

describeWithSshd('miner roles read from the lotus-miner run command lines over SSH', () => {
  beforeAll(async () => {
    sshd = await startSshd();
    const dir = await mkdtemp(join(tmpdir(), 'lcops-miners-'));
    fakeMiner = join(dir, 'lotus-miner');
    await writeFile(fakeMiner, '#!/bin/sh\nsleep 600\n');
    await chmod(fakeMiner, 0o755);
    // A host whose sshd takes the connection and then says nothing, as a host that hangs.
    hung = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => hung?.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => hung?.close(resolve));
    await sshd?.stop();
  });
  afterEach(async () => {
    for (const p of miners.splice(0)) p.kill('SIGKILL');
    await s?.close();
    s = undefined;
  });

  it('given two miners started with --winning-post=true for one actor, then /status and the alerts say so, critically', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: placeMiners({ winning: 'miner-host', window: 'miner-host' }),
    });
    const counter = s.config.cluster.miners[0]?.sectorCounterListen as string;
    runMiner([
      `--miner-api=${portOf(s.config, 0)}`,
      '--window-post=false',
      '--winning-post=true',
      '--sctype=alloce',
      `--sclisten=${counter}`,
    ]);
    // The window-post-miner forgot --winning-post=false: flags default to on.
    runMiner([
      `--miner-api=${portOf(s.config, 1)}`,
      '--window-post=true',
      '--p2p=false',
      '--sctype=get',
      `--sclisten=${counter}`,
    ]);

    const reply = await s.run('victor', '/status');
    expect(lines(reply)).toContain(
      'fail f01000 winning-post: 2 miners do winning-post for f01000: winning-post-miner, window-post-miner',
    );
    expect(lines(reply)).toContain('pass f01000 window-post: window-post-miner only');
    expect(lines(reply)).toContain('pass f01000 sector counter: winning-post-miner only');
    expect(lines(reply)).toContainEqual(
      expect.stringMatching(/^pass winning-post-miner roles: WinningPoSt, sector counter on 127\.0\.0\.1:\d+$/),
    );
    expect(reply.title).toMatch(/^Cluster status: 1 critical/);

    await s.app.jobs.tick();
    const firing = await s.app.store.listAlerts({ status: 'firing', limit: 10 });
    expect(firing.map((a) => [a.key, a.severity])).toEqual([['miners:f01000/winning-post owners', 'critical']]);
  });

  it('given a miner host that hangs, then /status shows the miners check pending, answers in time, and says what it could not see', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: placeMiners({ winning: 'hung-host', window: 'miner-host' }),
    });
    runMiner([`--miner-api=${portOf(s.config, 1)}`, '--window-post=true', '--winning-post=false']);
    const progress: string[] = [];
    const reply = await s.app.runtime.dispatch({
      principal: { id: 'terminal:victor', groups: [] },
      channel: { platform: 'terminal', id: 'test' },
      command: 'status',
      text: '',
      progress: async (text) => void progress.push(text),
    });
    expect(progress).toContainEqual(expect.stringMatching(/^\d of 7 checks done; pending: miners$/));
    expect(lines(reply)).toContainEqual(
      expect.stringMatching(
        /^warn hung-host\/roles: Cannot check the miners' roles on hung-host: .*(did not answer|timed out|no answer)/i,
      ),
    );
    expect(lines(reply)).toContain('pass f01000 window-post: window-post-miner only');
    expect(lines(reply).some((l) => l.includes('winning-post:'))).toBe(false);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Block, Reply } from '../../../src/core/reply.js';
import { NOON, type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** Every line of a /status reply as "status group | label: detail", in order. */
function linesOf(reply: Reply): string[] {
  const out: string[] = [];
  let group = '';
  for (const b of reply.blocks as Block[]) {
    if (b.kind === 'text' && /^\*.+\*$/.test(b.text)) group = b.text.slice(1, -1);
    if (b.kind === 'checks') for (const c of b.checks) out.push(`${c.status} ${group} | ${c.label}: ${c.detail}`);
  }
  return out;
}

describe('/status', () => {
  it('given the healthy cluster, then the verdict is healthy and every check says what it saw', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('victor', '/status');
    expect(reply.title).toBe('Cluster status: healthy');
    expect(reply.severity).toBe('success');
    const lines = linesOf(reply).map((l) => l.replace(/127\.0\.0\.1:\d+/, 'COUNTER').replace(/\(\d+ ms\)/, '(T ms)'));
    expect(lines).toEqual([
      'pass Daemons | daemon-public: in sync (height 6591120, 0 s behind)',
      'pass Daemons | daemon-public peers: 180',
      'pass Daemons | daemon-public wallet: holds no key',
      'pass Daemons | daemon-internal: in sync (height 6591120, 0 s behind)',
      'pass Daemons | daemon-internal peers: 14',
      'pass Daemons | daemon-internal ↔ daemon-public: peered',
      'info Daemons | daemon-public version: 1.36.2+mainnet+git.b835fab70',
      'info Daemons | daemon-internal version: 1.36.2+mainnet+git.b835fab70',
      'pass Miners | seal-miner: answers for f01000 (1.36.2+mainnet+git.b835fab70)',
      'pass Miners | deal-miner: answers for f01000 (1.36.2+mainnet+git.b835fab70)',
      'info Miners | seal-miner roles: upstream lotus: its roles come from its config, not from flags',
      'info Miners | deal-miner roles: upstream lotus: its roles come from its config, not from flags',
      'pass WinningPoSt | winning-post-miner: answers for f01000 (1.36.2+mainnet+git.b835fab70)',
      'info WinningPoSt | winning-post-miner roles: not read: no host configured for it',
      'pass WindowPoSt | window-post-miner: answers for f01000 (1.36.2+mainnet+git.b835fab70)',
      'pass WindowPoSt | f01000 message pool: 0 pending',
      'pass WindowPoSt | f01000 deadline 23: open, 0 partition(s), nothing owed',
      'pass WindowPoSt | f01000 faults: none',
      'info WindowPoSt | window-post-miner roles: not read: no host configured for it',
      'pass Sector counter | winning-post-miner COUNTER: accepts connections (T ms)',
      'pass Sealing | seal-miner: 30 sector(s) in the pipeline',
      'pass Sealing | deal-miner: 4 sector(s) in the pipeline',
      'pass Workers | seal-miner sealer-01: connected',
      'pass Workers | seal-miner sealer-03: connected',
      'pass Workers | seal-miner pc2-01: connected',
      'pass Workers | seal-miner c2-01-gpu0: connected',
      'pass Workers | seal-miner c2-01-gpu1: connected',
      'pass Workers | deal-miner deal-sealer-01: connected',
      'pass Workers | deal-miner deal-c2-01-gpu0: connected',
      'info Workers | seal-miner sealer-02: draining (IsPlanOffline=true) for 0 s',
      expect.stringMatching(/^pass Funds \| f01000 worker f01002: 8\.4 FIL \(floor 0\.00000\d+ FIL\)$/),
      expect.stringMatching(/^pass Funds \| f01000 control 0 f01003: 25 FIL \(floor /),
      expect.stringMatching(/^pass Funds \| f01000 control 1 f01004: 3\.1 FIL \(floor /),
      'pass Funds | f01000 available: 120.75 FIL',
      'pass lotus alerts | daemon-public: none active (1 known)',
      'pass lotus alerts | daemon-internal: none active (0 known)',
      'pass lotus alerts | winning-post-miner: none active (0 known)',
      'pass lotus alerts | window-post-miner: none active (1 known)',
      'pass lotus alerts | seal-miner: none active (2 known)',
      'pass lotus alerts | deal-miner: none active (0 known)',
    ]);
  });

  it('given a broken cluster, then the verdict counts what is wrong and each problem is a line of its group', async () => {
    // 27.5 minutes into deadline 2 (it holds sectors: deadline 23 opens at noon, one every 30 minutes); the lagging
    // internal daemon sees 26 of them.
    s = await startSimApp({ scenario: 'small', now: NOON - 21 * 30 * 60_000 + 27.5 * 60_000 });
    const c = s.sim.controls;
    c.leaveDeadlineUnproven('current');
    c.setWalletKeys('daemon-public', [
      'f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a',
    ]);
    c.setDaemonLag('daemon-internal', 3);
    c.setMpoolBacklog('f01002', 25);
    c.setNodeAlert('window-post-miner', {
      system: 'process',
      subsystem: 'fd-limit',
      active: true,
      message: 'soft limit 1024',
    });
    c.setWorker('seal-miner', 'c2-01-gpu0', { gpus: [] });
    c.setWorker('seal-miner', 'sealer-01', { enabled: false });
    c.stickSector('seal-miner', { state: 'SealPreCommit1Failed', lastErr: "didn't find any good workers" });
    c.setBalances({ available: '100000000000000000' });
    await c.stopSectorCounter();

    const reply = await s.run('victor', '/status');
    const lines = linesOf(reply);
    expect(reply.severity).toBe('error');
    expect(reply.title).toBe('Cluster status: 3 critical, 7 warning(s)');
    const expectLine = (pattern: RegExp) =>
      expect(lines, String(pattern)).toContainEqual(expect.stringMatching(pattern));
    expectLine(
      /^fail Daemons \| daemon-public wallet: daemon-public, the public daemon, holds 1 wallet key\(s\): f3vvmn62…/,
    );
    expectLine(/^warn Daemons \| daemon-internal: daemon-internal is slow: height \d+, 2 min behind$/);
    expectLine(
      /^fail WindowPoSt \| f01000 deadline 2: f01000 deadline 2: \d+ of \d+ partition\(s\) \(\d+ sectors\) not proven, 4 min left$/,
    );
    expectLine(/^warn WindowPoSt \| f01000 message pool: f01000: 25 message\(s\) from f01002 waiting in the pool$/);
    expectLine(
      /^fail Sector counter \| winning-post-miner 127\.0\.0\.1:\d+: The sector counter at .* does not accept connections: connection refused/,
    );
    expectLine(
      /^warn Sealing \| seal-miner SealPreCommit1Failed: seal-miner: 1 sector\(s\) in SealPreCommit1Failed: didn't find any good workers$/,
    );
    expectLine(/^warn Workers \| seal-miner sealer-01: sealer-01 \(seal-miner\) is disabled: it takes no new tasks$/);
    expectLine(/^warn Workers \| seal-miner c2-01-gpu0: c2-01-gpu0 \(seal-miner\) does C2 but sees no GPU/);
    expectLine(/^warn Funds \| f01000 available: f01000's available balance is 0\.1 FIL, under 1 FIL$/);
    expectLine(
      /^warn lotus alerts \| window-post-miner process\/fd-limit: window-post-miner: lotus alert process\/fd-limit: soft limit 1024$/,
    );
    expect(linesOf(reply)[0]).toMatch(/^fail Daemons/);
  });

  it('given an upstream lotus window-post miner, then the PoSt workers it has are shown instead of role flags', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: (config) => Object.assign(config.cluster.miners[1] as object, { forkCommands: false }),
    });
    const lines = linesOf(await s.run('victor', '/status'));
    expect(lines).toContain(
      'info WindowPoSt | window-post-miner window-post workers: none connected: the miner proves itself, unless its config disables the built-in WindowPoSt (then nothing does)',
    );
    expect(lines.some((l) => l.startsWith('info WindowPoSt | window-post-miner roles'))).toBe(false);
  });
});

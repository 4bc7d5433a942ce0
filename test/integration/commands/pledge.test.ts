import { afterEach, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import type { Reply } from '../../../src/core/reply.js';
import { requestIdOf } from '../../helpers/runtime-harness.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp;
afterEach(async () => {
  await s?.close();
});

function check(reply: Reply, label: string): { status: string; detail: string } | undefined {
  for (const b of reply.blocks) if (b.kind === 'checks') return b.checks.find((c) => c.label === label);
  return undefined;
}

/** The seal-miner's sectors in the sealing pipeline, or (`lotus`) all that lotus counts against MaxSealingSectors. */
async function sealingCount(sim: SimApp['sim'], how: 'pipeline' | 'lotus' = 'pipeline'): Promise<number> {
  const { MinerApi } = await import('../../../src/lotus/miner-api.js');
  const summary = await MinerApi.fromApiInfo(sim.apiInfo('seal-miner', 'read')).call('SectorsSummary', []);
  const { countsAsSealing, inSealingPipeline } = await import('../../../src/lotus/sector-states.js');
  const counts = how === 'lotus' ? countsAsSealing : inSealingPipeline;
  return Object.entries(summary).reduce((n, [k, v]) => (counts(k) ? n + v : n), 0);
}

describe('/pledge on the simulated cluster', () => {
  it('given sectors removed, failed for good or proving, then the sealing pipeline counts none of them and names only its own states', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: (config) => {
        const seal = config.cluster.miners.find((m) => m.name === 'seal-miner');
        if (seal) delete seal.maxSealingSectors;
      },
    });
    const before = check(await s.run('alice', '/pledge 1'), 'Sealing pipeline')?.detail ?? '';
    const sealingBefore = Number(/^(\d+) sealing now/.exec(before)?.[1]);
    for (const state of ['Removed', 'Removed', 'FailedUnrecoverable', 'Terminating', 'Proving'])
      s.sim.controls.stickSector('seal-miner', { state });
    const after = check(await s.run('alice', '/pledge 1'), 'Sealing pipeline')?.detail ?? '';
    expect(Number(/^(\d+) sealing now/.exec(after)?.[1])).toBe(sealingBefore);
    expect(after).not.toMatch(/Removed|Terminating|Proving|FailedUnrecoverable/);
    expect(after).toMatch(/and \d+ in failed states, not counted/);
    expect(after).toMatch(/^\d+ sealing now \((\w+ \d+, )*\w+ \d+/);
  });

  it('given a clean plan for 3 sectors, when another operator approves, then 3 sectors start and /pledge status follows them', async () => {
    s = await startSimApp({ scenario: 'small' });
    const before = await sealingCount(s.sim);
    const plan = await s.run('alice', '/pledge 3');
    expect(plan.outcome).toBe('pending-approval');
    const text = renderText(plan);
    expect(text).toContain('Pledge plan: 3 sector(s) on seal-miner');
    expect(check(plan, 'Funds')?.status).toBe('pass');
    expect(check(plan, 'Funds')?.detail).toMatch(/^needs [\d.]+ FIL \(3 × [\d.]+ FIL\); worker f0\d+ has [\d.]+ FIL/);
    expect(check(plan, 'Sealing pipeline')?.detail).toBe(
      `${before} of 120 sealing; ${120 - before - 3} left after this`,
    );
    expect(check(plan, 'Sector counter')?.status).toBe('pass');
    expect(await sealingCount(s.sim)).toBe(before);

    const done = await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    expect(done.title).toBe('Pledged 3 sector(s) on seal-miner');
    expect(await sealingCount(s.sim)).toBe(before + 3);
    const created =
      (done.blocks[0] as { fields: Array<{ value: string }> }).fields[0]?.value.split(', ').map(Number) ?? [];
    expect(created).toHaveLength(3);

    const status = renderText(await s.run('victor', '/pledge status'));
    for (const n of created)
      expect(status).toMatch(new RegExp(`\\n${n}\\s+seal-miner\\s+(Packing|AddPiece|PreCommit1|GetTicket|WaitDeals)`));
  });

  it('given the requester, when they approve their own pledge, then it is refused and nothing is pledged', async () => {
    s = await startSimApp({ scenario: 'small' });
    const before = await sealingCount(s.sim);
    const plan = await s.run('alice', '/pledge 1');
    const reply = await s.run('alice', `/approvals approve ${requestIdOf(plan)}`);
    expect(reply.outcome).toBe('refused');
    expect(renderText(reply)).toContain('another person must approve it');
    expect(await sealingCount(s.sim)).toBe(before);
  });

  it('given too little money, then the plan is blocked and shows the figures', async () => {
    s = await startSimApp({ scenario: 'low-balance' });
    const reply = await s.run('alice', '/pledge 5');
    expect(reply.outcome).toBe('refused');
    expect(check(reply, 'Funds')?.status).toBe('fail');
    expect(check(reply, 'Funds')?.detail).toMatch(
      /^insufficient: needs [\d.]+ FIL \(5 × [\d.]+ FIL\); worker f01002 has 0.02 FIL, miner available 0.35 FIL$/,
    );
    expect(renderText(reply)).toContain('No approval request was opened');
    expect(await s.app.store.listApprovals({ limit: 5 })).toEqual([]);
  });

  it('given MaxSealingSectors reached, then the plan is blocked', async () => {
    s = await startSimApp({
      scenario: 'small',
      configure: (c) => void Object.assign(c.cluster.miners[2] as object, { maxSealingSectors: 2 }),
    });
    const reply = await s.run('alice', '/pledge 1');
    expect(check(reply, 'Sealing pipeline')?.status).toBe('fail');
    expect(check(reply, 'Sealing pipeline')?.detail).toMatch(
      /^MaxSealingSectors reached: \d+ of 2 counted by lotus \(\d+ sealing now\)$/,
    );
  });

  it('given failed sectors that fill MaxSealingSectors, then the plan is blocked as PledgeSector would refuse, counting them as lotus does', async () => {
    s = await startSimApp({ scenario: 'small' });
    for (let i = 0; i < 3; i++)
      s.sim.controls.stickSector('seal-miner', { state: 'SealPreCommit1Failed', lastErr: 'no workers' });
    const sealing = await sealingCount(s.sim);
    const counted = await sealingCount(s.sim, 'lotus');
    expect(counted).toBeGreaterThanOrEqual(sealing + 3);
    // The limit as lotus applies it: the pipeline alone is under it, the failed sectors fill it.
    Object.assign(s.config.cluster.miners[2] as object, { maxSealingSectors: counted });
    const plan = await s.run('alice', '/pledge 1');
    expect(plan.outcome).not.toBe('pending-approval');
    expect(check(plan, 'Sealing pipeline')?.detail).toBe(
      `MaxSealingSectors reached: ${counted} of ${counted} counted by lotus (${sealing} sealing now, the rest staging or failed)`,
    );
  });

  it('given no worker that can take AddPiece, then the plan is blocked and says why each was not counted', async () => {
    s = await startSimApp({ scenario: 'small' });
    s.sim.controls.removeWorker('seal-miner', 'sealer-01');
    s.sim.controls.removeWorker('seal-miner', 'sealer-03');
    const reply = await s.run('alice', '/pledge 1');
    expect(check(reply, 'AP workers')).toEqual({
      status: 'fail',
      label: 'AP workers',
      detail: 'no worker can take AddPiece now (sealer-02 draining)',
    });
  });

  it('given the sector counter down, then the plan is blocked', async () => {
    s = await startSimApp({ scenario: 'counter-down' });
    const reply = await s.run('alice', '/pledge 1');
    expect(reply.outcome).toBe('refused');
    expect(check(reply, 'Sector counter')?.status).toBe('fail');
    expect(check(reply, 'Sector counter')?.detail).toContain('connection refused');
  });

  it('given a failure after 2 of 5 sectors, then it stops, reports what was done and retries nothing', async () => {
    s = await startSimApp({ scenario: 'small' });
    const plan = await s.run('alice', '/pledge 5');
    // The miner's own limit (unknown to the plan) lets exactly two more start.
    s.sim.controls.setMaxSealingSectors('seal-miner', (await sealingCount(s.sim)) + 2);
    s.sim.controls.resetRequestCounts();
    const done = await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    expect(done.outcome).toBe('failed');
    const text = renderText(done);
    expect(done.title).toBe('Pledge stopped after 2 of 5 sector(s) on seal-miner');
    expect(text).toMatch(/Not started:\s+3/);
    expect(text).toContain('too many sectors sealing');
    expect(s.sim.controls.requestCounts('seal-miner').PledgeSector).toBe(3);
    expect((await s.app.store.getExecution(requestIdOf(plan)))?.status).toBe('failed');
  });

  it('given mode=per-worker on upstream lotus, then it computes one sector per AP worker and says how', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('alice', '/pledge mode=per-worker');
    const text = renderText(reply);
    expect(text).toContain('Pledge plan: 2 sector(s) on seal-miner');
    expect(text).toContain(
      'runs upstream lotus (no fork commands): the bot computes the same numbers from WorkerStats and calls PledgeSector 2 time(s).',
    );
  });

  it('refuses to pledge on a PoSt miner', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('alice', '/pledge 1 miner=window-post-miner');
    expect(renderText(reply)).toContain(
      'window-post-miner is a window-post miner. Pledging there would allocate sector numbers',
    );
  });

  it.each([
    ['0', 'count must be at least 1'],
    ['-1', 'count must be at least 1'],
    ['1000000000', 'count may be at most 1000 in one request'],
    ['abc', 'count must be a whole number from 1 to 1000'],
    ['2.5', 'count must be a whole number from 1 to 1000'],
  ])('given count %s, then a clear usage error', async (count, message) => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('alice', `/pledge ${count}`);
    expect(reply.outcome).toBe('usage');
    expect(renderText(reply)).toContain(message);
    expect(renderText(reply)).toContain('Usage: /pledge start [count] [mode=single|per-worker|fill] [miner=MINER]');
  });

  it('given a count with mode=fill, then it explains that fill computes the count', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('alice', '/pledge 3 mode=fill');
    expect(renderText(reply)).toContain('count is computed from the workers in modes per-worker and fill');
  });
});

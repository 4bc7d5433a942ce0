import { afterEach, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import { buildDeadlinesReport } from '../../../src/cluster/deadlines-report.js';
import { deadlineInfoAt } from '../../../src/lotus/deadline-math.js';
import { FullNodeApi } from '../../../src/lotus/full-node-api.js';
import { namedScenario } from '../../../src/simulator/scenario.js';
import { textOf } from '../../helpers/runtime-harness.js';
import { NOON, type SimApp, startSimApp } from '../../helpers/sim-app.js';

const GENESIS_MS = 1598306400 * 1000;
const epochToMs = (epoch: number) => GENESIS_MS + epoch * 30_000;
const epochAt = (ms: number) => Math.floor((ms - GENESIS_MS) / 30_000);

let s: SimApp;
afterEach(async () => {
  await s?.close();
});

function notices(reply: { blocks: Array<{ kind: string }> }): string[] {
  return reply.blocks.filter((b): b is { kind: 'notice'; text: string } => b.kind === 'notice').map((b) => b.text);
}

function tableRows(reply: { blocks: Array<{ kind: string }> }): string[][] {
  const table = reply.blocks.find((b) => b.kind === 'table') as { rows: string[][] } | undefined;
  return table?.rows ?? [];
}

describe('/deadlines on the simulated cluster', () => {
  it('given the healthy 150,000-sector miner, then its totals and table match the scenario', async () => {
    s = await startSimApp();
    const scenario = s.sim.scenario;
    const reply = await s.run('victor', '/deadlines');
    expect(reply.outcome).toBeUndefined();
    const text = renderText(reply);
    expect(text).toContain(`WindowPoSt deadlines of ${scenario.actor.id} at epoch ${epochAt(NOON)}`);
    expect(text).toContain(`Sectors:                 ${scenario.chain.liveSectors} live`);
    expect(text).toContain('Faults:                  0 (0%)');
    const rows = tableRows(reply);
    const shown = rows.map((r) => Number.parseInt(r[0] as string, 10));
    // Empty deadlines are folded, except the open one.
    for (const empty of scenario.chain.emptyDeadlines.filter((d) => d !== 23)) expect(shown).not.toContain(empty);
    expect(rows.reduce((n, r) => n + Number(r[4]), 0)).toBe(scenario.chain.liveSectors);
    expect(rows.find((r) => r[0] === '23 (current)')).toBeDefined();
    expect(notices(reply)[0]).toMatch(/^Deadline 23 open with nothing to prove; closes in 30 min\.$/);
  });

  it('reads everything at one tipset in two round trips, where the CLI makes 51', async () => {
    s = await startSimApp({ scenario: 'small' });
    s.sim.controls.resetRequestCounts();
    await s.run('victor', '/deadlines');
    const counts = s.sim.controls.requestCounts('daemon-internal');
    expect(counts).toEqual({
      ChainHead: 1,
      StateMinerProvingDeadline: 1,
      StateMinerDeadlines: 1,
      StateMinerPartitions: 48,
    });
  });

  it('sends the 50 state reads in one HTTP batch, every one at the key of the head it read first', async () => {
    s = await startSimApp({ scenario: 'small' });
    const api = FullNodeApi.fromApiInfo(s.sim.apiInfo('daemon-internal', 'read'));
    const sent: unknown[][] = [];
    const batch = api.rpc.batch.bind(api.rpc);
    api.rpc.batch = ((requests: Array<{ params: readonly unknown[] }>, options?: object) => {
      for (const r of requests) sent.push([...r.params]);
      return batch(requests as never, options);
    }) as typeof api.rpc.batch;
    const report = await buildDeadlinesReport(api, s.sim.actor, s.clock.now());
    expect(api.rpc.counters()).toMatchObject({ requests: 2, batches: 1 });
    expect(sent).toHaveLength(50);
    const head = await api.chainHead();
    expect(report.epoch).toBe(head.Height);
    for (const params of sent) expect(params[params.length - 1]).toEqual(head.Cids);
  });

  it('given a deadline that just opened, then nothing is proven yet and that is not an alarm', async () => {
    const info = deadlineInfoAt(epochAt(NOON), 300);
    // The small scenario fills deadlines 0 to 5; deadline 2 opens at 01:30 UTC.
    const open2 = info.PeriodStart + 2 * 60;
    s = await startSimApp({ scenario: 'small', now: epochToMs(open2) + 1_000 });
    const reply = await s.run('victor', '/deadlines');
    expect(reply.severity).not.toBe('error');
    expect(notices(reply)[0]).toBe('Deadline 2 open, 0 of 1 partitions proven, closes in 30 min.');
  });

  it('given the open deadline left unproven late in its window, then the verdict says it is at risk', async () => {
    const info = deadlineInfoAt(epochAt(NOON), 300);
    const open2 = info.PeriodStart + 2 * 60;
    s = await startSimApp({ scenario: namedScenario('small'), now: epochToMs(open2) + 30_000 });
    s.sim.controls.leaveDeadlineUnproven('current');
    s.clock.advance(45 * 30_000);
    const reply = await s.run('victor', '/deadlines');
    expect(reply.severity).toBe('error');
    expect(notices(reply)[0]).toBe(
      'Deadline 2 open, 0 of 1 partitions proven, closes in 7 min (02:00 UTC). At risk: partition(s) 0 with 2349 sectors are not proven this late in the window; check the window-post miner now.',
    );
  });

  it('given faults and declared recoveries, then counts match the scenario and the cutoffs are named', async () => {
    s = await startSimApp({ scenario: 'new-faults' });
    const faults = s.sim.scenario.chain.faults;
    const recoveries = s.sim.scenario.chain.recoveries;
    const reply = await s.run('victor', '/deadlines');
    const total = faults.reduce((n, f) => n + f.count, 0);
    const text = renderText(reply);
    expect(text).toContain(
      `Faults:                  ${total} (${Math.floor((total * 100) / s.sim.scenario.chain.liveSectors)}%)`,
    );
    expect(text).toContain(`Recovering:              ${recoveries.reduce((n, r) => n + r.count, 0)}`);
    const row3 = tableRows(reply).find((r) => r[0] === '3');
    expect(row3?.[5]).toBe('120');
    expect(row3?.[6]).toBe('40');
    expect(reply.severity).toBe('warning');
    const lines = notices(reply);
    expect(lines).toContain(
      'Faults in deadline 17 (2349 sectors not declared recovering); declare recovery before its fault cutoff at 08:25 UTC (in 20 h 25 min).',
    );
    expect(lines.some((l) => l.startsWith('Faults in deadline 3 (80 sectors not declared recovering)'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Deadline 3: 40 sector(s) declared recovering'))).toBe(true);
  });

  it('given faults that appeared since the last look, then they are called new, first', async () => {
    s = await startSimApp({ scenario: 'small' });
    await s.run('victor', '/deadlines');
    s.clock.advance(10 * 60_000);
    s.sim.controls.addFaults({ deadline: 4, partition: 0, count: 12 });
    const reply = await s.run('victor', '/deadlines');
    expect(notices(reply)[0]).toMatch(
      /^New faults in deadline 4 \(12 sectors since the last look, 10 min ago; 12 not declared recovering\); declare recovery before its fault cutoff at \d\d:\d\d UTC/,
    );
    // Looked at again with nothing changed, they are no longer news.
    const again = await s.run('victor', '/deadlines');
    expect(notices(again).some((n) => n.startsWith('Faults in deadline 4 (12 sectors not declared recovering)'))).toBe(
      true,
    );
    expect(notices(again).some((n) => n.startsWith('New faults'))).toBe(false);
  });

  it("shows one deadline's partitions with deadline=N", async () => {
    s = await startSimApp({ scenario: 'new-faults' });
    const text = renderText(await s.run('victor', '/deadlines deadline=17'));
    expect(text).toMatch(/Deadline 17, opens 2026-12-01 09:00 UTC \(in 21 h\); fault cutoff 08:25 UTC/);
    expect(text).toMatch(/\n1\s+2349\s+2349\s+0\s+2349\s+0/);
  });

  it('given an actor with no sectors, then it says there is nothing to prove', async () => {
    s = await startSimApp({
      scenario: (() => {
        const sc = namedScenario('small');
        sc.chain.liveSectors = 0;
        sc.chain.dealMinerSectors = 0;
        return sc;
      })(),
    });
    const reply = await s.run('victor', '/deadlines');
    expect(notices(reply)).toEqual(['No live sectors: this miner has nothing to prove.']);
  });

  it('given the last minute of a proving period, then the next period starts in under a minute', async () => {
    const info = deadlineInfoAt(epochAt(NOON), 300);
    const lastEpoch = info.PeriodStart + 2879;
    s = await startSimApp({ scenario: 'small', now: epochToMs(lastEpoch) + 5_000 });
    const text = renderText(await s.run('victor', '/deadlines'));
    expect(text).toContain(`Deadline index:          47`);
    expect(text).toContain(`Next period start:       ${info.PeriodStart + 2880} (2026-12-01 00:30 UTC, in 25 s)`);
    expect(text).toMatch(/\n0\s+00:30 UTC\s+in 25 s/);
  });
});

describe('/deadlines when something is wrong', () => {
  it('given the daemon is down, then the answer is one clear line naming it', async () => {
    s = await startSimApp({ scenario: 'small' });
    await s.sim.controls.stopNode('daemon-internal');
    const reply = await s.run('victor', '/deadlines');
    expect(reply.outcome).toBe('failed');
    const port = s.sim.node('daemon-internal').port;
    expect(textOf(reply)).toContain(`Lotus endpoint 127.0.0.1:${port} is unreachable`);
    expect(textOf(reply)).not.toContain('eyJ');
  });

  it('given a miner name that is not configured, then it lists the ones that are', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('victor', '/deadlines sael-miner');
    expect(renderText(reply)).toContain(
      'No miner named "sael-miner" in the configuration. Known: winning-post-miner (f01000)',
    );
  });

  it('given lotus answers an error, then its first line is shown', async () => {
    s = await startSimApp({ scenario: 'small' });
    s.sim.controls.failMethod('daemon-internal', 'StateMinerDeadlines', 'failed to load state tree\ngoroutine trace…');
    const reply = await s.run('victor', '/deadlines');
    expect(textOf(reply)).toContain('StateMinerDeadlines on 127.0.0.1');
    expect(textOf(reply)).toContain('failed to load state tree');
    expect(textOf(reply)).not.toContain('goroutine');
  });

  it('given deadline=48, then it is a usage error', async () => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('victor', '/deadlines deadline=48');
    expect(reply.outcome).toBe('usage');
    expect(textOf(reply)).toContain('deadline must be a whole number from 0 to 47');
  });
});

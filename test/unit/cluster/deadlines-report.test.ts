import { describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import { deadlinesReply } from '../../../src/cluster/deadlines-reply.js';
import { assembleReport, verdicts } from '../../../src/cluster/deadlines-report.js';
import { encodeRuns } from '../../../src/lotus/bitfield.js';
import { deadlineInfoAt } from '../../../src/lotus/deadline-math.js';
import type { Partition } from '../../../src/lotus/schemas.js';

const GENESIS = 1598306400;
const boundary = 300; // PeriodStart 4861740 ≡ 300 (mod 2880), as in lotus's documented example

function partition(first: number, count: number, faulty: number[] = [], recovering: number[] = []): Partition {
  const all = encodeRuns(Array.from({ length: count }, (_, i) => first + i));
  return {
    AllSectors: all,
    LiveSectors: all,
    ActiveSectors: encodeRuns(Array.from({ length: count }, (_, i) => first + i).filter((s) => !faulty.includes(s))),
    FaultySectors: encodeRuns(faulty),
    RecoveringSectors: encodeRuns(recovering),
  };
}

function report(epoch: number, partitions: Partition[][], submissions: Record<number, number[]> = {}) {
  const info = deadlineInfoAt(epoch, boundary);
  const deadlineList = Array.from({ length: 48 }, (_, i) => ({ PostSubmissions: encodeRuns(submissions[i] ?? []) }));
  const head = { Height: epoch, Blocks: [{ Timestamp: GENESIS + epoch * 30 }] };
  const padded = Array.from({ length: 48 }, (_, i) => partitions[i] ?? []);
  return assembleReport({
    actor: 'f01234',
    info,
    deadlineList,
    partitions: padded,
    head,
    now: (GENESIS + epoch * 30) * 1000,
  });
}

// Epoch 4863283 is 43 epochs into deadline 25 (opened 4863240), as in lotus's example.
const lateIn25 = 4863283;
const justOpened25 = 4863241;

describe('the deadlines report', () => {
  it('counts live sectors, faults and recoveries per deadline from the bitfield runs', () => {
    const parts: Partition[][] = [];
    parts[3] = [partition(0, 2349), partition(2349, 1000, [2349, 2350, 2351], [2350])];
    parts[25] = [partition(10000, 500)];
    const r = report(lateIn25, parts, { 25: [0] });
    expect(r.rows[3]).toMatchObject({ activePartitions: 2, liveSectors: 3349, faults: 3, recoveries: 1 });
    expect(r.totals).toMatchObject({ live: 3849, faults: 3, recoveries: 1 });
    expect(r.current.index).toBe(25);
    expect(r.current.provenPartitions).toBe(1);
  });

  it('given the open deadline late in its window with an unproven partition, then the verdict says it is at risk', () => {
    const parts: Partition[][] = [];
    parts[25] = [partition(0, 2349), partition(2349, 2349), partition(4698, 100)];
    const v = verdicts(report(lateIn25, parts, { 25: [0, 1] }));
    expect(v[0]).toEqual({
      severity: 'error',
      text: 'Deadline 25 open, 2 of 3 partitions proven, closes in 9 min (13:30 UTC). At risk: partition(s) 2 with 100 sectors are not proven this late in the window; check the window-post miner now.',
    });
  });

  it('given a deadline that just opened with nothing proven yet, then it is reported without alarm', () => {
    const parts: Partition[][] = [];
    parts[25] = [partition(0, 2349)];
    const v = verdicts(report(justOpened25, parts));
    expect(v[0]).toEqual({ severity: 'info', text: 'Deadline 25 open, 0 of 1 partitions proven, closes in 30 min.' });
  });

  it('given faults not declared recovering, then it says which deadline and the fault cutoff to beat', () => {
    const parts: Partition[][] = [];
    parts[7] = [partition(0, 100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])];
    parts[30] = [partition(200, 100, [200, 201], [200, 201])];
    const v = verdicts(report(lateIn25, parts));
    const texts = v.map((x) => x.text);
    // Deadline 7 has passed in this period: its next occurrence is tomorrow's, whose cutoff is still ahead.
    expect(texts).toContain(
      'Faults in deadline 7 (12 sectors not declared recovering); declare recovery before its fault cutoff at 03:25 UTC (in 14 h 4 min).',
    );
    expect(texts).toContain(
      'Deadline 30: 2 sector(s) declared recovering; they are proven when it opens at 15:30 UTC (in 2 h 9 min).',
    );
    expect(texts.some((t) => t.startsWith('Faults in deadline 30'))).toBe(false);
  });

  it('given a miner with no sectors, then it says there is nothing to prove', () => {
    const v = verdicts(report(lateIn25, []));
    expect(v).toEqual([{ severity: 'info', text: 'No live sectors: this miner has nothing to prove.' }]);
  });

  it('given the last deadline of a period, then the next period start and the wrap-around are right', () => {
    const lastEpoch = 4861740 + 2879; // the last epoch of the period that started at 4861740
    const parts: Partition[][] = [];
    parts[0] = [partition(0, 10)];
    parts[47] = [partition(10, 10)];
    const r = report(lastEpoch, parts, { 47: [0] });
    expect(r.info.Index).toBe(47);
    expect(r.rows[0]?.state).toBe('passed');
    expect(r.rows[0]?.next.open).toBe(4861740 + 2880);
    const text = renderText(deadlinesReply(r, { all: false }));
    expect(text).toContain('Next period start:');
    expect(text).toContain(`${4861740 + 2880} (2025-04-10 00:30 UTC, in 30 s)`);
    expect(text).toContain('Proving period start:    4861740 (2025-04-09 00:30 UTC, 1 d ago)');
  });

  it('renders like proving deadlines, with next open times, the current deadline marked and empty ones folded', () => {
    const parts: Partition[][] = [];
    parts[3] = [partition(0, 2349), partition(2349, 1000, [2349, 2350, 2351], [2350])];
    parts[25] = [partition(10000, 500)];
    const text = renderText(deadlinesReply(report(lateIn25, parts, { 25: [0] }), { all: false }));
    expect(text).toContain('WindowPoSt deadlines of f01234 at epoch 4863283');
    expect(text).toContain('Faults:                  3 (0%)');
    expect(text).toMatch(/3\s+02:00 UTC\s+in 12 h 39 min\s+2\s+3349\s+3\s+1/);
    expect(text).toMatch(/25 \(current\)\s+13:00 UTC\s+22 min ago\s+1\s+500\s+0\s+0\s+1\/1/);
    expect(text).toContain('46 deadline(s) without sectors not shown');
    const all = renderText(deadlinesReply(report(lateIn25, parts, { 25: [0] }), { all: true }));
    expect(all).not.toContain('not shown');
  });

  it("shows one deadline's partitions with deadline=N", () => {
    const parts: Partition[][] = [];
    parts[25] = [partition(0, 2349), partition(2349, 50, [2349], [])];
    const text = renderText(deadlinesReply(report(lateIn25, parts, { 25: [0] }), { all: false, deadline: 25 }));
    expect(text).toContain('Deadline 25, open now');
    expect(text).toMatch(/0\s+2349\s+2349\s+2349\s+0\s+0\s+yes/);
    expect(text).toMatch(/1\s+50\s+50\s+49\s+1\s+0\s+no/);
  });
});

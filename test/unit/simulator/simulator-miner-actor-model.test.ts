import { describe, expect, test } from 'vitest';
import { deadlineInfoAt } from '../../../src/lotus/deadline-math.js';
import { MinerActorModel } from '../../../src/simulator/miner-actor-model.js';
import { mergeScenario, parseScenario, scenarioVariants } from '../../../src/simulator/scenario.js';

const boundary = 300;
/** An epoch where deadline 10 has just opened. */
const start = 4_861_440 + boundary + 10 * 60;

function model(chain: object = {}) {
  const override = { chain: { provingPeriodBoundary: boundary, ...chain } };
  const scenario = parseScenario(mergeScenario(scenarioVariants.healthy(), override));
  return new MinerActorModel(scenario, start);
}

describe('the simulated miner actor', () => {
  test('150,000 sectors fill partitions of 2349 across the non-empty deadlines; counts add up', () => {
    const actor = model();
    expect(actor.layout[11]).toEqual([]);
    expect(
      actor.layout
        .flat()
        .map((p) => p.count())
        .reduce((a, b) => a + b, 0),
    ).toBe(150_000);
    expect(Math.max(...actor.layout.flat().map((p) => p.count()))).toBe(2349);
    expect(actor.sectorCount(start)).toEqual({ Live: 150_000, Active: 150_000, Faulty: 0 });
    expect(actor.provingDeadline(start)).toEqual(deadlineInfoAt(start, boundary));
  });

  test('faults and recoveries are bitfields inside their partition, and the counts agree', () => {
    const actor = model({
      faults: [{ deadline: 3, partition: 0, count: 120, offset: 1000 }],
      recoveries: [{ deadline: 3, partition: 0, count: 40, offset: 1000 }],
    });
    const [p0] = actor.partitions(3, start);
    expect(p0?.faulty.count()).toBe(120);
    expect(p0?.recovering.count()).toBe(40);
    expect(p0?.faulty.first()).toBe((p0?.all.first() ?? 0) + 1000);
    expect(actor.faults(start).count()).toBe(120);
    expect(actor.recoveries(start).toRuns()).toEqual(p0?.recovering.toRuns());
    expect(actor.sectorCount(start)).toEqual({ Live: 150_000, Active: 149_880, Faulty: 120 });
  });

  test('declared recoveries heal when their deadline is next proven', () => {
    const actor = model({
      faults: [{ deadline: 3, partition: 0, count: 120 }],
      recoveries: [{ deadline: 3, partition: 0, count: 40 }],
    });
    const nextClose3 = 4_861_440 + boundary + 2880 + 3 * 60 + 60;
    expect(actor.sectorCount(nextClose3 - 1).Faulty).toBe(120);
    expect(actor.sectorCount(nextClose3).Faulty).toBe(80);
    expect(actor.recoveries(nextClose3).count()).toBe(0);
  });

  test('the open deadline proof lands in messages of three partitions; other deadlines show none', () => {
    const actor = model();
    const open = start;
    const partitions = actor.layout[10]?.length ?? 0;
    expect(partitions).toBe(2);
    expect(actor.postSubmissions(10, open).count()).toBe(0);
    expect(actor.postSubmissions(10, open + 4).toRuns()).toEqual([0, 2]);
    expect(actor.postSubmissions(9, open + 4).count()).toBe(0);
  });

  test('a deadline left unproven gets no submissions, and at its close its sectors turn faulty', () => {
    const actor = model();
    actor.leaveUnproven(10, start + 1);
    const close = start + 60;
    expect(actor.postSubmissions(10, close - 1).count()).toBe(0);
    expect(actor.sectorCount(close - 1).Faulty).toBe(0);
    const faultyAtClose = actor.sectorCount(close).Faulty;
    expect(faultyAtClose).toBe(actor.layout[10]?.reduce((n, p) => n + p.count(), 0));
    expect(actor.partitions(10, close).every((p) => p.active.isEmpty())).toBe(true);
  });

  test('a wholly faulty partition is skipped by the proof, as lotus skips it', () => {
    const actor = model();
    actor.addFaults({ deadline: 10, partition: 0, count: 2349, offset: 0 }, start - 100);
    expect(actor.postSubmissions(10, start + 10).toRuns()).toEqual([1, 1]);
  });
});

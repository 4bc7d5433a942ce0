import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ChainTime } from '../../../src/lotus/chain-time.js';
import { type DeadlineInfo, deadlineInfoAt, deadlineSchedule } from '../../../src/lotus/deadline-math.js';

/** The consistent example of lotus-api.md §5. */
const example: DeadlineInfo = {
  CurrentEpoch: 4863283,
  PeriodStart: 4861740,
  Index: 25,
  Open: 4863240,
  Close: 4863300,
  Challenge: 4863220,
  FaultCutoff: 4863170,
  WPoStPeriodDeadlines: 48,
  WPoStProvingPeriod: 2880,
  WPoStChallengeWindow: 60,
  WPoStChallengeLookback: 20,
  FaultDeclarationCutoff: 70,
};

describe('deadline math', () => {
  test('the actor computes the documented dline.Info from the epoch and the period boundary', () => {
    expect(deadlineInfoAt(4863283, 4861740 % 2880)).toEqual(example);
  });

  test('deadline 25 is open 13:00-13:30 UTC, and deadline 0 next opens when the next period starts', () => {
    const schedule = deadlineSchedule(example);
    const time = new ChainTime();
    const d25 = schedule[25];
    expect(d25?.state).toBe('open');
    expect(time.epochToDate(d25?.next.open ?? 0).toISOString()).toBe('2025-04-09T13:00:00.000Z');
    expect(time.epochToDate(d25?.next.close ?? 0).toISOString()).toBe('2025-04-09T13:30:00.000Z');
    expect(time.epochToDate(schedule[0]?.next.open ?? 0).toISOString()).toBe('2025-04-10T00:30:00.000Z');
  });

  test('a passed deadline next occurs one period later; an upcoming one in this period, cutoffs included', () => {
    const schedule = deadlineSchedule(example);
    expect(schedule[24]).toMatchObject({ state: 'passed', next: { open: 4861740 + 24 * 60 + 2880 } });
    expect(schedule[26]).toMatchObject({
      state: 'upcoming',
      next: { open: 4863300, close: 4863360, challenge: 4863280, faultCutoff: 4863230 },
      faultCutoffPassed: true,
      epochsUntilOpen: 17,
    });
    // Declarations for deadline 28 can still land: its cutoff (open - 70) is ahead.
    expect(schedule[28]).toMatchObject({ next: { faultCutoff: 4863350 }, faultCutoffPassed: false });
    expect(schedule[25]).toMatchObject({ faultCutoffPassed: true, epochsUntilOpen: -43 });
  });

  test.prop([fc.integer({ min: 3000, max: 10_000_000 }), fc.integer({ min: 0, max: 2879 })])(
    'for any epoch, the current deadline contains it and every next occurrence is still to close',
    (epoch, boundary) => {
      const info = deadlineInfoAt(epoch, boundary);
      expect(info.PeriodStart % 2880).toBe(boundary);
      expect(info.Open <= epoch && epoch < info.Close).toBe(true);
      const schedule = deadlineSchedule(info);
      expect(schedule.filter((d) => d.state === 'open').map((d) => d.index)).toEqual([info.Index]);
      for (const d of schedule) {
        expect(d.next.close).toBeGreaterThan(epoch);
        expect(d.next.close - d.next.open).toBe(60);
        expect(d.next.open - d.thisPeriod.open === 0 || d.next.open - d.thisPeriod.open === 2880).toBe(true);
      }
    },
  );
});

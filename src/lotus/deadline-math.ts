/**
 * WindowPoSt deadline arithmetic (go-state-types miner policy, identical in every actor version). All in epochs.
 */
export const WPOST_PROVING_PERIOD = 2880;
export const WPOST_PERIOD_DEADLINES = 48;
export const WPOST_CHALLENGE_WINDOW = 60;
export const WPOST_CHALLENGE_LOOKBACK = 20;
export const FAULT_DECLARATION_CUTOFF = 70;
export const WPOST_DISPUTE_WINDOW = 1800;
export const CHAIN_FINALITY = 900;
export const PRE_COMMIT_CHALLENGE_DELAY = 150;
export const FAULT_MAX_AGE = 42 * WPOST_PROVING_PERIOD;
export const POSTED_PARTITIONS_MAX = 3;

/** dline.Info as StateMinerProvingDeadline returns it. */
export interface DeadlineInfo {
  CurrentEpoch: number;
  PeriodStart: number;
  Index: number;
  Open: number;
  Close: number;
  Challenge: number;
  FaultCutoff: number;
  WPoStPeriodDeadlines: number;
  WPoStProvingPeriod: number;
  WPoStChallengeWindow: number;
  WPoStChallengeLookback: number;
  FaultDeclarationCutoff: number;
}

/** One occurrence of a deadline. */
export interface DeadlineWindow {
  open: number;
  close: number;
  challenge: number;
  /** Fault and recovery declarations for this occurrence must land before this epoch. */
  faultCutoff: number;
}

export type DeadlineState = 'passed' | 'open' | 'upcoming';

export interface DeadlineTimes {
  index: number;
  /** This deadline within the proving period that contains CurrentEpoch. */
  thisPeriod: DeadlineWindow;
  state: DeadlineState;
  /** The next occurrence that has not closed yet: this period's unless it has passed, else the next period's. */
  next: DeadlineWindow;
  /** Whether declarations for `next` are already too late. */
  faultCutoffPassed: boolean;
  /** Epochs from CurrentEpoch to `next.open` (≤ 0 while open). */
  epochsUntilOpen: number;
}

function windowOf(periodStart: number, index: number, info: DeadlineInfo): DeadlineWindow {
  const open = periodStart + index * info.WPoStChallengeWindow;
  return {
    open,
    close: open + info.WPoStChallengeWindow,
    challenge: open - info.WPoStChallengeLookback,
    faultCutoff: open - info.FaultDeclarationCutoff,
  };
}

/** Open, close, challenge and fault cutoff of every deadline index, whether it has passed, and its next occurrence. */
export function deadlineSchedule(info: DeadlineInfo): DeadlineTimes[] {
  const out: DeadlineTimes[] = [];
  for (let index = 0; index < info.WPoStPeriodDeadlines; index++) {
    const thisPeriod = windowOf(info.PeriodStart, index, info);
    const state: DeadlineState =
      thisPeriod.close <= info.CurrentEpoch ? 'passed' : thisPeriod.open <= info.CurrentEpoch ? 'open' : 'upcoming';
    const next = state === 'passed' ? windowOf(info.PeriodStart + info.WPoStProvingPeriod, index, info) : thisPeriod;
    out.push({
      index,
      thisPeriod,
      state,
      next,
      faultCutoffPassed: next.faultCutoff <= info.CurrentEpoch,
      epochsUntilOpen: next.open - info.CurrentEpoch,
    });
  }
  return out;
}

/**
 * dline.Info at `currentEpoch` for a miner whose proving period starts at epochs ≡ `periodBoundary` (mod 2880),
 * as the actor computes it (the simulator's source of truth).
 */
export function deadlineInfoAt(currentEpoch: number, periodBoundary: number): DeadlineInfo {
  const period = WPOST_PROVING_PERIOD;
  const offset = (((currentEpoch - periodBoundary) % period) + period) % period;
  const periodStart = currentEpoch - offset;
  const index = Math.floor(offset / WPOST_CHALLENGE_WINDOW);
  const open = periodStart + index * WPOST_CHALLENGE_WINDOW;
  return {
    CurrentEpoch: currentEpoch,
    PeriodStart: periodStart,
    Index: index,
    Open: open,
    Close: open + WPOST_CHALLENGE_WINDOW,
    Challenge: open - WPOST_CHALLENGE_LOOKBACK,
    FaultCutoff: open - FAULT_DECLARATION_CUTOFF,
    WPoStPeriodDeadlines: WPOST_PERIOD_DEADLINES,
    WPoStProvingPeriod: WPOST_PROVING_PERIOD,
    WPoStChallengeWindow: WPOST_CHALLENGE_WINDOW,
    WPoStChallengeLookback: WPOST_CHALLENGE_LOOKBACK,
    FaultDeclarationCutoff: FAULT_DECLARATION_CUTOFF,
  };
}

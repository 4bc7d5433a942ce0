/**
 * A rollback's steps as data: stored with the approval request (so the execution runs exactly what was approved) and
 * checked by the command's plan schema when read back. Each step says what it does, the exact command and host, the
 * check that must pass before the next one, and how to undo it.
 */

/** What a step does. `none`: the step is only its check (a wait, a chain check). */
export type StepAction =
  | { kind: 'run'; host: string; argv: string[]; stdin?: string }
  /** Several commands on one host, in order, stopping at the first that fails. */
  | { kind: 'run-all'; host: string; commands: Array<{ argv: string[]; stdin?: string }> }
  | { kind: 'pause-pledges' }
  | { kind: 'copy-file'; from: { host: string; path: string }; to: { host: string; path: string } }
  | { kind: 'copy-dir'; from: { host: string; path: string }; to: { host: string; path: string } }
  | { kind: 'none' };

/** What must be true before the next step. */
export type StepCheck =
  | { kind: 'no-pledge-schedules' }
  | { kind: 'no-precommitted'; miners: string[] }
  | { kind: 'safe-window'; minMinutes: number }
  /** No `lotus-miner run` with the miner's API port on its host, and its API does not answer. */
  | { kind: 'miner-down'; miner: string; host: string }
  /** Its process runs with these PoSt flags and counter mode, and its API answers for the actor. */
  | {
      kind: 'miner-runs';
      miner: string;
      host: string;
      windowPost: boolean;
      winningPost: boolean;
      sectorCounter: 'alloce' | 'get' | null;
    }
  /** The counter file on the host holds N, N is allocated on chain or below, and N+1 is not. */
  | { kind: 'counter-safe'; host: string; path: string; atLeast: number }
  | { kind: 'command'; host: string; argv: string[]; expect: string };

export interface RollbackStep {
  n: number;
  title: string;
  does: string;
  /** The exact command or API call, and where, as a person would type it. */
  shown: string;
  action: StepAction;
  check: StepCheck;
  checkText: string;
  undo: string;
  /** Rough minutes the step takes, for the downtime estimate. */
  minutes: number;
  /** `stops:ROLE` / `restores:ROLE`: where each role's downtime begins and ends. */
  roles?: string[];
}

/** What each role loses, from the step that stops it to the step that brings it back. */
export interface RoleDowntime {
  role: string;
  minutes: number;
  from: number;
  to: number;
}

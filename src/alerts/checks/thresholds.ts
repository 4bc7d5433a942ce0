import type { AlertsConfig } from '../../config/schema.js';
import { parseDuration } from '../../core/duration.js';
import { ATTO_PER_FIL } from '../../lotus/fil.js';

/** The alert thresholds with durations in ms and FIL in attoFIL, as the checks compare them. */
export interface AlertThresholds {
  chainSlowMs: number;
  chainBehindMs: number;
  minPeers: number;
  mpoolPending: number;
  windowPostLateMs: number;
  windowPostCriticalMs: number;
  faultCriticalMs: number;
  /** 'auto' = a day of WindowPoSt gas at today's base fee. */
  workerBalance: bigint | 'auto';
  controlBalance: bigint | 'auto';
  availableBalance: bigint;
  windowPostGas: number;
  sealingStateMs: (state: string) => number;
  jobAssignedMs: number;
  drainModeMs: number;
}

/** FIL (a config number, up to 9 decimals kept) → attoFIL. */
export function filToAtto(fil: number): bigint {
  return (BigInt(Math.round(fil * 1e9)) * ATTO_PER_FIL) / 1_000_000_000n;
}

export function alertThresholds(config: AlertsConfig['thresholds']): AlertThresholds {
  const states = Object.fromEntries(Object.entries(config.sealingState).map(([k, v]) => [k, parseDuration(v)]));
  const fallback = states.default ?? 24 * 3_600_000;
  const floor = (value: number | 'auto') => (value === 'auto' ? 'auto' : filToAtto(value));
  return {
    chainSlowMs: parseDuration(config.chainSlow),
    chainBehindMs: parseDuration(config.chainBehind),
    minPeers: config.minPeers,
    mpoolPending: config.mpoolPending,
    windowPostLateMs: parseDuration(config.windowPostLate),
    windowPostCriticalMs: parseDuration(config.windowPostCritical),
    faultCriticalMs: parseDuration(config.faultCritical),
    workerBalance: floor(config.workerBalance),
    controlBalance: floor(config.controlBalance),
    availableBalance: filToAtto(config.availableBalance),
    windowPostGas: config.windowPostGas,
    sealingStateMs: (state) => states[state] ?? fallback,
    jobAssignedMs: parseDuration(config.jobAssigned),
    drainModeMs: parseDuration(config.drainMode),
  };
}

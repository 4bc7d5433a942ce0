/** Mainnet genesis, 2020-08-24T22:00:00Z (lotus hard-codes it in lotus-shed too). */
export const MAINNET_GENESIS_UNIX = 1598306400;
export const MAINNET_BLOCK_DELAY_SECS = 30;

/** What chain-time needs from a tipset: its height and the timestamps of its blocks. */
export interface HeadLike {
  Height: number;
  Blocks: ReadonlyArray<{ Timestamp: number }>;
}

export type SyncHealth = 'ok' | 'slow' | 'behind';

/** Epoch ↔ wall clock: time(e) = genesis + blockDelay · e. */
export class ChainTime {
  readonly genesisUnix: number;
  readonly blockDelaySecs: number;

  constructor(genesisUnix: number = MAINNET_GENESIS_UNIX, blockDelaySecs: number = MAINNET_BLOCK_DELAY_SECS) {
    this.genesisUnix = genesisUnix;
    this.blockDelaySecs = blockDelaySecs;
  }

  /**
   * Genesis as the lotus CLI derives it: min block timestamp − height · delay. Saves a call and stays right across
   * null rounds, because a tipset's timestamp is always genesis + delay · its own height.
   */
  static fromHead(head: HeadLike, blockDelaySecs: number = MAINNET_BLOCK_DELAY_SECS): ChainTime {
    return new ChainTime(minTimestamp(head) - head.Height * blockDelaySecs, blockDelaySecs);
  }

  static fromNetworkParams(params: { GenesisTimestamp: number; BlockDelaySecs: number }): ChainTime {
    return new ChainTime(params.GenesisTimestamp, params.BlockDelaySecs);
  }

  /** Wall-clock start of an epoch, in ms since the Unix epoch. */
  epochToMs(epoch: number): number {
    return (this.genesisUnix + epoch * this.blockDelaySecs) * 1000;
  }

  epochToDate(epoch: number): Date {
    return new Date(this.epochToMs(epoch));
  }

  /** The epoch whose 30 s slot contains `ms` (the epoch a fully synced node is at). */
  epochAt(ms: number): number {
    return Math.floor((ms / 1000 - this.genesisUnix) / this.blockDelaySecs);
  }

  /** Seconds from `nowMs` until an epoch starts; negative when it is in the past. */
  secondsUntil(epoch: number, nowMs: number): number {
    return (this.epochToMs(epoch) - nowMs) / 1000;
  }
}

/** The earliest block timestamp of a tipset (unix seconds), the one lotus measures lag from. */
export function minTimestamp(head: HeadLike): number {
  let min = Infinity;
  for (const block of head.Blocks) min = Math.min(min, block.Timestamp);
  if (!Number.isFinite(min)) throw new RangeError('a tipset without blocks has no timestamp');
  return min;
}

/**
 * Chain lag as `lotus info` judges it: below 45 s (1.5 epochs) "ok", below 150 s (5 epochs) "slow", otherwise
 * "behind". The thresholds scale with the block delay.
 */
export function headLag(
  head: HeadLike,
  nowMs: number,
  blockDelaySecs: number = MAINNET_BLOCK_DELAY_SECS,
): { lagSeconds: number; health: SyncHealth } {
  const lagSeconds = Math.max(0, nowMs / 1000 - minTimestamp(head));
  const health: SyncHealth =
    lagSeconds < 1.5 * blockDelaySecs ? 'ok' : lagSeconds < 5 * blockDelaySecs ? 'slow' : 'behind';
  return { lagSeconds, health };
}

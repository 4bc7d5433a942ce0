import { describe, expect, test } from 'vitest';
import { ChainTime, headLag, MAINNET_GENESIS_UNIX } from '../../../src/lotus/chain-time.js';

const head = (height: number, timestamps: number[]) => ({
  Height: height,
  Blocks: timestamps.map((Timestamp) => ({ Timestamp })),
});

describe('epoch and wall clock', () => {
  test('the documented head 4863283 is at 1744204890 on mainnet', () => {
    const time = new ChainTime();
    expect(time.epochToMs(4863283)).toBe(1744204890 * 1000);
    expect(time.epochAt(1744204890 * 1000 + 29_999)).toBe(4863283);
    expect(time.epochAt(1744204890 * 1000 + 30_000)).toBe(4863284);
  });

  test('genesis is derived from a head as the CLI does: min timestamp minus height times the delay', () => {
    const time = ChainTime.fromHead(head(4863283, [1744204890, 1744204890]));
    expect(time.genesisUnix).toBe(MAINNET_GENESIS_UNIX);
  });

  test('a testnet with another genesis and block delay is honoured', () => {
    const time = ChainTime.fromNetworkParams({ GenesisTimestamp: 1_700_000_000, BlockDelaySecs: 4 });
    expect(time.epochToDate(10).toISOString()).toBe(new Date((1_700_000_000 + 40) * 1000).toISOString());
  });

  test('lag is judged like lotus info: < 45 s ok, < 150 s slow, else behind', () => {
    const h = head(100, [MAINNET_GENESIS_UNIX + 3000]);
    const at = (seconds: number) => (MAINNET_GENESIS_UNIX + 3000 + seconds) * 1000;
    expect(headLag(h, at(44))).toEqual({ lagSeconds: 44, health: 'ok' });
    expect(headLag(h, at(45)).health).toBe('slow');
    expect(headLag(h, at(149)).health).toBe('slow');
    expect(headLag(h, at(150)).health).toBe('behind');
  });
});

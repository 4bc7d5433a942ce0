import { describe, expect, test } from 'vitest';
import {
  featurePermission,
  grantedBy,
  minimumPermission,
  requiredPermission,
  tokenCli,
} from '../../../src/lotus/permissions.js';

describe('lotus permissions the bot needs', () => {
  test('a token made with --perm sign carries read, write and sign, as lotus writes it', () => {
    expect(grantedBy('sign')).toEqual(['read', 'write', 'sign']);
    expect(grantedBy('read')).toEqual(['read']);
  });

  test('pledging needs write on the miner, reading workers needs admin, deadlines only read on the daemon', () => {
    expect(requiredPermission('miner', 'PledgeSector')).toBe('write');
    expect(minimumPermission('miner', ['ActorAddress', 'PledgeSector'])).toBe('write');
    expect(featurePermission('pledge', 'miner')).toBe('admin');
    expect(featurePermission('workers', 'miner')).toBe('admin');
    expect(featurePermission('deadlines', 'full')).toBe('read');
    expect(featurePermission('deadlines', 'miner')).toBe('read');
  });

  test('a method the bot never calls has no entry, and asking for it is a programming error', () => {
    expect(requiredPermission('full', 'WalletSign')).toBeUndefined();
    expect(() => minimumPermission('full', ['WalletSign'])).toThrow(RangeError);
  });

  test('hints name the right CLI for each API', () => {
    expect(tokenCli('full')).toBe('lotus');
    expect(tokenCli('miner')).toBe('lotus-miner');
  });
});

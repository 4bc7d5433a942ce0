import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ATTO_PER_FIL, attoFil, formatFil, parseFil } from '../../../src/lotus/fil.js';

describe('attoFIL amounts', () => {
  test('lotus decimal strings become bigints exactly, beyond 2^53', () => {
    expect(attoFil('31250500000000000000000')).toBe(31_250_500_000_000_000_000_000n);
    expect(() => attoFil('12.5')).toThrow(/not an attoFIL amount/);
  });

  test('amounts are shown as FIL with four decimals, rounded, trailing zeros dropped', () => {
    expect(formatFil('12345600000000000000')).toBe('12.3456 FIL');
    expect(formatFil('12345650000000000000')).toBe('12.3457 FIL');
    expect(formatFil('1500000000000000000')).toBe('1.5 FIL');
    expect(formatFil('0')).toBe('0 FIL');
    expect(formatFil(-2n * ATTO_PER_FIL)).toBe('-2 FIL');
  });

  test('a tiny non-zero balance never reads as 0 FIL', () => {
    expect(formatFil('1')).toBe('0.000000000000000001 FIL');
    expect(formatFil('12345000')).toBe('0.00000000001235 FIL');
  });

  test('typed amounts read as lotus ParseFIL does: FIL by default, attoFIL on request', () => {
    expect(parseFil('10 FIL')).toBe(10n * ATTO_PER_FIL);
    expect(parseFil('0.5')).toBe(ATTO_PER_FIL / 2n);
    expect(parseFil('10fil')).toBe(10n * ATTO_PER_FIL);
    expect(parseFil('.25 FIL')).toBe(ATTO_PER_FIL / 4n);
    expect(parseFil('1000 attoFIL')).toBe(1000n);
    expect(parseFil('7 aFIL')).toBe(7n);
  });

  test('nonsense amounts are refused with the reason', () => {
    expect(() => parseFil('ten FIL')).toThrow(/not an amount/);
    expect(() => parseFil('1 mFIL')).toThrow(/unknown unit/);
    expect(() => parseFil('0.0000000000000000001')).toThrow(/18 decimal places/);
    expect(() => parseFil('1.5 attoFIL')).toThrow(/whole numbers/);
  });

  test.prop([fc.bigInt({ min: 0n, max: 10n ** 27n })])(
    'formatting to 18 decimals and parsing back is lossless',
    (atto) => {
      expect(parseFil(formatFil(atto, { decimals: 18 }).replace(' FIL', ''))).toBe(atto);
    },
  );
});

import { OpsError } from '../core/errors.js';

/** 1 FIL = 10^18 attoFIL. Lotus sends every amount as a decimal attoFIL string. */
export const ATTO_PER_FIL = 10n ** 18n;

const integerText = /^-?\d+$/;

/** An attoFIL amount from lotus's decimal string (or a bigint, passed through). */
export function attoFil(value: string | bigint): bigint {
  if (typeof value === 'bigint') return value;
  const text = value.trim();
  if (!integerText.test(text)) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `"${value}" is not an attoFIL amount (a decimal integer)` });
  }
  return BigInt(text);
}

export interface FormatFilOptions {
  /** Decimal places shown for amounts of at least that precision; default 4. */
  decimals?: number;
}

/**
 * "12.3456 FIL". Rounded half away from zero to `decimals` places, trailing zeros dropped ("1.5 FIL", "0 FIL").
 * A non-zero amount too small to show at that precision keeps its first `decimals` significant digits, so that
 * a nearly empty wallet never reads as "0 FIL".
 */
export function formatFil(amount: string | bigint, options: FormatFilOptions = {}): string {
  const value = attoFil(amount);
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  let decimals = Math.min(18, Math.max(0, options.decimals ?? 4));
  if (magnitude > 0n && magnitude < 10n ** BigInt(18 - decimals)) {
    const digits = magnitude.toString().length;
    decimals = Math.min(18, 18 - digits + Math.max(1, options.decimals ?? 4));
  }
  const unit = 10n ** BigInt(18 - decimals);
  const rounded = (magnitude + unit / 2n) / unit;
  const scale = 10n ** BigInt(decimals);
  const whole = rounded / scale;
  const fraction = (rounded % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  const text = fraction.length > 0 ? `${whole}.${fraction}` : `${whole}`;
  return `${text === '0' ? '' : sign}${text} FIL`;
}

const amountText = /^(-?)(\d*)(?:\.(\d*))?\s*([a-zA-Z]*)$/;

/**
 * An amount typed by a person, as lotus's ParseFIL reads it: "10 FIL", "10fil", "0.5" (FIL when no unit),
 * "1000 attoFIL" / "1000 aFIL". Returns attoFIL.
 */
export function parseFil(text: string): bigint {
  const match = amountText.exec(text.trim());
  const [, sign = '', whole = '', fraction = '', unit = ''] = match ?? [];
  if (!match || (whole === '' && fraction === '')) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `"${text}" is not an amount of FIL (e.g. "10 FIL" or "0.5")` });
  }
  const normalised = unit.toLowerCase();
  let atto: bigint;
  if (normalised === '' || normalised === 'fil') {
    if (fraction.length > 18) {
      throw new OpsError('INVALID_ARGUMENT', { detail: `"${text}" has more than 18 decimal places` });
    }
    atto = BigInt(whole || '0') * ATTO_PER_FIL + BigInt((fraction || '0').padEnd(18, '0'));
  } else if (normalised === 'attofil' || normalised === 'afil') {
    if (/[1-9]/.test(fraction)) {
      throw new OpsError('INVALID_ARGUMENT', { detail: `"${text}": attoFIL amounts are whole numbers` });
    }
    atto = BigInt(whole || '0');
  } else {
    throw new OpsError('INVALID_ARGUMENT', { detail: `"${text}": unknown unit "${unit}" (use FIL or attoFIL)` });
  }
  return sign === '-' ? -atto : atto;
}

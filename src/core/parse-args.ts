import type { OptionSpec } from './command.js';
import { OpsError } from './errors.js';

/**
 * Free text as Slack and the terminal send it (`3 mode=fill miner="seal 1"`) becomes a record of raw option values;
 * Discord's typed options arrive as a record already. Both then go through the command's zod schema.
 */

export type RawArgs = Record<string, string | number | boolean>;

const openingQuotes: Record<string, string> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };

/**
 * Split on white space, keeping quoted runs together (quotes removed). A quote opens a run only where a value starts
 * (at the start of a word, or right after `name=`), so an apostrophe inside a word ("it's") is just a letter; phones
 * send typographic quotes (“…”, ‘…’), which work like the plain ones.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let closing: string | undefined;
  for (const ch of text) {
    if (closing !== undefined) {
      if (ch === closing || (closing === '\u201d' && ch === '"')) closing = undefined;
      else current += ch;
      continue;
    }
    const close = openingQuotes[ch];
    if (close !== undefined && (!inToken || current.endsWith('='))) {
      closing = close;
      inToken = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
      continue;
    }
    current += ch;
    inToken = true;
  }
  if (closing !== undefined) throw new OpsError('USAGE', { detail: `unclosed quote: add the closing ${closing}` });
  if (inToken) tokens.push(current);
  return tokens;
}

/** Map tokens onto the declared options. Unknown names and surplus words are usage errors, never ignored. */
export function mapTokens(tokens: string[], options: readonly OptionSpec[]): RawArgs {
  const raw: RawArgs = {};
  const positional = options.filter((o) => o.positional);
  let nextPositional = 0;
  let rest: string | undefined;
  for (const token of tokens) {
    // Once a `rest` option has begun, every later word is part of it (a deny reason may contain anything).
    if (rest !== undefined) {
      raw[rest] = `${String(raw[rest])} ${token}`;
      continue;
    }
    const eq = token.indexOf('=');
    if (eq > 0) {
      const name = token.slice(0, eq);
      const option = options.find((o) => o.name === name);
      if (!option) {
        throw new OpsError('USAGE', {
          detail: `unknown option "${name}"${options.length ? `; options are ${options.map((o) => o.name).join(', ')}` : ''}`,
        });
      }
      if (name in raw) throw new OpsError('USAGE', { detail: `option "${name}" given twice` });
      raw[name] = token.slice(eq + 1);
      continue;
    }
    const flag = options.find((o) => o.type === 'boolean' && o.name === token);
    if (flag) {
      raw[flag.name] = true;
      continue;
    }
    const option = positional[nextPositional];
    if (!option) throw new OpsError('USAGE', { detail: `unexpected "${token}"` });
    raw[option.name] = token;
    if (option.rest) rest = option.name;
    nextPositional++;
  }
  return raw;
}

/** Convert raw strings to the declared types, so the zod schema sees numbers and booleans. */
export function coerce(raw: RawArgs, options: readonly OptionSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const option = options.find((o) => o.name === name);
    if (!option) throw new OpsError('USAGE', { detail: `unknown option "${name}"` });
    out[name] = coerceOne(option, value);
  }
  return out;
}

function coerceOne(option: OptionSpec, value: string | number | boolean): unknown {
  if (typeof value !== 'string') return value;
  switch (option.type) {
    case 'integer':
      // Left as text when it is not a whole number, so the schema's own message (with the option name) reports it.
      return /^-?\d{1,15}$/.test(value) ? Number(value) : value;
    case 'boolean':
      if (['true', 'yes', '1', 'on'].includes(value)) return true;
      if (['false', 'no', '0', 'off'].includes(value)) return false;
      return value;
    default:
      return value;
  }
}

/** `/pledge [count] [mode=single|per-worker|fill] [miner=NAME]` */
export function usageOf(path: string, options: readonly OptionSpec[]): string {
  const parts = options.map((o) => {
    const value = o.choices ? o.choices.join('|') : o.type === 'boolean' ? '' : o.name.toUpperCase();
    const text = o.type === 'boolean' ? o.name : o.positional ? `${o.name}${o.rest ? '…' : ''}` : `${o.name}=${value}`;
    return o.required ? text : `[${text}]`;
  });
  return [`/${path}`, ...parts].join(' ');
}

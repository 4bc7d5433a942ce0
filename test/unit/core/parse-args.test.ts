import { describe, expect, it } from 'vitest';
import type { OptionSpec } from '../../../src/core/command.js';
import { mapTokens, tokenize, usageOf } from '../../../src/core/parse-args.js';

const pledgeOptions: OptionSpec[] = [
  { name: 'count', type: 'integer', description: 'How many', positional: true },
  { name: 'mode', type: 'string', description: 'Mode', choices: ['single', 'per-worker', 'fill'] },
  { name: 'miner', type: 'string', description: 'Miner' },
  { name: 'all', type: 'boolean', description: 'All' },
];

describe('free-text arguments', () => {
  it('splits on spaces and keeps quoted values together', () => {
    expect(tokenize(`3 mode=fill miner="seal 1" reason="it's late"`)).toEqual([
      '3',
      'mode=fill',
      'miner=seal 1',
      "reason=it's late",
    ]);
    expect(tokenize('  ')).toEqual([]);
    expect(tokenize('a ""')).toEqual(['a', '']);
  });

  it('refuses an unclosed quote, and says what closes it', () => {
    expect(() => tokenize('miner="seal')).toThrow('unclosed quote: add the closing "');
  });

  it('takes an apostrophe inside a word as a letter, and typographic quotes as quotes', () => {
    expect(tokenize("it's late")).toEqual(["it's", 'late']);
    expect(tokenize('miner=\u201cseal 1\u201d \u2018two words\u2019')).toEqual(['miner=seal 1', 'two words']);
  });

  it('gives a rest option the remainder of the line, options and all', () => {
    const deny: OptionSpec[] = [
      { name: 'id', type: 'string', description: 'id', positional: true },
      { name: 'reason', type: 'string', description: 'why', positional: true, rest: true },
    ];
    expect(mapTokens(tokenize("K7M2Q9 it's deadline 25, wait count=3"), deny)).toEqual({
      id: 'K7M2Q9',
      reason: "it's deadline 25, wait count=3",
    });
  });

  it('maps positional, key=value and bare boolean flags onto the declared options', () => {
    expect(mapTokens(['3', 'mode=fill', 'all'], pledgeOptions)).toEqual({ count: '3', mode: 'fill', all: true });
  });

  it('refuses unknown options and surplus words instead of ignoring them', () => {
    expect(() => mapTokens(['mdoe=fill'], pledgeOptions)).toThrow(
      'unknown option "mdoe"; options are count, mode, miner, all',
    );
    expect(() => mapTokens(['3', '4'], pledgeOptions)).toThrow('unexpected "4"');
    expect(() => mapTokens(['mode=a', 'mode=b'], pledgeOptions)).toThrow('given twice');
  });

  it('writes a usage line from the declaration', () => {
    expect(usageOf('pledge', pledgeOptions)).toBe('/pledge [count] [mode=single|per-worker|fill] [miner=MINER] [all]');
  });
});

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

  it('refuses an unclosed quote', () => {
    expect(() => tokenize('miner="seal')).toThrow('unclosed " quote');
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

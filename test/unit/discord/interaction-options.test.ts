import { ApplicationCommandOptionType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { customIds } from '../../../src/adapters/discord/custom-ids.js';
import { inboundOptions } from '../../../src/adapters/discord/interaction-options.js';

describe('Discord options to runtime options', () => {
  it('given top-level typed options, then their values keep their types', () => {
    expect(
      inboundOptions([
        { name: 'rows', type: ApplicationCommandOptionType.Integer, value: 3 },
        { name: 'all', type: ApplicationCommandOptionType.Boolean, value: true },
        { name: 'window', type: ApplicationCommandOptionType.String, value: '30m' },
      ]),
    ).toEqual({ options: { rows: 3, all: true, window: '30m' } });
  });

  it('given a subcommand, then it is named and its own options are passed', () => {
    expect(
      inboundOptions([
        {
          name: 'deny',
          type: ApplicationCommandOptionType.Subcommand,
          options: [
            { name: 'id', type: ApplicationCommandOptionType.String, value: 'K7M2Q9' },
            { name: 'reason', type: ApplicationCommandOptionType.String, value: 'not now' },
          ],
        },
      ]),
    ).toEqual({ subcommand: 'deny', options: { id: 'K7M2Q9', reason: 'not now' } });
  });
});

describe('button custom ids', () => {
  it('given a custom id the adapter made, then it parses back; anything else is not ours', () => {
    expect(customIds.parse(customIds.encode('run', '/approvals approve K7M2Q9'))).toEqual({
      kind: 'run',
      command: '/approvals approve K7M2Q9',
    });
    expect(customIds.parse('ask:/approvals deny K7M2Q9')).toEqual({ kind: 'ask', command: '/approvals deny K7M2Q9' });
    expect(customIds.parse('run:')).toBeUndefined();
    expect(customIds.parse('approve:K7M2Q9')).toBeUndefined();
    expect(() => customIds.encode('run', `/${'x'.repeat(100)}`)).toThrow(RangeError);
  });
});

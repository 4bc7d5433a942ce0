import { ApplicationCommandOptionType, ApplicationCommandType, InteractionContextType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import approvals from '../../../commands/approvals.js';
import audit from '../../../commands/audit.js';
import help from '../../../commands/help.js';
import { commandPayloads } from '../../../src/adapters/discord/command-payloads.js';
import {
  type CommandDefinition,
  defineReadCommand,
  type LeafCommand,
  type OptionSpec,
} from '../../../src/core/command.js';
import { isOpsError } from '../../../src/core/errors.js';
import { loadCommands } from '../../../src/core/load-commands.js';
import { reportCommand } from '../../helpers/discord-test-commands.js';

function command(name: string, options: OptionSpec[], description = 'A test command'): LeafCommand {
  return defineReadCommand({
    name,
    description,
    options,
    args: z.object({}),
    role: 'viewer',
    destructive: false,
    run: async () => ({ title: '', blocks: [] }),
  });
}

function refusal(definitions: CommandDefinition[]): string {
  try {
    commandPayloads(definitions);
  } catch (error) {
    if (isOpsError(error) && error.code === 'DISCORD_COMMAND_INVALID') return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Discord registration payloads from the command declarations', () => {
  it('given /help, /audit and /approvals, then they become guild-only chat-input commands with typed options', () => {
    const [helpPayload, auditPayload, approvalsPayload] = commandPayloads([help, audit, approvals]);
    expect(helpPayload).toEqual({
      type: ApplicationCommandType.ChatInput,
      name: 'help',
      description: 'List the commands you may run, with their arguments',
      contexts: [InteractionContextType.Guild],
      integration_types: [0],
      options: [],
    });
    expect(auditPayload?.options).toEqual([
      {
        type: ApplicationCommandOptionType.String,
        name: 'user',
        description: 'Only this principal, e.g. slack:U0123',
        required: false,
      },
      {
        type: ApplicationCommandOptionType.String,
        name: 'command',
        description: 'Only this command, e.g. pledge',
        required: false,
      },
      {
        type: ApplicationCommandOptionType.Integer,
        name: 'limit',
        description: 'How many entries (default 20, at most 200)',
        required: false,
      },
    ]);
    expect(approvalsPayload?.options?.map((o) => [o.type, o.name])).toEqual([
      [ApplicationCommandOptionType.Subcommand, 'list'],
      [ApplicationCommandOptionType.Subcommand, 'approve'],
      [ApplicationCommandOptionType.Subcommand, 'deny'],
    ]);
    expect(approvalsPayload?.options?.[2]).toEqual({
      type: ApplicationCommandOptionType.Subcommand,
      name: 'deny',
      description: 'Deny a request, with a reason',
      options: [
        { type: ApplicationCommandOptionType.String, name: 'id', description: 'Approval request id', required: true },
        {
          type: ApplicationCommandOptionType.String,
          name: 'reason',
          description: 'Why (shown to the requester)',
          required: true,
        },
      ],
    });
  });

  it('given a group, then its default subcommand is listed first, since Discord needs one chosen explicitly', () => {
    const group: CommandDefinition = {
      name: 'pledge',
      description: 'Pledge sectors',
      defaultSubcommand: 'start',
      subcommands: [command('status', []), command('start', [])],
    };
    expect(commandPayloads([group])[0]?.options?.map((o) => o.name)).toEqual(['start', 'status']);
  });

  it('given choices, a duration and a required option after optional ones, then choices are kept, the duration is text, required comes first', () => {
    const [payload] = commandPayloads([reportCommand()]);
    expect(payload?.options).toEqual([
      { type: ApplicationCommandOptionType.Integer, name: 'rows', description: 'How many rows', required: true },
      {
        type: ApplicationCommandOptionType.String,
        name: 'format',
        description: 'Output format',
        required: false,
        choices: [
          { name: 'table', value: 'table' },
          { name: 'list', value: 'list' },
        ],
      },
      {
        type: ApplicationCommandOptionType.String,
        name: 'window',
        description: 'Look-back window (e.g. 30m, 2h)',
        required: false,
      },
    ]);
  });

  it('given integer choices, then their values are numbers', () => {
    const [payload] = commandPayloads([
      command('count', [{ name: 'n', type: 'integer', description: 'How many', choices: ['1', '2', '4'] }]),
    ]);
    expect(payload?.options?.[0]).toMatchObject({
      choices: [
        { name: '1', value: 1 },
        { name: '2', value: 2 },
        { name: '4', value: 4 },
      ],
    });
  });

  it('given a description over 100 characters, then it is shortened at a word with an ellipsis', () => {
    const long =
      'Pledge sectors: single (count × PledgeSector), per-worker (mypledgeonce) or fill (mypledge) on the chosen seal miner';
    const [payload] = commandPayloads([command('pledge', [], long)]);
    expect(payload?.description.length).toBeLessThanOrEqual(100);
    expect(payload?.description).toMatch(/^Pledge sectors: single .* on the…$/);
  });

  it('given names Discord does not take, then the refusal names the command and the rule', () => {
    expect(refusal([command('Deadlines', [])])).toContain(
      'Command /Deadlines cannot be registered on Discord: "Deadlines" is not 1–32 lower-case',
    );
    expect(refusal([command('pledge', [{ name: 'max count', type: 'integer', description: 'x' }])])).toContain(
      '/pledge max count',
    );
    expect(refusal([command('x'.repeat(33), [])])).toContain('is not 1–32');
  });

  it('given too many options or choices, or a duplicate, then the refusal says so', () => {
    const many = Array.from(
      { length: 26 },
      (_, i): OptionSpec => ({ name: `o${i}`, type: 'string', description: 'x' }),
    );
    expect(refusal([command('wide', many)])).toContain('26 options, Discord takes 25');
    const choices = Array.from({ length: 26 }, (_, i) => `c${i}`);
    expect(refusal([command('pick', [{ name: 'c', type: 'string', description: 'x', choices }])])).toContain(
      '26 choices',
    );
    expect(refusal([command('help', []), command('help', [])])).toContain('"help" is declared twice');
    expect(refusal([command('bad', [{ name: 'n', type: 'integer', description: 'x', choices: ['one'] }])])).toContain(
      'not a whole number',
    );
  });

  it('given every command file of the project, then all of them fit Discord', async () => {
    const payloads = commandPayloads(await loadCommands());
    expect(payloads.map((p) => p.name)).toEqual(expect.arrayContaining(['approvals', 'audit', 'help']));
  });
});

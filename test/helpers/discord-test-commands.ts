import { z } from 'zod';
import { type CommandDefinition, defineReadCommand } from '../../src/core/command.js';
import { block } from '../../src/core/reply.js';

/** Lets a test hold a command mid-way: `release()` lets it finish. Reassign `gate` per test. */
export interface Gate {
  gate: Promise<void>;
  release(): void;
}

export function newGate(): Gate {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
}

/** A read command that reports progress, then waits for the test before it answers. */
export function slowCommand(control: { current: Gate }): CommandDefinition {
  return defineReadCommand({
    name: 'slow',
    description: 'Test-only command that takes its time',
    options: [],
    args: z.strictObject({}),
    role: 'viewer',
    destructive: false,
    async run(ctx) {
      await ctx.progress('step 1 of 2: reading the deadlines');
      await control.current.gate;
      return { title: 'Slow work done', severity: 'success', blocks: [block.text('Both steps finished.')] };
    },
  });
}

/** A read command with typed options and choices, answering with a table as long as asked. */
export function reportCommand(): CommandDefinition {
  return defineReadCommand({
    name: 'report',
    description: 'Test-only report with as many rows as asked',
    options: [
      { name: 'format', type: 'string', description: 'Output format', choices: ['table', 'list'] },
      { name: 'rows', type: 'integer', description: 'How many rows', required: true, positional: true },
      { name: 'window', type: 'duration', description: 'Look-back window' },
    ],
    args: z.strictObject({
      rows: z.number().int().min(0).max(5000),
      format: z.enum(['table', 'list']).default('table'),
      window: z.string().optional(),
    }),
    role: 'viewer',
    destructive: false,
    async run(_ctx, args) {
      const rows = Array.from({ length: args.rows }, (_, i) => [
        `sector-${String(i).padStart(5, '0')}`,
        'Proving',
        `${(i * 0.031).toFixed(3)} FIL`,
      ]);
      return {
        title: `Report with ${args.rows} rows`,
        severity: 'info',
        blocks: [block.table(['sector', 'state', { header: 'pledge', align: 'right' }], rows, 'Sectors')],
      };
    },
  });
}

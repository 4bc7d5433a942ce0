import { z } from 'zod';
import { type CommandDefinition, defineReadCommand } from '../../src/core/command.js';
import { attachment, block } from '../../src/core/reply.js';

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

/** A read command whose answer carries a file (an env file), as /worker-env recommend's does. */
export const envFileText = '# pc1-0.env\nFIL_PROOFS_USE_MULTICORE_SDR=1\nFIL_PROOFS_MULTICORE_SDR_PRODUCERS=1\n';
export function envFileCommand(): CommandDefinition {
  return defineReadCommand({
    name: 'envfile',
    description: 'Test-only command whose answer carries a file',
    options: [],
    args: z.strictObject({}),
    role: 'viewer',
    destructive: false,
    run: async () => ({
      title: 'One env file',
      severity: 'info',
      blocks: [block.code(envFileText)],
      attachments: [attachment('pc1-0.env', envFileText)],
    }),
  });
}

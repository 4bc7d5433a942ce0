import { z } from 'zod';
import { defineDestructiveCommand, defineGroup, defineReadCommand } from '../src/command-kit.js';
import { describeRollbackCheckpoint, describeRollbackProgress } from '../src/rollback/rollback-checkpoint.js';
import type { RollbackPlanData } from '../src/rollback/rollback-run.js';

// The implementation is loaded when a subcommand runs: until then this file is only its declaration.

const target = z.enum(['single', 'official']);
const host = z.string().min(1);
const argv = z.array(z.string());
const stepAction = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('run'), host, argv: argv.min(1), stdin: z.string().optional() }),
  z.strictObject({
    kind: z.literal('run-all'),
    host,
    commands: z.array(z.strictObject({ argv: argv.min(1), stdin: z.string().optional() })).min(1),
  }),
  z.strictObject({ kind: z.literal('pause-pledges') }),
  z.strictObject({
    kind: z.literal('copy-file'),
    from: z.strictObject({ host, path: z.string().regex(/^\//) }),
    to: z.strictObject({ host, path: z.string().regex(/^\//) }),
  }),
  z.strictObject({
    kind: z.literal('copy-dir'),
    from: z.strictObject({ host, path: z.string().regex(/^\//) }),
    to: z.strictObject({ host, path: z.string().regex(/^\//) }),
  }),
  z.strictObject({ kind: z.literal('none') }),
]);
const stepCheck = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('no-pledge-schedules') }),
  z.strictObject({ kind: z.literal('no-precommitted'), miners: z.array(z.string()) }),
  z.strictObject({ kind: z.literal('safe-window'), minMinutes: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('miner-down'), miner: z.string(), host }),
  z.strictObject({
    kind: z.literal('miner-runs'),
    miner: z.string(),
    host,
    windowPost: z.boolean(),
    winningPost: z.boolean(),
    sectorCounter: z.enum(['alloce', 'get']).nullable(),
  }),
  z.strictObject({ kind: z.literal('counter-safe'), host, path: z.string(), atLeast: z.number().int().min(0) }),
  z.strictObject({ kind: z.literal('command'), host, argv: argv.min(1), expect: z.string() }),
]);

/** A stored plan, as execute may trust it: one that no longer parses is refused, never run. */
const planSchema: z.ZodType<RollbackPlanData> = z.strictObject({
  target,
  actor: z.string().regex(/^[ft]0\d+$/),
  safeWindowMinutes: z.number().int().positive(),
  checkWaitMs: z.number().int().min(0),
  steps: z
    .array(
      z.strictObject({
        n: z.number().int().positive(),
        title: z.string(),
        does: z.string(),
        shown: z.string(),
        action: stepAction,
        check: stepCheck,
        checkText: z.string(),
        undo: z.string(),
        minutes: z.number().min(0),
        roles: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

const show = (name: 'single' | 'official', description: string) =>
  defineReadCommand({
    name,
    description,
    options: [],
    args: z.strictObject({}),
    role: 'viewer',
    destructive: false,
    async run(ctx) {
      const { showRollbackPlan } = await import('../src/rollback/rollback-service.js');
      return showRollbackPlan(ctx, name);
    },
  });

export default defineGroup({
  name: 'rollback-plan',
  description: 'A chain-aware runbook back to a single miner or the official lotus, and a way to carry it out',
  defaultSubcommand: 'single',
  subcommands: [
    show('single', 'The plan to fold the distributed miners back into the seal-miner, from live facts'),
    show('official', 'The plan back to the official lotus-miner (empty PoSt repos, then the binary swap)'),
    defineDestructiveCommand<{ target: 'single' | 'official' }, RollbackPlanData>({
      name: 'execute',
      description: 'Carry the plan out step by step (two admins approve; only inside a safe window)',
      options: [
        {
          name: 'target',
          type: 'string',
          description: 'single or official',
          choices: ['single', 'official'],
          positional: true,
          required: true,
        },
      ],
      args: z.strictObject({ target }),
      role: 'admin',
      destructive: true,
      approval: { approvals: 2, approverRole: 'admin', ttlMs: 30 * 60_000 },
      planSchema,
      async plan(ctx, args) {
        const { planRollbackExecution } = await import('../src/rollback/rollback-service.js');
        return planRollbackExecution(ctx, args.target);
      },
      async execute(ctx, plan) {
        const { executeRollback } = await import('../src/rollback/rollback-service.js');
        return executeRollback(ctx, plan);
      },
      async resume(ctx, plan, checkpoint) {
        const { resumeRollback } = await import('../src/rollback/rollback-service.js');
        return resumeRollback(ctx, plan, checkpoint);
      },
      describeProgress: describeRollbackProgress,
      describeCheckpoint: describeRollbackCheckpoint,
    }),
    defineReadCommand({
      name: 'status',
      description: 'The rollback run in progress (or the last one): its steps and where it is',
      options: [],
      args: z.strictObject({}),
      role: 'viewer',
      destructive: false,
      async run(ctx) {
        const { rollbackStatus } = await import('../src/rollback/rollback-service.js');
        return rollbackStatus(ctx);
      },
    }),
  ],
});

import { z } from 'zod';
import type { PledgePlanData } from '../src/cluster/pledge/pledge-planner.js';
import { PLEDGE_SCHEDULE } from '../src/cluster/pledge/pledge-schedule-kind.js';
import { defineDestructiveCommand, defineGroup, defineReadCommand } from '../src/command-kit.js';
import { parseDuration } from '../src/core/duration.js';
import { block } from '../src/core/reply.js';

// The implementation is loaded when a subcommand runs: until then this file is only its declaration, which is all
// that `exec /help` (and Slack's manifest, Discord's registration) read.

/** More than this in one request is almost certainly a typo; a real bulk pledge is a schedule or several requests. */
const MAX_SECTORS = 1000;

const count = z
  .number({ error: `count must be a whole number from 1 to ${MAX_SECTORS}` })
  .int({ error: `count must be a whole number from 1 to ${MAX_SECTORS}` })
  .min(1, { error: `count must be at least 1` })
  .max(MAX_SECTORS, { error: `count may be at most ${MAX_SECTORS} in one request` });

/** A stored plan, as execute may trust it: a plan from an older bot or an edited row is refused, never run. */
const planSchema: z.ZodType<PledgePlanData> = z.strictObject({
  miner: z.string().min(1),
  actor: z.string().regex(/^[ft]0\d+$/),
  mode: z.enum(['single', 'per-worker', 'fill']),
  sectors: z.number().int().min(0).max(MAX_SECTORS),
  via: z.enum(['api', 'fork-command']),
  forkCommand: z.enum(['mypledgeonce', 'mypledge']).optional(),
  host: z.string().min(1).optional(),
  everyMs: z.number().int().min(60_000).optional(),
});

export default defineGroup({
  name: 'pledge',
  description: 'Start sealing committed-capacity sectors, with pre-checks and approval',
  defaultSubcommand: 'start',
  subcommands: [
    defineDestructiveCommand<
      { count?: number; mode: 'single' | 'per-worker' | 'fill'; miner?: string; every?: number },
      PledgePlanData
    >({
      name: 'start',
      description: 'Pledge sectors: single (count × PledgeSector), per-worker (mypledgeonce) or fill (mypledge)',
      options: [
        {
          name: 'count',
          type: 'integer',
          description: 'Sectors to pledge in mode single (default 1)',
          positional: true,
        },
        {
          name: 'mode',
          type: 'string',
          description: 'single, per-worker or fill',
          choices: ['single', 'per-worker', 'fill'],
        },
        { name: 'miner', type: 'string', description: 'Seal- or deal-miner (default: the seal-miner)' },
        {
          name: 'every',
          type: 'duration',
          description: 'Repeat: a round every 15m, 1h, … until /pledge stop (one approval)',
        },
      ],
      args: z
        .strictObject({
          count: count.optional(),
          mode: z
            .enum(['single', 'per-worker', 'fill'], { error: 'mode must be single, per-worker or fill' })
            .default('single'),
          miner: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]{0,62}$|^[ft]0\d+$/, { error: 'give a configured miner name' })
            .optional(),
          every: z
            .string()
            .regex(/^\d+(m|h)$/, { error: 'every must be minutes or hours, e.g. every=15m or every=2h' })
            .transform(parseDuration)
            .refine((ms) => ms >= 60_000 && ms <= 24 * 3_600_000, { error: 'every must be from 1m to 24h' })
            .optional(),
        })
        .refine((a) => a.mode === 'single' || a.count === undefined, {
          error: 'count is computed from the workers in modes per-worker and fill; leave it out',
        }),
      role: 'operator',
      destructive: true,
      approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
      planSchema,
      async plan(ctx, args) {
        const [{ planPledge }, { pledgePlanReply }] = await Promise.all([
          import('../src/cluster/pledge/pledge-planner.js'),
          import('../src/cluster/pledge/pledge-reply.js'),
        ]);
        const plan = await planPledge(ctx.cluster, args);
        const data = args.every === undefined ? plan.data : { ...plan.data, everyMs: args.every };
        return { reply: pledgePlanReply({ ...plan, data }), data, ...(plan.blocked ? { blocked: plan.blocked } : {}) };
      },
      describeProgress(entries) {
        const sectors = entries.flatMap((e) =>
          Array.isArray(e.data.sectors) ? e.data.sectors.filter((n): n is number => typeof n === 'number') : [],
        );
        return [
          block.fields([
            { label: 'Sectors pledged before it stopped', value: sectors.length ? sectors.join(', ') : 'none' },
          ]),
          block.text('They seal on as usual; /pledge status shows the state of each.'),
        ];
      },
      async execute(ctx, plan) {
        if (plan.data.everyMs === undefined) {
          const { executePledge } = await import('../src/cluster/pledge/pledge-executor.js');
          return executePledge(ctx, plan.data);
        }
        const { scheduleStartedReply } = await import('../src/cluster/pledge/pledge-reply.js');
        const schedule = await ctx.schedules.create(PLEDGE_SCHEDULE, plan.data, plan.data.everyMs);
        return scheduleStartedReply(schedule.id, plan.data);
      },
    }),
    defineReadCommand<{ id?: string }>({
      name: 'stop',
      description: 'End a pledge schedule (every=…); without an id, the only one running',
      options: [{ name: 'id', type: 'string', description: 'Schedule id, e.g. S1', positional: true }],
      args: z.strictObject({
        id: z
          .string()
          .regex(/^[sS]\d{1,6}$/, { error: 'a schedule id looks like S1' })
          .optional(),
      }),
      // Stopping only ever reduces what the bot does: no approval needed.
      role: 'operator',
      destructive: false,
      run: async (ctx, args) => (await import('../src/cluster/pledge/pledge-status.js')).stopSchedules(ctx, args.id),
    }),
    defineReadCommand<{ limit: number }>({
      name: 'status',
      description: 'Sectors pledged recently by the bot and the state each is in now',
      options: [{ name: 'limit', type: 'integer', description: 'How many recent pledges (default 10)' }],
      args: z.strictObject({
        limit: z.number({ error: 'limit must be a whole number' }).int().min(1).max(100).default(10),
      }),
      role: 'viewer',
      destructive: false,
      run: async (ctx, args) => (await import('../src/cluster/pledge/pledge-status.js')).pledgeStatus(ctx, args.limit),
    }),
  ],
});

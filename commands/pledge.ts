import { z } from 'zod';
import { executePledge } from '../src/cluster/pledge/pledge-executor.js';
import { planPledge, type PledgePlanData } from '../src/cluster/pledge/pledge-planner.js';
import { pledgePlanReply } from '../src/cluster/pledge/pledge-reply.js';
import { pledgeStatus } from '../src/cluster/pledge/pledge-status.js';
import { defineDestructiveCommand, defineGroup, defineReadCommand } from '../src/core/command.js';

/** More than this in one request is almost certainly a typo; a real bulk pledge is a schedule or several requests. */
const MAX_SECTORS = 1000;

const count = z
  .number({ error: `count must be a whole number from 1 to ${MAX_SECTORS}` })
  .int({ error: `count must be a whole number from 1 to ${MAX_SECTORS}` })
  .min(1, { error: `count must be at least 1` })
  .max(MAX_SECTORS, { error: `count may be at most ${MAX_SECTORS} in one request` });

export default defineGroup({
  name: 'pledge',
  description: 'Start sealing committed-capacity sectors, with pre-checks and approval',
  defaultSubcommand: 'start',
  subcommands: [
    defineDestructiveCommand<{ count?: number; mode: 'single' | 'per-worker' | 'fill'; miner?: string }, PledgePlanData>({
      name: 'start',
      description: 'Pledge sectors: single (count × PledgeSector), per-worker (mypledgeonce) or fill (mypledge)',
      options: [
        { name: 'count', type: 'integer', description: 'Sectors to pledge in mode single (default 1)', positional: true },
        { name: 'mode', type: 'string', description: 'single, per-worker or fill', choices: ['single', 'per-worker', 'fill'] },
        { name: 'miner', type: 'string', description: 'Seal- or deal-miner (default: the seal-miner)' },
      ],
      args: z
        .strictObject({
          count: count.optional(),
          mode: z.enum(['single', 'per-worker', 'fill'], { error: 'mode must be single, per-worker or fill' }).default('single'),
          miner: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$|^[ft]0\d+$/, { error: 'give a configured miner name' }).optional(),
        })
        .refine((a) => a.mode === 'single' || a.count === undefined, {
          error: 'count is computed from the workers in modes per-worker and fill; leave it out',
        }),
      role: 'operator',
      destructive: true,
      approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
      async plan(ctx, args) {
        const plan = await planPledge(ctx.cluster, args);
        return { reply: pledgePlanReply(plan), data: plan.data, ...(plan.blocked ? { blocked: plan.blocked } : {}) };
      },
      execute: (ctx, plan) => executePledge(ctx, plan.data),
    }),
    defineReadCommand<{ limit: number }>({
      name: 'status',
      description: 'Sectors pledged recently by the bot and the state each is in now',
      options: [{ name: 'limit', type: 'integer', description: 'How many recent pledges (default 10)' }],
      args: z.strictObject({ limit: z.number({ error: 'limit must be a whole number' }).int().min(1).max(100).default(10) }),
      role: 'viewer',
      destructive: false,
      run: (ctx, args) => pledgeStatus(ctx, args.limit),
    }),
  ],
});

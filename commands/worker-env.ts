import { z } from 'zod';
import { defineDestructiveCommand, defineGroup, defineReadCommand } from '../src/command-kit.js';
import type { ApplyPlanData, RestorePlanData } from '../src/workers/worker-env-apply.js';

// The implementation is loaded when a subcommand runs: until then this file is only its declaration.

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: 'give a configured name' });
/** A backup's time as apply names it (its file is ENVFILE.bak-STAMP). */
const stamp = z.string().regex(/^\d{8}T\d{6}Z$/, { error: 'the backup looks like 20261204T061500Z' });

/** apply's and restore's first two arguments. */
const hostAndWorker = [
  { name: 'host', type: 'string', description: 'The configured host', positional: true, required: true },
  { name: 'worker', type: 'string', description: 'The configured worker on it', positional: true, required: true },
] as const;

/** A stored plan, as execute may trust it: one that no longer parses is refused, never run. */
const applyPlan: z.ZodType<ApplyPlanData> = z.strictObject({
  host: name,
  worker: name,
  unit: z.string().min(1),
  envFile: z.string().regex(/^\//),
  beforeHash: z.string().regex(/^[0-9a-f]{16}$/),
  changes: z.array(
    z.strictObject({
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
      from: z.string().optional(),
      to: z.string().optional(),
      reason: z.string(),
    }),
  ),
  force: z.boolean(),
});
const restorePlan: z.ZodType<RestorePlanData> = z.strictObject({
  host: name,
  worker: name,
  unit: z.string().min(1),
  envFile: z.string().regex(/^\//),
  stamp,
});

export default defineGroup({
  name: 'worker-env',
  description: 'The right sealing environment for worker machines, and the drift of what runs',
  defaultSubcommand: 'recommend',
  subcommands: [
    defineReadCommand({
      name: 'recommend',
      description: 'Read a host (CPU complexes, NUMA, memory, GPUs) and propose its workers with an env file each',
      options: [
        { name: 'host', type: 'string', description: 'A configured host', positional: true, required: true },
        {
          name: 'kind',
          type: 'string',
          description: 'ap, pc1, pc2 or c2 (default pc1)',
          choices: ['ap', 'pc1', 'pc2', 'c2'],
        },
        { name: 'sector', type: 'string', description: '32G or 64G (default 32G)', choices: ['32G', '64G'] },
      ],
      args: z.strictObject({
        host: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: 'give a configured host name' }),
        kind: z.enum(['ap', 'pc1', 'pc2', 'c2']).default('pc1'),
        sector: z.enum(['32G', '64G']).default('32G'),
      }),
      role: 'viewer',
      destructive: false,
      async run(ctx, args) {
        const { recommendWorkerEnv } = await import('../src/workers/worker-env-recommend.js');
        return recommendWorkerEnv(ctx.cluster, args);
      },
    }),
    defineReadCommand({
      name: 'audit',
      description: 'What the running workers really have, against their hardware and what the miners see',
      options: [
        {
          name: 'host',
          type: 'string',
          description: 'One configured host (default: every worker host)',
          positional: true,
        },
      ],
      args: z.strictObject({
        host: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { error: 'give a configured host name' })
          .optional(),
      }),
      role: 'viewer',
      destructive: false,
      async run(ctx, args) {
        const { auditWorkerEnv } = await import('../src/workers/worker-env-audit.js');
        return auditWorkerEnv(ctx.cluster, args.host === undefined ? {} : { host: args.host }, (text) =>
          ctx.progress(text),
        );
      },
    }),
    defineDestructiveCommand<{ host: string; worker: string; force: boolean }, ApplyPlanData>({
      name: 'apply',
      description:
        "Write a worker's env file to match its host's layout and restart it (approval; refused while PC1/PC2/C2 run)",
      options: [
        ...hostAndWorker,
        { name: 'force', type: 'boolean', description: 'Restart even while PC1, PC2 or C2 jobs run (they are killed)' },
      ],
      args: z.strictObject({ host: name, worker: name, force: z.boolean().default(false) }),
      role: 'operator',
      destructive: true,
      approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
      planSchema: applyPlan,
      async plan(ctx, args) {
        const { planWorkerEnvApply } = await import('../src/workers/worker-env-apply.js');
        return planWorkerEnvApply(ctx.cluster, args);
      },
      async execute(ctx, plan) {
        const { executeWorkerEnvApply } = await import('../src/workers/worker-env-apply.js');
        return executeWorkerEnvApply(ctx, plan.data);
      },
    }),
    defineDestructiveCommand<{ host: string; worker: string; backup: string }, RestorePlanData>({
      name: 'restore',
      description: "Put a worker's env file back from a backup that apply made, and restart it (approval)",
      options: [
        ...hostAndWorker,
        {
          name: 'backup',
          type: 'string',
          description: 'The backup time apply named, e.g. 20261204T061500Z',
          positional: true,
          required: true,
        },
      ],
      args: z.strictObject({
        host: name,
        worker: name,
        backup: stamp,
      }),
      role: 'operator',
      destructive: true,
      approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
      planSchema: restorePlan,
      async plan(ctx, args) {
        const { planWorkerEnvRestore } = await import('../src/workers/worker-env-apply.js');
        return planWorkerEnvRestore(ctx.cluster, args);
      },
      async execute(ctx, plan) {
        const { executeWorkerEnvRestore } = await import('../src/workers/worker-env-apply.js');
        return executeWorkerEnvRestore(ctx, plan.data);
      },
    }),
  ],
});

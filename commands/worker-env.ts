import { z } from 'zod';
import { defineGroup, defineReadCommand } from '../src/cluster/command-kit.js';

// The implementation is loaded when a subcommand runs: until then this file is only its declaration.

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
  ],
});

import { z } from 'zod';
import type { ClusterServices } from '../src/cluster/cluster-services.js';
import { defineReadCommand } from '../src/command-kit.js';

export default defineReadCommand({
  name: 'deadlines',
  description: 'WindowPoSt deadlines of a miner (like lotus-miner proving deadlines + info) and what is at risk now',
  options: [
    {
      name: 'miner',
      type: 'string',
      description: 'A configured miner name or an actor address (default: the cluster actor)',
      positional: true,
    },
    { name: 'all', type: 'boolean', description: 'Show every deadline, also those without sectors' },
    { name: 'deadline', type: 'integer', description: "Show one deadline's partitions (0-47)" },
  ],
  args: z.strictObject({
    miner: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$|^[ft]0\d+$/, {
        error: 'give a configured miner name or an actor address such as f01234',
      })
      .optional(),
    all: z.boolean().default(false),
    deadline: z.number({ error: 'deadline must be a whole number from 0 to 47' }).int().min(0).max(47).optional(),
  }),
  role: 'viewer',
  destructive: false,
  async run(ctx, args) {
    // Loaded when the command runs: a command file is only its declaration until then (`exec /help` reads them all).
    const [{ buildDeadlinesReport }, { deadlinesReply }, { recallFaults, rememberFaults }] = await Promise.all([
      import('../src/cluster/deadlines-report.js'),
      import('../src/cluster/deadlines-reply.js'),
      import('../src/cluster/fault-memory.js'),
    ]);
    // Proving data is chain state: read it from the daemon, so it works whichever miner process is up.
    const actor = resolveActor(ctx.cluster, args.miner);
    const report = await buildDeadlinesReport(ctx.cluster.fullNode(), actor, ctx.clock.now());
    // Faults seen at the last look tell which ones are new; what is seen now is remembered beside the answer.
    const earlier = await recallFaults(ctx.journal, actor);
    ctx.later('remembering the faults seen', () => rememberFaults(ctx.journal, report, earlier));
    return deadlinesReply(report, {
      all: args.all,
      ...(args.deadline === undefined ? {} : { deadline: args.deadline }),
      ...(earlier === undefined ? {} : { earlier }),
    });
  },
});

function resolveActor(cluster: ClusterServices, miner?: string): string {
  // Any actor address may be looked at (chain state is public); a name must be a configured miner.
  if (miner !== undefined && /^[ft]0\d+$/.test(miner)) return miner;
  if (miner !== undefined) return cluster.findMiner(miner).actor;
  return (cluster.topology.miners[0] as { actor: string }).actor;
}

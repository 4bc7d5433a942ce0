import { firstLine, isOpsError } from '../../core/errors.js';
import { block, type Reply } from '../../core/reply.js';
import type { OpsContext } from '../command-kit.js';
import type { PledgePlanData } from './pledge-planner.js';

export const PLEDGE_JOURNAL = 'pledge';

/** What a pledge needs to run: a command's context, or the scheduler's stand-in for one. */
export type PledgeContext = Pick<OpsContext, 'cluster' | 'log' | 'progress'> & {
  journal: Pick<OpsContext['journal'], 'append'>;
};

/**
 * Runs an approved pledge. `PledgeSector` calls go one at a time and stop at the first error: a write is never
 * retried, and whatever was done is reported with what was not. The fork's commands run once over SSH.
 */
export async function executePledge(ctx: PledgeContext, plan: PledgePlanData): Promise<Reply> {
  return plan.via === 'fork-command' ? runForkCommand(ctx, plan) : pledgeViaApi(ctx, plan);
}

async function pledgeViaApi(ctx: PledgeContext, plan: PledgePlanData): Promise<Reply> {
  const miner = ctx.cluster.miner(plan.miner);
  const created: number[] = [];
  let failure: string | undefined;
  for (let i = 0; i < plan.sectors; i++) {
    try {
      const id = await miner.call('PledgeSector', []);
      created.push(id.Number);
      if (plan.sectors > 1) await ctx.progress(`sector ${i + 1} of ${plan.sectors}: ${id.Number} created`);
    } catch (error) {
      failure = isOpsError(error) ? error.message : 'unexpected error (see the log)';
      if (!isOpsError(error)) ctx.log.error({ err: error }, 'PledgeSector failed');
      break;
    }
  }
  if (created.length > 0)
    await ctx.journal.append(PLEDGE_JOURNAL, {
      miner: plan.miner,
      actor: plan.actor,
      sectors: created,
      via: 'PledgeSector',
    });
  const numbers = created.length ? created.join(', ') : 'none';
  if (failure === undefined) {
    return {
      title: `Pledged ${created.length} sector(s) on ${plan.miner}`,
      severity: 'success',
      blocks: [
        block.fields([{ label: 'Sectors created', value: numbers }]),
        block.text('Follow them with /pledge status.'),
      ],
    };
  }
  return {
    title: `Pledge stopped after ${created.length} of ${plan.sectors} sector(s) on ${plan.miner}`,
    severity: 'error',
    outcome: 'failed',
    blocks: [
      block.fields([
        { label: 'Sectors created', value: numbers },
        { label: 'Not started', value: String(plan.sectors - created.length) },
      ]),
      block.notice('error', `Sector ${created.length + 1} failed: ${failure}`),
      block.text('Nothing was retried. Fix the cause, then run /pledge again for the rest.'),
    ],
  };
}

async function runForkCommand(ctx: PledgeContext, plan: PledgePlanData): Promise<Reply> {
  const host = plan.host as string;
  const command = plan.forkCommand ?? 'mypledgeonce';
  await ctx.progress(`running lotus-miner sectors ${command} on ${host}`);
  // The fork's CLI reaches its miner through MINER_API_INFO (the bot's user cannot read the miner's token file).
  // It travels on stdin, never in argv, where `ps` on the host would show the token for the whole run.
  const apiInfo = ctx.cluster.findMiner(plan.miner).api;
  const result = await ctx.cluster.runOnHost(
    host,
    [
      'sh',
      '-c',
      'IFS= read -r MINER_API_INFO && export MINER_API_INFO && exec lotus-miner sectors "$1"',
      'sh',
      command,
    ],
    { timeoutMs: 10 * 60_000, stdin: `${apiInfo}\n` },
  );
  const output = `${result.stdout}\n${result.stderr}`.trim();
  // The fork's output format is not documented; sector numbers are taken from lines that name them.
  const sectors = [...output.matchAll(/sector[^\d\n]{0,20}(\d+)/gi)].map((m) => Number(m[1]));
  if (sectors.length > 0)
    await ctx.journal.append(PLEDGE_JOURNAL, { miner: plan.miner, actor: plan.actor, sectors, via: command });
  const tail = output.split('\n').slice(-15).join('\n');
  if (result.code !== 0) {
    return {
      title: `lotus-miner sectors ${command} failed on ${host}`,
      severity: 'error',
      outcome: 'failed',
      blocks: [
        block.notice('error', `exit ${result.code}: ${firstLine(result.stderr || result.stdout) || 'no output'}`),
        ...(tail ? [block.code(tail)] : []),
      ],
    };
  }
  return {
    title: `lotus-miner sectors ${command} ran on ${host}`,
    severity: 'success',
    blocks: [
      block.fields([
        { label: 'Expected', value: `${plan.sectors} sector(s)` },
        { label: 'Sectors seen in the output', value: sectors.length ? sectors.join(', ') : 'none named' },
      ]),
      ...(tail ? [block.code(tail)] : []),
      block.text('Follow them with /pledge status.'),
    ],
  };
}

import { formatDuration } from '../../core/duration.js';
import { firstLine, isOpsError } from '../../core/errors.js';
import { block, type Reply } from '../../core/reply.js';
import type { OpsContext } from '../ops-context.js';
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
    let sector: number;
    try {
      sector = (await miner.call('PledgeSector', [])).Number;
    } catch (error) {
      failure = isOpsError(error) ? error.message : 'unexpected error (see the log)';
      if (!isOpsError(error)) ctx.log.error({ err: error }, 'PledgeSector failed');
      break;
    }
    created.push(sector);
    // Recorded the moment lotus returns it: if the bot dies on the next one, this sector is still known.
    await ctx.journal.append(PLEDGE_JOURNAL, {
      miner: plan.miner,
      actor: plan.actor,
      sectors: [sector],
      via: 'PledgeSector',
    });
    if (plan.sectors > 1) await ctx.progress(`sector ${i + 1} of ${plan.sectors}: ${sector} created`);
  }
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

/** The fork's output format is not documented; a sector number is taken from a line that names a sector. */
const sectorInLine = /sector[^\d\n]{0,20}(\d+)/gi;

async function runForkCommand(ctx: PledgeContext, plan: PledgePlanData): Promise<Reply> {
  const host = plan.host as string;
  const command = plan.forkCommand ?? 'mypledgeonce';
  const timeoutMs = ctx.cluster.settings.pledgeForkTimeoutMs;
  await ctx.progress(`running lotus-miner sectors ${command} on ${host}`);
  // The fork's CLI reaches its miner through MINER_API_INFO (the bot's user cannot read the miner's token file).
  // It travels on stdin, never in argv, where `ps` on the host would show the token for the whole run.
  const apiInfo = ctx.cluster.findMiner(plan.miner).api;
  // Each sector is journalled as soon as the command prints it, one after the other, in order.
  const seen: number[] = [];
  let journalled: Promise<void> = Promise.resolve();
  const onOutputLine = (line: string): void => {
    for (const match of line.matchAll(sectorInLine)) {
      const sector = Number(match[1]);
      if (seen.includes(sector)) continue;
      seen.push(sector);
      journalled = journalled.then(() =>
        ctx.journal.append(PLEDGE_JOURNAL, { miner: plan.miner, actor: plan.actor, sectors: [sector], via: command }),
      );
    }
  };
  let result: Awaited<ReturnType<typeof ctx.cluster.runOnHost>>;
  try {
    result = await ctx.cluster.runOnHost(
      host,
      [
        'sh',
        '-c',
        'IFS= read -r MINER_API_INFO && export MINER_API_INFO && exec lotus-miner sectors "$1"',
        'sh',
        command,
      ],
      { timeoutMs, stdin: `${apiInfo}\n`, onOutputLine },
    );
  } catch (error) {
    await journalled;
    if (isOpsError(error) && error.code === 'SSH_TIMEOUT') return forkTimedOut(plan, command, host, timeoutMs, seen);
    throw error;
  }
  await journalled;
  const output = `${result.stdout}\n${result.stderr}`.trim();
  const sectors = seen;
  const tail = output.split('\n').slice(-15).join('\n');
  if (result.code !== 0) {
    return {
      title: `lotus-miner sectors ${command} failed on ${host}`,
      severity: 'error',
      outcome: 'failed',
      blocks: [
        block.notice('error', `exit ${result.code}: ${firstLine(result.stderr || result.stdout) || 'no output'}`),
        ...(sectors.length ? [block.fields([{ label: 'Sectors it started', value: sectors.join(', ') }])] : []),
        ...(tail ? [block.code(tail)] : []),
      ],
    };
  }
  // The plan counted what the workers could take when it was made; the fork decides again when it runs.
  const differs = sectors.length > 0 && sectors.length !== plan.sectors;
  return {
    title: differs
      ? `lotus-miner sectors ${command} ran on ${host}: ${sectors.length} sector(s), the plan said ${plan.sectors}`
      : `lotus-miner sectors ${command} ran on ${host}`,
    severity: differs ? 'warning' : 'success',
    blocks: [
      block.fields([
        { label: 'Expected', value: `${plan.sectors} sector(s)` },
        { label: 'Sectors seen in the output', value: sectors.length ? sectors.join(', ') : 'none named' },
      ]),
      ...(differs
        ? [
            block.notice(
              'warning',
              `${command} started ${sectors.length} sector(s) where the approved plan said ${plan.sectors}: the workers' free slots changed, or their limits differ from what the bot read. Check the pipeline with /pledge status before the next pledge.`,
            ),
          ]
        : []),
      ...(tail ? [block.code(tail)] : []),
      block.text('Follow them with /pledge status.'),
    ],
  };
}

/** The fork's command ran past its time and was killed on the host: what is known, and how to see the rest. */
function forkTimedOut(plan: PledgePlanData, command: string, host: string, timeoutMs: number, seen: number[]): Reply {
  return {
    title: `lotus-miner sectors ${command} did not finish on ${host} within ${formatDuration(timeoutMs)}`,
    severity: 'error',
    outcome: 'failed',
    blocks: [
      block.notice(
        'error',
        `It was killed on ${host} after ${formatDuration(timeoutMs)} (pledge.forkTimeout). It may have started sectors before it hung; the request is closed and nothing will be retried.`,
      ),
      block.fields([
        { label: 'Sectors it printed', value: seen.length ? seen.join(', ') : 'none' },
        { label: 'Plan', value: `${plan.sectors} sector(s) on ${plan.miner}` },
      ]),
      block.text(
        `See which sectors exist with /pledge status, or \`lotus-miner sectors list\` on ${host}; find why the seal-miner did not answer before pledging again.`,
      ),
    ],
  };
}

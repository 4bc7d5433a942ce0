import type { MinerConfig } from '../../config/schema.js';
import { firstLine, isOpsError, OpsError } from '../../core/errors.js';
import type { CheckLine } from '../../core/reply.js';
import { formatFil } from '../../lotus/fil.js';
import type { TipSetKey, WorkerStats } from '../../lotus/schemas.js';
import { countsAsSealing, inSealingPipeline, sectorStateGroup } from '../../lotus/sector-states.js';
import type { ClusterServices } from '../cluster-services.js';
import { withSchedulerFiles } from './scheduler-file.js';
import { sectorsForMode, type WorkerCapacity, workerCapacities } from './worker-capacity.js';

export type PledgeMode = 'single' | 'per-worker' | 'fill';

export interface PledgeRequest {
  mode: PledgeMode;
  /** Sectors for `single`; for the other modes it is computed. */
  count?: number;
  miner?: string;
}

/** What execute needs; stored with the approval request as JSON. */
export interface PledgePlanData {
  miner: string;
  actor: string;
  mode: PledgeMode;
  /** Sectors the plan expects to start. */
  sectors: number;
  /** How: lotus `PledgeSector` calls, or the fork's own command over SSH on the miner's host. */
  via: 'api' | 'fork-command';
  forkCommand?: 'mypledgeonce' | 'mypledge';
  host?: string;
  /** A schedule: this plan runs again every so many ms until stopped. */
  everyMs?: number;
}

export interface PledgePlan {
  data: PledgePlanData;
  checks: CheckLine[];
  workers: WorkerCapacity[];
  collateral?: { perSector: bigint; deposit: bigint; pledge: bigint; total: bigint; payer: string };
  /** The first failed check, which blocks the request. */
  blocked?: string;
  notes: string[];
}

/** CC sectors committed for the default CommittedCapacitySectorLifetime (12960 h = 540 days). */
const CC_LIFETIME_EPOCHS = 1_555_200;
/** A placeholder sealed CID, as lotus's own estimates use: the deposit does not depend on it. */
const PLACEHOLDER_CID = { '/': 'bagboea4b5abcatlxechwbp7kjpjguna6r6q7ejrhe6mdp3lf34pmswn27pkkiekz' };

/** Pick the miner to pledge on: the seal-miner by default; a PoSt-only miner is refused. */
export function pledgeTarget(cluster: ClusterServices, name?: string): MinerConfig {
  if (name === undefined) {
    const seal = cluster.minersWithRole('seal')[0] ?? cluster.minersWithRole('deal')[0];
    if (!seal) throw new OpsError('ROLE_REFUSED', { detail: 'No seal- or deal-miner is configured to pledge on.' });
    return seal;
  }
  const miner = cluster.findMiner(name);
  if (!miner.roles.includes('seal') && !miner.roles.includes('deal')) {
    throw new OpsError('ROLE_REFUSED', {
      detail: `${miner.name} is a ${miner.roles.join(' and ')} miner. Pledging there would allocate sector numbers and sealing metadata where no worker is; pledge on a seal- or deal-miner.`,
    });
  }
  return miner;
}

/** The plan: how many sectors, where, at what cost, and every pre-check with its figure. No side effects. */
export async function planPledge(cluster: ClusterServices, request: PledgeRequest): Promise<PledgePlan> {
  const target = pledgeTarget(cluster, request.miner);
  const full = cluster.fullNode();
  const miner = cluster.miner(target.name);
  const head = await full.chainHead();
  const tsk: TipSetKey = head.Cids;

  const [info, available, summary, workerStats] = await Promise.all([
    full.stateMinerInfo(target.actor, tsk),
    full.stateMinerAvailableBalance(target.actor, tsk),
    miner.call('SectorsSummary', []),
    miner.call('WorkerStats', []).catch((error: unknown) => error as Error),
  ]);
  const notes: string[] = [];
  let workers: WorkerCapacity[] = [];
  let effectiveStats: Record<string, WorkerStats> | undefined;
  if (!(workerStats instanceof Error)) {
    // The fork's limits, from the miner when it reports them, else from each worker's myscheduler.json over SSH.
    const filled = await withSchedulerFiles(cluster, workerStats as Record<string, WorkerStats>);
    notes.push(...filled.notes);
    effectiveStats = filled.stats;
    workers = workerCapacities(filled.stats);
    notes.push(...unknownLimits(workers, filled.unknownWhy));
  }

  const useFork = request.mode !== 'single' && target.forkCommands && target.host !== undefined;
  const sectors = request.mode === 'single' ? (request.count ?? 1) : sectorsForMode(request.mode, workers);
  const data: PledgePlanData = {
    miner: target.name,
    actor: target.actor,
    mode: request.mode,
    sectors,
    via: useFork ? 'fork-command' : 'api',
    ...(useFork
      ? {
          forkCommand: request.mode === 'fill' ? ('mypledge' as const) : ('mypledgeonce' as const),
          host: target.host as string,
        }
      : {}),
  };
  if (request.mode !== 'single' && !useFork) {
    notes.push(
      target.forkCommands
        ? `${target.name} has no host configured, so the fork's lotus-miner sectors ${request.mode === 'fill' ? 'mypledge' : 'mypledgeonce'} cannot be run; the bot calls PledgeSector ${sectors} time(s) instead.`
        : `${target.name} runs upstream lotus (no fork commands): the bot computes the same numbers from WorkerStats and calls PledgeSector ${sectors} time(s).`,
    );
  }

  const checks: CheckLine[] = [];

  // Funds: pre-commit deposit + initial pledge per sector, from lotus's own estimates, at this tipset.
  let collateral: PledgePlan['collateral'];
  try {
    const sealProof = info.SectorSize >= 64 * 2 ** 30 ? 9 : 8;
    const [deposit, pledge, workerBalance] = await Promise.all([
      full.stateMinerPreCommitDepositForPower(
        target.actor,
        {
          SealProof: sealProof,
          SectorNumber: 0,
          SealedCID: PLACEHOLDER_CID,
          SealRandEpoch: head.Height - 10,
          DealIDs: null,
          Expiration: head.Height + CC_LIFETIME_EPOCHS,
          UnsealedCid: null,
        },
        tsk,
      ),
      full.stateMinerInitialPledgeForSector(CC_LIFETIME_EPOCHS, info.SectorSize, 0, tsk),
      full.walletBalance(info.Worker),
    ]);
    const perSector = BigInt(deposit) + BigInt(pledge);
    const total = perSector * BigInt(Math.max(sectors, 0));
    collateral = { perSector, deposit: BigInt(deposit), pledge: BigInt(pledge), total, payer: info.Worker };
    const wallet = BigInt(workerBalance);
    const minerAvailable = BigInt(available);
    const figure = `needs ${formatFil(total)} (${sectors} × ${formatFil(perSector)}); worker ${info.Worker} has ${formatFil(wallet)}, miner available ${formatFil(minerAvailable)}`;
    if (wallet >= total) checks.push({ status: 'pass', label: 'Funds', detail: figure });
    else if (wallet + minerAvailable >= total) {
      checks.push({
        status: 'warn',
        label: 'Funds',
        detail: `${figure}; enough only if CollateralFromMinerBalance is set`,
      });
    } else checks.push({ status: 'fail', label: 'Funds', detail: `insufficient: ${figure}` });
  } catch (error) {
    checks.push({ status: 'warn', label: 'Funds', detail: `could not estimate collateral: ${explain(error)}` });
  }

  // Sealing pipeline against MaxSealingSectors. "Sealing now" is the pipeline (AddPiece up to ProveCommit landing);
  // what PledgeSector compares with the limit is lotus's own count, which also holds staging and failed sectors
  // (lotus's storage/pipeline/stats.go curSealing): a plan checked against the pipeline alone would pass where
  // PledgeSector then refuses "too many sectors sealing".
  const sealing = Object.entries(summary).reduce((n, [state, count]) => (inSealingPipeline(state) ? n + count : n), 0);
  const counted = Object.entries(summary).reduce((n, [state, count]) => (countsAsSealing(state) ? n + count : n), 0);
  const max = target.maxSealingSectors;
  const pipeline = summaryLine(summary);
  const beside =
    counted > sealing ? `; lotus counts ${counted} against the limit (staging and failed sectors too)` : '';
  if (max === undefined || max === 0) {
    checks.push({
      status: 'pass',
      label: 'Sealing pipeline',
      detail: `${sealing} sealing now${pipeline ? ` (${pipeline})` : ''}; no MaxSealingSectors limit configured`,
    });
  } else if (counted >= max) {
    checks.push({
      status: 'fail',
      label: 'Sealing pipeline',
      detail: `MaxSealingSectors reached: ${counted} of ${max} counted by lotus (${sealing} sealing now${beside ? ', the rest staging or failed' : ''})`,
    });
  } else if (counted + sectors > max) {
    checks.push({
      status: 'warn',
      label: 'Sealing pipeline',
      detail: `${counted} of ${max} counted by lotus: only ${max - counted} of ${sectors} can start${beside}`,
    });
  } else {
    checks.push({
      status: 'pass',
      label: 'Sealing pipeline',
      detail: `${sealing} of ${max} sealing; ${max - counted - sectors} left after this${beside}`,
    });
  }

  // Workers: AP takers with free slots, and PC1 capacity behind them.
  if (workerStats instanceof Error) {
    checks.push({ status: 'warn', label: 'AP workers', detail: `cannot read WorkerStats: ${explain(workerStats)}` });
  } else {
    const takers = workers.filter((w) => w.takesAddPiece);
    const free = takers.reduce((n, w) => n + w.freeAddPiece, 0);
    const excluded = workers.filter((w) => w.canAddPiece && !w.takesAddPiece);
    const why = excluded
      .map((w) => `${w.hostname} ${!w.enabled ? 'disabled' : w.draining ? 'draining' : 'out of disk quota'}`)
      .join(', ');
    if (takers.length === 0) {
      checks.push({
        status: 'fail',
        label: 'AP workers',
        detail: `no worker can take AddPiece now${why ? ` (${why})` : ''}`,
      });
    } else if (free < Math.min(sectors, 1) || free === 0) {
      checks.push({ status: 'fail', label: 'AP workers', detail: `${takers.length} AP worker(s), all AP slots busy` });
    } else {
      checks.push({
        status: free < sectors ? 'warn' : 'pass',
        label: 'AP workers',
        detail: `${takers.length} worker(s) take AP, ${free} slot(s) free${free < sectors ? `: ${sectors - free} sector(s) will queue` : ''}${why ? `; not counted: ${why}` : ''}`,
      });
    }
    const pc1 = workers.filter((w) => w.canPreCommit1 && w.enabled && !w.draining);
    const pc1Free = pc1.reduce((n, w) => n + (w.pc1Max === undefined ? 0 : Math.max(0, w.pc1Max - w.pc1Running)), 0);
    checks.push(
      pc1.length === 0
        ? { status: 'warn', label: 'PC1 workers', detail: 'no enabled PC1 worker: sectors will wait after AddPiece' }
        : {
            status: 'pass',
            label: 'PC1 workers',
            detail: `${pc1.length} worker(s), ${pc1.reduce((n, w) => n + w.pc1Running, 0)} PC1 running${pc1Free ? `, ${pc1Free} slot(s) free` : ''}`,
          },
    );
  }

  checks.push(...(await sectorNumberChecks(cluster, target, tsk)));

  const autoPledgeDiff = target.autoPledgeDiff ?? autoPledgeDiffFromWorkers(effectiveStats);
  if (autoPledgeDiff !== undefined) {
    checks.push({
      status: 'info',
      label: 'Dispatch mode',
      detail:
        autoPledgeDiff === 1
          ? 'AutoPledgeDiff 1: smooth (one at a time, spread over the workers)'
          : 'AutoPledgeDiff 0: batch (pledges sent in bulk)',
    });
  }
  if (sectors === 0) checks.push({ status: 'fail', label: 'Sectors', detail: 'this mode would start no sector now' });

  const failed = checks.find((c) => c.status === 'fail');
  return {
    data,
    checks,
    workers,
    ...(collateral ? { collateral } : {}),
    ...(failed ? { blocked: `${failed.label}: ${failed.detail}` } : {}),
    notes,
  };
}

/** The sector counter answers, and the next number it hands out is not already allocated on chain. */
async function sectorNumberChecks(cluster: ClusterServices, target: MinerConfig, tsk: TipSetKey): Promise<CheckLine[]> {
  const counter = cluster.topology.miners.find((m) => m.actor === target.actor && m.roles.includes('sector-counter'));
  const full = cluster.fullNode();
  if (!counter) {
    // Upstream lotus: the miner's own assigner hands out numbers.
    try {
      const meta = await cluster.miner(target.name).call('SectorNumAssignerMeta', []);
      const taken = await full.stateMinerSectorAllocated(target.actor, meta.Next, tsk);
      return [
        taken
          ? {
              status: 'fail',
              label: 'Sector numbers',
              detail: `the miner's next number ${meta.Next} is already allocated on chain`,
            }
          : {
              status: 'pass',
              label: 'Sector numbers',
              detail: `next ${meta.Next} (miner's own assigner), free on chain`,
            },
      ];
    } catch (error) {
      return [{ status: 'warn', label: 'Sector numbers', detail: `cannot check: ${explain(error)}` }];
    }
  }
  const listen = counter.sectorCounterListen as string;
  const probe = await cluster.probeTcp(listen, 3_000);
  const checks: CheckLine[] = [
    probe.ok
      ? {
          status: 'pass',
          label: 'Sector counter',
          detail: `${listen} on ${counter.name} accepts connections (TCP check only: a GetSectorID call would burn a number)`,
        }
      : {
          status: 'fail',
          label: 'Sector counter',
          detail: `${listen} on ${counter.name}: ${probe.error}; pledges would fail with "getting sector number"`,
        },
  ];
  if (counter.host === undefined || counter.repoPath === undefined) {
    checks.push({
      status: 'warn',
      label: 'Sector numbers',
      detail: `set host and repoPath for ${counter.name} so the bot can read its sectorid file and check for collisions`,
    });
    return checks;
  }
  try {
    const last = await readSectorIdFile(cluster, counter.host, counter.repoPath);
    const next = last + 1;
    const taken = await full.stateMinerSectorAllocated(target.actor, next, tsk);
    checks.push(
      taken
        ? {
            status: 'fail',
            label: 'Sector numbers',
            detail: `collision: the counter's next number ${next} (sectorid ${last} on ${counter.host}) is already allocated on chain; raise sectorid above every allocated number`,
          }
        : {
            status: 'pass',
            label: 'Sector numbers',
            detail: `counter at ${last} on ${counter.host}; next ${next} is free on chain`,
          },
    );
  } catch (error) {
    checks.push({
      status: 'warn',
      label: 'Sector numbers',
      detail: `cannot read the counter's sectorid on ${counter.host}: ${explain(error)}`,
    });
  }
  return checks;
}

/** `$LOTUS_MINER_PATH/sectorid` holds the last number handed out, as plain decimal. */
export async function readSectorIdFile(cluster: ClusterServices, host: string, repoPath: string): Promise<number> {
  const result = await cluster.runOnHost(host, ['cat', '--', `${repoPath.replace(/\/+$/, '')}/sectorid`], {
    timeoutMs: 10_000,
    maxOutputBytes: 1024,
  });
  if (result.code !== 0)
    throw new OpsError('SSH_EXIT', {
      host,
      command: 'cat sectorid',
      code: result.code,
      stderr: firstLine(result.stderr),
    });
  const value = result.stdout.trim();
  if (!/^\d+$/.test(value))
    throw new OpsError('SSH_ERROR', { host, detail: `sectorid holds "${firstLine(value, 40)}", not a number` });
  return Number(value);
}

function autoPledgeDiffFromWorkers(stats: Record<string, WorkerStats> | undefined): number | undefined {
  if (!stats) return undefined;
  for (const s of Object.values(stats)) {
    const value = s.Info.Resources.AutoPledgeDiff;
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Which workers' limits are unknown, and why: a plan must not present a guess as a figure. */
function unknownLimits(workers: WorkerCapacity[], why: Map<string, string>): string[] {
  return workers
    .filter((w) => (w.canAddPiece && w.apMax === undefined) || (w.canPreCommit1 && w.pc1Max === undefined))
    .map((w) => {
      const missing = [
        w.canAddPiece && w.apMax === undefined ? 'AP' : '',
        w.canPreCommit1 && w.pc1Max === undefined ? 'PC1' : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const reason = why.get(w.id);
      return `${w.hostname}: ${missing} limit unknown: the miner reports no fork scheduler limits for it and lotus's resource table sets none${reason ? `; ${reason}` : ''}. It is counted as one free AP slot when it runs none.`;
    });
}

/** The pipeline's states, busiest first; failed sectors named apart, since they hold no place in it. */
function summaryLine(summary: Record<string, number>): string {
  const inPipeline = Object.entries(summary)
    .filter(([state, n]) => inSealingPipeline(state) && n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([state, n]) => `${state} ${n}`);
  const failed = Object.entries(summary)
    .filter(([state]) => sectorStateGroup(state) === 'failed')
    .reduce((n, [, count]) => n + count, 0);
  return [...inPipeline, ...(failed > 0 ? [`and ${failed} in failed states, not counted`] : [])].join(', ');
}

function explain(error: unknown): string {
  return isOpsError(error) ? error.message : 'unexpected error';
}

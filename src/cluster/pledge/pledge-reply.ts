import { formatDuration } from '../../core/duration.js';
import { type Block, block, type Reply, severityOfChecks } from '../../core/reply.js';
import { formatFil } from '../../lotus/fil.js';
import type { PledgePlan, PledgePlanData } from './pledge-planner.js';

/** The plan as requester and approvers see it: what starts where, what it costs, each pre-check with its figure. */
export function pledgePlanReply(plan: PledgePlan): Reply {
  const { data, collateral } = plan;
  const how =
    data.via === 'fork-command'
      ? `lotus-miner sectors ${data.forkCommand} on ${data.host}`
      : `lotus PledgeSector × ${data.sectors} on ${data.miner}'s API`;
  const fields = [
    { label: 'Miner', value: `${data.miner} (${data.actor})` },
    { label: 'Mode', value: data.mode },
    { label: 'Sectors', value: String(data.sectors) },
    { label: 'How', value: how },
  ];
  if (data.everyMs !== undefined) {
    const perDay = Math.floor((86_400_000 / data.everyMs) * data.sectors);
    fields.push({
      label: 'Schedule',
      value: `a round every ${formatDuration(data.everyMs)} until /pledge stop (about ${perDay} sectors a day); each round re-checks everything and pauses itself when a check fails`,
    });
  }
  if (collateral) {
    fields.push(
      {
        label: 'Collateral per sector',
        value: `${formatFil(collateral.perSector)} (pre-commit deposit ${formatFil(collateral.deposit)} + initial pledge ${formatFil(collateral.pledge)})`,
      },
      {
        label: data.everyMs === undefined ? 'Collateral in all' : 'Collateral per round',
        value: `${formatFil(collateral.total)}, paid by ${collateral.payer}`,
      },
    );
  }
  const blocks: Block[] = [block.fields(fields), block.checks(plan.checks)];
  const apWorkers = plan.workers.filter((w) => w.canAddPiece || w.canPreCommit1);
  if (apWorkers.length > 0) {
    blocks.push(
      block.table(
        ['worker host', 'AP', 'PC1', 'state'],
        apWorkers.map((w) => [
          w.hostname,
          w.canAddPiece ? `${w.apRunning}/${w.apMax ?? 'unknown'}` : '-',
          w.canPreCommit1 ? `${w.pc1Running}/${w.pc1Max ?? 'unknown'}` : '-',
          !w.enabled ? 'disabled' : w.draining ? 'draining (IsPlanOffline)' : w.outOfQuota ? 'out of disk quota' : 'ok',
        ]),
        'AP and PC1 running / limit per worker',
      ),
    );
  }
  for (const note of plan.notes) blocks.push(block.notice('info', note));
  return {
    title: `Pledge plan: ${data.sectors} sector(s)${data.everyMs === undefined ? '' : ` every ${formatDuration(data.everyMs)}`} on ${data.miner}`,
    severity: severityOfChecks(plan.checks) === 'info' ? 'info' : severityOfChecks(plan.checks),
    blocks,
  };
}

/** What the approver sees when the approved plan is a schedule: it is running, and how to end it. */
export function scheduleStartedReply(id: string, data: PledgePlanData): Reply {
  return {
    title: `Pledge schedule ${id} started: ${data.sectors} sector(s) every ${formatDuration(data.everyMs ?? 0)} on ${data.miner}`,
    severity: 'success',
    blocks: [
      block.text(
        `The first round runs within a minute. Each round checks funds, the pipeline, workers and the sector counter again; a failing check pauses the schedule and says so here. End it with /pledge stop ${id}.`,
      ),
    ],
  };
}

import { block, severityOfChecks, type Block, type Reply } from '../../core/reply.js';
import { formatFil } from '../../lotus/fil.js';
import type { PledgePlan } from './pledge-planner.js';

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
  if (collateral) {
    fields.push(
      { label: 'Collateral per sector', value: `${formatFil(collateral.perSector)} (pre-commit deposit ${formatFil(collateral.deposit)} + initial pledge ${formatFil(collateral.pledge)})` },
      { label: 'Collateral in all', value: `${formatFil(collateral.total)}, paid by ${collateral.payer}` },
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
          w.canAddPiece ? `${w.apRunning}/${w.apMax ?? '?'}` : '-',
          w.canPreCommit1 ? `${w.pc1Running}/${w.pc1Max ?? '?'}` : '-',
          !w.enabled ? 'disabled' : w.draining ? 'draining (IsPlanOffline)' : w.outOfQuota ? 'out of disk quota' : 'ok',
        ]),
        'AP and PC1 running / limit per worker',
      ),
    );
  }
  for (const note of plan.notes) blocks.push(block.notice('info', note));
  return {
    title: `Pledge plan: ${data.sectors} sector(s) on ${data.miner}`,
    severity: severityOfChecks(plan.checks) === 'info' ? 'info' : severityOfChecks(plan.checks),
    blocks,
  };
}

import type { OpsContext } from '../cluster/ops-context.js';
import type { Plan } from '../core/command.js';
import { block, type Reply } from '../core/reply.js';
import { ROLLBACK_JOURNAL, resumePoint } from './rollback-checkpoint.js';
import { defaultRollbackSettings, gatherRollbackFacts } from './rollback-facts.js';
import { buildRollbackPlan, type RollbackPlan, type RollbackTarget } from './rollback-plan.js';
import { rollbackPlanReply } from './rollback-reply.js';
import { type RollbackPlanData, runRollback } from './rollback-run.js';

async function planFromLiveFacts(
  ctx: OpsContext,
  target: RollbackTarget,
): Promise<{ plan: RollbackPlan; reply: Reply }> {
  const settings = { ...defaultRollbackSettings, ...ctx.cluster.settings.rollback };
  const facts = await gatherRollbackFacts(ctx.cluster, ctx.schedules, settings, ctx.clock.now());
  const plan = buildRollbackPlan(facts, target);
  return { plan, reply: rollbackPlanReply(plan, facts.chain, facts.now) };
}

/** `/rollback-plan single|official`: the plan, read only. */
export async function showRollbackPlan(ctx: OpsContext, target: RollbackTarget): Promise<Reply> {
  const { plan, reply } = await planFromLiveFacts(ctx, target);
  return {
    ...reply,
    blocks: [
      ...reply.blocks,
      block.text(
        plan.blockers.length === 0
          ? `To carry it out: /rollback-plan execute ${target} (two admins approve; it runs only inside a safe window).`
          : 'Carry it out by hand, step by step, or fix what stops the bot and ask again.',
      ),
    ],
  };
}

/** `/rollback-plan execute …`: the same plan, as the approval request; blocked where the bot cannot carry it out. */
export async function planRollbackExecution(ctx: OpsContext, target: RollbackTarget): Promise<Plan<RollbackPlanData>> {
  const { plan, reply } = await planFromLiveFacts(ctx, target);
  const settings = { ...defaultRollbackSettings, ...ctx.cluster.settings.rollback };
  const data: RollbackPlanData = {
    target,
    actor: plan.actor,
    safeWindowMinutes: settings.safeWindowMinutes,
    checkWaitMs: settings.checkWaitMs,
    steps: plan.steps,
  };
  const [blocker] = plan.blockers;
  return { reply, data, ...(blocker ? { blocked: blocker } : {}) };
}

export function executeRollback(ctx: OpsContext, plan: Plan<RollbackPlanData>): Promise<Reply> {
  return runRollback(ctx, plan.data);
}

export function resumeRollback(
  ctx: OpsContext,
  plan: Plan<RollbackPlanData>,
  checkpoint: Record<string, unknown>,
): Promise<Reply> {
  return runRollback(ctx, plan.data, resumePoint(checkpoint));
}

/** `/rollback-plan status`: the latest run, from the journal it keeps as it goes. */
export async function rollbackStatus(ctx: OpsContext): Promise<Reply> {
  const entries = await ctx.journal.recent(ROLLBACK_JOURNAL, 200);
  const latest = entries.reduce<(typeof entries)[number] | undefined>(
    (a, e) => (!a || e.at >= a.at ? e : a),
    undefined,
  );
  if (!latest)
    return {
      title: 'No rollback has run',
      severity: 'info',
      blocks: [block.text('Open requests, if any, are in /approvals.')],
    };
  const run = entries.filter((e) => e.approvalId === latest.approvalId).reverse();
  const last = run.at(-1)?.data ?? {};
  const done = run.filter((e) => e.data.phase === 'step-done').map((e) => `${e.data.step}. ${e.data.title}`);
  const total = Number(last.total ?? run.find((e) => e.data.total !== undefined)?.data.total ?? 0);
  const state =
    last.phase === 'finished'
      ? 'finished'
      : last.phase === 'failed'
        ? `stopped at step ${last.step}: ${last.detail}`
        : last.phase === 'step-started'
          ? `running step ${last.step} of ${total}: ${last.title}`
          : 'started';
  return {
    title: `Rollback ${latest.approvalId ?? ''}: ${state}`,
    severity: last.phase === 'failed' ? 'error' : last.phase === 'finished' ? 'success' : 'info',
    blocks: [
      block.fields([
        { label: 'Request', value: latest.approvalId ?? '?' },
        { label: 'Steps done', value: `${done.length} of ${total}` },
        { label: 'By', value: latest.principal },
      ]),
      ...(done.length > 0 ? [block.list(done)] : []),
      block.text('Its thread has each step; an interrupted run waits in /approvals for a person to confirm or abort.'),
    ],
  };
}

import type { ClusterServices } from '../cluster/cluster-services.js';
import { buildDeadlinesReport } from '../cluster/deadlines-report.js';
import type { OpsContext } from '../cluster/ops-context.js';
import { PLEDGE_SCHEDULE } from '../cluster/pledge/pledge-schedule-kind.js';
import { firstLine } from '../core/errors.js';
import { pollUntil } from '../core/poll-until.js';
import { type Block, block, type Reply } from '../core/reply.js';
import { ROLLBACK_JOURNAL, type RollbackCheckpoint } from './rollback-checkpoint.js';
import { minerProcessesOn, processOf } from './rollback-facts.js';
import { BETWEEN_COMMITS, type RollbackTarget } from './rollback-plan.js';
import type { RollbackStep, StepAction, StepCheck } from './rollback-steps.js';
import { safeWindows } from './safe-window.js';

/** What an approved rollback carries: the steps exactly as approved. */
export interface RollbackPlanData {
  target: RollbackTarget;
  actor: string;
  safeWindowMinutes: number;
  /** How long a check may take to come true (a miner stopping, starting) before it counts as failed. */
  checkWaitMs: number;
  steps: RollbackStep[];
}

type Outcome = { ok: true; detail: string } | { ok: false; detail: string };

const pollEveryMs = 2_000;

/**
 * Carries out the steps one at a time from `from.next`. Before the first step the chain is read again: outside a
 * safe window nothing runs. Each step is checkpointed before it starts and after its check passes, journalled, and
 * told in the request's thread; the first failed check stops the run with the state and the undo of what was done.
 * A step that was under way when the bot died (`from.uncertain`) is run again only if its check does not pass
 * already: a person confirmed the state before this was called.
 */
export async function runRollback(
  ctx: OpsContext,
  plan: RollbackPlanData,
  from: { next: number; uncertain?: number } = { next: 1 },
): Promise<Reply> {
  const total = plan.steps.length;
  const window = await checkOf(ctx, plan, { kind: 'safe-window', minMinutes: plan.safeWindowMinutes });
  if (!window.ok)
    return {
      title: `Rollback not started: ${window.detail}`,
      severity: 'error',
      outcome: 'refused',
      blocks: [
        block.notice('error', `Outside a safe window: ${window.detail}. Nothing was done; run the plan again later.`),
      ],
    };
  await ctx.journal.append(ROLLBACK_JOURNAL, { phase: 'started', target: plan.target, total, from: from.next });
  for (const step of plan.steps.filter((s) => s.n >= from.next)) {
    const checkpoint: RollbackCheckpoint = {
      done: step.n - 1,
      step: step.n,
      title: step.title,
      check: step.checkText,
      phase: 'running',
    };
    await ctx.checkpoint({ ...checkpoint });
    await ctx.journal.append(ROLLBACK_JOURNAL, { phase: 'step-started', step: step.n, total, title: step.title });
    await ctx.progress(`step ${step.n} of ${total}: ${step.title}`);
    let acted: Outcome = { ok: true, detail: 'nothing to run' };
    const already = from.uncertain === step.n ? await checkOf(ctx, plan, step.check) : undefined;
    if (already?.ok) acted = { ok: true, detail: 'found already done after the interruption' };
    else acted = await actionOf(ctx, step.action);
    const checked = acted.ok ? await waitFor(ctx, plan, step.check) : acted;
    if (!checked.ok) {
      await ctx.checkpoint({ done: step.n - 1, failed: step.n });
      await ctx.journal.append(ROLLBACK_JOURNAL, { phase: 'failed', step: step.n, total, detail: checked.detail });
      const reply = failed(plan, step, acted.ok, checked.detail);
      await ctx.tell(reply);
      return reply;
    }
    await ctx.checkpoint({ done: step.n });
    await ctx.journal.append(ROLLBACK_JOURNAL, { phase: 'step-done', step: step.n, total, title: step.title });
    await ctx.tell({
      title: `Step ${step.n} of ${total} done: ${step.title}`,
      severity: 'success',
      blocks: [block.text(`${acted.detail}. Check: ${step.checkText}: ${checked.detail}.`)],
    });
  }
  await ctx.journal.append(ROLLBACK_JOURNAL, { phase: 'finished', total });
  const last = plan.steps.at(-1);
  return {
    title: `Rollback of ${plan.actor} to ${plan.target === 'single' ? 'a single miner' : 'the official lotus'} done: ${total} steps`,
    severity: 'success',
    blocks: [
      block.text(`Every step ran and its check passed.${last ? ` ${last.does}` : ''}`),
      block.text('Watch the next deadline with /deadlines: new faults there mean a storage path is missing.'),
    ],
  };
}

function failed(plan: RollbackPlanData, step: RollbackStep, acted: boolean, detail: string): Reply {
  const done = plan.steps.filter((s) => s.n < step.n);
  const undo = [...(acted && step.action.kind !== 'none' ? [step] : []), ...[...done].reverse()].filter(
    (s) => s.undo !== 'nothing to undo',
  );
  const blocks: Block[] = [
    block.notice(
      'error',
      `Step ${step.n} (${step.title}) failed its check: ${detail}. Steps ${step.n + 1}–${plan.steps.length} were not run.`,
    ),
    block.text(
      done.length > 0
        ? `State: steps 1–${done.length} are done (${done.map((s) => s.title).join('; ')})${acted && step.action.kind !== 'none' ? `, and step ${step.n}'s command ran` : ''}.`
        : `State: nothing was changed before step ${step.n}${acted && step.action.kind !== 'none' ? `, whose command ran` : ''}.`,
    ),
  ];
  if (undo.length > 0) blocks.push(block.list(undo.map((s) => `undo step ${s.n} (${s.title}): ${s.undo}`)));
  return {
    title: `Rollback stopped at step ${step.n} of ${plan.steps.length}: ${step.title}`,
    severity: 'error',
    outcome: 'failed',
    blocks,
  };
}

async function actionOf(ctx: OpsContext, action: StepAction): Promise<Outcome> {
  const { cluster } = ctx;
  try {
    switch (action.kind) {
      case 'none':
        return { ok: true, detail: 'nothing to run' };
      case 'pause-pledges': {
        const active = (await ctx.schedules.list(PLEDGE_SCHEDULE)).filter((s) => s.status === 'active');
        for (const s of active) await ctx.schedules.stop(s.id);
        return {
          ok: true,
          detail: active.length
            ? `stopped pledge schedule(s) ${active.map((s) => s.id).join(', ')}`
            : 'no pledge schedule was active',
        };
      }
      case 'run': {
        const out = await cluster.runOnHost(
          action.host,
          action.argv,
          action.stdin === undefined ? {} : { stdin: action.stdin },
        );
        return out.code === 0
          ? { ok: true, detail: `ran on ${action.host}` }
          : {
              ok: false,
              detail: `the command on ${action.host} exited ${out.code}: ${firstLine(out.stderr) || 'no message'}`,
            };
      }
      case 'run-all': {
        for (const c of action.commands) {
          const out = await cluster.runOnHost(action.host, c.argv, c.stdin === undefined ? {} : { stdin: c.stdin });
          if (out.code !== 0)
            return {
              ok: false,
              detail: `${c.argv.join(' ')} on ${action.host} exited ${out.code}: ${firstLine(out.stderr) || 'no message'}`,
            };
        }
        return { ok: true, detail: `ran ${action.commands.length} commands on ${action.host}` };
      }
      case 'copy-file': {
        const read = await cluster.runOnHost(action.from.host, ['cat', '--', action.from.path]);
        if (read.code !== 0)
          return {
            ok: false,
            detail: `cannot read ${action.from.path} on ${action.from.host}: ${firstLine(read.stderr)}`,
          };
        const write = await cluster.runOnHost(
          action.to.host,
          ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', action.to.path],
          { stdin: read.stdout },
        );
        return write.code === 0
          ? {
              ok: true,
              detail: `copied ${action.from.host}:${action.from.path} to ${action.to.host}:${action.to.path}`,
            }
          : { ok: false, detail: `cannot write ${action.to.path} on ${action.to.host}: ${firstLine(write.stderr)}` };
      }
      case 'copy-dir': {
        const read = await cluster.runOnHost(
          action.from.host,
          ['sh', '-c', 'tar -C "$1" -cf - . | base64', 'sh', action.from.path],
          { maxOutputBytes: 64 * 1024 * 1024 },
        );
        if (read.code !== 0)
          return {
            ok: false,
            detail: `cannot read ${action.from.path} on ${action.from.host}: ${firstLine(read.stderr)}`,
          };
        const write = await cluster.runOnHost(
          action.to.host,
          ['sh', '-c', 'test ! -e "$1" && mkdir -p "$1" && base64 -d | tar -C "$1" -xf -', 'sh', action.to.path],
          { stdin: read.stdout },
        );
        return write.code === 0
          ? { ok: true, detail: `copied ${action.from.path} to ${action.to.host}:${action.to.path}` }
          : { ok: false, detail: `cannot write ${action.to.path} on ${action.to.host} (it must not exist yet)` };
      }
    }
  } catch (error) {
    return { ok: false, detail: firstLine((error as Error).message) };
  }
}

/** A check that may take a while to come true (a process exiting, a miner starting): polled up to checkWaitMs. */
async function waitFor(ctx: OpsContext, plan: RollbackPlanData, check: StepCheck): Promise<Outcome> {
  return pollUntil(
    () => checkOf(ctx, plan, check),
    (outcome) => outcome.ok,
    { withinMs: plan.checkWaitMs, everyMs: pollEveryMs },
  );
}

export async function checkOf(ctx: OpsContext, plan: RollbackPlanData, check: StepCheck): Promise<Outcome> {
  const { cluster } = ctx;
  try {
    switch (check.kind) {
      case 'no-pledge-schedules': {
        const running = await ctx.schedules.list(PLEDGE_SCHEDULE);
        return running.length === 0
          ? { ok: true, detail: 'no pledge schedule is active or paused' }
          : { ok: false, detail: `${running.length} pledge schedule(s) still active or paused` };
      }
      case 'no-precommitted': {
        const counts = await Promise.all(
          check.miners.map(async (name) => {
            const summary = await cluster.miner(name).sectorsSummary();
            return { name, n: BETWEEN_COMMITS.reduce((a, s) => a + (summary[s] ?? 0), 0) };
          }),
        );
        const busy = counts.filter((c) => c.n > 0);
        return busy.length === 0
          ? { ok: true, detail: 'none between PreCommit and ProveCommit' }
          : {
              ok: false,
              detail: `${busy.map((c) => `${c.name} has ${c.n} sector(s) between PreCommit and ProveCommit`).join('; ')}: wait until they are proving`,
            };
      }
      case 'safe-window':
        return await windowCheck(cluster, plan, check.minMinutes, ctx.clock.now());
      case 'miner-down': {
        const miner = cluster.findMiner(check.miner);
        const ps = await minerProcessesOn(cluster, check.host);
        if (typeof ps === 'string') return { ok: false, detail: ps };
        const proc = processOf(miner, ps);
        if (proc) return { ok: false, detail: `pid ${proc.pid} still runs: ${proc.commandLine}` };
        // Sent once (no retries): a refused connection is the answer wanted here.
        const answers = await cluster
          .miner(check.miner)
          .actorAddress({ write: true, timeoutMs: 5_000 })
          .then(
            () => true,
            () => false,
          );
        return answers
          ? {
              ok: false,
              detail: `no process on ${check.host}, but ${check.miner}'s API still answers: it runs elsewhere`,
            }
          : { ok: true, detail: `no process on ${check.host} and its API does not answer` };
      }
      case 'miner-runs': {
        const miner = cluster.findMiner(check.miner);
        const ps = await minerProcessesOn(cluster, check.host);
        if (typeof ps === 'string') return { ok: false, detail: ps };
        const proc = processOf(miner, ps);
        if (!proc) return { ok: false, detail: `no lotus-miner run process of ${check.miner} on ${check.host}` };
        const wrong = [
          proc.windowPost !== check.windowPost ? `--window-post=${proc.windowPost}` : undefined,
          proc.winningPost !== check.winningPost ? `--winning-post=${proc.winningPost}` : undefined,
          check.sectorCounter !== null && proc.sectorCounter !== check.sectorCounter
            ? `--sctype=${proc.sectorCounter ?? '(none)'}`
            : undefined,
        ].filter(Boolean);
        if (wrong.length > 0) return { ok: false, detail: `it runs with ${wrong.join(' ')}: ${proc.commandLine}` };
        const address = await cluster.miner(check.miner).actorAddress({ timeoutMs: 10_000 });
        return address === plan.actor
          ? { ok: true, detail: `pid ${proc.pid} runs with the right flags and answers for ${address}` }
          : { ok: false, detail: `it answers for ${address}, not ${plan.actor}` };
      }
      case 'counter-safe': {
        const read = await cluster.runOnHost(check.host, ['cat', '--', check.path]);
        const value = Number(read.stdout.trim());
        if (read.code !== 0 || !Number.isSafeInteger(value)) return { ok: false, detail: `cannot read ${check.path}` };
        if (value < check.atLeast) return { ok: false, detail: `${check.path} holds ${value}, below ${check.atLeast}` };
        const next = await cluster.fullNode().stateMinerSectorAllocated(plan.actor, value + 1);
        return next
          ? { ok: false, detail: `sector ${value + 1} is already allocated on chain: raise ${check.path}` }
          : { ok: true, detail: `${check.path} holds ${value}; sector ${value + 1} is free on chain` };
      }
      case 'command': {
        const out = await cluster.runOnHost(check.host, check.argv);
        if (out.code !== 0) return { ok: false, detail: `${check.argv.join(' ')} exited ${out.code} on ${check.host}` };
        return out.stdout.includes(check.expect)
          ? { ok: true, detail: `${check.argv.join(' ')} on ${check.host} shows it` }
          : { ok: false, detail: `${check.argv.join(' ')} on ${check.host} does not show ${check.expect}` };
      }
    }
  } catch (error) {
    return { ok: false, detail: firstLine((error as Error).message) };
  }
}

async function windowCheck(
  cluster: ClusterServices,
  plan: RollbackPlanData,
  minMinutes: number,
  now: number,
): Promise<Outcome> {
  const report = await buildDeadlinesReport(cluster.fullNode(), plan.actor, now);
  const verdict = safeWindows(
    report.rows.map((r) => ({
      index: r.index,
      open: r.next.open,
      close: r.next.close,
      state: r.state,
      liveSectors: r.liveSectors,
      partitionsToProve: r.partitions.filter((p) => p.toProve > 0).length,
      partitionsProven: r.partitions.filter((p) => p.toProve > 0 && p.proven).length,
    })),
    report.epoch,
    minMinutes * 2,
  );
  if (verdict.now) return { ok: true, detail: `safe until epoch ${verdict.now.end} (now ${report.epoch})` };
  const next = verdict.windows[0];
  return {
    ok: false,
    detail: next
      ? `no safe window of ${minMinutes} minutes now (epoch ${report.epoch}); the next opens at epoch ${next.start}`
      : `no safe window of ${minMinutes} minutes in the next 24 hours`,
  };
}

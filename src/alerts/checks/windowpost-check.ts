import { formatDuration } from '../../core/duration.js';
import { Bitfield } from '../../lotus/bitfield.js';
import { deadlineSchedule } from '../../lotus/deadline-math.js';
import type { Partition } from '../../lotus/schemas.js';
import { type AlertCheck, type CheckContext, daemonCause, Report, readTogether } from './check.js';

const EPOCH_MS = 30_000;

/**
 * WindowPoSt, per miner actor, from the chain through the internal daemon: the open deadline's partitions still
 * unproven late in its window, faulty sectors (critical once they have lasted long enough to near the 42-day
 * termination), and faults not declared recovered before an upcoming deadline's fault cutoff.
 */
export const windowPostCheck: AlertCheck = {
  name: 'windowpost',
  description: 'Unproven partitions late in the open deadline, faults, recoveries missed before the cutoff',
  defaultEveryMs: 30_000,
  blindSeverity: 'critical',
  home: 'WindowPoSt',
  async run(ctx) {
    const report = new Report(windowPostCheck, ctx.now);
    const actors = [...new Set(ctx.services.topology.miners.map((m) => m.actor))];
    const memory: Record<string, unknown> = {};
    await Promise.all(
      actors.map(async (actor) => {
        memory[actor] = await checkActor(ctx, report, actor, ctx.memory[actor]);
      }),
    );
    return report.outcome(memory);
  },
};

async function checkActor(ctx: CheckContext, report: Report, actor: string, before: unknown): Promise<unknown> {
  const api = ctx.services.fullNode();
  const cause = daemonCause(ctx.services);
  const [dline, deadlines, faults, recoveries] = await readTogether(
    api.rpc,
    [
      api.request('StateMinerProvingDeadline', [actor, []]),
      api.request('StateMinerDeadlines', [actor, []]),
      api.request('StateMinerFaults', [actor, []]),
      api.request('StateMinerRecoveries', [actor, []]),
    ] as const,
    ctx.call,
  );
  if (!dline.ok || !deadlines.ok) {
    const error = dline.ok ? (deadlines as { ok: false; error: unknown }).error : dline.error;
    report.cannotCheck('WindowPoSt', actor, `${actor}'s deadlines`, error, { cause, actor });
    return before;
  }
  const info = dline.value;
  const schedule = deadlineSchedule(info);
  // The open deadline, and the next two: their fault cutoff (70 epochs before they open) may have passed already.
  const upcoming = [1, 2].map((n) => (info.Index + n) % info.WPoStPeriodDeadlines);
  const partitionReads = await readTogether(
    api.rpc,
    [info.Index, ...upcoming].map((d) => api.request('StateMinerPartitions', [actor, d, []])),
    ctx.call,
  );
  const [open, ...next] = partitionReads;
  if (!open?.ok) report.cannotCheck('WindowPoSt', actor, `${actor}'s open deadline`, open?.error, { cause, actor });
  else {
    const proven = Bitfield.fromRuns(deadlines.value[info.Index]?.PostSubmissions ?? null);
    const owing = open.value
      .map((p, i) => ({ p, i }))
      .filter(({ p, i }) => !proven.has(i) && Bitfield.fromRuns(p.ActiveSectors).count() > 0);
    const elapsedMs = (info.CurrentEpoch - info.Open) * EPOCH_MS;
    const leftMs = (info.Close - info.CurrentEpoch) * EPOCH_MS;
    const label = `deadline ${info.Index}`;
    if (owing.length === 0)
      report.ok('WindowPoSt', `${actor} ${label}`, `open, ${open.value.length} partition(s), nothing owed`);
    else if (elapsedMs >= ctx.thresholds.windowPostLateMs) {
      const sectors = owing.reduce((n, { p }) => n + Bitfield.fromRuns(p.ActiveSectors).count(), 0);
      const critical = elapsedMs >= ctx.thresholds.windowPostCriticalMs;
      report.problem('WindowPoSt', `${actor} ${label}`, {
        subject: `${actor}/${label}`,
        severity: critical ? 'critical' : 'warning',
        actor,
        summary: `${actor} ${label}: ${owing.length} of ${open.value.length} partition(s) (${sectors} sectors) not proven, ${formatDuration(leftMs)} left`,
        detail: `Partitions ${owing.map(({ i }) => i).join(', ')} have no WindowPoSt yet. If none lands by epoch ${info.Close}, their sectors turn faulty. Look at the window-post-miner's log (runPost, "submitting window post") and its message in the pool.`,
      });
    } else
      report.ok(
        'WindowPoSt',
        `${actor} ${label}`,
        `open ${formatDuration(elapsedMs)}, ${owing.length} of ${open.value.length} partition(s) still to prove`,
      );
  }

  next.forEach((read, n) => {
    const index = upcoming[n] as number;
    const times = schedule[index];
    if (!read?.ok || !times?.faultCutoffPassed) return;
    const undeclared = read.value.reduce((sum, p: Partition) => {
      const faulty = Bitfield.fromRuns(p.FaultySectors).subtract(Bitfield.fromRuns(p.RecoveringSectors));
      return sum + faulty.count();
    }, 0);
    if (undeclared === 0) return;
    report.problem('WindowPoSt', `${actor} deadline ${index}`, {
      subject: `${actor}/deadline ${index} undeclared`,
      severity: 'warning',
      actor,
      summary: `${actor} deadline ${index}: ${undeclared} faulty sector(s) not declared recovered before its fault cutoff`,
      detail: `They will not be proven when deadline ${index} opens (in ${formatDuration(times.epochsUntilOpen * EPOCH_MS)}) and pay the fault fee again. Declare them with lotus-miner proving recover-faults before the next cutoff.`,
    });
  });

  if (!faults.ok || !recoveries.ok) {
    const error = faults.ok ? (recoveries as { ok: false; error: unknown }).error : faults.error;
    report.cannotCheck('WindowPoSt', `${actor}/faults`, `${actor}'s faults`, error, { cause, actor });
    return before;
  }
  const faulty = Bitfield.fromRuns(faults.value);
  const recovering = Bitfield.fromRuns(recoveries.value);
  const remembered = faultMemory(before);
  // Sectors that turned faulty while the bot watched and are not declared recovering yet: proofs failing now.
  const fresh = remembered
    ? faulty.subtract(remembered.faulty).union(remembered.fresh.intersect(faulty)).subtract(recovering)
    : Bitfield.empty;
  if (faulty.count() === 0) report.ok('WindowPoSt', `${actor} faults`, 'none');
  else
    report.problem('WindowPoSt', `${actor} faults`, {
      subject: `${actor}/faults`,
      severity: fresh.count() > 0 ? 'critical' : 'warning',
      actor,
      summary:
        fresh.count() > 0
          ? `${actor}: ${fresh.count()} sector(s) turned faulty and are not declared recovering (${faulty.count()} faulty in all)`
          : `${actor} has ${faulty.count()} faulty sector(s), ${recovering.count()} declared recovering`,
      detail:
        'Faulty sectors earn nothing and pay a fee each day; after 42 days faulty they are terminated. lotus-miner proving faults lists them; lotus-miner proving check finds unreadable ones.',
      escalate: {
        afterMs: ctx.thresholds.faultCriticalMs,
        to: 'critical',
        because: `Faults have lasted ${formatDuration(ctx.thresholds.faultCriticalMs)} (as far as the bot has seen): sectors faulty 42 days are terminated.`,
      },
    });
  return { faulty: faulty.toRuns(), fresh: fresh.toRuns() };
}

function faultMemory(value: unknown): { faulty: Bitfield; fresh: Bitfield } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { faulty, fresh } = value as { faulty?: unknown; fresh?: unknown };
  if (!Array.isArray(faulty) || !Array.isArray(fresh)) return undefined;
  try {
    return { faulty: Bitfield.fromRuns(faulty as number[]), fresh: Bitfield.fromRuns(fresh as number[]) };
  } catch {
    return undefined;
  }
}

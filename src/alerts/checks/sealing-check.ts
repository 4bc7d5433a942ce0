import { formatDuration } from '../../core/duration.js';
import { countsAsSealing, sectorStateGroup, sectorStateGroups } from '../../lotus/sector-states.js';
import { type AlertCheck, type CheckContext, Report, readTogether } from './check.js';

/** Sectors whose history is read per pass at most: a pipeline larger than this is judged by its first ones. */
const MAX_SECTORS_READ = 400;
/** WorkerJobs RunWait ≥ 2: assigned to a worker, waiting in its queue (0 runs, 1 prepared). */
const ASSIGNED = 2;
const PC1 = 'seal/v0/precommit/1';

const watched = [...sectorStateGroups.sealing, 'AddPiece', ...sectorStateGroups.failed];

/**
 * Sealing, per seal- and deal-miner: sectors in one state longer than that state's threshold, sectors in failed
 * states, an empty pipeline while PC1 workers idle, and jobs assigned to a worker but not running for hours.
 * Sectors are grouped per state: one alert for "7 sectors stuck in PreCommit1", not seven.
 */
export const sealingCheck: AlertCheck = {
  name: 'sealing',
  description: 'Sectors stuck in a state or failed, an idle pipeline, jobs assigned and not running',
  defaultEveryMs: 5 * 60_000,
  blindSeverity: 'warning',
  home: 'Sealing',
  async run(ctx) {
    const report = new Report(sealingCheck, ctx.now);
    const miners = ctx.services.topology.miners.filter((m) => m.roles.includes('seal') || m.roles.includes('deal'));
    await Promise.all(miners.map((m) => checkMiner(ctx, report, m.name, m.actor)));
    return report.outcome();
  },
};

async function checkMiner(ctx: CheckContext, report: Report, miner: string, actor: string): Promise<void> {
  const api = ctx.services.miner(miner);
  const [listed, jobs, workers] = await readTogether(
    api.rpc,
    [
      api.request('SectorsListInStates', [watched]),
      api.request('WorkerJobs', []),
      api.request('WorkerStats', []),
    ] as const,
    ctx.call,
  );
  if (!listed.ok) {
    report.cannotCheck('Sealing', miner, `${miner}'s sectors`, listed.error, { actor, cause: `miners:${miner}` });
    return;
  }
  const numbers = [...listed.value].sort((a, b) => a - b).slice(0, MAX_SECTORS_READ);
  const statuses = await readTogether(
    api.rpc,
    numbers.map((n) => api.request('SectorsStatus', [n, false])),
    ctx.call,
  );
  const byState = new Map<string, Array<{ sector: number; sinceMs: number; lastErr: string }>>();
  statuses.forEach((read, i) => {
    if (!read.ok) return;
    const entered = read.value.Log.at(-1)?.Timestamp;
    const sinceMs = entered === undefined ? 0 : ctx.now - entered * 1000;
    const list = byState.get(read.value.State) ?? [];
    list.push({ sector: numbers[i] as number, sinceMs, lastErr: read.value.LastErr });
    byState.set(read.value.State, list);
  });
  const unread = statuses.filter((r) => !r.ok).length;
  if (unread > 0) report.note('Sealing', miner, `${unread} sector(s) could not be read`);

  let sealing = 0;
  for (const [state, sectors] of [...byState].sort(([a], [b]) => a.localeCompare(b))) {
    if (countsAsSealing(state)) sealing += sectors.length;
    if (sectorStateGroup(state) === 'failed') {
      const first = sectors[0];
      report.problem('Sealing', `${miner} ${state}`, {
        subject: `${miner}/${state}`,
        severity: 'warning',
        actor,
        summary: `${miner}: ${sectors.length} sector(s) in ${state}${first?.lastErr ? `: ${first.lastErr}` : ''}`,
        detail: `Sectors ${list(sectors.map((s) => s.sector))}. lotus-miner sectors status --log <n> shows why; lotus will retry some failures itself, others need lotus-miner sectors remove.`,
      });
      continue;
    }
    const limit = ctx.thresholds.sealingStateMs(state);
    const stuck = sectors.filter((s) => s.sinceMs > limit).sort((a, b) => b.sinceMs - a.sinceMs);
    if (stuck.length === 0) continue;
    const oldest = stuck[0] as { sector: number; sinceMs: number };
    report.problem('Sealing', `${miner} ${state}`, {
      subject: `${miner}/${state}`,
      severity: 'warning',
      actor,
      summary: `${miner}: ${stuck.length} sector(s) in ${state} for over ${formatDuration(limit)} (sector ${oldest.sector}: ${formatDuration(oldest.sinceMs)})`,
      detail: `Sectors ${list(stuck.map((s) => s.sector))}. lotus-miner sealing jobs shows whether a worker holds them; a sector no worker takes waits for one with that task enabled and free resources.`,
    });
  }
  report.ok('Sealing', miner, `${sealing} sector(s) in the pipeline`);

  if (jobs.ok) {
    const names = new Map(workers.ok ? Object.entries(workers.value).map(([id, w]) => [id, w.Info.Hostname]) : []);
    const waiting = Object.entries(jobs.value).flatMap(([worker, list]) =>
      list
        .filter((j) => j.RunWait >= ASSIGNED && ctx.now - Date.parse(j.Start) > ctx.thresholds.jobAssignedMs)
        .map((j) => ({ ...j, worker: names.get(worker) ?? j.Hostname })),
    );
    if (waiting.length > 0) {
      const oldest = waiting.reduce((a, b) => (Date.parse(a.Start) <= Date.parse(b.Start) ? a : b));
      report.problem('Sealing', `${miner} assigned jobs`, {
        subject: `${miner}/assigned jobs`,
        severity: 'warning',
        actor,
        summary: `${miner}: ${waiting.length} job(s) assigned and not running for over ${formatDuration(ctx.thresholds.jobAssignedMs)} (oldest: ${oldest.Task.split('/').slice(-2).join('/')} of sector ${oldest.Sector.Number} on ${oldest.worker}, ${formatDuration(ctx.now - Date.parse(oldest.Start))})`,
        detail:
          "Assigned jobs wait for the worker's resources or its task limit. lotus-miner sealing jobs lists them; a worker that holds jobs it never starts may need a restart.",
      });
    }
    if (workers.ok && sealing === 0) {
      const pc1 = Object.entries(workers.value).filter(([, w]) => w.Enabled && w.Tasks.includes(PC1));
      const busy = new Set(
        Object.entries(jobs.value)
          .filter(([, l]) => l.length > 0)
          .map(([id]) => id),
      );
      const idle = pc1.filter(([id]) => !busy.has(id));
      if (pc1.length > 0 && idle.length === pc1.length)
        report.problem('Sealing', `${miner} pipeline`, {
          subject: `${miner}/pipeline empty`,
          severity: 'warning',
          actor,
          summary: `${miner}: no sector is sealing while ${idle.length} PC1 worker(s) idle`,
          detail: 'Pledge sectors (/pledge), or check why the pledge schedule stopped.',
        });
    }
  } else
    report.cannotCheck('Sealing', `${miner}/jobs`, `${miner}'s sealing jobs`, jobs.error, {
      actor,
      cause: `miners:${miner}`,
    });
}

function list(numbers: number[]): string {
  return numbers.length > 12
    ? `${numbers.slice(0, 12).join(', ')} and ${numbers.length - 12} more`
    : numbers.join(', ');
}

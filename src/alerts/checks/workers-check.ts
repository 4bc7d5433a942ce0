import { formatDuration } from '../../core/duration.js';
import type { WorkerStats } from '../../lotus/schemas.js';
import { type AlertCheck, type CheckContext, Report } from './check.js';

const C2 = 'seal/v0/commit/2';
/** A worker gone longer than this is forgotten (it was retired on purpose, or it comes back under a new id). */
const FORGET_AFTER_MS = 3 * 24 * 3_600_000;

interface Remembered {
  name: string;
  lastSeen: number;
  drainSince?: number;
}

/**
 * Workers, per seal- and deal-miner, from WorkerStats: a worker gone since an earlier pass (or configured and never
 * seen), disabled, a C2 worker that sees no GPU (C2 then runs on the CPU, for hours), and drain mode (the fork's
 * IsPlanOffline) left on longer than the threshold. Remembers the workers it saw and when drain mode began.
 */
export const workersCheck: AlertCheck = {
  name: 'workers',
  description: 'Workers gone, disabled, GPU workers without a GPU, drain mode left on',
  defaultEveryMs: 60_000,
  blindSeverity: 'warning',
  home: 'Workers',
  async run(ctx) {
    const report = new Report(workersCheck, ctx.now);
    const miners = ctx.services.topology.miners.filter((m) => m.roles.includes('seal') || m.roles.includes('deal'));
    const memory: Record<string, unknown> = {};
    await Promise.all(
      miners.map(async (m) => {
        memory[m.name] = await checkMiner(ctx, report, m.name, m.actor, remembered(ctx.memory[m.name]));
      }),
    );
    return report.outcome(memory);
  },
};

async function checkMiner(
  ctx: CheckContext,
  report: Report,
  miner: string,
  actor: string,
  before: Record<string, Remembered>,
): Promise<Record<string, Remembered>> {
  let stats: Record<string, WorkerStats>;
  try {
    stats = await ctx.services.miner(miner).workerStats(ctx.call);
  } catch (error) {
    report.cannotCheck('Workers', miner, `${miner}'s workers`, error, { actor, cause: `miners:${miner}` });
    return before;
  }
  const now = ctx.now;
  const after: Record<string, Remembered> = {};
  const present = new Set<string>();
  for (const [id, worker] of Object.entries(stats)) {
    const name = worker.Info.Hostname;
    present.add(name);
    const fork = worker.Info.Resources as { IsPlanOffline?: unknown };
    const draining = fork.IsPlanOffline === true;
    const drainSince = draining ? (before[id]?.drainSince ?? now) : undefined;
    after[id] = { name, lastSeen: now, ...(drainSince === undefined ? {} : { drainSince }) };
    const label = `${miner} ${name}`;
    let fine = true;
    if (!worker.Enabled) {
      fine = false;
      report.problem('Workers', label, {
        subject: `${miner}/${name} disabled`,
        severity: 'warning',
        actor,
        summary: `${name} (${miner}) is disabled: it takes no new tasks`,
        detail:
          'Disabled with lotus-worker tasks disable or on shutdown. lotus-worker tasks enable --all brings it back.',
      });
    }
    if (worker.Tasks.includes(C2) && worker.Info.Resources.GPUs.length === 0) {
      fine = false;
      report.problem('Workers', label, {
        subject: `${miner}/${name} no GPU`,
        severity: 'warning',
        actor,
        summary: `${name} (${miner}) does C2 but sees no GPU: C2 runs on the CPU, for hours`,
        detail:
          'Check nvidia-smi on the host, CUDA_VISIBLE_DEVICES and BELLMAN_NO_GPU in its environment (it must be unset; any value, even 0, forces the CPU on older bellperson).',
      });
    }
    if (drainSince !== undefined) {
      fine = false;
      const lasted = now - drainSince;
      if (lasted >= ctx.thresholds.drainModeMs)
        report.problem('Workers', label, {
          subject: `${miner}/${name} drain`,
          severity: 'warning',
          actor,
          summary: `${name} (${miner}) has been in drain mode for ${formatDuration(lasted)} (IsPlanOffline=true)`,
          detail:
            'In drain mode it finishes what it holds and takes nothing new. Set IsPlanOffline back to false in its myscheduler.json when it returns to service.',
        });
      else report.note('Workers', label, `draining (IsPlanOffline=true) for ${formatDuration(lasted)}`);
    }
    if (fine) report.ok('Workers', label, 'connected');
  }
  // Gone: seen at an earlier pass (kept until it returns, or for a few days), or configured and not connected.
  const configured = ctx.services.topology.hosts.flatMap((h) =>
    h.workers.filter((w) => w.miner === miner).map((w) => w.name),
  );
  // Several workers on one host may share a name: a gone one is told apart by its id.
  const gone = new Map<string, number | undefined>();
  for (const [id, was] of Object.entries(before)) {
    if (stats[id] !== undefined || now - was.lastSeen > FORGET_AFTER_MS) continue;
    after[id] = { name: was.name, lastSeen: was.lastSeen };
    gone.set(present.has(was.name) ? `${was.name} (${id.slice(0, 8)})` : was.name, was.lastSeen);
  }
  for (const name of configured) if (!present.has(name) && !gone.has(name)) gone.set(name, undefined);
  for (const [name, lastSeen] of gone)
    report.problem('Workers', `${miner} ${name}`, {
      subject: `${miner}/${name} gone`,
      severity: 'warning',
      actor,
      summary: `${name} is not connected to ${miner}${lastSeen === undefined ? ' (configured, not seen)' : ` (last seen ${formatDuration(now - lastSeen)} ago)`}`,
      detail:
        'Its tasks stall until it returns or lotus reassigns them. Check the lotus-worker process and its host; lotus-miner sealing workers lists who is connected.',
    });
  return after;
}

function remembered(value: unknown): Record<string, Remembered> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, Remembered> = {};
  for (const [id, entry] of Object.entries(value as Record<string, unknown>)) {
    const e = entry as Partial<Remembered>;
    if (typeof e?.name !== 'string' || typeof e.lastSeen !== 'number') continue;
    out[id] = {
      name: e.name,
      lastSeen: e.lastSeen,
      ...(typeof e.drainSince === 'number' ? { drainSince: e.drainSince } : {}),
    };
  }
  return out;
}

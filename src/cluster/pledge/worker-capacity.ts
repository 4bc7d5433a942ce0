import type { WorkerStats } from '../../lotus/schemas.js';

const AP = 'seal/v0/addpiece';
const PC1 = 'seal/v0/precommit/1';

/** What one sealing worker can take now, as the miner's WorkerStats shows it. */
export interface WorkerCapacity {
  id: string;
  hostname: string;
  enabled: boolean;
  /** The fork's drain mode (`IsPlanOffline`): finishes what it holds, takes nothing new. */
  draining: boolean;
  /** The fork's disk quota (`DiskHoldMax`/`APDiskHoldMax`) is reached: no new AP. */
  outOfQuota: boolean;
  canAddPiece: boolean;
  canPreCommit1: boolean;
  apRunning: number;
  /** AddPieceMax from the fork's scheduler (reported by the miner or read from myscheduler.json), else lotus's
   * MaxConcurrent for AP, else undefined (unknown). */
  apMax: number | undefined;
  apMaxSource: 'myscheduler' | 'resources' | 'unknown';
  pc1Running: number;
  pc1Max: number | undefined;
  /** Whether this worker counts for pledging now: AP-capable, enabled, not draining, within quota. */
  takesAddPiece: boolean;
  /** AP slots free now; 1 when the limit is unknown (a worker that supports AP takes at least one). */
  freeAddPiece: number;
}

function running(stats: WorkerStats, task: string): number {
  let n = 0;
  for (const [key, count] of Object.entries(stats.TaskCounts)) if (key.endsWith(`:${task}`)) n += count;
  return n;
}

/** lotus's MaxConcurrent for a task, for any proof type; 0 means "no explicit limit". */
function maxConcurrent(stats: WorkerStats, task: string): number | undefined {
  const perProof = stats.Info.Resources.Resources[task];
  if (!perProof) return undefined;
  const limits = Object.values(perProof)
    .map((r) => r.MaxConcurrent)
    .filter((n) => n > 0);
  return limits.length ? Math.max(...limits) : undefined;
}

/**
 * The sealing workers' capacity, read from WorkerStats alone. The fork's extra fields (AddPieceMax, IsPlanOffline,
 * DiskHoldMax, …) are used when the miner sends them; an upstream miner's workers fall back to lotus's own
 * MaxConcurrent, and otherwise to "supports AP, so takes one".
 */
export function workerCapacities(stats: Record<string, WorkerStats>): WorkerCapacity[] {
  return Object.entries(stats)
    .filter(([, s]) => !(s.Tasks[0]?.startsWith('post/') ?? false))
    .map(([id, s]) => {
      const r = s.Info.Resources;
      const canAddPiece = s.Tasks.includes(AP) && (r.AddPieceMax === undefined || r.AddPieceMax > 0);
      const canPreCommit1 = s.Tasks.includes(PC1) && (r.PreCommit1Max === undefined || r.PreCommit1Max > 0);
      const draining = r.IsPlanOffline === true;
      // An AP needs one quota unit of headroom in the fork's accounting (a PC1 needs 14).
      const outOfQuota =
        r.IgnoreOutOfSpace !== true &&
        ((r.DiskHoldMax !== undefined && r.DiskHoldMax > 0 && (r.DiskUsed ?? 0) + 1 > r.DiskHoldMax) ||
          (r.APDiskHoldMax !== undefined && r.APDiskHoldMax > 0 && (r.APDiskUsed ?? 0) + 1 > r.APDiskHoldMax));
      const apRunning = running(s, AP);
      const resourcesMax = maxConcurrent(s, AP);
      const apMax = r.AddPieceMax ?? resourcesMax;
      const apMaxSource =
        r.AddPieceMax !== undefined ? 'myscheduler' : resourcesMax !== undefined ? 'resources' : 'unknown';
      const takesAddPiece = canAddPiece && s.Enabled && !draining && !outOfQuota;
      const freeAddPiece = !takesAddPiece
        ? 0
        : apMax === undefined
          ? apRunning === 0
            ? 1
            : 0
          : Math.max(0, apMax - apRunning);
      return {
        id,
        hostname: s.Info.Hostname,
        enabled: s.Enabled,
        draining,
        outOfQuota,
        canAddPiece,
        canPreCommit1,
        apRunning,
        apMax,
        apMaxSource,
        pc1Running: running(s, PC1),
        pc1Max: r.PreCommit1Max ?? maxConcurrent(s, PC1),
        takesAddPiece,
        freeAddPiece,
      } satisfies WorkerCapacity;
    })
    .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}

/**
 * How many sectors each mode starts: `per-worker` = one AP for every worker that takes AP (`mypledgeonce`);
 * `fill` = every such worker's free AP slots (`mypledge`: AddPieceMax, minus APs already running).
 */
export function sectorsForMode(mode: 'per-worker' | 'fill', workers: WorkerCapacity[]): number {
  const takers = workers.filter((w) => w.takesAddPiece);
  if (mode === 'per-worker') return takers.length;
  return takers.reduce((n, w) => n + w.freeAddPiece, 0);
}

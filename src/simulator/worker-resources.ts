import { type TaskShortName, type TaskType, taskTypes } from '../lotus/task-types.js';

export interface Resources {
  MinMemory: number;
  MaxMemory: number;
  GPUUtilization: number;
  MaxParallelism: number;
  MaxParallelismGPU: number;
  BaseMinMemory: number;
  MaxConcurrent: number;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Seal proof types the table covers: 8 = 32 GiB V1_1, 9 = 64 GiB V1_1. */
export const sealProofs = { 32: 8, 64: 9 } as const;
const sizeOfProof: Record<string, '32G' | '64G'> = { '8': '32G', '9': '64G' };

function r(min: number, max: number, gpu: number, par: number, parGpu: number, base: number): Resources {
  return {
    MinMemory: min,
    MaxMemory: max,
    GPUUtilization: gpu,
    MaxParallelism: par,
    MaxParallelismGPU: parGpu,
    BaseMinMemory: base,
    MaxConcurrent: 0,
  };
}

/** lotus's default resource table (storiface/resources.go), for the short names the simulator's workers run. */
const defaults: Partial<Record<TaskShortName, Record<'32G' | '64G', Resources>>> = {
  AP: { '32G': r(4 * GiB, 4 * GiB, 0, 1, 0, GiB), '64G': r(8 * GiB, 8 * GiB, 0, 1, 0, GiB) },
  PC1: { '32G': r(56 * GiB, 64 * GiB, 0, 1, 0, 10 * MiB), '64G': r(112 * GiB, 128 * GiB, 0, 1, 0, 10 * MiB) },
  PC2: { '32G': r(15 * GiB, 15 * GiB, 1, -1, 6, GiB), '64G': r(30 * GiB, 30 * GiB, 1, -1, 6, GiB) },
  C1: { '32G': r(GiB, GiB, 0, 0, 0, GiB), '64G': r(GiB, GiB, 0, 0, 0, GiB) },
  C2: { '32G': r(30 * GiB, 150 * GiB, 1, -1, 6, 32 * GiB), '64G': r(60 * GiB, 190 * GiB, 1, -1, 6, 64 * GiB) },
  FIN: { '32G': r(GiB, GiB, 0, 0, 0, GiB), '64G': r(GiB, GiB, 0, 0, 0, GiB) },
  GET: { '32G': r(MiB, MiB, 0, 0, 0, 0), '64G': r(MiB, MiB, 0, 0, 0, 0) },
  UNS: { '32G': r(56 * GiB, 64 * GiB, 0, 1, 0, 10 * MiB), '64G': r(112 * GiB, 128 * GiB, 0, 1, 0, 10 * MiB) },
  RU: { '32G': r(4 * GiB, 4 * GiB, 1, 1, 6, GiB), '64G': r(8 * GiB, 8 * GiB, 1, 1, 6, GiB) },
  PR2: { '32G': r(30 * GiB, 150 * GiB, 1, -1, 6, 32 * GiB), '64G': r(60 * GiB, 190 * GiB, 1, -1, 6, 64 * GiB) },
  WDP: { '32G': r(30 * GiB, 96 * GiB, 1, -1, 6, 32 * GiB), '64G': r(60 * GiB, 120 * GiB, 1, -1, 6, 64 * GiB) },
  WNP: { '32G': r(GiB, GiB, 1, -1, 6, 32 * GiB), '64G': r(GiB, GiB, 1, -1, 6, 64 * GiB) },
};

const fieldOfEnv: Record<string, keyof Resources> = {
  MIN_MEMORY: 'MinMemory',
  MAX_MEMORY: 'MaxMemory',
  GPU_UTILIZATION: 'GPUUtilization',
  MAX_PARALLELISM: 'MaxParallelism',
  MAX_PARALLELISM_GPU: 'MaxParallelismGPU',
  BASE_MIN_MEMORY: 'BaseMinMemory',
  MAX_CONCURRENT: 'MaxConcurrent',
};

function envValue(
  env: Readonly<Record<string, string>>,
  short: string,
  size: string,
  field: string,
): number | undefined {
  const raw = env[`${short}_${size}_${field}`] ?? env[`${short}_${field}`];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The worker's effective resource table, as `lotus-worker` computes it from its env (lotus-api.md §7.3): the
 * defaults, PC1/UNS parallelism from multicore SDR, then `<SHORT>[_<SIZE>]_<FIELD>` overrides.
 */
export function effectiveResources(env: Readonly<Record<string, string>>): Record<TaskType, Record<string, Resources>> {
  const multicore = env.FIL_PROOFS_USE_MULTICORE_SDR === '1';
  const producers = Number(env.FIL_PROOFS_MULTICORE_SDR_PRODUCERS ?? '3') || 3;
  const table = {} as Record<TaskType, Record<string, Resources>>;
  for (const [taskType, short] of Object.entries(taskTypes) as Array<[TaskType, TaskShortName]>) {
    const rows = defaults[short];
    if (!rows) continue;
    const byProof: Record<string, Resources> = {};
    for (const [proof, size] of Object.entries(sizeOfProof)) {
      const row = { ...rows[size] };
      if (multicore && (short === 'PC1' || short === 'UNS')) row.MaxParallelism = producers + 1;
      for (const [envField, key] of Object.entries(fieldOfEnv)) {
        const value = envValue(env, short, size, envField);
        if (value !== undefined) row[key] = value;
      }
      byProof[proof] = row;
    }
    table[taskType] = byProof;
  }
  return table;
}

/** The GPUs a worker process sees: CUDA_VISIBLE_DEVICES narrows the host's list (lotus asks the CUDA runtime). */
export function visibleGpus(hostGpus: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const visible = env.CUDA_VISIBLE_DEVICES ?? env.NVIDIA_VISIBLE_DEVICES;
  if (visible === undefined || visible === 'all') return [...hostGpus];
  const indexes = visible
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 0 && n < hostGpus.length);
  return indexes.map((i) => hostGpus[i] as string);
}

/** Threads a running task takes, as lotus's scheduler counts them. */
export function taskThreads(res: Resources, cpus: number, gpus: number): number {
  const onGpu = gpus > 0 && res.GPUUtilization > 0;
  if (res.MaxParallelism === -1) return onGpu ? res.MaxParallelismGPU : Math.floor(cpus * 0.92);
  return onGpu && res.MaxParallelismGPU > 0 ? res.MaxParallelismGPU : res.MaxParallelism;
}

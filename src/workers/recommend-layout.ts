import type { HostFacts } from './host-facts.js';

export type WorkerKind = 'ap' | 'pc1' | 'pc2' | 'c2';
export type SectorSize = '32G' | '64G';

export interface EnvSetting {
  name: string;
  /** Undefined: the variable must be unset (BELLMAN_NO_GPU). */
  value: string | undefined;
  reason: string;
}

export interface WorkerLayout {
  /** LOTUS_WORKER_NAME, e.g. sealer-01-pc1-0. */
  name: string;
  env: EnvSetting[];
  /** --listen HOST:PORT. */
  listen: string;
  /** lotus-worker run flags beyond --listen (task switches). */
  flags: string[];
  /** The fork's myscheduler.json for this worker. */
  scheduler: Record<string, string | number | boolean>;
  /** One line: what this process does and how much of the machine it takes. */
  summary: string;
}

export interface LayoutContext {
  host: string;
  /** The address workers listen on (the host's own). */
  address: string;
  kind: WorkerKind;
  sector: SectorSize;
  /** The miner whose MINER_API_INFO the workers get: its multiaddr (the token is never shown). */
  miner: { name: string; multiaddr: string };
  /** Where the worker repositories go: one directory per process under it. */
  repoBase: string;
  paths: { parameters: string; parents: string; tmp: string };
}

export interface Layout {
  workers: WorkerLayout[];
  /** What the layout is based on, for the reader: cores, groups, memory, GPUs. */
  basis: string[];
  /** Where the advice usually given (the FAQ) and this machine disagree, or something will not work. */
  notes: string[];
}

const GiB = 2 ** 30;
/** Per sector, from lotus's resource table (storiface/resources.go, MaxMemory). */
const pc1Memory: Record<SectorSize, number> = { '32G': 64 * GiB, '64G': 128 * GiB };
/** Left to the system and the page cache, which holds the ~56 GiB SDR parent cache that every PC1 reads. */
const RESERVED = 64 * GiB;
/** The fork's SDR slots are 2 cores each (ENV_CPU_CORE_* count them). */
const SLOT_CORES = 2;
/** lotus's default producers, used when a complex has room for more. */
const DEFAULT_PRODUCERS = 3;
const FIRST_PORT = 3450;
/** C2 peak memory by NUM_HANDLES, from the fork's measurements: 10 → 212 GB, 15 → 255 GB. */
const c2PeakGB = (handles: number) => 126 + 8.6 * handles;

/**
 * The worker processes a machine should run for one kind of work, each with its environment and the reason for each
 * variable. Pure: the host's facts in, the layout out.
 */
export function recommendLayout(facts: HostFacts, ctx: LayoutContext): Layout {
  const basis = [
    `${facts.model}: ${facts.sockets} socket(s), ${facts.cores} cores (${facts.threads} threads), ${facts.numaNodes} NUMA node(s)`,
    `${facts.l3Groups.length} L3 group(s) of ${describeGroups(facts.l3Groups)} core(s)`,
    `${Math.round(facts.memoryBytes / GiB)} GiB of memory`,
    facts.gpus.length > 0
      ? `${facts.gpus.length} GPU(s): ${facts.gpus.map((g) => `${g.index} ${g.name} (${Math.round(g.memoryMiB / 1024)} GiB)`).join(', ')}${facts.driver ? `; driver ${facts.driver}` : ''}`
      : 'no GPU',
  ];
  switch (ctx.kind) {
    case 'pc1':
      return pc1Layout(facts, ctx, basis);
    case 'pc2':
    case 'c2':
      return gpuLayout(facts, ctx, basis);
    case 'ap':
      return apLayout(facts, ctx, basis);
  }
}

function describeGroups(groups: number[][]): string {
  const sizes = [...new Set(groups.map((g) => g.length))].sort((a, b) => a - b);
  return sizes.join(' or ');
}

/** What every worker process needs: its repository, its name, its miner, its own temporary directory. */
function common(ctx: LayoutContext, name: string): EnvSetting[] {
  return [
    {
      name: 'LOTUS_WORKER_PATH',
      value: `${ctx.repoBase.replace(/\/+$/, '')}/${name}`,
      reason: "this worker's repository; its myscheduler.json lives here",
    },
    {
      name: 'LOTUS_WORKER_NAME',
      value: name,
      reason: 'how the miner and the bot tell this process from the others on the host',
    },
    {
      name: 'MINER_API_INFO',
      value: `<TOKEN>:${ctx.miner.multiaddr}`,
      reason: `it works for ${ctx.miner.name}; make the token there: lotus-miner auth create-token --perm admin`,
    },
    {
      name: 'TMPDIR',
      value: `${ctx.paths.tmp.replace(/\/+$/, '')}/${name}`,
      reason: 'its own temporary directory: GPU lock files must not be shared between workers',
    },
  ];
}

function pc1Layout(facts: HostFacts, ctx: LayoutContext, basis: string[]): Layout {
  const notes: string[] = [];
  const smallest = Math.min(...facts.l3Groups.map((g) => g.length));
  // Multicore SDR: the main thread and its producers must share one L3 group.
  const producers = Math.max(1, Math.min(DEFAULT_PRODUCERS, smallest - 1));
  const multicore = smallest >= 2;
  const perGroup = facts.l3Groups.map((g) => (multicore ? Math.floor(g.length / (producers + 1)) : g.length));
  const byCpu = perGroup.reduce((a, b) => a + b, 0);
  const byMemory = Math.max(0, Math.floor((facts.memoryBytes - RESERVED) / pc1Memory[ctx.sector]));
  const tasks = Math.max(0, Math.min(byCpu, byMemory));
  basis.push(
    `PC1 at once: ${byCpu} by cores (${multicore ? `${producers + 1} cores each inside one L3 group` : 'one core each'}), ${byMemory} by memory (${Math.round(pc1Memory[ctx.sector] / GiB)} GiB each, ${Math.round(RESERVED / GiB)} GiB kept for the system and the parent cache): ${tasks}`,
  );
  if (/EPYC 7302\b/.test(facts.model) || smallest === 2)
    notes.push(
      `The FAQ suggests FIL_PROOFS_MULTICORE_SDR_PRODUCERS=2 for an EPYC 7302. This machine's L3 groups hold ${smallest} cores, and producers + 1 cores must fit in one: 2 producers would spill across complexes, so ${producers} is recommended. (The later docs moved the "2 producers" advice to the 7402, whose complexes have 3 cores.)`,
    );
  if (tasks === 0) notes.push('Not enough memory for one PC1 task of this sector size.');
  const slots = Math.floor(facts.cores / SLOT_CORES);
  // One process per NUMA node keeps each PC1's memory local; its slot range covers its share of the cores.
  const processes = Math.max(1, Math.min(facts.numaNodes, tasks || 1));
  const workers: WorkerLayout[] = [];
  let slotStart = 0;
  let taskStart = 0;
  for (let i = 0; i < processes; i++) {
    const slotEnd = Math.round((slots * (i + 1)) / processes);
    const taskEnd = Math.round((tasks * (i + 1)) / processes);
    const mine = taskEnd - taskStart;
    const name = `${ctx.host}-pc1-${i}`;
    const env: EnvSetting[] = [
      ...common(ctx, name),
      {
        name: 'FIL_PROOFS_USE_MULTICORE_SDR',
        value: multicore ? '1' : '0',
        reason: multicore
          ? 'PC1 runs on a whole core complex, its layers ~2× faster'
          : 'one-core L3 groups: multicore SDR has no complex to use',
      },
      ...(multicore
        ? [
            {
              name: 'FIL_PROOFS_MULTICORE_SDR_PRODUCERS',
              value: String(producers),
              reason: `producers + 1 = ${producers + 1} cores fit in each ${smallest}-core L3 group (measured, not looked up by model)`,
            },
          ]
        : []),
      {
        name: 'ENV_CPU_CORE_BEGIN_NUM',
        value: String(slotStart),
        reason: `the fork's 2-core SDR slots this process binds to: [${slotStart}, ${slotEnd}) of ${slots} on the host, no overlap with the others`,
      },
      { name: 'ENV_CPU_CORE_END_NUM', value: String(slotEnd), reason: 'end of the range, exclusive' },
      {
        name: 'FIL_PROOFS_PARENT_CACHE',
        value: ctx.paths.parents,
        reason: 'the SDR parent cache (~56 GiB), on a fast local disk',
      },
      {
        name: 'FIL_PROOFS_PARAMETER_CACHE',
        value: ctx.paths.parameters,
        reason: 'proof parameters; PC1 reads none, but lotus-worker checks them at start',
      },
      {
        name: `PC1_${ctx.sector}_MAX_CONCURRENT`,
        value: String(mine),
        reason: 'the same limit for an upstream lotus-worker, which has no myscheduler.json',
      },
    ];
    workers.push({
      name,
      env,
      listen: `${ctx.address}:${FIRST_PORT + i}`,
      flags: ['--precommit2=false', '--commit=false'],
      scheduler: schedulerFor(name, {
        AddPieceMax: mine,
        PreCommit1Max: mine,
        PreCommit2Max: 0,
        Commit2Max: 0,
        ForceP1FromLocalAP: true,
      }),
      summary: `${mine} PC1 (and its AddPiece) at once on slots [${slotStart}, ${slotEnd})`,
    });
    slotStart = slotEnd;
    taskStart = taskEnd;
  }
  return { workers, basis, notes };
}

function gpuLayout(facts: HostFacts, ctx: LayoutContext, basis: string[]): Layout {
  const notes: string[] = [];
  const kind = ctx.kind === 'c2' ? 'C2' : 'PC2';
  if (facts.gpus.length === 0) {
    notes.push(
      `${ctx.host} has no GPU that nvidia-smi can see: ${kind} would run on the CPU for hours. Check the driver (nvidia-smi) before placing ${kind} workers here.`,
    );
    return { workers: [], basis, notes };
  }
  const perWorkerGB = facts.memoryBytes / 1e9 / facts.gpus.length;
  const handles = Math.max(1, Math.min(10, Math.floor((perWorkerGB - 126) / 8.6)));
  if (ctx.kind === 'c2' && handles < 10)
    notes.push(
      `NUM_HANDLES=10 (the FAQ's value) peaks near ${Math.round(c2PeakGB(10))} GB per C2; with ${Math.round(perWorkerGB)} GB per GPU here, ${handles} keeps ${facts.gpus.length} C2s in memory at once.`,
    );
  const workers = facts.gpus.map((gpu, i): WorkerLayout => {
    const name = `${ctx.host}-${ctx.kind}-gpu${gpu.index}`;
    const env: EnvSetting[] = [
      ...common(ctx, name),
      {
        name: 'CUDA_VISIBLE_DEVICES',
        value: String(gpu.index),
        reason: `one worker per GPU: this one uses GPU ${gpu.index} (${gpu.name}) only`,
      },
      {
        name: 'BELLMAN_NO_GPU',
        value: undefined,
        reason: 'must be unset: the bellperson these clusters run forces the CPU when it is set at all, even to 0',
      },
      {
        name: 'FIL_PROOFS_PARAMETER_CACHE',
        value: ctx.paths.parameters,
        reason: 'the Groth parameters (> 100 GiB) the proofs read',
      },
      ...(ctx.kind === 'c2'
        ? [
            {
              name: 'NUM_HANDLES',
              value: String(handles),
              reason: `CPU-side parallelism of C2; 10 peaks near 212 GB (the FAQ's value)`,
            },
            {
              name: 'NUM_KERNELS',
              value: '2',
              reason: 'GPU parallelism of C2 (the FAQ); a 24 GB card takes 3 when C2s do not share it',
            },
          ]
        : [
            {
              name: 'FIL_PROOFS_USE_GPU_TREE_BUILDER',
              value: '1',
              reason: 'tree_r_last (and, in current proofs, tree_c too) on the GPU',
            },
            {
              name: 'FIL_PROOFS_USE_GPU_COLUMN_BUILDER',
              value: '1',
              reason: 'tree_c on the GPU in older proofs; harmless in newer ones',
            },
          ]),
    ];
    return {
      name,
      env,
      listen: `${ctx.address}:${FIRST_PORT + i}`,
      flags:
        ctx.kind === 'c2'
          ? ['--addpiece=false', '--precommit1=false', '--precommit2=false']
          : ['--addpiece=false', '--precommit1=false', '--commit=false'],
      scheduler: schedulerFor(name, ctx.kind === 'c2' ? { Commit2Max: 1 } : { PreCommit2Max: 1 }),
      summary: `${kind} on GPU ${gpu.index} (${gpu.name}), one at a time`,
    };
  });
  return { workers, basis, notes };
}

function apLayout(facts: HostFacts, ctx: LayoutContext, basis: string[]): Layout {
  const apMax = Math.max(
    1,
    Math.min(facts.cores, Math.floor((facts.memoryBytes - RESERVED / 4) / (ctx.sector === '32G' ? 4 * GiB : 8 * GiB))),
  );
  const name = `${ctx.host}-ap-0`;
  return {
    workers: [
      {
        name,
        env: [
          ...common(ctx, name),
          {
            name: `AP_${ctx.sector}_MAX_CONCURRENT`,
            value: String(apMax),
            reason: 'AddPiece is one core and 4 GiB each (8 for 64G)',
          },
        ],
        listen: `${ctx.address}:${FIRST_PORT}`,
        flags: ['--precommit1=false', '--precommit2=false', '--commit=false'],
        scheduler: schedulerFor(name, { AddPieceMax: apMax }),
        summary: `${apMax} AddPiece at once`,
      },
    ],
    basis,
    notes: [],
  };
}

/**
 * A myscheduler.json: a task limit not named is 0, which the fork reads as "none of this task"; the disk quotas stay
 * 0, "no limit", since the bot does not size the disks.
 */
function schedulerFor(
  name: string,
  limits: Record<string, number | boolean>,
): Record<string, string | number | boolean> {
  return {
    WorkerName: name,
    AddPieceMax: 0,
    PreCommit1Max: 0,
    PreCommit2Max: 0,
    Commit2Max: 0,
    DiskHoldMax: 0,
    APDiskHoldMax: 0,
    ForceP1FromLocalAP: false,
    ForceP2FromLocalP1: false,
    ForceC2FromLocalP2: false,
    IsPlanOffline: false,
    AllowP2C2Parallel: false,
    IgnoreOutOfSpace: false,
    AutoPledgeDiff: 0,
    ...limits,
  };
}

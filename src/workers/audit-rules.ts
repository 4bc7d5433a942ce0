import type { HostFacts } from './host-facts.js';
import type { WorkerProcess } from './worker-processes.js';

export type FindingKind = 'missing' | 'different' | 'obsolete' | 'ineffective' | 'conflict' | 'unseen';

export interface EnvFinding {
  /** The worker it is about (its name), or the host for what concerns several. */
  worker: string;
  kind: FindingKind;
  /** A problem stops or slows sealing; a warning is worth fixing. */
  severity: 'problem' | 'warning';
  variable?: string;
  text: string;
}

/** What a running worker does, from its flags (lotus-worker run's task switches, all on by default). */
export interface RunningWorker {
  pid: number;
  name: string;
  env: Map<string, string> | undefined;
  tasks: { ap: boolean; pc1: boolean; pc2: boolean; commit: boolean };
  listen: string | undefined;
}

const flagValue = (argv: readonly string[], flag: string): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${flag}`) return argv[i + 1]?.startsWith('--') === false ? (argv[i + 1] as string) : 'true';
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
  }
  return undefined;
};
const switchOn = (argv: readonly string[], flag: string): boolean =>
  !/^(false|0)$/i.test(flagValue(argv, flag) ?? 'true');

export function runningWorker(process: WorkerProcess, hostname: string): RunningWorker {
  const { argv, env } = process;
  return {
    pid: process.pid,
    name: env?.get('LOTUS_WORKER_NAME') || flagValue(argv, 'name') || hostname,
    env,
    tasks: {
      ap: switchOn(argv, 'addpiece'),
      pc1: switchOn(argv, 'precommit1'),
      pc2: switchOn(argv, 'precommit2'),
      commit: switchOn(argv, 'commit'),
    },
    listen: flagValue(argv, 'listen') ?? env?.get('LOTUS_WORKER_LISTEN'),
  };
}

/** Variables only the build reads (compiling filecoin-ffi): set at run time they change nothing. */
const buildOnly = ['FFI_BUILD_FROM_SOURCE', 'FFI_USE_CUDA', 'FFI_USE_CUDA_SUPRASEAL', 'RUSTFLAGS'];

/**
 * What is wrong with the environments of the workers running on one host, judged against the host's measured
 * hardware: each worker on its own (missing, different, obsolete and ineffective settings) and the workers together
 * (overlapping core ranges, two workers on one GPU, shared GPU lock directories).
 */
export function auditHost(facts: HostFacts, workers: readonly RunningWorker[]): EnvFinding[] {
  const findings: EnvFinding[] = [];
  const add = (f: EnvFinding) => findings.push(f);
  const smallestGroup = Math.min(...facts.l3Groups.map((g) => g.length));
  const gpuIndexes = new Set(facts.gpus.map((g) => String(g.index)));
  for (const w of workers) {
    const env = w.env;
    if (!env) {
      add({
        worker: w.name,
        kind: 'unseen',
        severity: 'warning',
        text: `its environment (pid ${w.pid}) could not be read: the bot's user needs the sudo rule for cat /proc/PID/environ`,
      });
      continue;
    }
    const has = (name: string) => env.has(name);
    if (has('FIL_PROOFS_MAXIMIZE_CACHING'))
      add({
        worker: w.name,
        kind: 'obsolete',
        severity: 'warning',
        variable: 'FIL_PROOFS_MAXIMIZE_CACHING',
        text: 'obsolete: rust-fil-proofs no longer reads it; drop it',
      });
    for (const name of buildOnly.filter(has))
      add({
        worker: w.name,
        kind: 'ineffective',
        severity: 'warning',
        variable: name,
        text: 'read only when building filecoin-ffi; it does nothing to a running worker',
      });
    if (!has('MINER_API_INFO'))
      add({
        worker: w.name,
        kind: 'missing',
        severity: 'problem',
        variable: 'MINER_API_INFO',
        text: 'missing: the worker does not know which miner to work for',
      });

    if (w.tasks.pc1) {
      if (env.get('FIL_PROOFS_USE_MULTICORE_SDR') !== '1' && smallestGroup >= 2)
        add({
          worker: w.name,
          kind: env.has('FIL_PROOFS_USE_MULTICORE_SDR') ? 'different' : 'missing',
          severity: 'warning',
          variable: 'FIL_PROOFS_USE_MULTICORE_SDR',
          text: `${env.get('FIL_PROOFS_USE_MULTICORE_SDR') ?? 'unset'}, expected 1: PC1 on one core is about half as fast`,
        });
      const producers = Number(env.get('FIL_PROOFS_MULTICORE_SDR_PRODUCERS') ?? '3');
      if (env.get('FIL_PROOFS_USE_MULTICORE_SDR') === '1' && producers + 1 > smallestGroup)
        add({
          worker: w.name,
          kind: 'different',
          severity: 'warning',
          variable: 'FIL_PROOFS_MULTICORE_SDR_PRODUCERS',
          text: `${env.get('FIL_PROOFS_MULTICORE_SDR_PRODUCERS') ?? 'unset (3)'}: ${producers} producers need ${producers + 1} cores in one L3 group; this host's hold ${smallestGroup}, so ${Math.max(1, smallestGroup - 1)} fits`,
        });
      if (!has('ENV_CPU_CORE_BEGIN_NUM') || !has('ENV_CPU_CORE_END_NUM'))
        add({
          worker: w.name,
          kind: 'missing',
          severity: 'warning',
          variable: 'ENV_CPU_CORE_BEGIN_NUM',
          text: 'missing ENV_CPU_CORE_BEGIN_NUM/END_NUM: its PC1s are not bound to a core range and compete with the other workers',
        });
      if (!has('FIL_PROOFS_PARENT_CACHE'))
        add({
          worker: w.name,
          kind: 'missing',
          severity: 'warning',
          variable: 'FIL_PROOFS_PARENT_CACHE',
          text: 'missing: the ~56 GiB parent cache goes to /var/tmp/filecoin-parents',
        });
    }
    const gpuWork = w.tasks.pc2 || w.tasks.commit;
    if (gpuWork) {
      if (has('BELLMAN_NO_GPU'))
        add({
          worker: w.name,
          kind: 'ineffective',
          severity: 'problem',
          variable: 'BELLMAN_NO_GPU',
          text: `BELLMAN_NO_GPU=${env.get('BELLMAN_NO_GPU')}: with the bellperson these clusters run, any value${env.get('BELLMAN_NO_GPU') === '0' ? ', even 0,' : ''} forces C2 onto the CPU; unset it`,
        });
      const device = env.get('CUDA_VISIBLE_DEVICES');
      if (facts.gpus.length === 0)
        add({
          worker: w.name,
          kind: 'conflict',
          severity: 'problem',
          text: 'a GPU worker on a host where nvidia-smi sees no GPU: its proofs run on the CPU',
        });
      else if (device === undefined && facts.gpus.length > 1)
        add({
          worker: w.name,
          kind: 'missing',
          severity: 'warning',
          variable: 'CUDA_VISIBLE_DEVICES',
          text: `missing: it sees all ${facts.gpus.length} GPUs; one worker per GPU wants it set`,
        });
      else if (device !== undefined && device.split(',').some((d) => !gpuIndexes.has(d.trim())))
        add({
          worker: w.name,
          kind: 'different',
          severity: 'problem',
          variable: 'CUDA_VISIBLE_DEVICES',
          text: `CUDA_VISIBLE_DEVICES=${device}: no such GPU on this host (it has ${[...gpuIndexes].join(', ')}): the worker sees no GPU`,
        });
      if (w.tasks.commit) {
        if (!has('NUM_HANDLES'))
          add({
            worker: w.name,
            kind: 'missing',
            severity: 'warning',
            variable: 'NUM_HANDLES',
            text: 'missing: set NUM_HANDLES=10 before starting a C2 worker (the FAQ)',
          });
        if (!has('NUM_KERNELS'))
          add({
            worker: w.name,
            kind: 'missing',
            severity: 'warning',
            variable: 'NUM_KERNELS',
            text: 'missing: set NUM_KERNELS=2 before starting a C2 worker (the FAQ)',
          });
        const kernels = Number(env.get('NUM_KERNELS'));
        if (has('NUM_KERNELS') && !(kernels >= 1 && kernels <= 4))
          add({
            worker: w.name,
            kind: 'different',
            severity: 'warning',
            variable: 'NUM_KERNELS',
            text: `NUM_KERNELS=${env.get('NUM_KERNELS')}: it takes 1 to 4`,
          });
      }
      if (w.tasks.pc2 && has('FIL_PROOFS_USE_GPU_COLUMN_BUILDER') && !has('FIL_PROOFS_USE_GPU_TREE_BUILDER'))
        add({
          worker: w.name,
          kind: 'ineffective',
          severity: 'warning',
          variable: 'FIL_PROOFS_USE_GPU_COLUMN_BUILDER',
          text: 'alone it does nothing in current proofs: FIL_PROOFS_USE_GPU_TREE_BUILDER=1 turns on both GPU builders',
        });
    }
  }

  // Together: core ranges, GPUs, lock directories.
  const ranges = workers
    .filter((w) => w.env?.has('ENV_CPU_CORE_BEGIN_NUM') && w.env.has('ENV_CPU_CORE_END_NUM'))
    .map((w) => ({
      w,
      begin: Number(w.env?.get('ENV_CPU_CORE_BEGIN_NUM')),
      end: Number(w.env?.get('ENV_CPU_CORE_END_NUM')),
    }));
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i] as (typeof ranges)[number];
      const b = ranges[j] as (typeof ranges)[number];
      if (a.begin < b.end && b.begin < a.end)
        add({
          worker: `${a.w.name}, ${b.w.name}`,
          kind: 'conflict',
          severity: 'problem',
          variable: 'ENV_CPU_CORE_BEGIN_NUM',
          text: `core ranges overlap: [${a.begin}, ${a.end}) and [${b.begin}, ${b.end}): their PC1s share cores`,
        });
    }
  const byDevice = new Map<string, RunningWorker[]>();
  for (const w of workers.filter((x) => x.tasks.pc2 || x.tasks.commit)) {
    const device = w.env?.get('CUDA_VISIBLE_DEVICES');
    if (device === undefined) continue;
    for (const d of device.split(',').map((x) => x.trim())) byDevice.set(d, [...(byDevice.get(d) ?? []), w]);
  }
  for (const [device, list] of byDevice)
    if (list.length > 1)
      add({
        worker: list.map((w) => w.name).join(', '),
        kind: 'conflict',
        severity: 'warning',
        variable: 'CUDA_VISIBLE_DEVICES',
        text: `${list.length} workers on GPU ${device}: possible, but the FAQ advises against it (its memory is nearly full with one)`,
      });
  const byTmp = new Map<string, RunningWorker[]>();
  for (const w of workers.filter((x) => x.tasks.pc2 || x.tasks.commit)) {
    const tmp = w.env?.get('TMPDIR') ?? '/tmp';
    byTmp.set(tmp, [...(byTmp.get(tmp) ?? []), w]);
  }
  for (const [tmp, list] of byTmp)
    if (list.length > 1)
      add({
        worker: list.map((w) => w.name).join(', '),
        kind: 'conflict',
        severity: 'warning',
        variable: 'TMPDIR',
        text: `${list.length} GPU workers share TMPDIR ${tmp}: their GPU lock files collide`,
      });
  return findings;
}

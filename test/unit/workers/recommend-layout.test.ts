import { describe, expect, it } from 'vitest';
import { parseHostFacts } from '../../../src/workers/host-facts.js';
import { type LayoutContext, recommendLayout, type WorkerKind } from '../../../src/workers/recommend-layout.js';
import { factsOutput, type MachineSpec, machines } from '../../helpers/worker-hosts.js';

const context = (kind: WorkerKind): LayoutContext => ({
  host: 'box',
  address: '10.0.0.21',
  kind,
  sector: '32G',
  miner: { name: 'seal-miner', multiaddr: '/ip4/10.0.0.5/tcp/2345/http' },
  repoBase: '/home/lotus/workers',
  paths: { parameters: '/data/filecoin-proof-parameters', parents: '/data/filecoin-parents', tmp: '/data/tmp' },
});

const layoutOf = (m: MachineSpec, kind: WorkerKind) =>
  recommendLayout(parseHostFacts('box', factsOutput(m)), context(kind));
const envOf = (w: { env: Array<{ name: string; value: string | undefined }> }) =>
  Object.fromEntries(w.env.map((e) => [e.name, e.value]));

describe('host facts', () => {
  it('reads cores, L3 groups, NUMA nodes, memory and GPUs from what lscpu, free and nvidia-smi print', () => {
    const facts = parseHostFacts('box', factsOutput(machines.dual7542));
    expect(facts).toMatchObject({
      sockets: 2,
      numaNodes: 2,
      cores: 64,
      threads: 128,
      memoryBytes: 2048 * 2 ** 30,
      gpus: [],
    });
    expect(facts.l3Groups).toHaveLength(16);
    expect(facts.l3Groups.every((g) => g.length === 4)).toBe(true);
    expect(parseHostFacts('box', factsOutput(machines.eightGpu)).gpus).toHaveLength(8);
  });

  it('names what is missing when the host did not answer a part', () => {
    expect(() => parseHostFacts('box', '@@lscpu\nModel name: x\n@@topology\n')).toThrow(/lscpu -p gave no CPU lines/);
  });
});

describe('recommended layouts', () => {
  it('given an EPYC 7302 with 2 TiB, then PC1 uses 1 producer, is bound by its 16 cores, and the FAQ’s 2 is answered', () => {
    const layout = layoutOf(machines.epyc7302, 'pc1');
    expect(layout.workers).toHaveLength(1);
    const [worker] = layout.workers;
    expect(envOf(worker as never)).toMatchObject({
      FIL_PROOFS_USE_MULTICORE_SDR: '1',
      FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '1',
      ENV_CPU_CORE_BEGIN_NUM: '0',
      ENV_CPU_CORE_END_NUM: '8',
      PC1_32G_MAX_CONCURRENT: '8',
      MINER_API_INFO: '<TOKEN>:/ip4/10.0.0.5/tcp/2345/http',
    });
    expect(worker?.scheduler).toMatchObject({ PreCommit1Max: 8, AddPieceMax: 8 });
    expect(layout.basis).toContain(
      'PC1 at once: 8 by cores (2 cores each inside one L3 group), 31 by memory (64 GiB each, 64 GiB kept for the system and the parent cache): 8',
    );
    expect(layout.notes.join(' ')).toMatch(
      /FAQ suggests FIL_PROOFS_MULTICORE_SDR_PRODUCERS=2 for an EPYC 7302\. This machine's L3 groups hold 2 cores/,
    );
  });

  it('given an EPYC 7402, then 2 producers fit its 3-core complexes exactly', () => {
    const [worker] = layoutOf(machines.epyc7402, 'pc1').workers;
    expect(envOf(worker as never)).toMatchObject({
      FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '2',
      ENV_CPU_CORE_BEGIN_NUM: '0',
      ENV_CPU_CORE_END_NUM: '12',
      PC1_32G_MAX_CONCURRENT: '8',
    });
  });

  it('given two sockets and two NUMA nodes, then one PC1 process per node with disjoint slot ranges covering the host', () => {
    const layout = layoutOf(machines.dual7542, 'pc1');
    expect(layout.workers.map((w) => [envOf(w).ENV_CPU_CORE_BEGIN_NUM, envOf(w).ENV_CPU_CORE_END_NUM])).toEqual([
      ['0', '16'],
      ['16', '32'],
    ]);
    expect(layout.workers.map((w) => envOf(w).FIL_PROOFS_MULTICORE_SDR_PRODUCERS)).toEqual(['3', '3']);
    expect(layout.workers.map((w) => w.scheduler.PreCommit1Max)).toEqual([8, 8]);
    expect(layout.workers.map((w) => w.listen)).toEqual(['10.0.0.21:3450', '10.0.0.21:3451']);
  });

  it('given an 8-GPU box, then one C2 worker per GPU with its own device, TMPDIR, NUM_HANDLES/NUM_KERNELS and BELLMAN_NO_GPU unset', () => {
    const layout = layoutOf(machines.eightGpu, 'c2');
    expect(layout.workers).toHaveLength(8);
    expect(layout.workers.map((w) => envOf(w).CUDA_VISIBLE_DEVICES)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(new Set(layout.workers.map((w) => envOf(w).TMPDIR)).size).toBe(8);
    expect(envOf(layout.workers[0] as never)).toMatchObject({
      NUM_HANDLES: '10',
      NUM_KERNELS: '2',
      BELLMAN_NO_GPU: undefined,
    });
    expect(layout.workers[0]?.scheduler).toMatchObject({ Commit2Max: 1, PreCommit1Max: 0 });
  });

  it('given a box without GPU, then no C2 worker is proposed and the reply says why', () => {
    const layout = layoutOf(machines.epyc7302, 'c2');
    expect(layout.workers).toEqual([]);
    expect(layout.notes[0]).toMatch(/^box has no GPU that nvidia-smi can see: C2 would run on the CPU for hours/);
  });
});

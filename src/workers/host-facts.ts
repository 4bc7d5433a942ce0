import { OpsError } from '../core/errors.js';

/** What a worker machine is, as the layout needs it: read in one SSH round trip (`hostFactsCommand`). */
export interface HostFacts {
  model: string;
  sockets: number;
  numaNodes: number;
  /** Physical cores (SMT siblings counted once). */
  cores: number;
  /** Logical CPUs. */
  threads: number;
  /** The L3 groups (core complexes): the physical cores sharing each L3 cache, in the order lscpu numbers them. */
  l3Groups: number[][];
  memoryBytes: number;
  gpus: Array<{ index: number; name: string; memoryMiB: number }>;
  /** The NVIDIA driver, when a GPU answers. */
  driver: string | undefined;
}

/**
 * The one command run on the host: fixed text, no user input in it. `lscpu -p` gives each CPU's core, socket, NUMA
 * node and caches (the L3 id says which cores share a complex: measured, never looked up by model name); `free -b`
 * the memory; `nvidia-smi` the GPUs, when there are any.
 */
export const hostFactsCommand = [
  'sh',
  '-c',
  [
    'echo @@lscpu; LC_ALL=C lscpu',
    'echo @@topology; LC_ALL=C lscpu -p=CPU,CORE,SOCKET,NODE,CACHE',
    'echo @@memory; LC_ALL=C free -b',
    'echo @@gpus; if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader,nounits 2>&1; else echo none; fi',
  ].join('; '),
] as const;

/** The facts from the command's output; a host that did not say enough is an error naming what is missing. */
export function parseHostFacts(host: string, output: string): HostFacts {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const marker = /^@@(\w+)$/.exec(line.trim());
    if (marker) {
      current = [];
      sections.set(marker[1] as string, current);
    } else current?.push(line);
  }
  const missing = (what: string): never => {
    throw new OpsError('HOST_FACTS_UNREADABLE', { host, detail: what });
  };
  const lscpu = sections.get('lscpu') ?? missing('lscpu printed nothing');
  const field = (name: string) =>
    lscpu
      .find((l) => l.startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim() ?? undefined;
  const model = field('Model name') ?? 'unknown CPU';

  const cpus = (sections.get('topology') ?? missing('lscpu -p printed nothing'))
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [cpu, core, socket, node, cache] = l.split(',');
      const l3 = (cache ?? '').split(':')[3];
      return { cpu: Number(cpu), core: Number(core), socket: Number(socket), node: Number(node || 0), l3 };
    });
  if (cpus.length === 0 || cpus.some((c) => Number.isNaN(c.cpu) || Number.isNaN(c.core)))
    missing('lscpu -p gave no CPU lines');
  const coreKey = (c: { socket: number; core: number }) => `${c.socket}:${c.core}`;
  const groups = new Map<string, Set<string>>();
  for (const c of cpus) {
    // Without an L3 id (some virtual machines), each socket counts as one group.
    const key = c.l3 === undefined || c.l3 === '' ? `socket${c.socket}` : `l3:${c.l3}`;
    groups.set(key, (groups.get(key) ?? new Set()).add(coreKey(c)));
  }
  const coreIndex = new Map([...new Set(cpus.map(coreKey))].map((k, i) => [k, i]));
  const l3Groups = [...groups.values()].map((set) => [...set].map((k) => coreIndex.get(k) as number));

  const memLine = (sections.get('memory') ?? missing('free printed nothing')).find((l) => l.startsWith('Mem:'));
  const memoryBytes = Number(memLine?.split(/\s+/)[1]);
  if (!Number.isFinite(memoryBytes) || memoryBytes <= 0) missing('free -b gave no Mem: line');

  const gpuLines = (sections.get('gpus') ?? []).map((l) => l.trim()).filter((l) => l !== '' && l !== 'none');
  const gpus: HostFacts['gpus'] = [];
  let driver: string | undefined;
  for (const line of gpuLines) {
    const [index, name, memory, version] = line.split(',').map((s) => s.trim());
    if (index === undefined || !/^\d+$/.test(index)) continue; // "NVIDIA-SMI has failed …": no usable GPU
    gpus.push({ index: Number(index), name: name ?? 'GPU', memoryMiB: Number(memory) || 0 });
    driver = version || driver;
  }
  return {
    model,
    sockets: new Set(cpus.map((c) => c.socket)).size,
    numaNodes: new Set(cpus.map((c) => c.node)).size,
    cores: coreIndex.size,
    threads: cpus.length,
    l3Groups,
    memoryBytes,
    gpus,
    driver,
  };
}

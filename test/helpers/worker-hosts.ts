/**
 * Machines as `lscpu`, `lscpu -p`, `free -b` and `nvidia-smi` describe them, for the /worker-env tests: the same text
 * feeds the parser in unit tests and the stand-in programs on the test sshd.
 */
export interface MachineSpec {
  model: string;
  sockets: number;
  /** Per socket. */
  groupsPerSocket: number;
  coresPerGroup: number;
  numaNodes: number;
  memoryGiB: number;
  gpus?: Array<{ name: string; memoryMiB: number }>;
  driver?: string;
}

export const machines = {
  epyc7302: {
    model: 'AMD EPYC 7302 16-Core Processor',
    sockets: 1,
    groupsPerSocket: 8,
    coresPerGroup: 2,
    numaNodes: 1,
    memoryGiB: 2048,
  },
  epyc7402: {
    model: 'AMD EPYC 7402 24-Core Processor',
    sockets: 1,
    groupsPerSocket: 8,
    coresPerGroup: 3,
    numaNodes: 1,
    memoryGiB: 1024,
  },
  dual7542: {
    model: 'AMD EPYC 7542 32-Core Processor',
    sockets: 2,
    groupsPerSocket: 8,
    coresPerGroup: 4,
    numaNodes: 2,
    memoryGiB: 2048,
  },
  eightGpu: {
    model: 'AMD EPYC 7542 32-Core Processor',
    sockets: 1,
    groupsPerSocket: 8,
    coresPerGroup: 4,
    numaNodes: 1,
    memoryGiB: 2048,
    gpus: Array.from({ length: 8 }, () => ({ name: 'NVIDIA GeForce RTX 3090', memoryMiB: 24576 })),
    driver: '535.104.05',
  },
} satisfies Record<string, MachineSpec>;

/** `lscpu` (the summary lines the bot reads). */
export function lscpuText(m: MachineSpec): string {
  const cores = m.sockets * m.groupsPerSocket * m.coresPerGroup;
  return [
    'Architecture:            x86_64',
    `CPU(s):                  ${cores * 2}`,
    `Model name:              ${m.model}`,
    `Socket(s):               ${m.sockets}`,
    `L3 cache:                ${m.sockets * m.groupsPerSocket * 16} MiB (${m.sockets * m.groupsPerSocket} instances)`,
    `NUMA node(s):            ${m.numaNodes}`,
  ].join('\n');
}

/** `lscpu -p=CPU,CORE,SOCKET,NODE,CACHE`: SMT on, sibling threads numbered after all cores, as Linux does. */
export function lscpuParsable(m: MachineSpec): string {
  const lines = ['# The following is the parsable format, which can be fed to other', '# CPU,Core,Socket,Node,Cache'];
  const cores = m.sockets * m.groupsPerSocket * m.coresPerGroup;
  const perNode = cores / m.numaNodes;
  for (let thread = 0; thread < 2; thread++)
    for (let core = 0; core < cores; core++) {
      const socket = Math.floor(core / (m.groupsPerSocket * m.coresPerGroup));
      const l3 = Math.floor(core / m.coresPerGroup);
      lines.push(
        `${thread * cores + core},${core},${socket},${Math.floor(core / perNode)},${core}:${core}:${core}:${l3}`,
      );
    }
  return lines.join('\n');
}

export function freeText(m: MachineSpec): string {
  const total = m.memoryGiB * 2 ** 30;
  return [
    '               total        used        free      shared  buff/cache   available',
    `Mem:    ${total}  ${Math.round(total / 50)}  ${Math.round(total * 0.9)}  0  ${Math.round(total / 20)}  ${Math.round(total * 0.95)}`,
    'Swap:              0           0           0',
  ].join('\n');
}

export function nvidiaSmiText(m: MachineSpec): string | undefined {
  if (!m.gpus) return undefined;
  return m.gpus.map((g, i) => `${i}, ${g.name}, ${g.memoryMiB}, ${m.driver ?? '535.104.05'}`).join('\n');
}

/** What the bot's one facts command prints on such a machine. */
export function factsOutput(m: MachineSpec): string {
  return [
    '@@lscpu',
    lscpuText(m),
    '@@topology',
    lscpuParsable(m),
    '@@memory',
    freeText(m),
    '@@gpus',
    nvidiaSmiText(m) ?? 'none',
  ].join('\n');
}

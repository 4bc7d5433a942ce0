import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OpsError } from '../core/errors.js';
import { minerRoles } from '../lotus/miner-roles.js';
import { type TaskShortName, taskTypes } from '../lotus/task-types.js';

/** The jobs a lotus-miner process has in the distributed (fork) topology. */

const attoFil = z.string().regex(/^\d+$/, { error: 'an attoFIL amount (decimal integer string)' });
const shortNames = Object.values(taskTypes) as [TaskShortName, ...TaskShortName[]];

/** The fork's myscheduler.json fields, as a fork miner reports them in WorkerStats (lotus-ops §4.2, §4.5). */
const schedulerSchema = z.strictObject({
  AddPieceMax: z.int().nonnegative().optional(),
  PreCommit1Max: z.int().nonnegative().optional(),
  PreCommit2Max: z.int().nonnegative().optional(),
  Commit2Max: z.int().nonnegative().optional(),
  DiskHoldMax: z.int().nonnegative().optional(),
  APDiskHoldMax: z.int().nonnegative().optional(),
  ForceP1FromLocalAP: z.boolean().optional(),
  ForceP2FromLocalP1: z.boolean().optional(),
  ForceC2FromLocalP2: z.boolean().optional(),
  IsPlanOffline: z.boolean().optional(),
  AllowP2C2Parallel: z.boolean().optional(),
  IgnoreOutOfSpace: z.boolean().optional(),
  AutoPledgeDiff: z.int().nonnegative().optional(),
});
export type ForkSchedulerConfig = z.infer<typeof schedulerSchema>;

const workerSchema = z.strictObject({
  host: z.string().min(1),
  /** LOTUS_WORKER_NAME; several workers on one host (one per GPU) need distinct names. */
  name: z.string().optional(),
  tasks: z.array(z.enum(shortNames)).min(1),
  cpus: z.int().positive(),
  memoryGiB: z.number().positive(),
  swapGiB: z.number().nonnegative().default(0),
  /** Every GPU in the host; CUDA_VISIBLE_DEVICES in `env` narrows what the worker reports. */
  gpus: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  /** Present only for the fork's workers (myscheduler.json); upstream workers report none of these fields. */
  scheduler: schedulerSchema.optional(),
  enabled: z.boolean().default(true),
});
export type WorkerSpec = z.infer<typeof workerSchema>;

const sealingSchema = z.strictObject({
  state: z.string().min(1),
  count: z.int().positive().default(1),
  /** How long the sectors have been in `state` when the simulator starts. */
  minutesInState: z.number().nonnegative().default(0),
  /** A stuck sector never leaves its state (a failed state is always stuck). */
  stuck: z.boolean().default(false),
  lastErr: z.string().default(''),
});
export type SealingSpec = z.infer<typeof sealingSchema>;

const storageSchema = z.strictObject({
  path: z.string().min(1),
  canSeal: z.boolean(),
  canStore: z.boolean(),
  capacityTiB: z.number().positive(),
  /** Used space; by default what the sectors on it would take. */
  usedTiB: z.number().nonnegative().optional(),
});
export type StoragePathSpec = z.infer<typeof storageSchema>;

const alertSchema = z.strictObject({
  system: z.string(),
  subsystem: z.string(),
  active: z.boolean(),
  message: z.string().default(''),
});
export type NodeAlertSpec = z.infer<typeof alertSchema>;

const minerSchema = z.strictObject({
  name: z.string().min(1),
  roles: z.array(z.enum(minerRoles)).min(1),
  version: z.string().default('1.36.2+mainnet+git.b835fab70'),
  subsystems: z.array(z.string()).default(['Mining', 'Sealing', 'SectorStorage']),
  /** `[Sealing] MaxSealingSectors`; 0 = unlimited. */
  maxSealingSectors: z.int().nonnegative().default(0),
  workers: z.array(workerSchema).default([]),
  sealing: z.array(sealingSchema).default([]),
  storage: z.array(storageSchema).default([]),
  alerts: z.array(alertSchema).default([]),
});
export type MinerSpec = z.infer<typeof minerSchema>;

const daemonSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().default('1.36.2+mainnet+git.b835fab70'),
  /** Epochs the node's head is behind the wall clock (0 = in sync). */
  lagEpochs: z.int().nonnegative().default(0),
  /** SyncState stage while lagging: 3 message sync, 5 error. */
  syncStage: z.int().min(0).max(6).default(3),
  syncMessage: z.string().default(''),
  peers: z.int().nonnegative().default(40),
  /** Other daemons of the cluster this one is connected to (the internal daemon peers with the public one). */
  peerDaemons: z.array(z.string()).default([]),
  /** Addresses whose keys this node holds (WalletList); the public daemon should hold none. */
  walletKeys: z.array(z.string()).default([]),
  alerts: z.array(alertSchema).default([]),
});
export type DaemonSpec = z.infer<typeof daemonSchema>;

const partitionSectorsSchema = z.strictObject({
  deadline: z.int().min(0).max(47),
  partition: z.int().nonnegative(),
  count: z.int().positive(),
  /** Rank of the first affected sector inside the partition. */
  offset: z.int().nonnegative().default(0),
});
export type PartitionSectorsSpec = z.infer<typeof partitionSectorsSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  network: z.strictObject({
    name: z.string().default('mainnet'),
    genesisUnix: z.int().nonnegative().default(1598306400),
    blockDelaySecs: z.int().positive().default(30),
    networkVersion: z.int().nonnegative().default(27),
  }),
  actor: z.strictObject({
    /** The one miner actor the whole cluster serves (an ID address). */
    id: z.string().regex(/^[ft]0\d+$/),
    owner: z.string().regex(/^[ft]0\d+$/),
    worker: z.string().regex(/^[ft]0\d+$/),
    controls: z.array(z.string().regex(/^[ft]0\d+$/)).default([]),
    /** Robust (f1/f3) address → ID address, for StateLookupID. */
    addressBook: z.record(z.string(), z.string()).default({}),
    sectorSizeGiB: z.union([z.literal(32), z.literal(64)]).default(32),
    peerId: z.string().default('12D3KooWBjV5dxmPZY3a4gdbDm2oBpTbVVhBVxpyr7PVPUB7oB6Y'),
    multiaddrs: z.array(z.string()).default([]),
  }),
  chain: z.strictObject({
    liveSectors: z.int().nonnegative(),
    firstSectorNumber: z.int().nonnegative().default(1),
    /** Deadlines that hold no sectors. */
    emptyDeadlines: z.array(z.int().min(0).max(47)).default([]),
    /** PeriodStart mod 2880: when deadline 0 opens each day. */
    provingPeriodBoundary: z.int().min(0).max(2879).default(300),
    faults: z.array(partitionSectorsSchema).default([]),
    /** Declared recoveries (must lie inside faults); they heal at the deadline's next proof. */
    recoveries: z.array(partitionSectorsSchema).default([]),
    /** Deadlines whose WindowPoSt never lands: at their close every healthy sector becomes faulty. */
    unprovenDeadlines: z.array(z.int().min(0).max(47)).default([]),
    /** Same, for whichever deadline is open when the simulator starts. */
    unprovenCurrentDeadline: z.boolean().default(false),
    /** How many of the live sectors (the highest numbers) the deal-miner sealed and holds metadata for. */
    dealMinerSectors: z.int().nonnegative().default(0),
    networkRawPowerEiB: z.number().positive().default(20),
  }),
  balances: z.strictObject({
    minerActor: attoFil,
    available: attoFil,
    /** Wallet balances by ID address; an unknown wallet holds 0. */
    wallets: z.record(z.string(), attoFil).default({}),
  }),
  /** Per-sector estimates for a 32 GiB CC sector (attoFIL, already over-estimated as lotus does). */
  pledge: z.strictObject({ preCommitDeposit: attoFil, initialPledge: attoFil }),
  daemons: z.array(daemonSchema).min(1),
  miners: z.array(minerSchema).min(1),
  sectorCounter: z.strictObject({ down: z.boolean().default(false) }).default({ down: false }),
  methodErrors: z
    .array(z.strictObject({ node: z.string(), method: z.string(), message: z.string(), code: z.int().default(1) }))
    .default([]),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

const TiB = 1;
const fil = (n: number): string => (BigInt(Math.round(n * 1e6)) * 10n ** 12n).toString();

const multicorePc1Env = {
  FIL_PROOFS_USE_MULTICORE_SDR: '1',
  FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '2',
  FIL_PROOFS_PARAMETER_CACHE: '/data/filecoin-proof-parameters',
  FIL_PROOFS_PARENT_CACHE: '/data/filecoin-parents',
  FIL_PROOFS_USE_GPU_TREE_BUILDER: '1',
  FIL_PROOFS_USE_GPU_COLUMN_BUILDER: '1',
  PC1_32G_MAX_CONCURRENT: '7',
};

const precommitScheduler: ForkSchedulerConfig = {
  AddPieceMax: 3,
  PreCommit1Max: 7,
  PreCommit2Max: 1,
  Commit2Max: 0,
  DiskHoldMax: 200,
  APDiskHoldMax: 0,
  ForceP1FromLocalAP: true,
  ForceP2FromLocalP1: true,
  ForceC2FromLocalP2: false,
  IsPlanOffline: false,
  AllowP2C2Parallel: false,
  IgnoreOutOfSpace: true,
  AutoPledgeDiff: 0,
};

const commitScheduler: ForkSchedulerConfig = {
  AddPieceMax: 0,
  PreCommit1Max: 0,
  PreCommit2Max: 0,
  Commit2Max: 1,
  DiskHoldMax: 0,
  ForceP1FromLocalAP: false,
  ForceP2FromLocalP1: false,
  IsPlanOffline: false,
  IgnoreOutOfSpace: true,
  AutoPledgeDiff: 0,
};

type WorkerInput = z.input<typeof workerSchema>;

const c2Worker = (host: string, gpu: number, scheduler = true): WorkerInput[] => [
  {
    host,
    name: `${host}-gpu${gpu}`,
    tasks: ['C1', 'C2'],
    cpus: 64,
    memoryGiB: 512,
    swapGiB: 128,
    gpus: ['NVIDIA GeForce RTX 3090', 'NVIDIA GeForce RTX 3090'],
    env: {
      CUDA_VISIBLE_DEVICES: String(gpu),
      NUM_HANDLES: '10',
      NUM_KERNELS: '2',
      FIL_PROOFS_PARAMETER_CACHE: '/data/filecoin-proof-parameters',
    },
    ...(scheduler ? { scheduler: commitScheduler } : {}),
  },
];

/**
 * The healthy, mainnet-like cluster: actor f01000 with 150,000 live 32 GiB sectors, two daemons and the four
 * miners of the distributed topology; workers on seven hosts.
 */
export function defaultScenarioInput(): ScenarioInput {
  return {
    name: 'healthy',
    description: 'A healthy mainnet-like distributed cluster: f01000, 150k sectors, 4 miners, 2 daemons',
    network: { name: 'mainnet', genesisUnix: 1598306400, blockDelaySecs: 30, networkVersion: 27 },
    actor: {
      id: 'f01000',
      owner: 'f01001',
      worker: 'f01002',
      controls: ['f01003', 'f01004'],
      addressBook: {
        f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a: 'f01001',
        f3q7ynwxwr7qfmqmb5bn5fjojlkdxrnagqeffw5ypq3n6b5qw3vlhbwcqxqk2ajm3vwnfzuhdlz6acjvzfokxa: 'f01002',
      },
      sectorSizeGiB: 32,
      multiaddrs: ['/ip4/203.0.113.10/tcp/24001'],
    },
    chain: {
      liveSectors: 150_000,
      firstSectorNumber: 1,
      emptyDeadlines: [11, 23, 35, 47],
      provingPeriodBoundary: 300,
      faults: [],
      recoveries: [],
      unprovenDeadlines: [],
      unprovenCurrentDeadline: false,
      dealMinerSectors: 12_000,
      networkRawPowerEiB: 20,
    },
    balances: {
      minerActor: fil(31_250.5),
      available: fil(120.75),
      wallets: { f01001: fil(15.2), f01002: fil(8.4), f01003: fil(25.0), f01004: fil(3.1) },
    },
    pledge: { preCommitDeposit: '20943715678654321', initialPledge: '199524517834012345' },
    daemons: [
      { name: 'daemon-public', peers: 180, alerts: [{ system: 'process', subsystem: 'fd-limit', active: false }] },
      {
        name: 'daemon-internal',
        peers: 14,
        peerDaemons: ['daemon-public'],
        // The owner and worker keys live on the internal daemon only (domain: the public one holds no wallet).
        walletKeys: [
          'f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a',
          'f3q7ynwxwr7qfmqmb5bn5fjojlkdxrnagqeffw5ypq3n6b5qw3vlhbwcqxqk2ajm3vwnfzuhdlz6acjvzfokxa',
        ],
      },
    ],
    miners: [
      {
        name: 'winning-post-miner',
        roles: ['winning-post', 'sector-counter'],
        storage: [{ path: '/storage/store', canSeal: false, canStore: true, capacityTiB: 5000 * TiB }],
      },
      {
        name: 'window-post-miner',
        roles: ['window-post'],
        storage: [{ path: '/storage/store', canSeal: false, canStore: true, capacityTiB: 5000 * TiB }],
        alerts: [{ system: 'process', subsystem: 'fd-limit', active: false }],
      },
      {
        name: 'seal-miner',
        roles: ['seal'],
        maxSealingSectors: 120,
        storage: [
          { path: '/storage/sealing', canSeal: true, canStore: false, capacityTiB: 30 * TiB },
          { path: '/storage/store', canSeal: false, canStore: true, capacityTiB: 5000 * TiB },
        ],
        alerts: [
          { system: 'process', subsystem: 'fd-limit', active: false },
          { system: 'process', subsystem: 'udp-buffer-size', active: false },
        ],
        workers: [
          {
            host: 'sealer-01',
            tasks: ['AP', 'PC1', 'PC2'],
            cpus: 64,
            memoryGiB: 1024,
            swapGiB: 0,
            gpus: ['NVIDIA GeForce RTX 3080'],
            env: multicorePc1Env,
            scheduler: precommitScheduler,
          },
          {
            host: 'sealer-02',
            tasks: ['AP', 'PC1', 'PC2'],
            cpus: 64,
            memoryGiB: 1024,
            swapGiB: 0,
            gpus: ['NVIDIA GeForce RTX 3080'],
            env: multicorePc1Env,
            scheduler: { ...precommitScheduler, IsPlanOffline: true },
          },
          {
            host: 'sealer-03',
            tasks: ['AP', 'PC1'],
            cpus: 32,
            memoryGiB: 512,
            swapGiB: 64,
            gpus: [],
            env: { FIL_PROOFS_PARAMETER_CACHE: '/data/filecoin-proof-parameters', PC1_32G_MAX_CONCURRENT: '6' },
          },
          {
            host: 'pc2-01',
            tasks: ['PC2'],
            cpus: 48,
            memoryGiB: 256,
            swapGiB: 0,
            gpus: ['NVIDIA GeForce RTX 3090'],
            env: { FIL_PROOFS_USE_GPU_TREE_BUILDER: '1', FIL_PROOFS_USE_GPU_COLUMN_BUILDER: '1' },
            scheduler: {
              ...precommitScheduler,
              AddPieceMax: 0,
              PreCommit1Max: 0,
              PreCommit2Max: 2,
              ForceP2FromLocalP1: false,
            },
          },
          ...c2Worker('c2-01', 0),
          ...c2Worker('c2-01', 1),
        ],
        sealing: [
          { state: 'Packing', count: 2, minutesInState: 3 },
          { state: 'PreCommit1', count: 9, minutesInState: 60 },
          { state: 'PreCommit1', count: 5, minutesInState: 150 },
          { state: 'PreCommit2', count: 2, minutesInState: 8 },
          { state: 'WaitSeed', count: 4, minutesInState: 30 },
          { state: 'Committing', count: 2, minutesInState: 10 },
          { state: 'SubmitCommitAggregate', count: 6, minutesInState: 90 },
        ],
      },
      {
        name: 'deal-miner',
        roles: ['deal'],
        maxSealingSectors: 40,
        storage: [
          { path: '/storage/deal-sealing', canSeal: true, canStore: false, capacityTiB: 15 * TiB },
          { path: '/storage/deal-store', canSeal: false, canStore: true, capacityTiB: 500 * TiB },
        ],
        workers: [
          {
            host: 'deal-sealer-01',
            tasks: ['AP', 'PC1', 'PC2'],
            cpus: 64,
            memoryGiB: 1024,
            swapGiB: 0,
            gpus: ['NVIDIA GeForce RTX 3080'],
            env: multicorePc1Env,
            scheduler: precommitScheduler,
          },
          ...c2Worker('deal-c2-01', 0),
        ],
        sealing: [
          { state: 'PreCommit1', count: 3, minutesInState: 45 },
          { state: 'WaitSeed', count: 1, minutesInState: 20 },
        ],
      },
    ],
    sectorCounter: { down: false },
    methodErrors: [],
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; arrays and scalars in `override` replace. */
export function mergeScenario<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeScenario(out[key], value);
  return out as T;
}

function variant(name: string, description: string, override: (base: ScenarioInput) => unknown): () => ScenarioInput {
  return () => {
    const base = defaultScenarioInput();
    return mergeScenario(base, { name, description, ...(override(base) as object) });
  };
}

/** Named variants: each is the healthy cluster with one thing wrong. */
export const scenarioVariants = {
  healthy: defaultScenarioInput,
  small: variant('small', 'The healthy cluster with 12,000 sectors (quick tests)', () => ({
    chain: { liveSectors: 12_000, dealMinerSectors: 1_000 },
  })),
  'daemon-out-of-sync': variant('daemon-out-of-sync', 'daemon-internal is 40 epochs (20 min) behind', (base) => ({
    daemons: base.daemons.map((d) =>
      d.name === 'daemon-internal' ? { ...d, lagEpochs: 40, syncStage: 3, peers: 2 } : d,
    ),
  })),
  'deadline-at-risk': variant('deadline-at-risk', 'The open deadline gets no WindowPoSt', () => ({
    chain: { unprovenCurrentDeadline: true },
  })),
  'new-faults': variant('new-faults', 'Faults in deadlines 3 and 17; some declared recovering', () => ({
    chain: {
      faults: [
        { deadline: 3, partition: 0, count: 120, offset: 1000 },
        { deadline: 17, partition: 1, count: 2349, offset: 0 },
      ],
      recoveries: [{ deadline: 3, partition: 0, count: 40, offset: 1000 }],
    },
  })),
  'low-balance': variant('low-balance', 'Worker wallet and miner available balance nearly empty', (base) => ({
    balances: { available: fil(0.35), wallets: { ...base.balances.wallets, f01002: fil(0.02), f01003: fil(0.004) } },
  })),
  'stuck-sector': variant('stuck-sector', 'One PC1 stuck for 20 hours, one SealPreCommit1Failed', (base) => ({
    miners: base.miners.map((m) =>
      m.name === 'seal-miner'
        ? {
            ...m,
            sealing: [
              ...(m.sealing ?? []),
              { state: 'PreCommit1', count: 1, minutesInState: 20 * 60, stuck: true },
              {
                state: 'SealPreCommit1Failed',
                count: 1,
                minutesInState: 200,
                lastErr: "maybeSchedRequest didn't find any good workers",
              },
            ],
          }
        : m,
    ),
  })),
  'worker-gone': variant('worker-gone', 'The second C2 worker on c2-01 has disconnected', (base) => ({
    miners: base.miners.map((m) =>
      m.name === 'seal-miner' ? { ...m, workers: (m.workers ?? []).filter((w) => w.name !== 'c2-01-gpu1') } : m,
    ),
  })),
  'four-workers-per-host': variant(
    'four-workers-per-host',
    'Small, with sealer-03 running four AP+PC1 workers of an upstream build (the miner reports no AddPieceMax)',
    (base) => ({
      chain: { liveSectors: 12_000, dealMinerSectors: 1_000 },
      miners: base.miners.map((m) => {
        if (m.name !== 'seal-miner') return m;
        const workers = m.workers ?? [];
        const sealer03 = workers.find((w) => w.host === 'sealer-03');
        if (!sealer03) return m;
        return { ...m, workers: [...workers.filter((w) => w !== sealer03), sealer03, sealer03, sealer03, sealer03] };
      }),
    }),
  ),
  'counter-down': variant('counter-down', 'The sector counter on the winning-post miner is down', () => ({
    sectorCounter: { down: true },
  })),
} satisfies Record<string, () => ScenarioInput>;

export type ScenarioName = keyof typeof scenarioVariants;

/** A scenario by name, validated. */
export function namedScenario(name: ScenarioName | string): Scenario {
  const make = (scenarioVariants as Record<string, () => ScenarioInput>)[name];
  if (!make) {
    throw new OpsError('INVALID_ARGUMENT', {
      detail: `unknown scenario "${name}"; known: ${Object.keys(scenarioVariants).join(', ')}`,
    });
  }
  return parseScenario(make());
}

export function defaultScenario(): Scenario {
  return parseScenario(defaultScenarioInput());
}

export function parseScenario(input: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `invalid scenario:\n${z.prettifyError(parsed.error)}` });
  }
  const scenario = parsed.data;
  const names = [...scenario.daemons.map((d) => d.name), ...scenario.miners.map((m) => m.name)];
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `invalid scenario: two nodes are named "${duplicate}"` });
  }
  if (scenario.chain.dealMinerSectors > scenario.chain.liveSectors) {
    const detail = 'invalid scenario: chain.dealMinerSectors exceeds chain.liveSectors';
    throw new OpsError('INVALID_ARGUMENT', { detail });
  }
  return scenario;
}

/**
 * A scenario from YAML. `base: <variant>` (default "healthy") names the scenario it starts from; every other key
 * overrides it (objects merge, lists replace).
 */
export function loadScenarioYaml(text: string): Scenario {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `scenario YAML does not parse: ${(error as Error).message}` });
  }
  const { base = 'healthy', ...override } = isPlainObject(doc) ? doc : {};
  const make = (scenarioVariants as Record<string, () => ScenarioInput>)[String(base)];
  if (!make) {
    throw new OpsError('INVALID_ARGUMENT', {
      detail: `scenario YAML: unknown base "${String(base)}"; known: ${Object.keys(scenarioVariants).join(', ')}`,
    });
  }
  return parseScenario(mergeScenario(make(), override));
}

import { performance } from 'node:perf_hooks';
import { pollCluster } from '../../src/cluster/cluster-poll.js';
import type { ClusterServices } from '../../src/cluster/cluster-services.js';
import { createClusterServices } from '../../src/cluster/create-cluster-services.js';
import { type Config, configSchema, type DaemonConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { FullNodeApi } from '../../src/lotus/full-node-api.js';
import {
  defaultScenarioInput,
  parseScenario,
  type Scenario,
  type ScenarioInput,
} from '../../src/simulator/scenario.js';
import { type SimulatedCluster, startSimulator } from '../../src/simulator/start-simulator.js';
import { HttpRequestCounter } from '../lib/http-count.js';
import type { FigureResult } from '../lib/report.js';
import { formatMs, median, round, spread, timed } from '../lib/stats.js';

const MINERS = 20;
const WORKERS = 200;
const CONCURRENCY = 8;
/** The same simulated network as figure 1. */
const LATENCY_MS = 20;

type MinerInput = ScenarioInput['miners'][number];
type WorkerInput = NonNullable<MinerInput['workers']>[number];

/**
 * The demo cluster grown to 20 miner processes (a winning-post miner that is also the sector counter, a window-post
 * miner, 16 seal-miners and 2 deal-miners) with 200 workers spread over the sealing miners, all on one actor.
 */
export function bigClusterScenario(): Scenario {
  const base = defaultScenarioInput();
  const sealing: MinerInput[] = [];
  for (let i = 1; i <= MINERS - 2; i++) {
    const deal = i > MINERS - 4;
    sealing.push({
      name: deal ? `deal-miner-${String(i).padStart(2, '0')}` : `seal-miner-${String(i).padStart(2, '0')}`,
      roles: [deal ? 'deal' : 'seal'],
      maxSealingSectors: 120,
      storage: [
        { path: '/storage/sealing', canSeal: true, canStore: false, capacityTiB: 30 },
        { path: '/storage/store', canSeal: false, canStore: true, capacityTiB: 5000 },
      ],
      workers: [],
      sealing: [
        { state: 'PreCommit1', count: 6, minutesInState: 60 },
        { state: 'PreCommit2', count: 1, minutesInState: 8 },
        { state: 'WaitSeed', count: 2, minutesInState: 30 },
      ],
    });
  }
  const kinds: Array<Pick<WorkerInput, 'tasks' | 'gpus'>> = [
    { tasks: ['AP', 'PC1'], gpus: [] },
    { tasks: ['AP', 'PC1', 'PC2'], gpus: ['NVIDIA GeForce RTX 3080'] },
    { tasks: ['PC2'], gpus: ['NVIDIA GeForce RTX 3090'] },
    { tasks: ['C1', 'C2'], gpus: ['NVIDIA GeForce RTX 3090'] },
  ];
  for (let w = 0; w < WORKERS; w++) {
    const miner = sealing[w % sealing.length] as MinerInput;
    const kind = kinds[w % kinds.length] as (typeof kinds)[number];
    (miner.workers as WorkerInput[]).push({
      host: `worker-${String(w).padStart(3, '0')}`,
      tasks: kind.tasks,
      cpus: 64,
      memoryGiB: 512,
      swapGiB: 0,
      gpus: kind.gpus,
      env: { FIL_PROOFS_PARAMETER_CACHE: '/data/filecoin-proof-parameters' },
    });
  }
  const post = (base.miners as MinerInput[]).filter(
    (m) => m.roles.includes('winning-post') || m.roles.includes('window-post'),
  );
  return parseScenario({
    ...base,
    name: 'bench-20-miners',
    description: `${MINERS} miners, ${WORKERS} workers`,
    miners: [...post, ...sealing],
  });
}

/** A configuration for the simulated cluster, as an operator would write it. */
function configFor(sim: SimulatedCluster): Config {
  return configSchema.parse({
    cluster: {
      name: 'bench cluster',
      daemons: sim.fullNodes.map((d) => ({ name: d.name, api: d.apiInfo, public: d.name === 'daemon-public' })),
      miners: sim.miners.map((m) => ({
        name: m.name,
        actor: sim.actor,
        api: m.apiInfo,
        roles: m.roles,
        forkCommands: false,
        ...(m.roles.includes('sector-counter')
          ? { sectorCounterListen: `${sim.sectorCounter.host}:${sim.sectorCounter.port}` }
          : {}),
      })),
    },
    log: { level: 'error' },
  });
}

/**
 * The baseline: the same 46 reads with the same clients, one after another, each its own request (how a simple
 * poller, or a loop over `lotus` / `lotus-miner` CLI calls, does it).
 */
async function sequentialPass(services: ClusterServices, daemonApi: (d: DaemonConfig) => FullNodeApi): Promise<number> {
  let failures = 0;
  const read = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch {
      failures++;
    }
  };
  for (const daemon of services.topology.daemons) {
    const api = daemonApi(daemon);
    await read(() => api.chainHead());
    await read(() => api.syncState());
  }
  for (const miner of services.topology.miners) {
    const api = services.miner(miner.name);
    await read(() => api.workerStats());
    await read(() => api.sectorsSummary());
  }
  for (const actor of new Set(services.topology.miners.map((m) => m.actor))) {
    await read(() => services.fullNode().stateMinerProvingDeadline(actor, []));
    await read(() => services.fullNode().stateMinerDeadlines(actor, []));
  }
  return failures;
}

/** Figure 4: one collection pass of the alert engine over 20 miners and 200 workers. */
export async function pollFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const scenario = bigClusterScenario();
  const sim = await startSimulator({ scenario, latencyMs: LATENCY_MS });
  const counter = new HttpRequestCounter();
  const log = createLogger({ level: 'error' });
  const services = createClusterServices(configFor(sim), { log, clock: systemClock });
  try {
    const origins = [...sim.fullNodes, ...sim.miners].map((n) => `http://127.0.0.1:${n.port}`);
    const workerCount = sim.scenario.miners.reduce((n, m) => n + m.workers.length, 0);
    // The baseline uses the same clients as pollCluster: the services' own, kept across runs.
    const daemonApi = (d: DaemonConfig): FullNodeApi => services.daemon(d.name);

    let lastFailures = 0;
    let workersSeen = 0;
    const ours = async () => {
      const poll = await pollCluster(services, { concurrency: CONCURRENCY });
      lastFailures = poll.failures;
      workersSeen = poll.miners.reduce((n, m) => n + (m.workers.ok ? Object.keys(m.workers.value).length : 0), 0);
    };
    let baselineFailures = 0;
    const baseline = async () => {
      baselineFailures = await sequentialPass(services, daemonApi);
    };
    const measure = async (fn: () => Promise<void>) => {
      sim.controls.resetRequestCounts();
      counter.reset();
      const { ms } = await timed(fn);
      let calls = 0;
      for (const node of [...sim.fullNodes, ...sim.miners]) {
        for (const n of Object.values(sim.controls.requestCounts(node.name))) calls += n;
      }
      return { ms, requests: counter.count(origins), calls };
    };

    await ours();
    await baseline();
    type Sample = { ms: number; requests: number; calls: number };
    const samples = { ours: [] as Sample[], sequential: [] as Sample[] };
    for (let i = 0; i < options.runs; i++) {
      samples.ours.push(await measure(ours));
      samples.sequential.push(await measure(baseline));
    }
    const o = median(samples.ours.map((s) => s.ms));
    const b = median(samples.sequential.map((s) => s.ms));
    const oReq = median(samples.ours.map((s) => s.requests));
    const bReq = median(samples.sequential.map((s) => s.requests));
    const oCalls = median(samples.ours.map((s) => s.calls));
    const bCalls = median(samples.sequential.map((s) => s.calls));
    const range = (list: Array<{ ms: number }>) => {
      const r = spread(list.map((s) => s.ms));
      return `${formatMs(r.min)}–${formatMs(r.max)}`;
    };
    const failures = lastFailures + baselineFailures;
    return {
      id: 'poll',
      title: '4. alert-engine collection pass',
      rows: [
        {
          figure: `4. poll pass (${sim.miners.length} miners, ${workerCount} workers)`,
          ours: { value: round(o), unit: 'ms', text: formatMs(o) },
          baseline: { value: round(b), unit: 'ms', text: formatMs(b), name: 'the same reads, sequential' },
          ratio: o / b,
          notes:
            `median of ${options.runs}; pollCluster concurrency ${CONCURRENCY}, ${LATENCY_MS} ms/request; ` +
            `ours ${range(samples.ours)}, ` +
            `sequential ${range(samples.sequential)}; ${workersSeen} workers read` +
            (failures > 0 ? `; ${failures} reads FAILED` : '; no read failed'),
        },
        {
          figure: '4. poll pass RPC cost',
          ours: { value: oReq, unit: 'requests', text: `${oReq} HTTP requests, ${oCalls} calls` },
          baseline: { value: bReq, unit: 'requests', text: `${bReq} requests, ${bCalls} calls`, name: 'sequential' },
          ratio: oReq / bReq,
          notes:
            'one batch per node: 2 daemons × (ChainHead, SyncState), 20 miners × (WorkerStats, SectorsSummary), ' +
            '1 actor × (ProvingDeadline, Deadlines)',
        },
      ],
      details: {
        miners: sim.miners.length,
        workers: workerCount,
        workersRead: workersSeen,
        concurrency: CONCURRENCY,
        latencyMs: LATENCY_MS,
        runs: options.runs,
        samples,
        medianMs: { ours: round(o), sequential: round(b) },
        requests: { ours: oReq, sequential: bReq },
        calls: { ours: oCalls, sequential: bCalls },
        failures: { ours: lastFailures, sequential: baselineFailures },
      },
      durationMs: performance.now() - started,
    };
  } finally {
    counter.close();
    await services.close();
    await sim.close();
  }
}

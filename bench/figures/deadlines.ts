import { performance } from 'node:perf_hooks';
import { terminalPrincipal } from '../../src/adapters/terminal/identity.js';
import { assembleReport } from '../../src/cluster/deadlines-report.js';
import type { Reply } from '../../src/core/reply.js';
import { FullNodeApi } from '../../src/lotus/full-node-api.js';
import type { Partition } from '../../src/lotus/schemas.js';
import { startSimulator } from '../../src/simulator/start-simulator.js';
import { HttpRequestCounter } from '../lib/http-count.js';
import type { FigureResult } from '../lib/report.js';
import { formatMs, median, round, spread, timed } from '../lib/stats.js';
import { startDemoApp } from '../support/demo-app.js';

/** Simulated network latency per HTTP request, as the issue asks. */
const LATENCY_MS = 20;

interface Sample {
  ms: number;
  /** HTTP requests (round trips) sent to the simulator. */
  requests: number;
  /** JSON-RPC calls the simulator served (batch items one by one). */
  calls: number;
}

/**
 * Figure 1: `/deadlines` on the 150,000-sector demo miner behind 20 ms per request, through runtime.dispatch on
 * config/demo.yaml, against `lotus-miner proving deadlines`' 51 sequential calls and against the floor of two bare
 * round trips. Runs are interleaved (ours, CLI, floor, ours, …) so that drift hits all three alike.
 */
export async function deadlinesFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const sim = await startSimulator({ scenario: 'healthy', latencyMs: LATENCY_MS });
  const counter = new HttpRequestCounter();
  const demo = await startDemoApp(sim).catch(async (error: unknown) => {
    counter.close();
    await sim.close();
    throw error;
  });
  try {
    const { app, config } = demo;
    const origins = [...sim.fullNodes, ...sim.miners].map((n) => `http://127.0.0.1:${n.port}`);
    const actor = sim.actor;
    // The daemon the bot's ClusterServices.fullNode() picks (the first non-public one), with the same client class.
    const daemon = config.cluster.daemons.find((d) => !d.public) ?? config.cluster.daemons[0];
    if (!daemon) throw new Error('config/demo.yaml has no daemon');
    const api = FullNodeApi.fromApiInfo(daemon.api, { timeoutMs: 30_000 });
    const principal = terminalPrincipal(config.terminal.as);

    const ours = async (): Promise<void> => {
      const reply: Reply = await app.runtime.dispatch({
        principal,
        channel: { platform: 'terminal', id: 'bench', name: 'bench' },
        command: 'deadlines',
        text: '',
      });
      if (reply.outcome !== undefined && reply.outcome !== 'ok') {
        throw new Error(`/deadlines answered ${reply.outcome}: ${reply.title}`);
      }
    };
    // lotus-miner proving deadlines: StateMinerDeadlines, StateMinerProvingDeadline, ChainHead, then one
    // StateMinerPartitions per deadline, each waiting for the previous one. It then counts the bitfields; so does
    // this baseline, with the same pure function /deadlines uses, so that only the wire differs.
    const cli = async (): Promise<void> => {
      const deadlineList = await api.stateMinerDeadlines(actor, []);
      const info = await api.stateMinerProvingDeadline(actor, []);
      const head = await api.chainHead();
      const partitions: Partition[][] = [];
      for (let i = 0; i < deadlineList.length; i++) partitions.push(await api.stateMinerPartitions(actor, i, []));
      assembleReport({ actor, info, deadlineList, partitions, head, now: Date.now() });
    };
    // What cannot be avoided: the head, then one request that depends on it. Two bare calls of a trivial method.
    const floor = async (): Promise<void> => {
      await api.version();
      await api.version();
    };

    const measure = async (fn: () => Promise<void>): Promise<Sample> => {
      sim.controls.resetRequestCounts();
      counter.reset();
      const { ms } = await timed(fn);
      let calls = 0;
      for (const node of [...sim.fullNodes, ...sim.miners]) {
        for (const n of Object.values(sim.controls.requestCounts(node.name))) calls += n;
      }
      return { ms, requests: counter.count(origins), calls };
    };

    // Warm-up: connections, JIT, the simulator's caches, SQLite.
    await ours();
    await cli();
    await floor();
    const samples = { ours: [] as Sample[], cli: [] as Sample[], floor: [] as Sample[] };
    for (let i = 0; i < options.runs; i++) {
      samples.ours.push(await measure(ours));
      samples.cli.push(await measure(cli));
      samples.floor.push(await measure(floor));
    }
    const ms = (list: Sample[]) => median(list.map((s) => s.ms));
    const trips = (list: Sample[]) => median(list.map((s) => s.requests));
    const calls = (list: Sample[]) => median(list.map((s) => s.calls));
    const range = (list: Sample[]) => {
      const r = spread(list.map((s) => s.ms));
      return `${formatMs(r.min)}–${formatMs(r.max)}`;
    };
    const o = ms(samples.ours);
    const c = ms(samples.cli);
    const f = ms(samples.floor);
    const runsNote = `median of ${options.runs} runs`;
    return {
      id: 'deadlines',
      title: '1. /deadlines, 150k sectors, 20 ms/request',
      rows: [
        {
          figure: '1. /deadlines (150k sectors, 20 ms/req)',
          ours: { value: round(o), unit: 'ms', text: formatMs(o) },
          baseline: {
            value: round(c),
            unit: 'ms',
            text: formatMs(c),
            name: 'lotus-miner proving deadlines, 51 sequential calls',
          },
          ratio: o / c,
          notes:
            `${runsNote}; ours ${range(samples.ours)} via runtime.dispatch (RBAC, audit row, reply); ` +
            `CLI ${range(samples.cli)}`,
        },
        {
          figure: '1. /deadlines vs the floor',
          ours: { value: round(o), unit: 'ms', text: formatMs(o) },
          baseline: { value: round(f), unit: 'ms', text: formatMs(f), name: 'floor: 2 bare round trips (Version)' },
          ratio: o / f,
          notes: `${runsNote}; floor ${range(samples.floor)}; the rest is lotus's work on 150k sectors and ours`,
        },
        {
          figure: '1. /deadlines RPC round trips',
          ours: { value: trips(samples.ours), unit: 'requests', text: `${trips(samples.ours)} HTTP requests` },
          baseline: { value: trips(samples.cli), unit: 'requests', text: `${trips(samples.cli)}`, name: 'CLI' },
          ratio: trips(samples.ours) / trips(samples.cli),
          notes:
            `JSON-RPC calls served: ours ${calls(samples.ours)}, CLI ${calls(samples.cli)}; ` +
            `floor ${trips(samples.floor)} requests`,
        },
      ],
      details: {
        latencyMs: LATENCY_MS,
        sectors: sim.scenario.chain.liveSectors,
        runs: options.runs,
        samples,
        medianMs: { ours: round(o), cli: round(c), floor: round(f) },
        roundTrips: { ours: trips(samples.ours), cli: trips(samples.cli), floor: trips(samples.floor) },
        calls: { ours: calls(samples.ours), cli: calls(samples.cli), floor: calls(samples.floor) },
      },
      durationMs: performance.now() - started,
    };
  } finally {
    counter.close();
    await demo.close();
    await sim.close();
  }
}

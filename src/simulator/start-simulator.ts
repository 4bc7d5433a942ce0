import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../core/clock.js';
import type { MinerRole } from '../lotus/miner-roles.js';
import { type LotusPermission, permissionLevels } from '../lotus/permissions.js';
import { ClusterState } from './cluster-state.js';
import { fullNodeHandlers, type NodeIdentity } from './full-node-handlers.js';
import { tokenFor, verifyJwt } from './jwt.js';
import { minerHandlers } from './miner-handlers.js';
import { type CallInterception, RpcServer } from './rpc-server.js';
import { namedScenario, type PartitionSectorsSpec, type Scenario } from './scenario.js';

export interface StartSimulatorOptions {
  /** A scenario object, or the name of a built-in variant; the healthy cluster by default. */
  scenario?: Scenario | string;
  /** Drives the chain (head height, deadlines, sealing progress); the system clock by default. */
  clock?: Clock;
  /** Loopback address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Simulated network latency per HTTP request, in ms (real time). */
  latencyMs?: number;
}

export interface SimulatedNode {
  name: string;
  kind: 'full' | 'miner';
  /** http://host:port/rpc/v1 (full node) or /rpc/v0 (miner). */
  url: string;
  /** /ip4/127.0.0.1/tcp/<port>/http */
  multiaddr: string;
  /** TOKEN:MULTIADDR with an admin token, as `lotus auth api-info --perm admin` prints it. */
  apiInfo: string;
  port: number;
  /** HS256 JWTs signed with this node's own secret, one per permission level. */
  tokens: Record<LotusPermission, string>;
}

export interface SimulatedMiner extends SimulatedNode {
  kind: 'miner';
  roles: MinerRole[];
}

export interface SimulatorControls {
  /** Puts a daemon's head `epochs` behind the clock (0 = in sync); SyncState shows `stage` meanwhile. */
  setDaemonLag(daemon: string, epochs: number, options?: { stage?: number; message?: string }): void;
  /** Stops a node's listener (connection refused) or starts it again on the same port. */
  stopNode(name: string): Promise<void>;
  startNode(name: string): Promise<void>;
  /** The deadline's WindowPoSt stops landing; at its close its healthy sectors turn faulty. Returns the index. */
  leaveDeadlineUnproven(deadline: number | 'current'): number;
  /** New faults in one partition from now on. Returns how many sectors. */
  addFaults(spec: { deadline: number; partition: number; count: number; offset?: number }): number;
  /** Declares faulty sectors recovering; they heal at the deadline's next proof. Returns how many. */
  declareRecoveries(spec: { deadline: number; partition: number; count: number; offset?: number }): number;
  /** attoFIL strings; wallets by ID address. */
  setBalances(balances: { minerActor?: string; available?: string; wallets?: Record<string, string> }): void;
  /** Freezes a sealing sector (a new stuck PC1 by default) on a miner. Returns its number. */
  stickSector(miner: string, options?: { sector?: number; state?: string; lastErr?: string }): number;
  /** Disconnects workers from a miner by UUID, host or worker name. Returns the UUIDs gone. */
  removeWorker(miner: string, which: string): string[];
  setMaxSealingSectors(miner: string, max: number): void;
  /** Enables or disables workers, puts them in drain mode (the fork's IsPlanOffline) or changes the GPUs they see. */
  setWorker(miner: string, which: string, change: { enabled?: boolean; drain?: boolean; gpus?: string[] }): string[];
  /** The addresses whose keys a daemon holds (WalletList). */
  setWalletKeys(daemon: string, addresses: string[]): void;
  /** Connects or disconnects two daemons of the cluster (each sees the other in NetPeers). */
  setDaemonPeering(a: string, b: string, connected: boolean): void;
  /** Messages from an address (ID) waiting in the pool: MpoolGetNonce runs ahead of its nonce by this many. */
  setMpoolBacklog(address: string, pending: number): void;
  /** Raises or resolves one of lotus's own alerts (LogAlerts) on a node; added if the node does not have it. */
  setNodeAlert(node: string, alert: { system: string; subsystem: string; active: boolean; message?: string }): void;
  /** A method on a node ('*' = every node) answers this JSON-RPC error instead of its result. */
  failMethod(node: string, method: string, message: string, code?: number): void;
  /** A method answers this raw result (wrong shapes for client tests). */
  overrideResult(node: string, method: string, result: unknown): void;
  clearFailures(): void;
  /** Every reply from a node becomes this raw body (HTTP `status`), e.g. malformed JSON; null restores. */
  rawResponses(node: string, response: { status: number; body: string } | null): void;
  /** A node runs each call, then drops the connection unanswered (the reply is lost after the work was done). */
  dropResponses(node: string, drop: boolean): void;
  stopSectorCounter(): Promise<void>;
  startSectorCounter(): Promise<void>;
  /** Latency per request in ms, for one node or (without `node`) all. */
  setLatency(ms: number, node?: string): void;
  /** Calls received per method (batch items counted one by one). */
  requestCounts(node: string): Record<string, number>;
  resetRequestCounts(): void;
}

export interface SimulatedCluster {
  scenario: Scenario;
  /** The one miner actor, e.g. f01000. */
  actor: string;
  fullNodes: SimulatedNode[];
  miners: SimulatedMiner[];
  /** The sector counter's TCP listener (on the winning-post miner's behalf). */
  sectorCounter: { host: string; port: number };
  controls: SimulatorControls;
  node(name: string): SimulatedNode;
  /** TOKEN:MULTIADDR for a node with a token of the given permission. */
  apiInfo(name: string, perm?: LotusPermission): string;
  close(): Promise<void>;
}

interface RunningNode {
  info: SimulatedNode | SimulatedMiner;
  server: RpcServer;
  latencyMs: number;
  counts: Map<string, number>;
  raw: { status: number; body: string } | null;
  drop: boolean;
}

function multiaddrOf(host: string, port: number): string {
  return `/${isIP(host) === 6 ? 'ip6' : 'ip4'}/${host}/tcp/${port}/http`;
}

/** Starts a simulated lotus cluster on loopback: two daemons over one chain and the miners of the scenario. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<SimulatedCluster> {
  const scenario =
    typeof options.scenario === 'string' || options.scenario === undefined
      ? namedScenario(options.scenario ?? 'healthy')
      : options.scenario;
  const clock = options.clock ?? systemClock;
  const host = options.host ?? '127.0.0.1';
  const state = new ClusterState(scenario, clock);
  const failures = new Map<string, CallInterception>();
  for (const e of scenario.methodErrors) {
    failures.set(`${e.node}\u0000${e.method}`, { error: { code: e.code, message: e.message } });
  }
  const nodes = new Map<string, RunningNode>();

  const intercept = (node: string) => (method: string) =>
    failures.get(`${node}\u0000${method}`) ?? failures.get(`*\u0000${method}`);

  const startNode = async (name: string, kind: 'full' | 'miner', roles: MinerRole[]): Promise<void> => {
    const secret = randomBytes(32);
    const tokens = Object.fromEntries(permissionLevels.map((p) => [p, tokenFor(p, secret)])) as Record<
      LotusPermission,
      string
    >;
    const identity: NodeIdentity = {
      name,
      session: randomUUID(),
      startTime: new Date(state.startMs - 26 * 3_600_000).toISOString(),
      verify: (token) => verifyJwt(token, secret),
    };
    const methods = kind === 'full' ? fullNodeHandlers(state, identity) : minerHandlers(state, identity);
    let running: RunningNode | undefined;
    const server = new RpcServer({
      name,
      paths: kind === 'full' ? ['/rpc/v1', '/rpc/v0'] : ['/rpc/v0'],
      methods,
      verifyToken: identity.verify,
      latencyMs: () => running?.latencyMs ?? 0,
      intercept: intercept(name),
      rawResponse: () => running?.raw ?? undefined,
      dropResponse: () => running?.drop ?? false,
      onCall: (method) => running?.counts.set(method, (running.counts.get(method) ?? 0) + 1),
      routes: kind === 'full' ? healthRoutes(state, name) : undefined,
    });
    const port = await server.start(host, 0);
    const multiaddr = multiaddrOf(host, port);
    const display = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    const base = {
      name,
      url: `http://${display}${kind === 'full' ? '/rpc/v1' : '/rpc/v0'}`,
      multiaddr,
      apiInfo: `${tokens.admin}:${multiaddr}`,
      port,
      tokens,
    };
    const info: SimulatedNode | SimulatedMiner = kind === 'full' ? { ...base, kind } : { ...base, kind, roles };
    running = { info, server, latencyMs: options.latencyMs ?? 0, counts: new Map(), raw: null, drop: false };
    nodes.set(name, running);
  };

  const nodeOf = (name: string): RunningNode => {
    const node = nodes.get(name);
    if (!node) throw new RangeError(`no simulated node "${name}"; known: ${[...nodes.keys()].join(', ')}`);
    return node;
  };

  try {
    for (const d of scenario.daemons) await startNode(d.name, 'full', []);
    for (const m of scenario.miners) await startNode(m.name, 'miner', m.roles);
    await state.counter.start(host, 0);
    if (scenario.sectorCounter.down) await state.counter.stop();
  } catch (error) {
    await Promise.all([...nodes.values()].map((n) => n.server.stop()));
    await state.counter.stop();
    throw error;
  }

  type PartitionInput = { deadline: number; partition: number; count: number; offset?: number };
  const partitionSpec = (spec: PartitionInput): PartitionSectorsSpec => ({
    offset: 0,
    ...spec,
  });

  const controls: SimulatorControls = {
    setDaemonLag(daemon, epochs, opts = {}) {
      const d = state.daemon(daemon);
      d.lagEpochs = epochs;
      d.syncStage = opts.stage ?? d.syncStage;
      d.syncMessage = opts.message ?? d.syncMessage;
    },
    stopNode: (name) => nodeOf(name).server.stop(),
    startNode: async (name) => {
      await nodeOf(name).server.start(host);
    },
    leaveDeadlineUnproven(deadline) {
      const epoch = state.chain.epochNow();
      const index = deadline === 'current' ? state.actor.provingDeadline(epoch).Index : deadline;
      state.actor.leaveUnproven(index, epoch);
      return index;
    },
    addFaults: (spec) => state.actor.addFaults(partitionSpec(spec), state.chain.epochNow()).count(),
    declareRecoveries: (spec) => state.actor.declareRecoveries(partitionSpec(spec), state.chain.epochNow()).count(),
    setBalances(balances) {
      if (balances.minerActor !== undefined) state.balances.minerActor = BigInt(balances.minerActor);
      if (balances.available !== undefined) state.balances.available = BigInt(balances.available);
      for (const [address, value] of Object.entries(balances.wallets ?? {})) {
        state.balances.wallets.set(address, BigInt(value));
      }
    },
    stickSector: (miner, opts) => state.sealingOf(miner).stickSector(opts),
    removeWorker: (miner, which) => state.sealingOf(miner).removeWorker(which),
    setMaxSealingSectors(miner, max) {
      state.sealingOf(miner).maxSealingSectors = max;
    },
    setWorker: (miner, which, change) => state.sealingOf(miner).setWorker(which, change),
    setWalletKeys(daemon, addresses) {
      state.daemon(daemon).walletKeys = [...addresses];
    },
    setDaemonPeering(a, b, connected) {
      for (const [one, other] of [
        [a, b],
        [b, a],
      ] as const) {
        if (connected) state.daemon(one).peerDaemons.add(other);
        else state.daemon(one).peerDaemons.delete(other);
      }
    },
    setMpoolBacklog(address, pending) {
      const id = state.lookupId(address) ?? address;
      state.mpoolBacklog.set(id, pending);
    },
    setNodeAlert(node, alert) {
      const list = state.daemons.has(node) ? state.daemon(node).spec.alerts : state.sealingOf(node).miner.alerts;
      const existing = list.find((a) => a.system === alert.system && a.subsystem === alert.subsystem);
      const next = { message: '', ...alert };
      if (existing) Object.assign(existing, next);
      else list.push(next);
    },
    failMethod(node, method, message, code = 1) {
      failures.set(`${node}\u0000${method}`, { error: { code, message } });
    },
    overrideResult(node, method, result) {
      failures.set(`${node}\u0000${method}`, { result });
    },
    clearFailures: () => failures.clear(),
    rawResponses(node, response) {
      nodeOf(node).raw = response;
    },
    dropResponses(node, drop) {
      nodeOf(node).drop = drop;
    },
    stopSectorCounter: () => state.counter.stop(),
    startSectorCounter: async () => {
      await state.counter.start(host);
    },
    setLatency(ms, node) {
      for (const n of node === undefined ? nodes.values() : [nodeOf(node)]) n.latencyMs = ms;
    },
    requestCounts: (node) => Object.fromEntries(nodeOf(node).counts),
    resetRequestCounts() {
      for (const n of nodes.values()) n.counts.clear();
    },
  };

  const all = [...nodes.values()].map((n) => n.info);
  return {
    scenario,
    actor: scenario.actor.id,
    fullNodes: all.filter((n): n is SimulatedNode => n.kind === 'full'),
    miners: all.filter((n): n is SimulatedMiner => n.kind === 'miner'),
    sectorCounter: { host, port: state.counter.port },
    controls,
    node: (name) => nodeOf(name).info,
    apiInfo: (name, perm = 'admin') => {
      const { info } = nodeOf(name);
      return `${info.tokens[perm]}:${info.multiaddr}`;
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((n) => n.server.stop()));
      await state.counter.stop();
    },
  };
}

/** lotus's /health/livez (a head within ~5 minutes) and /health/readyz (< 5 epochs behind). */
function healthRoutes(state: ClusterState, daemon: string) {
  return (pathname: string): { status: number; body: string } | undefined => {
    const lag = state.daemon(daemon).lagEpochs;
    const answer = (ok: boolean, failure: string) =>
      ok ? { status: 200, body: 'ok' } : { status: 503, body: failure };
    if (pathname === '/health/livez') return answer(lag < 10, 'not live');
    if (pathname === '/health/readyz') return answer(lag < 5, 'not ready');
    return undefined;
  };
}

import type { Clock } from '../core/clock.js';
import { Bitfield } from '../lotus/bitfield.js';
import { countsAsSealing } from '../lotus/sector-states.js';
import { type TaskShortName, type TaskType, taskTypeOf } from '../lotus/task-types.js';
import { fakeBytes, fakeCid, fakeUuid } from './fake-ids.js';
import { logAlertsView } from './log-alerts.js';
import { RpcMethodError } from './rpc-server.js';
import type { MinerSpec, SealingSpec, WorkerSpec } from './scenario.js';
import { effectiveResources, type Resources, taskThreads, visibleGpus } from './worker-resources.js';

const MINUTE = 60_000;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

/** The CC sealing path the simulator walks, with the task a worker runs in each state and a typical duration. */
const pipeline: ReadonlyArray<{ state: string; task?: TaskShortName; minutes: number; event: string }> = [
  { state: 'Packing', task: 'AP', minutes: 8, event: 'SectorStartCC' },
  { state: 'GetTicket', minutes: 1, event: 'SectorPacked' },
  { state: 'PreCommit1', task: 'PC1', minutes: 200, event: 'SectorTicket' },
  { state: 'PreCommit2', task: 'PC2', minutes: 20, event: 'SectorPreCommit1' },
  { state: 'SubmitPreCommitBatch', minutes: 5, event: 'SectorPreCommit2' },
  { state: 'PreCommitBatchWait', minutes: 3, event: 'SectorPreCommitBatchSent' },
  { state: 'WaitSeed', minutes: 75, event: 'SectorPreCommitLanded' },
  { state: 'Committing', task: 'C2', minutes: 25, event: 'SectorSeedReady' },
  // Sectors wait here for the aggregate batch (CommitBatchWait is 24 h), which keeps the chain layout fixed.
  { state: 'SubmitCommitAggregate', minutes: Infinity, event: 'SectorCommitted' },
];
const stepIndex = new Map(pipeline.map((s, i) => [s.state, i]));
const startOffsetMinutes = (i: number) => pipeline.slice(0, i).reduce((sum, s) => sum + s.minutes, 0);

const fullTask = (short: TaskShortName): TaskType => taskTypeOf(short) as TaskType;

interface SimWorker {
  id: string;
  spec: WorkerSpec;
  tasks: TaskType[];
  gpus: string[];
  resources: Record<TaskType, Record<string, Resources>>;
  /** Set when the worker disconnects: from then on it is gone from WorkerStats. */
  goneSinceMs?: number;
}

interface SealingSector {
  number: number;
  /** Virtual time the sector entered Packing (pipeline sectors). */
  startMs: number;
  /** A stuck or off-pipeline sector stays in this state. */
  fixed?: { state: string; sinceMs: number };
  lastErr: string;
  assigned: Partial<Record<TaskShortName, string>>;
}

interface Job {
  sector: number;
  task: TaskShortName;
  enteredMs: number;
  runWait: number;
}

interface SectorNow {
  state: string;
  enteredMs: number;
  task?: TaskShortName;
  /** Waiting for a worker that is gone, or for any worker at all. */
  waiting: boolean;
  stuck: boolean;
  /** Pipeline step index, or -1 off the pipeline. */
  step: number;
}

export interface SealingModelOptions {
  miner: MinerSpec;
  actorNumber: number;
  sealProof: number;
  sectorSize: number;
  /** Proving sectors whose metadata this miner holds (a PoSt-miner holds none). */
  provingSectors: Bitfield;
  /** Sectors on the store paths this miner has attached (a PoSt-miner reads all). */
  storedSectors: Bitfield;
  clock: Clock;
  startMs: number;
  allocate: () => number;
  chainEpochAt: (ms: number) => number;
  initialPledge: string;
  activationBase: number;
}

/** One lotus-miner's sealing side: its sector metadata, pipeline, workers, jobs, storage and alerts. */
export class SealingModel {
  readonly miner: MinerSpec;
  maxSealingSectors: number;
  private readonly options: SealingModelOptions;
  private readonly workers: SimWorker[];
  private readonly sectors = new Map<number, SealingSector>();
  private readonly roundRobin = new Map<TaskShortName, number>();
  private allocate: () => number;

  constructor(options: SealingModelOptions) {
    this.options = options;
    this.miner = options.miner;
    this.maxSealingSectors = options.miner.maxSealingSectors;
    this.allocate = options.allocate;
    const seen = new Map<string, number>();
    this.workers = options.miner.workers.map((spec) => {
      // Sealing workers always fetch and finalize; a PoSt worker does its one kind of proof only.
      const isPost = spec.tasks.some((t) => t === 'WDP' || t === 'WNP');
      const tasks = [...new Set([...spec.tasks, ...(isPost ? [] : ['GET', 'FIN'])])];
      // Unnamed workers on one host (several processes, one hostname) each get their own id.
      const key = `worker:${options.miner.name}:${spec.host}:${spec.name ?? ''}`;
      const nth = seen.get(key) ?? 0;
      seen.set(key, nth + 1);
      return {
        id: fakeUuid(nth === 0 ? key : `${key}#${nth}`),
        spec,
        tasks: tasks.map((t) => fullTask(t as TaskShortName)),
        gpus: visibleGpus(spec.gpus, spec.env),
        resources: effectiveResources(spec.env),
      };
    });
    for (const spec of options.miner.sealing) this.addInitial(spec);
  }

  /** Where new sector numbers come from (the shared counter once the cluster is up). */
  useAllocator(allocate: () => number): void {
    this.allocate = allocate;
  }

  get name(): string {
    return this.miner.name;
  }

  private addInitial(spec: SealingSpec): void {
    const now = this.options.startMs;
    for (let i = 0; i < spec.count; i++) {
      const number = this.allocate();
      const step = stepIndex.get(spec.state);
      const enteredMs = now - spec.minutesInState * MINUTE;
      const sector: SealingSector = {
        number,
        startMs: step === undefined ? enteredMs : enteredMs - startOffsetMinutes(step) * MINUTE,
        lastErr: spec.lastErr,
        assigned: this.assign(false),
      };
      if (step === undefined || spec.stuck) sector.fixed = { state: spec.state, sinceMs: enteredMs };
      this.sectors.set(number, sector);
    }
  }

  /** Workers for a new sector: AP and PC1 stay on one host when they can, PC2 too if it can; C2 round-robin. */
  private assign(newWork: boolean): Partial<Record<TaskShortName, string>> {
    const able = (task: TaskShortName) =>
      this.workers.filter(
        (w) =>
          w.goneSinceMs === undefined &&
          w.spec.enabled &&
          w.spec.tasks.includes(task) &&
          !(newWork && w.spec.scheduler?.IsPlanOffline === true),
      );
    const pick = (task: TaskShortName, prefer?: string): string | undefined => {
      const candidates = able(task);
      if (prefer && candidates.some((w) => w.id === prefer)) return prefer;
      if (candidates.length === 0) return undefined;
      const n = this.roundRobin.get(task) ?? 0;
      this.roundRobin.set(task, n + 1);
      return candidates[n % candidates.length]?.id;
    };
    const ap = pick('AP');
    const pc1 = pick('PC1', ap);
    const pc2 = pick('PC2', pc1);
    const c2 = pick('C2');
    const out: Partial<Record<TaskShortName, string>> = {};
    if (ap) out.AP = ap;
    if (pc1) out.PC1 = pc1;
    if (pc2) out.PC2 = pc2;
    if (c2) out.C2 = c2;
    return out;
  }

  private worker(id: string | undefined): SimWorker | undefined {
    return id === undefined ? undefined : this.workers.find((w) => w.id === id);
  }

  /** Where a sector is at `nowMs`: walks the pipeline, stopping where its worker is missing. */
  private stateOf(sector: SealingSector, nowMs: number): SectorNow {
    if (sector.fixed) {
      const step = stepIndex.get(sector.fixed.state) ?? -1;
      const task = pipeline[step]?.task;
      const { state, sinceMs } = sector.fixed;
      return { state, enteredMs: sinceMs, ...(task ? { task } : {}), waiting: false, stuck: true, step };
    }
    let entered = sector.startMs;
    for (let i = 0; i < pipeline.length; i++) {
      const step = pipeline[i] as (typeof pipeline)[number];
      const leaves = entered + step.minutes * MINUTE;
      if (step.task) {
        const worker = this.worker(sector.assigned[step.task]);
        const blocked = !worker || (worker.goneSinceMs !== undefined && leaves > worker.goneSinceMs);
        if (blocked && entered <= nowMs) {
          return { state: step.state, enteredMs: entered, task: step.task, waiting: true, stuck: false, step: i };
        }
      }
      if (nowMs < leaves) {
        const task = step.task ? { task: step.task } : {};
        return { state: step.state, enteredMs: entered, ...task, waiting: false, stuck: false, step: i };
      }
      entered = leaves;
    }
    const last = pipeline.length - 1;
    return { state: 'SubmitCommitAggregate', enteredMs: entered, waiting: false, stuck: false, step: last };
  }

  private now(): number {
    return this.options.clock.now();
  }

  sealingCount(): number {
    const now = this.now();
    let n = 0;
    for (const sector of this.sectors.values()) if (countsAsSealing(this.stateOf(sector, now).state)) n++;
    return n;
  }

  /** PledgeSector: lotus's MaxSealingSectors check, a number from the shared counter, then a sector in Packing. */
  pledge(): { Miner: number; Number: number } {
    const sealing = this.sealingCount();
    if (this.maxSealingSectors > 0 && sealing >= this.maxSealingSectors) {
      throw new RpcMethodError(`too many sectors sealing (curSealing: ${sealing}, max: ${this.maxSealingSectors})`);
    }
    const number = this.allocate();
    this.sectors.set(number, { number, startMs: this.now(), lastErr: '', assigned: this.assign(true) });
    return { Miner: this.options.actorNumber, Number: number };
  }

  summary(): Record<string, number> {
    const now = this.now();
    const out: Record<string, number> = {};
    const proving = this.options.provingSectors.count();
    if (proving > 0) out.Proving = proving;
    for (const sector of this.sectors.values()) {
      const { state } = this.stateOf(sector, now);
      out[state] = (out[state] ?? 0) + 1;
    }
    return out;
  }

  /** Every sector number this miner holds metadata for (expands the proving set: not for hot paths). */
  list(): number[] {
    return [...this.options.provingSectors.values(), ...[...this.sectors.keys()].sort((a, b) => a - b)];
  }

  listInStates(states: readonly string[]): number[] {
    const wanted = new Set(states);
    const now = this.now();
    const out = wanted.has('Proving') ? [...this.options.provingSectors.values()] : [];
    for (const sector of [...this.sectors.values()].sort((a, b) => a.number - b.number)) {
      if (wanted.has(this.stateOf(sector, now).state)) out.push(sector.number);
    }
    return out;
  }

  holds(number: number): boolean {
    return this.sectors.has(number) || this.options.provingSectors.has(number);
  }

  /** Sector numbers past pre-commit: allocated on chain even though not proving yet. */
  precommitted(number: number): boolean {
    const sector = this.sectors.get(number);
    if (!sector) return false;
    const { step } = this.stateOf(sector, this.now());
    return step > (stepIndex.get('SubmitPreCommitBatch') ?? 0);
  }

  allocated(): Bitfield {
    return this.options.provingSectors.union(Bitfield.fromSet(this.sectors.keys()));
  }

  status(number: number, showOnChainInfo: boolean): Record<string, unknown> {
    const sector = this.sectors.get(number);
    if (!sector && !this.options.provingSectors.has(number)) {
      throw new RpcMethodError(`getting sector info: sector ${number} not found: datastore: key not found`);
    }
    const { sealProof, sectorSize } = this.options;
    const cid = (kind: string, prefix?: string) => ({ '/': fakeCid(`${kind}:${number}`, prefix) });
    const piece = { Piece: { Size: sectorSize, PieceCID: cid('piece', 'baga6ea4seaq') }, DealInfo: null };
    if (!sector) {
      // Older sector numbers were activated earlier, one epoch apart.
      const newest = this.options.provingSectors.last() ?? number;
      const activation = Math.max(1, this.options.activationBase - newest + number);
      const onChain = showOnChainInfo;
      return {
        SectorID: number,
        State: 'Proving',
        CommD: cid('commd', 'baga6ea4seaq'),
        CommR: cid('commr', 'bagboea4b5abc'),
        Proof: fakeBytes(`proof:${number}`, 192),
        Deals: [],
        Pieces: [piece],
        Ticket: { Value: fakeBytes(`ticket:${number}`, 32), Epoch: activation - 300 },
        Seed: { Value: fakeBytes(`seed:${number}`, 32), Epoch: activation - 20 },
        PreCommitMsg: cid('precommit-msg'),
        CommitMsg: cid('commit-msg'),
        Retries: 0,
        ToUpgrade: false,
        ReplicaUpdateMessage: null,
        LastErr: '',
        Log: [{ Kind: 'event;sealing.SectorProving', Timestamp: 1598306400 + activation * 30, Trace: '', Message: '' }],
        SealProof: sealProof,
        Activation: onChain ? activation : 0,
        Expiration: onChain ? activation + 1_555_200 : 0,
        DealWeight: '0',
        VerifiedDealWeight: '0',
        InitialPledge: onChain ? this.options.initialPledge : '0',
        OnTime: onChain ? activation + 1_555_200 : 0,
        Early: 0,
      };
    }
    const now = this.now();
    const where = this.stateOf(sector, now);
    const reached = (state: string) => where.step > (stepIndex.get(state) ?? Infinity);
    const epochAt = (ms: number) => this.options.chainEpochAt(ms);
    const entryMs = (i: number) => sector.startMs + startOffsetMinutes(i) * MINUTE;
    const log = pipeline
      .map((step, i) => ({ step, i }))
      .filter(({ i }) => (where.step < 0 ? i === 0 : i <= where.step))
      .map(({ step, i }) => ({
        Kind: `event;sealing.${step.event}`,
        Timestamp: Math.floor((where.step < 0 ? where.enteredMs : entryMs(i)) / 1000),
        Trace: '',
        Message: '',
      }));
    if (sector.lastErr) {
      log.push({ Kind: 'error;', Timestamp: Math.floor(where.enteredMs / 1000), Trace: '', Message: sector.lastErr });
    }
    return {
      SectorID: number,
      State: where.state,
      CommD: reached('PreCommit2') ? cid('commd', 'baga6ea4seaq') : null,
      CommR: reached('PreCommit2') ? cid('commr', 'bagboea4b5abc') : null,
      Proof: null,
      Deals: [],
      Pieces: [piece],
      Ticket: reached('GetTicket')
        ? { Value: fakeBytes(`ticket:${number}`, 32), Epoch: epochAt(entryMs(2)) - 5 }
        : { Value: null, Epoch: 0 },
      Seed: reached('WaitSeed')
        ? { Value: fakeBytes(`seed:${number}`, 32), Epoch: epochAt(entryMs(7)) }
        : { Value: null, Epoch: 0 },
      PreCommitMsg: reached('SubmitPreCommitBatch') ? cid('precommit-msg') : null,
      CommitMsg: null,
      Retries: sector.lastErr ? 3 : 0,
      ToUpgrade: false,
      ReplicaUpdateMessage: null,
      LastErr: sector.lastErr,
      Log: log,
      SealProof: sealProof,
      Activation: 0,
      Expiration: 0,
      DealWeight: '0',
      VerifiedDealWeight: '0',
      InitialPledge: '0',
      OnTime: 0,
      Early: 0,
    };
  }

  /** Jobs per worker: per worker and task the oldest `limit` run (RunWait 0), the rest queue (RunWait ≥ 2). */
  private jobs(nowMs: number): Map<string, Job[]> {
    const byWorker = new Map<string, Array<Omit<Job, 'runWait'> & { stuck: boolean }>>();
    for (const sector of this.sectors.values()) {
      const now = this.stateOf(sector, nowMs);
      if (!now.task || now.waiting || now.state.endsWith('Failed')) continue;
      const worker = this.worker(sector.assigned[now.task]);
      if (!worker || worker.goneSinceMs !== undefined) continue;
      const list = byWorker.get(worker.id) ?? [];
      list.push({ sector: sector.number, task: now.task, enteredMs: now.enteredMs, stuck: now.stuck });
      byWorker.set(worker.id, list);
    }
    const out = new Map<string, Job[]>();
    for (const [id, list] of byWorker) {
      const worker = this.worker(id) as SimWorker;
      const jobs: Job[] = [];
      for (const task of new Set(list.map((j) => j.task))) {
        const ofTask = list
          .filter((j) => j.task === task)
          .sort((a, b) => Number(a.stuck) - Number(b.stuck) || a.enteredMs - b.enteredMs || a.sector - b.sector);
        const limit = this.limitOf(worker, task);
        let queued = 0;
        ofTask.forEach((j, i) => {
          const running = !j.stuck && i < limit;
          jobs.push({ sector: j.sector, task, enteredMs: j.enteredMs, runWait: running ? 0 : 2 + queued++ });
        });
      }
      out.set(id, jobs);
    }
    return out;
  }

  /** How many of a task a worker runs at once: the fork's *Max, else MaxConcurrent, else what its RAM/GPUs allow. */
  private limitOf(worker: SimWorker, task: TaskShortName): number {
    const fork = worker.spec.scheduler;
    const forkMax = { AP: fork?.AddPieceMax, PC1: fork?.PreCommit1Max, PC2: fork?.PreCommit2Max, C2: fork?.Commit2Max }[
      task as 'AP' | 'PC1' | 'PC2' | 'C2'
    ];
    if (forkMax !== undefined && forkMax > 0) return forkMax;
    const res = worker.resources[fullTask(task)]?.[String(this.options.sealProof)];
    if (res && res.MaxConcurrent > 0) return res.MaxConcurrent;
    if (res && res.GPUUtilization > 0) return Math.max(1, worker.gpus.length);
    return Math.max(1, Math.floor((worker.spec.memoryGiB * GiB) / Math.max(GiB, res?.MinMemory ?? GiB)));
  }

  workerJobs(): Record<string, unknown[]> {
    const now = this.now();
    const jobs = this.jobs(now);
    const out: Record<string, unknown[]> = {};
    for (const worker of this.connected()) {
      out[worker.id] = (jobs.get(worker.id) ?? [])
        .sort((a, b) => a.enteredMs - b.enteredMs || a.sector - b.sector)
        .map((j) => {
          const sector = { Miner: this.options.actorNumber, Number: j.sector };
          return {
            ID: { Sector: sector, ID: fakeUuid(`call:${this.name}:${j.sector}:${j.task}`) },
            Sector: sector,
            Task: fullTask(j.task),
            RunWait: j.runWait,
            Start: new Date(j.enteredMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            // lotus reports the worker's name (lotus-worker run --name, LOTUS_WORKER_NAME), the host name by default.
            Hostname: worker.spec.name ?? worker.spec.host,
          };
        });
    }
    return out;
  }

  private connected(): SimWorker[] {
    return this.workers.filter((w) => w.goneSinceMs === undefined);
  }

  workerStats(): Record<string, unknown> {
    const jobs = this.jobs(this.now());
    const proof = String(this.options.sealProof);
    const out: Record<string, unknown> = {};
    for (const worker of this.connected()) {
      const running = (jobs.get(worker.id) ?? []).filter((j) => j.runWait === 0);
      let memMin = 0;
      let memMax = 0;
      let gpuUsed = 0;
      let cpuUse = 0;
      const taskCounts: Record<string, number> = {};
      for (const job of running) {
        const taskType = fullTask(job.task);
        const res = worker.resources[taskType]?.[proof];
        if (!res) continue;
        memMin += res.MinMemory;
        memMax += res.MaxMemory;
        gpuUsed += worker.gpus.length > 0 ? res.GPUUtilization : 0;
        cpuUse += taskThreads(res, worker.spec.cpus, worker.gpus.length);
        taskCounts[`${proof}:${taskType}`] = (taskCounts[`${proof}:${taskType}`] ?? 0) + 1;
      }
      const memPhysical = Math.round(worker.spec.memoryGiB * GiB);
      const fork = worker.spec.scheduler;
      const forkFields = fork
        ? {
            IsMiner: false,
            AllowMyScheduler: true,
            ...fork,
            DiskUsed: running.reduce((n, j) => n + (j.task === 'AP' ? 1 : 14), 0),
            APDiskUsed: running.filter((j) => j.task === 'AP' || j.task === 'PC1').length,
          }
        : {};
      out[worker.id] = {
        Info: {
          Hostname: worker.spec.name ?? worker.spec.host,
          IgnoreResources: false,
          Resources: {
            MemPhysical: memPhysical,
            MemUsed: Math.min(memPhysical, 8 * GiB + memMin),
            MemSwap: Math.round(worker.spec.swapGiB * GiB),
            MemSwapUsed: 0,
            CPUs: worker.spec.cpus,
            GPUs: worker.gpus,
            Resources: worker.resources,
            ...forkFields,
          },
        },
        Tasks: worker.tasks,
        Enabled: worker.spec.enabled,
        MemUsedMin: memMin,
        MemUsedMax: memMax,
        GpuUsed: Math.min(gpuUsed, worker.gpus.length),
        CpuUse: Math.min(cpuUse, worker.spec.cpus),
        TaskCounts: taskCounts,
      };
    }
    return out;
  }

  schedDiag(): Record<string, unknown> {
    const now = this.now();
    const requests: unknown[] = [];
    for (const sector of [...this.sectors.values()].sort((a, b) => a.number - b.number)) {
      const where = this.stateOf(sector, now);
      if (!where.waiting || !where.task) continue;
      requests.push({
        Sector: { Miner: this.options.actorNumber, Number: sector.number },
        TaskType: fullTask(where.task),
        Priority: 0,
        SchedId: fakeUuid(`sched:${this.name}:${sector.number}:${where.task}`),
      });
    }
    return {
      SchedInfo: { Requests: requests, OpenWindows: this.connected().map((w) => w.id) },
      ReturnedWork: [],
      Waiting: [],
      CallToWork: {},
      EarlyRet: [],
    };
  }

  private storageIds(): Array<{ id: string; spec: MinerSpec['storage'][number] }> {
    return this.miner.storage.map((spec) => ({ id: fakeUuid(`storage:${spec.path}`), spec }));
  }

  storageList(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    const miner = this.options.actorNumber;
    for (const { id, spec } of this.storageIds()) {
      const decls: unknown[] = [];
      if (spec.canSeal) {
        for (const sector of [...this.sectors.values()].sort((a, b) => a.number - b.number)) {
          const types = this.stateOf(sector, this.now()).step > (stepIndex.get('PreCommit1') ?? 0) ? [1, 2, 4] : [1, 4];
          for (const t of types) decls.push({ Miner: miner, Number: sector.number, SectorFileType: t });
        }
      }
      if (spec.canStore) {
        for (const n of this.options.storedSectors.values()) {
          decls.push({ Miner: miner, Number: n, SectorFileType: 2 }, { Miner: miner, Number: n, SectorFileType: 4 });
        }
      }
      out[id] = decls;
    }
    return out;
  }

  storageStat(id: string): Record<string, number> {
    const found = this.storageIds().find((s) => s.id === id);
    if (!found) throw new RpcMethodError(`fsstat: path ${id} not found`);
    const { spec } = found;
    const capacity = Math.round(spec.capacityTiB * TiB);
    const computed =
      (spec.canSeal ? this.sectors.size * 16 * this.options.sectorSize : 0) +
      (spec.canStore ? this.options.storedSectors.count() * Math.round(this.options.sectorSize * 1.003) : 0);
    const used = Math.min(capacity, spec.usedTiB === undefined ? computed : Math.round(spec.usedTiB * TiB));
    const reserved = spec.canSeal ? Math.min(capacity - used, this.sealingCount() * 2 * this.options.sectorSize) : 0;
    return {
      Capacity: capacity,
      Available: capacity - used - reserved,
      FSAvailable: capacity - used,
      Reserved: reserved,
      Max: 0,
      Used: used,
    };
  }

  logAlerts(): unknown[] {
    return logAlertsView(this.miner.alerts, this.options.startMs);
  }

  // ---- controls ----

  /** Disconnects workers (by UUID, host or worker name); their running tasks stall. Returns the UUIDs removed. */
  removeWorker(which: string): string[] {
    const now = this.now();
    const hit = this.workers.filter(
      (w) => w.goneSinceMs === undefined && (w.id === which || w.spec.host === which || w.spec.name === which),
    );
    for (const w of hit) w.goneSinceMs = now;
    const gone = new Set(hit.map((w) => w.id));
    // The task running there stalls; tasks a sector has not reached yet go to the workers that remain.
    for (const sector of this.sectors.values()) {
      if (sector.fixed) continue;
      const { step } = this.stateOf(sector, now);
      for (const later of pipeline.slice(step + 1)) {
        if (later.task && gone.has(sector.assigned[later.task] ?? '')) {
          const replacement = this.assign(false)[later.task];
          if (replacement) sector.assigned[later.task] = replacement;
          else delete sector.assigned[later.task];
        }
      }
    }
    return hit.map((w) => w.id);
  }

  /** Changes connected workers (by UUID, host or worker name) in place. Returns the UUIDs changed. */
  setWorker(which: string, change: { enabled?: boolean; drain?: boolean; gpus?: string[] }): string[] {
    const hit = this.connected().filter((w) => w.id === which || w.spec.host === which || w.spec.name === which);
    for (const w of hit) {
      // Each worker gets its own spec: workers built from one spec (four on a host) change one by one.
      w.spec = { ...w.spec };
      if (change.enabled !== undefined) w.spec.enabled = change.enabled;
      if (change.drain !== undefined) w.spec.scheduler = { ...w.spec.scheduler, IsPlanOffline: change.drain };
      if (change.gpus !== undefined) w.gpus = change.gpus;
    }
    return hit.map((w) => w.id);
  }

  /** Freezes a sector where it is (or in `state`), optionally with an error. Returns its number. */
  stickSector(options: { sector?: number; state?: string; lastErr?: string } = {}): number {
    const now = this.now();
    let sector = options.sector === undefined ? undefined : this.sectors.get(options.sector);
    if (!sector) {
      if (options.sector !== undefined) throw new RangeError(`${this.name} has no sealing sector ${options.sector}`);
      const wanted = options.state ?? 'PreCommit1';
      sector = [...this.sectors.values()].find((s) => !s.fixed && this.stateOf(s, now).state === wanted);
    }
    let created = false;
    if (!sector) {
      const number = this.allocate();
      sector = { number, startMs: now, lastErr: '', assigned: this.assign(false) };
      this.sectors.set(number, sector);
      created = true;
    }
    const where = this.stateOf(sector, now);
    const state = options.state ?? (created ? 'PreCommit1' : where.state);
    sector.fixed = { state, sinceMs: state === where.state ? where.enteredMs : now };
    if (options.lastErr !== undefined) sector.lastErr = options.lastErr;
    return sector.number;
  }
}

import { performance } from 'node:perf_hooks';
import type { JobRecord, Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { JobStatus } from '../command.js';
import { isOpsError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type Metrics, noMetrics } from '../metrics.js';
import { explainable } from '../store-failure.js';

/** One run of a job: its time, a signal that fires at its timeout, and the state the previous run left. */
export interface JobRun {
  now: number;
  signal: AbortSignal;
  state: Record<string, unknown>;
  log: Logger;
}

/** Something the long-lived process does on its own, on an interval. */
export interface JobDefinition {
  /** Unique, kebab-case: it names the job in /health and in the store. */
  name: string;
  description: string;
  everyMs: number;
  /** A run still going after this is recorded as timed out, its signal fires, and the job may run again. */
  timeoutMs: number;
  /** Returns the state the next run starts from (a cursor, say); undefined keeps the previous one. */
  run(run: JobRun): Promise<Record<string, unknown> | undefined>;
}

export interface JobRegistryOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** This process, as the lease names it. */
  owner: string;
  /** How often `start` looks for due jobs (default 1 s). */
  tickMs?: number;
  /** Each run's outcome and duration is counted here (/metrics). */
  metrics?: Metrics;
  /**
   * Whether this instance leads (default: always). Instances sharing a PostgreSQL store run jobs only on the leader;
   * each run is still claimed with its lease, so a leader that lost the lead mid-run never overlaps its successor.
   */
  leads?: () => boolean;
}

/**
 * The background work of the long-lived process: expiring approval requests, reporting interrupted executions,
 * updating chat messages, pledge schedules, and later alert checks. Each run is claimed in the store with a lease,
 * so two processes sharing a store never run one job at once, and one takes over when the other stops; a run that
 * was missed (the process was down, the run before took long) is not stacked: the next is simply due now. Every
 * run's start, duration, outcome and error are kept, for /health.
 *
 * `tick()` runs whatever is due and resolves when those runs end: tests drive it on a fake clock, with no sleeps.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobDefinition>();
  /** Runs of this process that have not ended yet (a timed-out run may still be going). */
  private readonly running = new Map<string, Promise<void>>();
  /** Jobs asked to run again (`runSoon`) and the loops that see to it. */
  private readonly requested = new Set<string>();
  private readonly draining = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: JobRegistryOptions) {}

  register(job: JobDefinition): void {
    if (this.jobs.has(job.name)) throw new Error(`a job named ${job.name} is registered twice`);
    this.jobs.set(job.name, job);
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 1_000);
    this.timer.unref();
    void this.tick();
  }

  /** Stops looking for due jobs and waits for the runs under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.draining.values()]);
    await Promise.allSettled([...this.running.values()]);
  }

  /** Runs every due job not already running here; resolves when those runs have ended (or timed out). */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runDue().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /**
   * Runs a job now in this process, e.g. when a decision should reach the chat at once; a request made while a run is
   * under way gets a run of its own after it, so that no change is missed. When another process holds the job, it is
   * made due for that one instead; so it is on an instance that does not lead.
   */
  runSoon(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (this.stopped || !job) return Promise.resolve();
    this.requested.add(name);
    const draining = this.draining.get(name);
    if (draining) return draining;
    const drain = (async () => {
      while (this.requested.has(name) && !this.stopped) {
        const under = this.running.get(name);
        if (under) {
          await under;
          continue;
        }
        this.requested.delete(name);
        const claimed = this.leads() ? await this.claim(job, true) : undefined;
        if (!claimed) await this.options.store.requestJobRun(name, this.options.clock.now());
        else await this.launch(job, claimed);
      }
    })().finally(() => this.draining.delete(name));
    this.draining.set(name, drain);
    return drain;
  }

  /** Every registered job with its last run, as the store holds it (runs by another process included). */
  async list(): Promise<JobStatus[]> {
    const records = new Map((await this.options.store.listJobs()).map((r) => [r.name, r]));
    return [...this.jobs.values()].map((job) => statusOf(job, records.get(job.name), this.options.clock.now()));
  }

  private leads(): boolean {
    return this.options.leads?.() ?? true;
  }

  private async runDue(): Promise<void> {
    if (this.stopped || !this.leads()) return;
    const runs: Array<Promise<void>> = [];
    for (const job of this.jobs.values()) {
      if (this.running.has(job.name)) continue;
      const claimed = await this.claim(job, false);
      if (claimed) runs.push(this.launch(job, claimed));
    }
    await Promise.all(runs);
  }

  private async claim(job: JobDefinition, now: boolean): Promise<JobRecord | undefined> {
    try {
      return await this.options.store.claimJob({
        name: job.name,
        owner: this.options.owner,
        now: this.options.clock.now(),
        leaseMs: job.timeoutMs,
        everyMs: job.everyMs,
        ...(now ? { evenIfNotDue: true } : {}),
      });
    } catch (error) {
      this.options.log.error({ err: error, job: job.name }, 'could not claim a job run');
      return undefined;
    }
  }

  /** Starts a claimed run; resolves when its outcome is recorded. */
  private launch(job: JobDefinition, claimed: JobRecord): Promise<void> {
    const { recorded, ended } = this.execute(job, claimed);
    this.running.set(
      job.name,
      ended.finally(() => this.running.delete(job.name)),
    );
    return recorded;
  }

  /**
   * `recorded` resolves once the run's outcome is in the store (at its timeout at the latest); `ended` once the work
   * itself has ended, which for a hung run may be much later: until then this process does not start it again.
   */
  private execute(job: JobDefinition, claimed: JobRecord): { recorded: Promise<void>; ended: Promise<void> } {
    const startedAt = this.options.clock.now();
    const startedPerf = performance.now();
    const controller = new AbortController();
    const log = this.options.log.child({ job: job.name });
    const work = (async () => job.run({ now: startedAt, signal: controller.signal, state: claimed.state, log }))();
    const ended = work.then(
      () => undefined,
      () => undefined,
    );
    return { recorded: this.record(job, work, controller, startedAt, startedPerf, log), ended };
  }

  private async record(
    job: JobDefinition,
    work: Promise<Record<string, unknown> | undefined>,
    controller: AbortController,
    startedAt: number,
    startedPerf: number,
    log: Logger,
  ): Promise<void> {
    const { store, clock } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), job.timeoutMs);
      timer.unref();
    });
    let outcome: 'ok' | 'failed' | 'timeout' = 'ok';
    let error: string | null = null;
    let state: Record<string, unknown> | undefined;
    try {
      const result = await Promise.race([work, timedOut]);
      if (result === 'timeout') {
        outcome = 'timeout';
        error = `still running after ${job.timeoutMs} ms`;
        controller.abort();
        log.warn({ timeoutMs: job.timeoutMs }, 'a job run timed out');
      } else state = result;
    } catch (raised) {
      const thrown = explainable(raised);
      outcome = 'failed';
      error = isOpsError(thrown) ? thrown.message : thrown instanceof Error ? thrown.message : String(thrown);
      if (!isOpsError(thrown)) log.error({ err: thrown }, 'a job run failed');
      else log.warn({ code: thrown.code, msg: thrown.message }, 'a job run failed');
    } finally {
      clearTimeout(timer);
    }
    // Wall time, not the clock's: a run on a test's frozen clock still took the time it took.
    (this.options.metrics ?? noMetrics).jobRun(job.name, outcome, (performance.now() - startedPerf) / 1000);
    await store
      .finishJob({
        name: job.name,
        owner: this.options.owner,
        now: clock.now(),
        outcome,
        error,
        durationMs: clock.now() - startedAt,
        ...(state === undefined ? {} : { state }),
      })
      .catch((finishError: unknown) => log.error({ err: finishError }, 'could not record a job run'));
  }
}

function statusOf(job: JobDefinition, record: JobRecord | undefined, now: number): JobStatus {
  const held = record?.leaseOwner && (record.leaseExpiresAt ?? 0) > now ? record.leaseOwner : null;
  return {
    name: job.name,
    description: job.description,
    everyMs: job.everyMs,
    nextRunAt: record?.nextRunAt ?? null,
    lastStartedAt: record?.lastStartedAt ?? null,
    lastDurationMs: record?.lastDurationMs ?? null,
    lastOutcome: record?.lastOutcome ?? null,
    lastError: record?.lastError ?? null,
    runs: record?.runs ?? 0,
    failures: record?.failures ?? 0,
    runningIn: held,
  };
}

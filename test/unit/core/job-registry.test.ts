import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { type JobDefinition, JobRegistry } from '../../../src/core/jobs/job-registry.js';
import type { Store } from '../../../src/store/store.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLog, createHarness, type Harness, people, textOf } from '../../helpers/runtime-harness.js';
import { describeEachStore } from '../../helpers/stores.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A job that counts its runs and can be held open or made to fail. */
function countingJob(options: { everyMs?: number; timeoutMs?: number } = {}) {
  const job = {
    runs: 0,
    hold: undefined as Promise<void> | undefined,
    fail: undefined as string | undefined,
    definition: {
      name: 'count',
      description: 'Counts its runs',
      everyMs: options.everyMs ?? 10_000,
      timeoutMs: options.timeoutMs ?? 5_000,
      run: async ({ state }) => {
        job.runs++;
        if (job.hold) await job.hold;
        if (job.fail) throw new Error(job.fail);
        return { seen: Number(state.seen ?? 0) + 1 };
      },
    } satisfies JobDefinition,
  };
  return job;
}

function registry(store: Store, clock: FakeClock, owner: string): JobRegistry {
  return new JobRegistry({ store, clock, log: captureLog().log, owner });
}

// Jobs are claimed with leases in the store: every behaviour here is checked on SQLite and on PostgreSQL.
describeEachStore('the job registry', (stores) => {
  it('given a job every 10 s, when ticked on a fake clock, then it runs when due, once, and keeps the state it returned', async () => {
    const clock = new FakeClock();
    const jobs = registry((await stores.fresh()).store, clock, 'p1');
    const job = countingJob();
    jobs.register(job.definition);
    await jobs.tick();
    await jobs.tick();
    expect(job.runs).toBe(1);
    clock.advance(9_999);
    await jobs.tick();
    expect(job.runs).toBe(1);
    clock.advance(1);
    await jobs.tick();
    expect(job.runs).toBe(2);
    const [status] = await jobs.list();
    expect(status).toMatchObject({ name: 'count', runs: 2, failures: 0, lastOutcome: 'ok', lastError: null });
  });

  it('given the process was away for ten intervals, when it ticks again, then the missed runs are not stacked: one run', async () => {
    const clock = new FakeClock();
    const jobs = registry((await stores.fresh()).store, clock, 'p1');
    const job = countingJob();
    jobs.register(job.definition);
    await jobs.tick();
    clock.advance(100_000);
    await jobs.tick();
    await jobs.tick();
    expect(job.runs).toBe(2);
  });

  it('given two processes sharing a store, when both tick while a run is under way, then only one runs it', async () => {
    const clock = new FakeClock();
    const shared = await stores.fresh();
    const first = registry(shared.store, clock, 'p1');
    const second = registry(await shared.open(), clock, 'p2');
    const a = countingJob({ everyMs: 1_000, timeoutMs: 60_000 });
    const b = countingJob({ everyMs: 1_000, timeoutMs: 60_000 });
    let release: () => void = () => undefined;
    a.hold = new Promise((resolve) => {
      release = resolve;
    });
    b.hold = a.hold;
    first.register(a.definition);
    second.register(b.definition);
    const running = first.tick();
    // The first process's run is under way (on PostgreSQL its claim is a round trip away, so wait for it)…
    await eventually(async () => a.runs === 1);
    // …and even when the run is due again, the other process finds the lease held.
    clock.advance(2_000);
    await second.tick();
    expect(a.runs + b.runs).toBe(1);
    expect((await second.list())[0]?.runningIn).toBe('p1');
    release();
    await running;
    await second.tick();
    expect(b.runs).toBe(1);
  });

  it('given a process that died holding a run, when its lease ends, then another process takes the job over', async () => {
    const clock = new FakeClock();
    const shared = await stores.fresh();
    const store = shared.store;
    await store.claimJob({ name: 'count', owner: 'dead', now: clock.now(), leaseMs: 5_000, everyMs: 10_000 });
    const jobs = registry(await shared.open(), clock, 'p2');
    const job = countingJob();
    jobs.register(job.definition);
    clock.advance(4_000);
    await jobs.tick();
    expect(job.runs).toBe(0);
    clock.advance(6_000);
    await jobs.tick();
    expect(job.runs).toBe(1);
  });

  it('given a job that fails, then the run is recorded with its error and the next one still comes', async () => {
    const clock = new FakeClock();
    const jobs = registry((await stores.fresh()).store, clock, 'p1');
    const job = countingJob();
    job.fail = 'node unreachable';
    jobs.register(job.definition);
    await jobs.tick();
    expect((await jobs.list())[0]).toMatchObject({ lastOutcome: 'failed', lastError: 'node unreachable', failures: 1 });
    job.fail = undefined;
    clock.advance(10_000);
    await jobs.tick();
    expect((await jobs.list())[0]).toMatchObject({ lastOutcome: 'ok', lastError: null, runs: 2, failures: 1 });
  });

  it('given a run that hangs past its timeout, then it is recorded as timed out and not started again while it hangs', async () => {
    const clock = new FakeClock();
    const jobs = registry((await stores.fresh()).store, clock, 'p1');
    const job = countingJob({ timeoutMs: 20 });
    let release: () => void = () => undefined;
    job.hold = new Promise((resolve) => {
      release = resolve;
    });
    jobs.register(job.definition);
    await jobs.tick();
    expect((await jobs.list())[0]).toMatchObject({ lastOutcome: 'timeout', lastError: 'still running after 20 ms' });
    clock.advance(10_000);
    await jobs.tick();
    expect(job.runs).toBe(1);
    release();
    await jobs.stop();
  });

  it('given a change asked for while a run is under way, then another run follows it, so the change is not missed', async () => {
    const clock = new FakeClock();
    const jobs = registry((await stores.fresh()).store, clock, 'p1');
    const job = countingJob();
    let release: () => void = () => undefined;
    job.hold = new Promise((resolve) => {
      release = resolve;
    });
    jobs.register(job.definition);
    jobs.start();
    await eventually(async () => job.runs === 1);
    const soon = jobs.runSoon('count');
    job.hold = undefined;
    release();
    await soon;
    expect(job.runs).toBe(2);
    await jobs.stop();
  });
});

describe('/health', () => {
  it('lists the background jobs with their last runs', async () => {
    h = await createHarness();
    await h.jobs.tick();
    const reply = await h.run(people.victor, '/health');
    const text = textOf(reply);
    for (const name of ['approvals-expiry', 'executions-recovery', 'chat-updates']) expect(text).toContain(name);
    const table = reply.blocks.find((b) => b.kind === 'table' && b.caption === 'Background jobs');
    expect(table && table.kind === 'table' ? table.rows.map((r) => r[4]) : []).toEqual(['ok', 'ok', 'ok']);
  });
});

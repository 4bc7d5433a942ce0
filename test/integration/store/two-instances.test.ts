import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { JobDefinition } from '../../../src/core/jobs/job-registry.js';
import type { Store } from '../../../src/store/store.js';
import { eventually } from '../../helpers/eventually.js';
import { describeWithPostgres } from '../../helpers/postgres.js';
import { channel, createHarness, type Harness, people, requestIdOf, textOf } from '../../helpers/runtime-harness.js';
import { postgresFactory } from '../../helpers/stores.js';

/**
 * Two bot instances on one PostgreSQL, played in one process: each with its own store (its own connections), kernel
 * and jobs, on one fake clock. What they must never do is act twice.
 */

const ttlMs = 15_000;
const elsewhere = { platform: 'slack', id: 'C0OTHER' };
const pg = postgresFactory();
const harnesses: Harness[] = [];

async function instance(
  store: Store,
  name: string,
  shared: { clock: FakeClock; state: Harness['state'] },
): Promise<Harness> {
  const h = await createHarness({
    store,
    clock: shared.clock,
    state: shared.state,
    owner: { id: `${name}:1:0`, pid: 1, host: name, startedAt: 0 },
    leadership: { shared: true, ttlMs, announce: [channel] },
  });
  harnesses.push(h);
  return h;
}

/** Two instances on a fresh database, sharing the clock and the test command's execution counter. */
async function twoInstances(): Promise<{ a: Harness; b: Harness; clock: FakeClock; state: Harness['state'] }> {
  const shared = await pg.fresh();
  const clock = new FakeClock();
  const state: Harness['state'] = { executions: 0 };
  const a = await instance(shared.store, 'host-a', { clock, state });
  const b = await instance(await shared.open(), 'host-b', { clock, state });
  return { a, b, clock, state };
}

function countingJob(everyMs: number, timeoutMs: number) {
  const job = {
    runs: [] as string[],
    hold: undefined as Promise<void> | undefined,
    definition: (who: string): JobDefinition => ({
      name: 'post-report',
      description: 'Posts a report on a schedule',
      everyMs,
      timeoutMs,
      run: async () => {
        job.runs.push(who);
        // Only the first instance's run is held: it stands for a leader stuck in the run when it was killed.
        if (who === 'host-a' && job.hold) await job.hold;
        return undefined;
      },
    }),
  };
  return job;
}

describeWithPostgres('two instances on one PostgreSQL', () => {
  beforeAll(() => pg.start());
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
    await pg.closeAll();
  });
  afterAll(() => pg.stop());

  it('given 20 requests, when each is approved at the same moment on both instances, then each runs exactly once', async () => {
    const { a, b, state } = await twoInstances();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(requestIdOf(await (i % 2 === 0 ? a : b).run(people.alice, `/destroy disk-${i}`)));
    const replies = await Promise.all(
      ids.flatMap((id) => [
        a.run(people.bob, `/approvals approve ${id}`),
        b.run(people.carol, `/approvals approve ${id}`),
      ]),
    );
    expect(state.executions).toBe(20);
    expect(replies.filter((r) => r.title.startsWith('Destroyed'))).toHaveLength(20);
    expect(replies.filter((r) => textOf(r).includes('is already approved'))).toHaveLength(20);
    for (const id of ids) {
      expect((await a.store.getExecution(id))?.status).toBe('succeeded');
      const started = (await b.store.queryAudit({ approvalId: id, limit: 20 })).filter(
        (e) => e.event === 'execution.started',
      );
      expect(started).toHaveLength(1);
    }
  });

  it('given a leader that stops renewing (killed), when the standby ticks, then it leads within the lease and a third, says so, and runs no job twice', async () => {
    const { a, b, clock } = await twoInstances();
    const job = countingJob(30_000, 10_000);
    a.jobs.register(job.definition('host-a'));
    b.jobs.register(job.definition('host-b'));
    await a.leadership.tick();
    await b.leadership.tick();
    expect([a.leadership.leading(), b.leadership.leading()]).toEqual([true, false]);
    await a.jobs.tick();
    await b.jobs.tick();
    expect(job.runs).toEqual(['host-a']);
    expect(textOf(await b.run(people.alice, '/health'))).toContain('host-a:1:0 leads (Discord and scheduled work)');

    // host-a dies now: it renews nothing more, and the lease it renewed last runs out 15 s later.
    const lastRenewal = clock.now();
    clock.advance(ttlMs / 3);
    await b.leadership.tick();
    expect(b.leadership.leading()).toBe(false);
    clock.set(lastRenewal + ttlMs);
    await b.leadership.tick();
    expect(b.leadership.leading()).toBe(true);
    expect(clock.now() - lastRenewal).toBeLessThanOrEqual(b.leadership.takeoverMs);
    await b.settled();
    expect(b.posted.map((p) => [p.channel.id, p.reply.title])).toEqual([
      [channel.id, 'Another bot instance took over'],
    ]);
    expect(textOf(b.posted[0]?.reply ?? { title: '', blocks: [] })).toContain('in place of host-a:1:0');

    // The job is not due yet (it ran at the start, every 30 s): the new leader does not run it again early.
    await b.jobs.tick();
    expect(job.runs).toEqual(['host-a']);
    clock.set(lastRenewal + 30_000);
    // A leader renews every third of its lease; here, by hand on the fake clock.
    await b.leadership.tick();
    await b.jobs.tick();
    await b.jobs.tick();
    expect(job.runs).toEqual(['host-a', 'host-b']);

    // host-a comes back (it had only stalled): it finds the lead taken and runs nothing.
    await a.leadership.tick();
    expect(a.leadership.leading()).toBe(false);
    clock.advance(60_000);
    await b.leadership.tick();
    await a.leadership.tick();
    expect(a.leadership.leading()).toBe(false);
    await a.jobs.tick();
    expect(job.runs).toEqual(['host-a', 'host-b']);
    const status = await a.leadership.status();
    expect(status).toMatchObject({ leader: 'host-b:1:0', database: { ok: true } });
    expect(status.instances.map((i) => i.id)).toEqual(['host-a:1:0', 'host-b:1:0']);
    const health = textOf(await a.run(people.alice, '/health'));
    expect(health).toContain('host-b:1:0 leads');
    expect(health).toContain('host-a:1:0 (this one)');
  });

  it('given an outcome the leader already posted, when the leader is killed and the standby takes over, then nothing is posted twice and later outcomes are posted once, by the new leader', async () => {
    const { a, b, clock } = await twoInstances();
    await a.leadership.tick();
    await b.leadership.tick();
    // Approved on the standby, typed in another channel (a Slack event may reach either instance): the leader's chat
    // updates post the outcome in the request's channel.
    const first = requestIdOf(await b.run(people.alice, '/destroy disk-1'));
    expect((await b.run(people.bob, `/approvals approve ${first}`, elsewhere)).title).toBe('Destroyed disk-1');
    await b.settled();
    await a.jobs.tick();
    await b.jobs.tick();
    const outcomes = () =>
      [...a.posted, ...b.posted].filter((p) => p.reply.title.startsWith('Destroyed')).map((p) => p.reply.title);
    expect(outcomes()).toEqual(['Destroyed disk-1']);
    expect(a.posted.map((p) => p.reply.title)).toEqual(['Destroyed disk-1']);

    // host-a is killed; host-b takes over and runs the chat updates from where host-a's last run left them.
    clock.advance(ttlMs);
    await b.leadership.tick();
    expect(b.leadership.leading()).toBe(true);
    clock.advance(5_000);
    await b.leadership.tick();
    await b.jobs.tick();
    expect(outcomes()).toEqual(['Destroyed disk-1']);

    const second = requestIdOf(await a.run(people.alice, '/destroy disk-2'));
    expect((await a.run(people.bob, `/approvals approve ${second}`, elsewhere)).title).toBe('Destroyed disk-2');
    await a.settled();
    clock.advance(5_000);
    await b.leadership.tick();
    await b.jobs.tick();
    await a.jobs.tick();
    expect(outcomes()).toEqual(['Destroyed disk-1', 'Destroyed disk-2']);
    expect(b.posted.map((p) => p.reply.title)).toEqual(['Another bot instance took over', 'Destroyed disk-2']);
  });

  it('given a leader killed in the middle of a job run, when the standby takes over, then the run is not started again before its lease ends', async () => {
    const { a, b, clock } = await twoInstances();
    const job = countingJob(5_000, 60_000);
    let release: () => void = () => undefined;
    job.hold = new Promise((resolve) => {
      release = resolve;
    });
    a.jobs.register(job.definition('host-a'));
    b.jobs.register(job.definition('host-b'));
    await a.leadership.tick();
    const running = a.jobs.tick();
    try {
      await eventually(async () => job.runs.length === 1);
      // host-a is stuck in the run and stops renewing: host-b leads after the leadership lease…
      clock.advance(ttlMs + 1);
      await b.leadership.tick();
      expect(b.leadership.leading()).toBe(true);
      // …but the job's own lease (its timeout, 60 s, from when host-a claimed it) still holds the run.
      await b.jobs.tick();
      expect(job.runs).toEqual(['host-a']);
      clock.advance(60_000 - ttlMs - 1);
      await b.leadership.tick();
      await b.jobs.tick();
      expect(job.runs).toEqual(['host-a', 'host-b']);
    } finally {
      release();
      await running;
    }
  });

  it('given the leader shuts down cleanly, when the standby ticks, then it leads at once', async () => {
    const { a, b } = await twoInstances();
    await a.leadership.tick();
    await b.leadership.tick();
    expect(b.leadership.leading()).toBe(false);
    await a.leadership.stop();
    await b.leadership.tick();
    expect(b.leadership.leading()).toBe(true);
  });

  it('given the database stops while an approved command runs, when it ends, then the answer says so, nothing is half-written, and after the restart the bot works and reports the run interrupted, never re-run', async () => {
    const { a, clock, state } = await twoInstances();
    const server = pg.server();
    if (!server) throw new Error('no server');
    const id = requestIdOf(await a.run(people.alice, '/destroy disk-1'));
    let release: () => void = () => undefined;
    state.gate = new Promise((resolve) => {
      release = resolve;
    });
    const approving = a.run(people.bob, `/approvals approve ${id}`);
    await eventually(async () => state.executions === 1);
    await server.stopServer();
    release();
    const answer = await approving;
    expect(answer.outcome).toBe('failed');
    expect(textOf(answer)).toMatch(/does not answer/);
    expect(textOf(answer)).not.toMatch(/at .*\.ts:\d+/);

    // While it is down, a vote on another request gets a clear answer too.
    const refused = await a.run(people.bob, '/approvals approve ABCDEF');
    expect(textOf(refused)).toMatch(/does not answer/);

    await server.startServer();
    // The vote had committed whole (approved, one execution running); the outcome never reached the database.
    expect(await a.store.getApproval(id)).toMatchObject({ status: 'approved', approvedBy: [people.bob.id] });
    expect((await a.store.getExecution(id))?.status).toBe('running');
    // Once the execution's lease runs out, it is reported interrupted, and never run again.
    clock.advance(120_000);
    const [interrupted] = await a.store.claimInterruptedExecutions(clock.now());
    expect(interrupted?.approvalId).toBe(id);
    const again = await a.run(people.carol, `/approvals approve ${id}`);
    expect(textOf(again)).toContain('is already approved');
    expect(state.executions).toBe(1);
    // And new work goes through.
    state.gate = undefined;
    const next = requestIdOf(await a.run(people.alice, '/destroy disk-2'));
    expect((await a.run(people.bob, `/approvals approve ${next}`)).title).toBe('Destroyed disk-2');
  });
});

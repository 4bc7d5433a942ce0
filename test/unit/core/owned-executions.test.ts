import { afterEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/core/reply.js';
import { createHarness, type Harness, people, requestIdOf, textOf } from '../../helpers/runtime-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0).reverse()) await h.close();
});

async function harness(options: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  const h = await createHarness(options);
  open.push(h);
  return h;
}

/** A second long-lived bot process on the same store and clock. */
function anotherBot(bot: Harness): Promise<Harness> {
  return harness({
    dbPath: bot.dbPath,
    clock: bot.clock,
    state: bot.state,
    owner: { id: 'other:2:0', pid: 2, host: 'other', startedAt: 0 },
  });
}

/** A destroy execution held open in the long-lived process `h` until `release` is called. */
async function runningExecution(h: Harness): Promise<{ id: string; finished: Promise<Reply>; release(): void }> {
  let release: () => void = () => undefined;
  h.state.gate = new Promise((resolve) => {
    release = resolve;
  });
  const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
  const finished = h.run(people.bob, `/approvals approve ${id}`);
  while ((await h.store.getExecution(id))?.status !== 'running') await new Promise((r) => setImmediate(r));
  return { id, finished, release };
}

describe('an execution belongs to the process running it', () => {
  it('given a long-lived bot carrying out an execution, when exec runs /help on the same store, then the execution is untouched and its real outcome is recorded', async () => {
    const bot = await harness();
    const { id, finished, release } = await runningExecution(bot);
    // `exec` beside it: a process of its own on the same file, which runs no background work.
    const exec = await harness({ dbPath: bot.dbPath, clock: bot.clock, state: bot.state, longLived: false });
    expect((await exec.run(people.victor, '/help')).title).toBe('Commands you may run');
    await exec.close();
    expect((await bot.store.getExecution(id))?.status).toBe('running');
    release();
    expect((await finished).title).toBe('Destroyed disk-1');
    const events = (await bot.store.queryAudit({ approvalId: id, limit: 20 })).map((e) => e.event);
    expect(events).toContain('execution.succeeded');
    expect(events).not.toContain('execution.interrupted');
    expect((await bot.store.getExecution(id))?.status).toBe('succeeded');
  });

  it('given a second long-lived bot on the same store, when it looks while the lease is held, then it reports nothing', async () => {
    const bot = await harness();
    const { id, finished, release } = await runningExecution(bot);
    const other = await anotherBot(bot);
    bot.clock.advance(30_000);
    await other.jobs.tick();
    expect((await bot.store.getExecution(id))?.status).toBe('running');
    release();
    await finished;
    expect(other.posted).toEqual([]);
  });

  it('given an execution whose process stalled past its lease, when it finishes after all, then its real outcome is recorded beside the interruption and shown', async () => {
    const bot = await harness({ executionLeaseMs: 10_000 });
    const { id, finished, release } = await runningExecution(bot);
    const other = await anotherBot(bot);
    bot.clock.advance(11_000);
    await other.jobs.tick();
    await other.settled();
    expect((await bot.store.getExecution(id))?.status).toBe('interrupted');
    expect(other.posted.map((p) => p.reply.title)).toEqual([`/destroy (${id}) was interrupted`]);

    release();
    expect((await finished).title).toBe('Destroyed disk-1');
    const execution = await bot.store.getExecution(id);
    expect(execution?.status).toBe('succeeded');
    expect(execution?.interruptedAt).not.toBeNull();
    const audit = await bot.store.queryAudit({ approvalId: id, limit: 20 });
    expect(audit.map((e) => e.event)).toEqual(expect.arrayContaining(['execution.interrupted', 'execution.succeeded']));
    expect(audit.find((e) => e.event === 'execution.succeeded')?.detail.note).toBe(
      'finished after it had been reported interrupted',
    );
    // The late outcome reaches the request's channel, even though the decision was typed there.
    other.clock.advance(2_000);
    await other.jobs.tick();
    await bot.settled();
    const late = [...bot.posted, ...other.posted].find((p) => p.reply.title === 'Destroyed disk-1');
    expect(late).toBeDefined();
    expect(textOf(late?.reply as Reply)).toContain('approved by slack:UBOB');
  });
});

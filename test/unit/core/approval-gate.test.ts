import { afterEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/core/reply.js';
import {
  channel,
  claimedByDeadProcess,
  createHarness,
  type Harness,
  people,
  requestIdOf,
  textOf,
} from '../../helpers/runtime-harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('the approval gate', () => {
  it('given an operator, when they run a destructive command, then a request opens and nothing runs yet', async () => {
    h = await createHarness();
    const reply = await h.run(people.alice, '/destroy disk-1');
    expect(reply.outcome).toBe('pending-approval');
    expect(reply.title).toBe('Plan: destroy disk-1');
    const id = requestIdOf(reply);
    expect(textOf(reply)).toContain(`/approvals approve ${id}`);
    expect(reply.actions?.map((a) => a.command)).toEqual([`/approvals approve ${id}`, `/approvals deny ${id}`]);
    expect(reply.subject).toBe(`approval:${id}`);
    expect(h.state.executions).toBe(0);
    const pending = await h.store.listApprovals({ statuses: ['pending'], limit: 10 });
    expect(pending.map((p) => p.id)).toEqual([id]);
  });

  it('given a viewer, when they run a destructive command, then they are refused with the role they lack', async () => {
    h = await createHarness();
    const reply = await h.run(people.victor, '/destroy disk-1');
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain('/destroy needs the operator role; you (slack:UVIEW) have viewer');
    expect(await h.store.listApprovals({ limit: 10 })).toEqual([]);
  });

  it('given someone in no role, when they run a read command, then they are refused', async () => {
    h = await createHarness();
    const reply = await h.run({ id: 'discord:999', groups: [] }, '/help');
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain('needs the viewer role');
  });

  it('given a request, when the requester approves it, then it stays pending', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const reply = await h.run(people.alice, `/approvals approve ${id}`);
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain(`You requested ${id}; another person must approve it.`);
    expect((await h.store.getApproval(id))?.status).toBe('pending');
    expect(h.state.executions).toBe(0);
  });

  it('given a request, when a viewer approves it, then it stays pending', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const reply = await h.run(people.victor, `/approvals approve ${id}`);
    expect(textOf(reply)).toContain(`Approving ${id} needs the operator role`);
    expect((await h.store.getApproval(id))?.status).toBe('pending');
    expect(h.state.executions).toBe(0);
  });

  it('given a request, when another operator approves it, then it runs once and the requester hears the outcome', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const elsewhere = { platform: 'slack', id: 'C0OTHER' };
    const reply = await h.run(people.bob, `/approvals approve ${id}`, elsewhere);
    expect(reply.title).toBe('Destroyed disk-1');
    expect(textOf(reply)).toContain('Requested by slack:UALICE; approved by slack:UBOB.');
    expect(h.state.executions).toBe(1);
    await h.settled();
    // No message of the request was posted here (it came from a test, not a chat), so the outcome goes to its channel.
    expect(h.posted.map((p) => [p.channel.id, p.reply.title])).toEqual([[channel.id, 'Destroyed disk-1']]);
    const again = await h.run(people.carol, `/approvals approve ${id}`);
    expect(textOf(again)).toContain(`Approval request ${id} is already approved.`);
    expect(h.state.executions).toBe(1);
  });

  it('given a request past its time, when an operator approves it, then it is refused as expired', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    h.clock.advance(31 * 60_000);
    const reply = await h.run(people.bob, `/approvals approve ${id}`);
    expect(textOf(reply)).toContain(`Approval request ${id} expired`);
    expect((await h.store.getApproval(id))?.status).toBe('expired');
    expect(h.state.executions).toBe(0);
  });

  it('given a request nobody decided on, when its time is up, then the expiry job closes it and tells the requester once', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    h.clock.advance(29 * 60_000);
    await h.jobs.tick();
    expect(h.posted).toEqual([]);
    h.clock.advance(2 * 60_000);
    await h.jobs.tick();
    h.clock.advance(60_000);
    await h.jobs.tick();
    await h.settled();
    expect(h.posted.map((p) => [p.channel.id, p.reply.title])).toEqual([
      [channel.id, `Approval request ${id} expired: /destroy`],
    ]);
    expect((await h.store.getApproval(id))?.status).toBe('expired');
  });

  it('given a request past its time that nobody swept yet, when the open requests are listed, then it is not among them', async () => {
    h = await createHarness();
    requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    h.clock.advance(31 * 60_000);
    const listing = await h.run(people.bob, '/approvals');
    expect(listing.title).toBe('No open approval requests');
  });

  it('given a request, when an operator denies it with a reason, then it closes and the requester sees why', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    // A reason is the rest of the line: no quotes needed, apostrophes welcome.
    const reply = await h.run(people.bob, `/approvals deny ${id} it's not during the deadline`, {
      platform: 'slack',
      id: 'C0OTHER',
    });
    expect(reply.title).toBe(`Denied: /destroy (${id})`);
    expect(textOf(reply)).toContain("it's not during the deadline");
    await h.settled();
    expect(h.posted[0]?.reply.title).toBe(`Denied: /destroy (${id})`);
    expect(textOf(h.posted[0]?.reply as Reply)).toContain(
      "slack:UALICE: slack:UBOB denied your request: it's not during the deadline",
    );
    const after = await h.run(people.carol, `/approvals approve ${id}`);
    expect(textOf(after)).toContain('already denied');
    expect(h.state.executions).toBe(0);
  });

  it('given 20 operators approving one request at the same moment, then execute runs exactly once', async () => {
    const operators = Array.from({ length: 20 }, (_, i) => `slack:UOP${i}`);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    h = await createHarness({ extraOperators: operators, state: { executions: 0, gate } });
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const votes = operators.map((op) => h.run({ id: op, groups: [] }, `/approvals approve ${id}`));
    // The execution is held open while every other vote lands.
    setImmediate(release);
    const replies = await Promise.all(votes);
    expect(h.state.executions).toBe(1);
    expect(replies.filter((r) => r.title === 'Destroyed disk-1')).toHaveLength(1);
    expect(replies.filter((r) => textOf(r).includes('already approved'))).toHaveLength(19);
    const execution = await h.store.getExecution(id);
    expect(execution?.status).toBe('succeeded');
  });

  it('given a request that needs two approvals, when one operator approves twice, then it still waits for a second person', async () => {
    h = await createHarness({ approvals: { destroy: { approvals: 2, approverRole: 'operator', ttl: '10m' } } });
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    expect(textOf(await h.run(people.bob, `/approvals approve ${id}`))).toContain('needs 1 more approval(s)');
    expect(textOf(await h.run(people.bob, `/approvals approve ${id}`))).toContain('You have already approved');
    expect(h.state.executions).toBe(0);
    expect((await h.run(people.carol, `/approvals approve ${id}`)).title).toBe('Destroyed disk-1');
    expect(h.state.executions).toBe(1);
  });

  it('given a failing plan check, when the command runs, then no request is opened and the reason is shown', async () => {
    h = await createHarness();
    const reply = await h.run(people.alice, '/destroy blocked');
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain('Blocked: the target is protected');
    expect(await h.store.listApprovals({ limit: 10 })).toEqual([]);
  });

  it('given an execution that throws, then the approver sees a failure with a reference and no stack trace', async () => {
    h = await createHarness({ state: { executions: 0, fail: true } });
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const reply = await h.run(people.bob, `/approvals approve ${id}`);
    expect(reply.outcome).toBe('failed');
    expect(textOf(reply)).toContain(`reference ${reply.correlationId}`);
    expect(textOf(reply)).not.toContain('disk on fire');
    expect(textOf(reply)).not.toMatch(/at .*\.ts:\d+/);
    expect(h.logLines.join('')).toContain('disk on fire');
    expect((await h.store.getExecution(id))?.status).toBe('failed');
  });
});

describe('restarts', () => {
  it('given a pending request, when the bot restarts, then it can still be approved and runs', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    h = await h.reopen();
    const reply = await h.run(people.bob, `/approvals approve ${id}`);
    expect(reply.title).toBe('Destroyed disk-1');
    expect(h.state.executions).toBe(1);
  });

  it('given an execution whose process died, when the long-lived process looks after its lease ran out, then it is reported interrupted once and never re-run', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    // Another process claims the execution with the vote, then dies before execute finishes: nothing renews its lease.
    await claimedByDeadProcess(h, id);
    h = await h.reopen();
    await h.jobs.tick();
    expect((await h.store.getExecution(id))?.status).toBe('running');
    h.clock.advance(61_000);
    await h.jobs.tick();
    h.clock.advance(15_000);
    await h.jobs.tick();
    await h.settled();
    expect((await h.store.getExecution(id))?.status).toBe('interrupted');
    expect(h.posted.map((p) => p.reply.title)).toEqual([`/destroy (${id}) was interrupted`]);
    expect(textOf(h.posted[0]?.reply as Reply)).toContain('It recorded no progress before it stopped.');
    const again = await h.run(people.carol, `/approvals approve ${id}`);
    expect(textOf(again)).toContain('already approved');
    expect(h.state.executions).toBe(0);
  });
});

describe('the audit trail', () => {
  it('records requests, refusals, votes, denials, expiry, executions and interruptions, newest first', async () => {
    h = await createHarness();
    await h.run(people.victor, '/destroy x');
    const a = requestIdOf(await h.run(people.alice, '/destroy a'));
    await h.run(people.alice, `/approvals approve ${a}`);
    await h.run(people.bob, `/approvals approve ${a}`);
    const b = requestIdOf(await h.run(people.alice, '/destroy b'));
    await h.run(people.bob, `/approvals deny ${b} "wrong one"`);
    const c = requestIdOf(await h.run(people.alice, '/destroy c'));
    h.clock.advance(60 * 60_000);
    await h.run(people.bob, `/approvals approve ${c}`);
    const d = requestIdOf(await h.run(people.alice, '/destroy d'));
    await claimedByDeadProcess(h, d, { leaseMs: 1_000 });
    h = await h.reopen();
    h.clock.advance(2_000);
    await h.jobs.tick();

    const reply = await h.run(people.admin, '/audit limit=100');
    const events = (await h.store.queryAudit({ limit: 100 })).map(
      (e) => `${e.event}:${e.approvalId ?? ''}:${e.principal}`,
    );
    expect(events).toContain('command.refused::slack:UVIEW');
    expect(events).toContain(`approval.requested:${a}:slack:UALICE`);
    expect(events).toContain(`approval.refused:${a}:slack:UALICE`);
    expect(events).toContain(`approval.approved:${a}:slack:UBOB`);
    expect(events).toContain(`execution.succeeded:${a}:slack:UALICE`);
    expect(events).toContain(`approval.denied:${b}:slack:UBOB`);
    expect(events).toContain(`approval.expired:${c}:system`);
    expect(events).toContain(`execution.interrupted:${d}:system`);
    const table = reply.blocks.find((x) => x.kind === 'table');
    expect(table && table.kind === 'table' ? table.rows.length : 0).toBeGreaterThan(10);

    const filtered = await h.run(people.admin, '/audit user=slack:UBOB');
    const rows = filtered.blocks.find((x) => x.kind === 'table');
    expect(rows && rows.kind === 'table' && rows.rows.every((r) => r[2] === 'slack:UBOB')).toBe(true);
  });

  it('refuses to change or delete history', async () => {
    h = await createHarness();
    await h.run(people.alice, '/help');
    const db = (h.store as unknown as { db: { prepare(sql: string): { run(): unknown } } }).db;
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE audit SET principal = 'x'").run()).toThrow(/append-only/);
  });
});

describe('channels', () => {
  it('given a command limited to #sp-ops, when run elsewhere, then it is refused with where it may run', async () => {
    h = await createHarness({ channels: { destroy: ['slack:C0SPOPS'] } });
    const reply = await h.run(people.alice, '/destroy a', { platform: 'slack', id: 'C0RANDOM' });
    expect(textOf(reply)).toContain('/destroy may only be run in slack:C0SPOPS');
    const ok = await h.run(people.alice, '/destroy a', { platform: 'slack', id: 'C0SPOPS' });
    expect(ok.outcome).toBe('pending-approval');
  });
});

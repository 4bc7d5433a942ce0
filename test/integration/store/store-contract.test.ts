import { expect, it } from 'vitest';
import { decideVote } from '../../../src/core/approval/decide-vote.js';
import type { RoleOrNone } from '../../../src/core/roles.js';
import type { NewApproval, Store, Vote } from '../../../src/store/store.js';
import { describeEachStore } from '../../helpers/stores.js';

/**
 * The Store contract, checked the same way on SQLite and on PostgreSQL: what one store guarantees, the other must too.
 */

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

function request(overrides: Partial<NewApproval> = {}): NewApproval {
  return {
    kind: 'execute',
    command: 'destroy',
    argsJson: JSON.stringify({ target: 'x' }),
    planJson: JSON.stringify({ target: 'x' }),
    requestedBy: 'slack:UALICE',
    requesterJson: JSON.stringify({ id: 'slack:UALICE', groups: [] }),
    channelPlatform: 'slack',
    channelId: 'C0OPS',
    correlationId: 'corr-1',
    createdAt: T0,
    expiresAt: T0 + 30 * 60_000,
    requiredApprovals: 1,
    approverRole: 'operator',
    reasonRequired: false,
    parentId: null,
    ...overrides,
  };
}

function vote(approvalId: string, voter: string, overrides: Partial<Vote> = {}): Vote {
  return {
    approvalId,
    voter,
    voterJson: JSON.stringify({ id: voter, groups: [] }),
    decision: 'approve',
    now: T0 + 1_000,
    correlationId: `corr-${voter}`,
    origin: { platform: 'slack', channelId: 'C0OPS', trigger: 'button' },
    owner: { id: `host:${voter}:0`, pid: 1, host: 'host', startedAt: 0 },
    leaseMs: 60_000,
    ...overrides,
  };
}

/** The gate's real rule, with every voter an operator. */
const gate =
  (v: Vote, role: RoleOrNone = 'operator') =>
  (approval: Parameters<typeof decideVote>[0]) =>
    decideVote(
      approval,
      { voter: v.voter, voterRole: role, decision: v.decision, ...(v.reason ? { reason: v.reason } : {}) },
      v.now,
    );

async function castVote(store: Store, v: Vote) {
  return store.vote(v, gate(v));
}

describeEachStore('the store contract', (stores) => {
  it('given a new request, when it is read back, then it is pending with a six-character id typed by hand, audited and announced', async () => {
    const { store } = await stores.fresh();
    const created = await store.createApproval(request());
    expect(created.id).toMatch(/^[2-9A-HJKMNP-TV-Z]{6}$/);
    expect(await store.getApproval(created.id.toLowerCase())).toEqual(created);
    expect(created).toMatchObject({ status: 'pending', votes: [], approvedBy: [], reasonRequired: false });
    expect((await store.queryAudit({ approvalId: created.id, limit: 10 })).map((a) => a.event)).toEqual([
      'approval.requested',
    ]);
    const events = await store.eventsAfter(0, 10);
    expect(events.map((e) => [e.kind, e.subject])).toEqual([['approval.requested', `approval:${created.id}`]]);
    expect(await store.listApprovals({ statuses: ['pending'], limit: 10 })).toEqual([created]);
    expect(await store.listApprovals({ statuses: ['approved'], limit: 10 })).toEqual([]);
  });

  it('given a request needing two approvals, when two operators approve, then the second vote claims the one execution', async () => {
    const { store } = await stores.fresh();
    const { id } = await store.createApproval(request({ requiredApprovals: 2 }));
    const first = await castVote(store, vote(id, 'slack:UBOB'));
    expect(first).toMatchObject({ kind: 'decided', decision: { kind: 'recorded', remaining: 1 } });
    const again = await castVote(store, vote(id, 'slack:UBOB'));
    expect(again).toMatchObject({ decision: { kind: 'refused', reason: 'already-voted' } });
    const second = await castVote(store, vote(id, 'discord:333', { now: T0 + 2_000 }));
    if (second.kind !== 'decided') throw new Error('not decided');
    expect(second.decision.kind).toBe('approved');
    expect(second.approval).toMatchObject({ status: 'approved', approvedBy: ['slack:UBOB', 'discord:333'] });
    expect(second.execution).toMatchObject({ approvalId: id, status: 'running', leaseExpiresAt: T0 + 62_000 });
    expect(await store.getExecution(id)).toEqual(second.execution);
    const late = await castVote(store, vote(id, 'slack:UCAROL', { now: T0 + 3_000 }));
    expect(late).toMatchObject({ decision: { kind: 'refused', reason: 'closed' } });
    expect(late.kind === 'decided' && late.execution).toBeFalsy();
    expect((await store.queryAudit({ approvalId: id, limit: 20 })).map((a) => a.event).reverse()).toEqual([
      'approval.requested',
      'approval.vote',
      'approval.approved',
      'execution.started',
    ]);
  });

  it('given two handles on one store (two processes or instances), when 10 operators approve at once, then exactly one execution is claimed', async () => {
    const shared = await stores.fresh();
    const other = await shared.open();
    const { id } = await shared.store.createApproval(request());
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        castVote(i % 2 === 0 ? shared.store : other, vote(id, `slack:U${i}`, { now: T0 + 1_000 + i })),
      ),
    );
    const executions = outcomes.filter((o) => o.kind === 'decided' && o.execution !== undefined);
    expect(executions).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'decided' && o.decision.kind === 'refused')).toHaveLength(9);
    expect(
      (await shared.store.queryAudit({ approvalId: id, limit: 50 })).filter((a) => a.event === 'execution.started'),
    ).toHaveLength(1);
  });

  it('given a database that is asked to run one request twice, when a second execution row is inserted behind the store, then the database refuses it', async () => {
    const shared = await stores.fresh();
    const { id } = await shared.store.createApproval(request());
    await castVote(shared.store, vote(id, 'slack:UBOB'));
    await expect(
      shared.raw(
        `INSERT INTO executions (approval_id, executed_by, started_at, status) VALUES ('${id}', 'x', 1, 'running')`,
      ),
    ).rejects.toThrow(/unique/i);
  });

  it('given the audit trail, when anything tries to change or delete an entry, then the database itself refuses', async () => {
    const shared = await stores.fresh();
    const entry = await shared.store.appendAudit({
      at: T0,
      principal: 'slack:UALICE',
      event: 'command.run',
      command: 'status',
      approvalId: null,
      outcome: 'ok',
      correlationId: 'c',
      detail: { note: 'kept' },
    });
    await expect(shared.raw(`UPDATE audit SET principal = 'someone-else' WHERE seq = ${entry.seq}`)).rejects.toThrow(
      /append-only/,
    );
    await expect(shared.raw(`DELETE FROM audit WHERE seq = ${entry.seq}`)).rejects.toThrow(/append-only/);
    const [kept] = await shared.store.queryAudit({ principal: 'slack:UALICE', limit: 1 });
    expect(kept).toEqual(entry);
  });

  it('given a deny, when it is cast, then the request closes with the reason and nothing runs', async () => {
    const { store } = await stores.fresh();
    const { id } = await store.createApproval(request());
    const denied = await castVote(store, vote(id, 'slack:UBOB', { decision: 'deny', reason: 'not today' }));
    expect(denied).toMatchObject({
      decision: { kind: 'denied' },
      approval: { status: 'denied', denyReason: 'not today' },
    });
    expect(await store.getExecution(id)).toBeUndefined();
    expect(await castVote(store, vote('NOSUCH', 'slack:UBOB'))).toEqual({ kind: 'not-found', id: 'NOSUCH' });
  });

  it('given requests past their time, when expiry runs, then each expires once with an audit entry and an event', async () => {
    const { store } = await stores.fresh();
    const a = await store.createApproval(request({ expiresAt: T0 + 1_000 }));
    const b = await store.createApproval(request({ expiresAt: T0 + 9_000 }));
    const expired = await store.expireApprovals(T0 + 5_000);
    expect(expired.map((r) => [r.id, r.status])).toEqual([[a.id, 'expired']]);
    expect(await store.expireApprovals(T0 + 5_000)).toEqual([]);
    expect((await store.getApproval(b.id))?.status).toBe('pending');
    const late = await castVote(store, vote(b.id, 'slack:UBOB', { now: T0 + 10_000 }));
    expect(late).toMatchObject({ decision: { kind: 'refused', reason: 'expired' }, approval: { status: 'expired' } });
  });

  it('given a running execution, when its owner renews, checkpoints and finishes, then the outcome is kept and audited', async () => {
    const { store } = await stores.fresh();
    const { id } = await store.createApproval(request());
    const outcome = await castVote(store, vote(id, 'slack:UBOB'));
    const execution = outcome.kind === 'decided' ? outcome.execution : undefined;
    if (!execution) throw new Error('no execution');
    expect(await store.renewExecutionLease(execution.id, 'host:slack:UBOB:0', T0 + 120_000)).toBe(true);
    expect(await store.renewExecutionLease(execution.id, 'someone-else', T0 + 120_000)).toBe(false);
    await store.saveCheckpoint(execution.id, { step: 2 });
    expect(await store.claimInterruptedExecutions(T0 + 100_000)).toEqual([]);
    await store.finishExecution(
      execution.id,
      'succeeded',
      JSON.stringify({ title: 'Done', severity: 'success' }),
      T0 + 5_000,
    );
    expect(await store.getExecution(id)).toMatchObject({
      status: 'succeeded',
      finishedAt: T0 + 5_000,
      checkpoint: { step: 2 },
      leaseExpiresAt: null,
    });
    const [finished] = await store.queryAudit({ approvalId: id, limit: 1 });
    expect(finished).toMatchObject({ event: 'execution.succeeded', detail: { result: { title: 'Done' } } });
  });

  it('given an execution whose owner stopped renewing, when two callers look for interrupted ones, then one reports it, it is never re-run, and its late outcome is still kept', async () => {
    const shared = await stores.fresh();
    const other = await shared.open();
    const { id } = await shared.store.createApproval(request());
    await castVote(shared.store, vote(id, 'slack:UBOB'));
    const [a, b] = await Promise.all([
      shared.store.claimInterruptedExecutions(T0 + 70_000),
      other.claimInterruptedExecutions(T0 + 70_000),
    ]);
    expect([...(a ?? []), ...(b ?? [])].map((e) => [e.approvalId, e.status])).toEqual([[id, 'interrupted']]);
    const execution = (await shared.store.getExecution(id)) as NonNullable<Awaited<ReturnType<Store['getExecution']>>>;
    expect(await shared.store.renewExecutionLease(execution.id, 'host:slack:UBOB:0', T0 + 200_000)).toBe(false);
    await shared.store.finishExecution(execution.id, 'failed', '{"title":"late"}', T0 + 80_000);
    expect(await shared.store.getExecution(id)).toMatchObject({ status: 'failed', interruptedAt: T0 + 70_000 });
  });

  it('given a job, when two owners claim it at once, then one holds the lease; the other takes over only once it ran out', async () => {
    const shared = await stores.fresh();
    const other = await shared.open();
    const claim = (store: Store, owner: string, now: number) =>
      store.claimJob({ name: 'count', owner, now, leaseMs: 5_000, everyMs: 10_000 });
    const [a, b] = await Promise.all([claim(shared.store, 'p1', T0), claim(other, 'p2', T0)]);
    const winner = a ?? b;
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(winner).toMatchObject({ leaseExpiresAt: T0 + 5_000, nextRunAt: T0 + 10_000 });
    const loser = winner?.leaseOwner === 'p1' ? 'p2' : 'p1';
    expect(await claim(shared.store, loser, T0 + 4_999)).toBeUndefined();
    expect(
      await shared.store.claimJob({
        name: 'count',
        owner: loser,
        now: T0 + 5_000,
        leaseMs: 5_000,
        everyMs: 10_000,
        evenIfNotDue: true,
      }),
    ).toMatchObject({ leaseOwner: loser });
    await shared.store.finishJob({
      name: 'count',
      owner: loser,
      now: T0 + 6_000,
      outcome: 'failed',
      error: 'boom',
      durationMs: 1_000,
      state: { cursor: 3 },
    });
    // The first owner's late finish changes nothing: the lease is not theirs any more.
    await shared.store.finishJob({
      name: 'count',
      owner: winner?.leaseOwner as string,
      now: T0 + 7_000,
      outcome: 'ok',
      error: null,
      durationMs: 7_000,
    });
    const [job] = await shared.store.listJobs();
    expect(job).toMatchObject({
      runs: 1,
      failures: 1,
      lastOutcome: 'failed',
      lastError: 'boom',
      state: { cursor: 3 },
      leaseOwner: null,
    });
    await shared.store.requestJobRun('count', T0 + 6_500);
    expect((await shared.store.listJobs())[0]?.nextRunAt).toBe(T0 + 6_500);
  });

  it('given schedules, when two handles claim due rounds at once, then each round is claimed once, ids count up, and changes are audited', async () => {
    const shared = await stores.fresh();
    const other = await shared.open();
    const base = {
      kind: 'pledge',
      approvalId: null,
      dataJson: '{}',
      intervalMs: 15 * 60_000,
      nextRunAt: T0,
      channelPlatform: 'slack',
      channelId: 'C0OPS',
      createdBy: 'slack:UALICE',
      createdAt: T0,
    };
    const s1 = await shared.store.createSchedule(base);
    const s2 = await other.createSchedule({ ...base, createdAt: T0 + 1 });
    expect([s1.id, s2.id]).toEqual(['S1', 'S2']);
    const [a, b] = await Promise.all([
      shared.store.claimDueSchedules('pledge', T0),
      other.claimDueSchedules('pledge', T0),
    ]);
    expect([...(a ?? []), ...(b ?? [])].map((s) => s.id).sort()).toEqual(['S1', 'S2']);
    expect(await shared.store.claimDueSchedules('pledge', T0 + 60_000)).toEqual([]);
    const paused = await shared.store.updateSchedule('s1', {
      status: 'paused',
      reason: 'disk full',
      by: 'system',
      now: T0 + 1,
    });
    expect(paused).toMatchObject({ status: 'paused', statusReason: 'disk full' });
    await shared.store.updateSchedule('S1', { ranOnce: true, by: 'system', now: T0 + 2 });
    expect(await shared.store.listSchedules({ kind: 'pledge', statuses: ['paused'] })).toMatchObject([
      { id: 'S1', runs: 1 },
    ]);
    expect((await shared.store.queryAudit({ command: 'pledge', limit: 10 })).map((e) => e.event)).toContain(
      'schedule.paused',
    );
  });

  it('given events, message refs, journal entries and request signatures, when read back, then order and replacement hold', async () => {
    const { store } = await stores.fresh();
    await store.appendEvent({ at: T0, kind: 'k1', subject: 'alert:A1', data: { n: 1 } });
    await store.appendEvent({ at: T0, kind: 'k2', subject: 'alert:A1', data: { n: 2 } });
    const all = await store.eventsAfter(0, 10);
    expect(all.map((e) => e.data.n)).toEqual([1, 2]);
    expect(await store.eventsAfter(all[0]?.seq ?? 0, 10)).toEqual([all[1]]);
    expect(await store.latestEventSeq()).toBe(all[1]?.seq);
    await store.saveMessageRef('alert:A1', { platform: 'slack', channelId: 'C1', messageIds: ['1'] }, T0);
    await store.saveMessageRef('alert:A1', { platform: 'slack', channelId: 'C1', messageIds: ['2'] }, T0 + 1);
    expect(await store.messageRefs('alert:A1')).toEqual([{ platform: 'slack', channelId: 'C1', messageIds: ['2'] }]);
    await store.appendJournal({ at: T0, kind: 'pledge', principal: 'p', approvalId: 'ABCDEF', data: { sector: 7 } });
    expect((await store.journalOf('abcdef')).map((j) => j.data)).toEqual([{ sector: 7 }]);
    expect((await store.recentJournal('pledge', 5)).length).toBe(1);
    expect(await store.rememberRequestSignature('v0=abc', T0 + 300_000, T0)).toBe(true);
    expect(await store.rememberRequestSignature('v0=abc', T0 + 300_000, T0 + 1)).toBe(false);
  });

  it('given alert changes, when applied, acked and silenced, then they are kept with their audit and events', async () => {
    const { store } = await stores.fresh();
    const finding = {
      check: 'daemons',
      subject: 'd1',
      severity: 'warning' as const,
      summary: 'behind',
      detail: '',
      actor: null,
      cause: null,
    };
    const [raised] = await store.applyAlertChanges([{ kind: 'raise', finding, groupId: null, notify: true }], T0);
    if (!raised) throw new Error('nothing raised');
    expect(raised).toMatchObject({ key: 'daemons:d1', status: 'firing', notifiedAt: T0 });
    const [member] = await store.applyAlertChanges(
      [{ kind: 'raise', finding: { ...finding, subject: 'd2' }, groupId: raised.id, notify: false }],
      T0 + 1,
    );
    expect(await store.alertGroupMembers(raised.id, 10)).toEqual([member]);
    expect(await store.ackAlert(raised.id, 'slack:UBOB', T0 + 2)).toMatchObject({ ackedBy: 'slack:UBOB' });
    expect(
      await store.silenceAlert(raised.id, { until: T0 + 60_000, by: 'slack:UBOB', reason: 'work' }, T0 + 3),
    ).toMatchObject({ silencedUntil: T0 + 60_000 });
    expect(await store.ackAlert('A999', 'slack:UBOB', T0)).toBeUndefined();
    await store.applyAlertChanges([{ kind: 'resolve', id: raised.id }], T0 + 4);
    expect((await store.listAlerts({ status: 'firing', limit: 10 })).map((a) => a.id)).toEqual([member?.id]);
    expect((await store.activeAlerts(T0)).map((a) => a.id)).toEqual([raised.id, member?.id]);
    await store.addSilence({
      id: 'X1',
      matcher: 'check:daemons',
      createdBy: 'b',
      createdAt: T0,
      expiresAt: T0 + 10_000,
      reason: 'r',
    });
    expect((await store.activeSilences(T0 + 1)).map((s) => s.id)).toEqual(['X1']);
    expect(await store.endSilences('check:daemons', 'b', T0 + 2)).toBe(1);
    expect(await store.activeSilences(T0 + 3)).toEqual([]);
    const kinds = (await store.eventsAfter(0, 50)).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['alert.raised', 'alert.acked', 'alert.silenced', 'alert.resolved', 'alert.members']),
    );
  });

  it('given two instances, when both claim the lead, then one leads, renews it, and the other takes over only once it ran out, naming whom it replaced', async () => {
    const shared = await stores.fresh();
    const other = await shared.open();
    const claim = (store: Store, instance: string, now: number) =>
      store.claimLeadership({ role: 'leader', instance, now, ttlMs: 15_000 });
    const [a, b] = await Promise.all([claim(shared.store, 'one', T0), claim(other, 'two', T0)]);
    expect(a?.holder).toBe(b?.holder);
    const leader = a?.holder as string;
    const follower = leader === 'one' ? 'two' : 'one';
    expect(await claim(shared.store, leader, T0 + 5_000)).toMatchObject({
      holder: leader,
      since: T0,
      expiresAt: T0 + 20_000,
    });
    expect(await claim(other, follower, T0 + 19_999)).toMatchObject({ holder: leader });
    expect(await claim(other, follower, T0 + 20_000)).toMatchObject({
      holder: follower,
      since: T0 + 20_000,
      previous: leader,
    });
    await shared.store.releaseLeadership('leader', follower, T0 + 21_000);
    expect(await claim(shared.store, leader, T0 + 21_000)).toMatchObject({ holder: leader, previous: follower });
    expect(await shared.store.leadership('leader')).toMatchObject({ holder: leader });
  });

  it('given instance heartbeats, when listed, then the instances seen recently are shown and the database answers', async () => {
    const { store } = await stores.fresh();
    await store.recordInstance({ id: 'a', host: 'h1', pid: 1, startedAt: T0, lastSeen: T0 });
    await store.recordInstance({ id: 'b', host: 'h2', pid: 2, startedAt: T0 + 1, lastSeen: T0 + 1 });
    await store.recordInstance({ id: 'a', host: 'h1', pid: 1, startedAt: T0, lastSeen: T0 + 50_000 });
    expect((await store.listInstances(T0 + 10_000)).map((i) => i.id)).toEqual(['a']);
    expect((await store.listInstances(0)).map((i) => i.id)).toEqual(['a', 'b']);
    expect((await store.ping()).ok).toBe(true);
    expect(await store.checkIntegrity()).toEqual({ ok: true, detail: 'ok' });
  });
});

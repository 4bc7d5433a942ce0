import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/alerts/finding.js';
import { type CheckResult, reconcile, STORM_CHECK } from '../../../src/alerts/reconcile.js';
import type { AlertChange, Store } from '../../../src/store/store.js';
import { describeEachStore } from '../../helpers/stores.js';

const policy = { flapWindowMs: 10 * 60_000, renotifyAfterMs: 30 * 60_000, stormThreshold: 5 };
const minute = 60_000;
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

const lag = (severity: Finding['severity'] = 'warning', seconds = 90): Finding => ({
  check: 'daemons',
  subject: 'daemon-internal',
  severity,
  summary: `daemon-internal is ${seconds} s behind`,
});

/** The engine's loop around the pure rule, on a real store: what it persists is what the next pass reads. */
function engine(store: Store) {
  return {
    store,
    async pass(at: number, results: CheckResult[], silenced: ReadonlySet<string> = new Set()): Promise<AlertChange[]> {
      const existing = await store.activeAlerts(at - policy.flapWindowMs);
      const changes = reconcile(existing, results, at, policy, silenced);
      await store.applyAlertChanges(changes, at);
      return changes;
    },
  };
}

const kinds = (changes: AlertChange[]) => changes.map((c) => c.kind).filter((k) => k !== 'seen');

// What the engine persists is read back by its next pass: checked on SQLite and on PostgreSQL.
describeEachStore('alert reconciliation over passes', (stores) => {
  const start = async () => engine((await stores.fresh()).store);

  it('raises a condition once, keeps it quiet while it lasts, and resolves it when a pass no longer finds it', async () => {
    const e = await start();
    expect(kinds(await e.pass(T0, [{ check: 'daemons', findings: [lag()] }]))).toEqual(['raise']);
    expect(kinds(await e.pass(T0 + minute, [{ check: 'daemons', findings: [lag('warning', 95)] }]))).toEqual([]);
    const [alert] = await e.store.listAlerts({ status: 'firing', limit: 10 });
    expect(alert?.summary).toBe('daemon-internal is 95 s behind');
    expect(kinds(await e.pass(T0 + 2 * minute, [{ check: 'daemons', findings: [] }]))).toEqual(['resolve']);
    expect(await e.store.listAlerts({ status: 'firing', limit: 10 })).toEqual([]);
  });

  it('keeps the alerts of a check that did not run this pass', async () => {
    const e = await start();
    await e.pass(T0, [{ check: 'daemons', findings: [lag()] }]);
    expect(kinds(await e.pass(T0 + minute, [{ check: 'funds', findings: [] }]))).toEqual([]);
    expect(await e.store.listAlerts({ status: 'firing', limit: 10 })).toHaveLength(1);
  });

  it('damps flapping: back within the window is the same alert again, after it a new one', async () => {
    const e = await start();
    await e.pass(T0, [{ check: 'daemons', findings: [lag()] }]);
    await e.pass(T0 + minute, [{ check: 'daemons', findings: [] }]);
    expect(kinds(await e.pass(T0 + 3 * minute, [{ check: 'daemons', findings: [lag()] }]))).toEqual(['refire']);
    const [again] = await e.store.listAlerts({ status: 'firing', limit: 10 });
    expect(again).toMatchObject({ id: 'A1', flaps: 1 });
    await e.pass(T0 + 4 * minute, [{ check: 'daemons', findings: [] }]);
    expect(kinds(await e.pass(T0 + 30 * minute, [{ check: 'daemons', findings: [lag()] }]))).toEqual(['raise']);
    expect((await e.store.listAlerts({ status: 'firing', limit: 10 }))[0]?.id).toBe('A2');
  });

  it('re-notifies an unacked critical on its interval, never an acked one until its severity changes', async () => {
    const e = await start();
    await e.pass(T0, [{ check: 'daemons', findings: [lag('critical')] }]);
    expect(kinds(await e.pass(T0 + 29 * minute, [{ check: 'daemons', findings: [lag('critical')] }]))).toEqual([]);
    expect(kinds(await e.pass(T0 + 31 * minute, [{ check: 'daemons', findings: [lag('critical')] }]))).toEqual([
      'renotify',
    ]);
    await e.store.ackAlert('A1', 'slack:U1', T0 + 32 * minute);
    expect(kinds(await e.pass(T0 + 90 * minute, [{ check: 'daemons', findings: [lag('critical')] }]))).toEqual([]);
    expect(kinds(await e.pass(T0 + 91 * minute, [{ check: 'daemons', findings: [lag('warning')] }]))).toEqual([
      'change',
    ]);
    expect((await e.store.getAlert('A1'))?.ackedBy).toBeNull();
  });

  it('does not tell a silenced alert, and tells it once the silence is over', async () => {
    const e = await start();
    const changes = await e.pass(
      T0,
      [{ check: 'funds', findings: [{ ...lag(), check: 'funds' }] }],
      new Set(['funds']),
    );
    expect(changes).toMatchObject([{ kind: 'raise', notify: false }]);
    expect(kinds(await e.pass(T0 + minute, [{ check: 'funds', findings: [{ ...lag(), check: 'funds' }] }]))).toEqual([
      'renotify',
    ]);
    await e.store.silenceAlert('A1', { until: T0 + 120 * minute, by: 'slack:U1', reason: 'known' }, T0 + minute);
    const critical = { ...lag('critical'), check: 'funds' };
    await e.pass(T0 + 2 * minute, [{ check: 'funds', findings: [critical] }]);
    expect(kinds(await e.pass(T0 + 100 * minute, [{ check: 'funds', findings: [critical] }]))).toEqual([]);
    expect(kinds(await e.pass(T0 + 121 * minute, [{ check: 'funds', findings: [critical] }]))).toEqual(['renotify']);
  });

  it('escalates a condition that lasts past its escalation point', async () => {
    const e = await start();
    const drain: Finding = {
      check: 'workers',
      subject: 'sealer-01',
      severity: 'warning',
      summary: 'sealer-01 is in drain mode',
      escalate: { afterMs: 4 * 60 * minute, to: 'critical', because: 'Drain mode has been on for over 4 hours.' },
    };
    await e.pass(T0, [{ check: 'workers', findings: [drain] }]);
    expect(kinds(await e.pass(T0 + 60 * minute, [{ check: 'workers', findings: [drain] }]))).toEqual([]);
    expect(await e.pass(T0 + 241 * minute, [{ check: 'workers', findings: [drain] }])).toMatchObject([
      { kind: 'change', severity: 'critical' },
    ]);
  });

  it('shows a finding under the alert that explains it, and on its own once that one resolves', async () => {
    const e = await start();
    const down: Finding = { check: 'daemons', subject: 'daemon-internal', severity: 'critical', summary: 'down' };
    const miner: Finding = {
      check: 'miners',
      subject: 'seal-miner',
      severity: 'critical',
      summary: 'cannot check seal-miner',
      cause: 'daemons:daemon-internal',
    };
    const first = await e.pass(T0, [
      { check: 'daemons', findings: [down] },
      { check: 'miners', findings: [miner] },
    ]);
    expect(first).toMatchObject([
      { kind: 'raise', groupId: null, notify: true },
      { kind: 'raise', groupId: 'new:daemons:daemon-internal', notify: false },
    ]);
    expect((await e.store.getAlert('A2'))?.groupId).toBe('A1');
    // Whatever order the checks report in, the explaining alert is raised first, so its members can point at it.
    const reversed = reconcile(
      [],
      [
        { check: 'miners', findings: [miner] },
        { check: 'daemons', findings: [down] },
      ],
      T0,
      policy,
    );
    expect(reversed.map((c) => (c.kind === 'raise' ? c.finding.check : c.kind))).toEqual(['daemons', 'miners']);
    const after = await e.pass(T0 + minute, [
      { check: 'daemons', findings: [] },
      { check: 'miners', findings: [miner] },
    ]);
    expect(kinds(after)).toEqual(['resolve', 'group', 'renotify']);
    expect((await e.store.getAlert('A2'))?.groupId).toBeNull();
  });

  it('turns a storm into one summary naming the likely cause; the summary resolves with its last member', async () => {
    const e = await start();
    const findings: Finding[] = Array.from({ length: 200 }, (_, i) => ({
      check: 'workers',
      subject: `worker-${i}`,
      severity: i === 7 ? 'critical' : 'warning',
      summary: `worker-${i} is gone`,
    }));
    const changes = await e.pass(T0, [{ check: 'workers', findings }]);
    const raises = changes.filter((c) => c.kind === 'raise');
    expect(raises).toHaveLength(201);
    expect(raises.filter((c) => c.notify)).toEqual([
      expect.objectContaining({
        finding: expect.objectContaining({
          check: STORM_CHECK,
          severity: 'critical',
          summary: '200 alerts at once: 200 from the workers check',
        }),
      }),
    ]);
    const summary = (await e.store.listAlerts({ status: 'firing', limit: 1 }))[0];
    expect(summary?.check).toBe(STORM_CHECK);
    expect(kinds(await e.pass(T0 + minute, [{ check: 'workers', findings: findings.slice(0, 1) }]))).toHaveLength(199);
    expect((await e.store.getAlert(summary?.id ?? ''))?.status).toBe('firing');
    const last = await e.pass(T0 + 2 * minute, [{ check: 'workers', findings: [] }]);
    expect(kinds(last)).toEqual(['resolve', 'resolve']);
    expect((await e.store.getAlert(summary?.id ?? ''))?.status).toBe('resolved');
  });
});

describe('what a check could not see', () => {
  it('keeps the alerts under a subject the check was blind to, and resolves the others', () => {
    const existing = [
      { ...alertRow('A1', 'windowpost', 'f01000/deadline 12'), severity: 'critical' as const },
      alertRow('A2', 'windowpost', 'f01000/faults'),
      alertRow('A3', 'windowpost', 'f02000/faults'),
    ];
    const changes = reconcile(existing, [{ check: 'windowpost', findings: [], blind: ['f01000'] }], T0, policy);
    expect(changes).toEqual([{ kind: 'resolve', id: 'A3' }]);
    expect(reconcile(existing, [{ check: 'windowpost', findings: [], blind: [''] }], T0, policy)).toEqual([]);
  });
});

function alertRow(id: string, check: string, subject: string): import('../../../src/store/store.js').AlertRecord {
  return {
    id,
    key: `${check}:${subject}`,
    check,
    subject,
    severity: 'warning',
    status: 'firing',
    summary: subject,
    detail: '',
    actor: null,
    cause: null,
    firstSeen: T0 - minute,
    lastSeen: T0 - minute,
    lastChange: T0 - minute,
    resolvedAt: null,
    ackedBy: null,
    ackedAt: null,
    silencedUntil: null,
    silencedBy: null,
    silenceReason: null,
    notifiedAt: T0 - minute,
    flaps: 0,
    groupId: null,
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertmanagerReceiver, PayloadRefused } from '../../../src/alerts/alertmanager-receiver.js';
import { configSchema } from '../../../src/config/schema.js';
import { FakeClock } from '../../../src/core/clock.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const base = configSchema.parse({
  cluster: {
    daemons: [{ name: 'd', api: '/ip4/127.0.0.1/tcp/1234/http' }],
    miners: [{ name: 'm', actor: 'f01000', api: '/ip4/127.0.0.1/tcp/2345/http', roles: ['seal'] }],
  },
  alertmanager: { enabled: true, token: 'a-token-of-sixteen-chars', actorLabel: 'miner' },
});

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function receiver(overrides: Partial<typeof base.alertmanager> = {}) {
  store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'lcops-am-')), 'store.db'));
  let changes = 0;
  const r = alertmanagerReceiver({
    store,
    clock: new FakeClock(Date.UTC(2026, 10, 30, 12)),
    alerts: base.alerts,
    config: { ...base.alertmanager, ...overrides },
    changed: () => {
      changes++;
    },
  });
  return { r, store, changes: () => changes };
}

const notification = (
  alerts: Array<{
    labels: Record<string, string>;
    fingerprint: string;
    status?: string;
    annotations?: Record<string, string>;
  }>,
) => ({
  version: '4',
  groupKey: '{}:{alertname="X"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'bot',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://am:9093',
  alerts: alerts.map((a) => ({ status: 'firing', annotations: {}, startsAt: '2026-11-30T11:00:00Z', ...a })),
});

describe('Alertmanager notifications as alerts', () => {
  it('given severity label values, then they map through alertmanager.severities, an unknown one to a warning that says why', async () => {
    const { r, store } = receiver();
    await r.receive(
      notification([
        { labels: { alertname: 'A', severity: 'page' }, fingerprint: 'aa01' },
        { labels: { alertname: 'B', severity: 'info' }, fingerprint: 'aa02' },
        { labels: { alertname: 'C', severity: 'sev2' }, fingerprint: 'aa03' },
        { labels: { alertname: 'D' }, fingerprint: 'aa04', annotations: { summary: 'no severity at all' } },
      ]),
    );
    const alerts = await store.listAlerts({ limit: 10 });
    const by = (name: string) => alerts.find((a) => a.summary.startsWith(name));
    expect(by('A')?.severity).toBe('critical');
    expect(by('B')?.severity).toBe('info');
    expect(by('C')?.severity).toBe('warning');
    expect(by('C')?.detail).toContain('Severity "sev2" is not one this bot knows');
    expect(by('D: no severity at all')?.severity).toBe('warning');
  });

  it('given a configured severity label, then that label is read', async () => {
    const { r, store } = receiver({ severityLabel: 'priority', severities: { p1: 'critical' } });
    await r.receive(
      notification([{ labels: { alertname: 'A', priority: 'p1', severity: 'info' }, fingerprint: 'bb01' }]),
    );
    expect((await store.listAlerts({ limit: 10 }))[0]?.severity).toBe('critical');
  });

  it('given an actor label, then only a miner actor address becomes the alert’s miner', async () => {
    const { r, store } = receiver();
    await r.receive(
      notification([
        { labels: { alertname: 'A', miner: 'f01234' }, fingerprint: 'cc01' },
        { labels: { alertname: 'B', miner: 'seal-01' }, fingerprint: 'cc02' },
      ]),
    );
    const alerts = await store.listAlerts({ limit: 10 });
    expect(alerts.map((a) => a.actor).sort()).toEqual(['f01234', null]);
  });

  it.each([
    ['another version', { ...notification([]), version: '3' }],
    ['no group key', { ...notification([]), groupKey: undefined }],
    ['an alert without a fingerprint', notification([{ labels: { alertname: 'A' }, fingerprint: '' }])],
    [
      'a label that is not text',
      notification([{ labels: { alertname: 1 as unknown as string }, fingerprint: 'dd01' }]),
    ],
  ])('given %s, then it is refused and nothing changes', async (_what, body) => {
    const { r, store, changes } = receiver();
    await expect(r.receive(body)).rejects.toBeInstanceOf(PayloadRefused);
    expect(await store.listAlerts({ limit: 10 })).toEqual([]);
    expect(changes()).toBe(0);
  });

  it('given a resolved alert Alertmanager never told as firing, then nothing is raised', async () => {
    const { r, store } = receiver();
    const outcome = await r.receive(
      notification([{ labels: { alertname: 'A' }, fingerprint: 'ee01', status: 'resolved' }]),
    );
    expect(outcome).toEqual({ alerts: 1, raised: 0, resolved: 0 });
    expect(await store.listAlerts({ limit: 10 })).toEqual([]);
  });
});

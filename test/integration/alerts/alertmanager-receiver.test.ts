import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startBotHttp } from '../../../src/cli/start-bot-http.js';
import { type OutboundAlerts, startOutboundAlerts } from '../../../src/cli/start-outbound-alerts.js';
import type { Config } from '../../../src/config/schema.js';
import type { HttpListener } from '../../../src/net/http-listener.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/net/prometheus-metrics.js';
import { FakeAlertmanager } from '../../helpers/alertmanager-fake.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';
import { captureLog } from '../../helpers/runtime-harness.js';
import { harnessOf, type SimApp, startSimApp } from '../../helpers/sim-app.js';
import type { RecordedCall } from '../../helpers/slack-fake-web-api.js';
import { buttonClick } from '../../helpers/slack-payload-builders.js';
import { blocksOf, buttonsOf, type SlackTestBed, startSlackTestBed } from '../../helpers/slack-test-bed.js';
import { startWecomFakeRobot, type WecomFakeRobot } from '../../helpers/wecom-fake-robot.js';

const ALERTS = 'C0ALERTS';
const TOKEN = 'am-webhook-token-0123456789abcdef';
const DISK = { key: '{}/{severity="critical"}:{alertname="DiskFull"}', labels: { alertname: 'DiskFull' } };

let slack: SlackTestBed | undefined;
let am: FakeAlertmanager | undefined;
let http: HttpListener | undefined;
let stopOutbound: (() => Promise<void>) | undefined;
let flushOutbound: () => Promise<void> = async () => undefined;
afterEach(async () => {
  await stopOutbound?.();
  stopOutbound = undefined;
  flushOutbound = async () => undefined;
  await http?.close();
  await slack?.close();
  await am?.close();
  slack = am = http = undefined;
});

interface Bed {
  s: SimApp;
  slack: SlackTestBed;
  am: FakeAlertmanager;
  receiver: string;
  metrics: PrometheusMetrics;
  /** What the HTTP listener and the receiver logged. */
  httpLog: string[];
}

/**
 * The whole bot on the simulator, with the receiver on (bearer token, or basic auth), Alertmanager's alerts routed to
 * a Slack channel through the real Bolt against the local Slack fake, and a fake Alertmanager for its API.
 */
async function start(options: { basic?: boolean; maxBodyBytes?: number; wecom?: WecomFakeRobot } = {}): Promise<Bed> {
  am = await FakeAlertmanager.start();
  const { wecom } = options;
  let outbound: OutboundAlerts | undefined;
  const apiUrl = am.url;
  const metrics = createPrometheusMetrics({ processMetrics: false });
  const s = await startSimApp({
    scenario: 'small',
    metrics,
    configure(config: Config) {
      config.http.port = 0;
      config.metrics.enabled = true;
      config.alertmanager = {
        ...config.alertmanager,
        enabled: true,
        ...(options.basic ? { basicAuth: { username: 'alertmanager', password: TOKEN } } : { token: TOKEN }),
        ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
        actorLabel: 'miner',
        apiUrl,
      };
      config.alerts = {
        ...config.alerts,
        routes: [
          {
            checks: ['alertmanager'],
            channels: [`slack:${ALERTS}`, ...(wecom ? ['wecom:ops'] : [])],
            mention: ['slack-group:S0ONCALL'],
          },
        ],
      };
      if (wecom) config.robots = [{ name: 'ops', platform: 'wecom', webhookEnv: 'WECOM_OPS_WEBHOOK', language: 'en' }];
      config.rbac.roles = { admin: [], operator: ['slack:UALICE'], viewer: ['slack:*'] };
    },
    appOptions(config, log, clock) {
      if (wecom) outbound = startOutboundAlerts({ config, env: { WECOM_OPS_WEBHOOK: wecom.webhook }, log, clock });
      return {};
    },
  });
  if (outbound) {
    const started = outbound;
    for (const robot of started.robots) s.app.posters.register(robot);
    stopOutbound = () => started.stop();
    flushOutbound = () => started.flush();
  }
  metrics.watch({ firingAlerts: () => s.app.store.listAlerts({ status: 'firing', limit: 1_000 }) });
  slack = await startSlackTestBed({ use: harnessOf(s) });
  s.app.startBackgroundWork({ timer: false });
  const { log, lines } = captureLog();
  http = await startBotHttp({ config: s.config, app: s.app, metrics, counts: metrics, log });
  if (!http) throw new Error('the receiver did not start');
  return { s, slack, am, receiver: `${http.url}/alertmanager`, metrics, httpLog: lines };
}

const text = (call: RecordedCall) => JSON.stringify(call.body);
const posts = (b: SlackTestBed) =>
  b.api.callsOf('chat.postMessage').filter((c) => c.body.channel === ALERTS && c.body.thread_ts === undefined);
const thread = (b: SlackTestBed, ts: string) =>
  b.api.callsOf('chat.postMessage').filter((c) => c.body.thread_ts === ts);
const updates = (b: SlackTestBed, ts: string) => b.api.callsOf('chat.update').filter((c) => c.body.ts === ts);

async function deliver(bed: Bed, body: unknown, auth: Parameters<FakeAlertmanager['send']>[2] = { bearer: TOKEN }) {
  const answer = await bed.am.send(bed.receiver, body, auth);
  await bed.s.app.settled();
  await flushOutbound();
  return answer;
}

describe('Alertmanager’s webhook into the bot’s alerts', () => {
  it('posts a firing alert to the routed Slack channel once, paging on-call for a critical one, keeps repeats quiet, and resolves it in place when Alertmanager says resolved', async () => {
    const bed = await start();
    const fp = bed.am.fire(
      { alertname: 'DiskFull', severity: 'critical', instance: 'seal-01:9100', miner: 'f01000' },
      { summary: 'Sealing scratch /mnt/nvme is 91% full', description: 'PC1 will fail once it is full.' },
    );
    const first = await deliver(bed, bed.am.notification(DISK, [fp]));
    expect(first.status).toBe(200);
    const [post] = posts(bed.slack);
    expect(post && text(post)).toContain('CRITICAL A1: DiskFull: Sealing scratch /mnt/nvme is 91% full');
    expect(post && text(post)).toContain('<!subteam^S0ONCALL>');
    expect(post && text(post)).toContain('PC1 will fail once it is full.');
    expect(post && text(post)).toContain('instance=seal-01:9100');
    expect(buttonsOf(blocksOf(post as RecordedCall)).map((b) => b.value)).toEqual([
      '/alerts ack A1',
      '/alerts silence A1 for=1h',
      '/alerts silence A1 for=24h',
    ]);
    const alert = await bed.s.app.store.getAlert('A1');
    expect(alert).toMatchObject({ check: 'alertmanager', severity: 'critical', actor: 'f01000', status: 'firing' });
    expect(alert?.subject.endsWith(`/${fp}`)).toBe(true);
    const ts = String(post?.answer.ts);

    // Alertmanager repeats the group (group_interval, repeat_interval): nothing new is said.
    await deliver(bed, bed.am.notification(DISK, [fp]));
    expect(posts(bed.slack)).toHaveLength(1);
    expect(updates(bed.slack, ts)).toEqual([]);

    let families = parsePrometheusText(await bed.metrics.render());
    expect(sampleValue(families, 'lotus_chatops_alerts_firing', { severity: 'critical', check: 'alertmanager' })).toBe(
      1,
    );
    expect(sampleValue(families, 'lotus_chatops_alertmanager_requests_total', { outcome: 'accepted' })).toBe(2);

    bed.am.resolve(fp);
    await deliver(bed, bed.am.notification(DISK, [fp]));
    const resolved = updates(bed.slack, ts).at(-1) as RecordedCall;
    expect(text(resolved)).toContain('Resolved A1');
    expect(buttonsOf(blocksOf(resolved))).toEqual([]);
    expect(text(thread(bed.slack, ts).at(-1) as RecordedCall)).toContain('A1 resolved');
    expect(posts(bed.slack)).toHaveLength(1);
    families = parsePrometheusText(await bed.metrics.render());
    expect(sampleValue(families, 'lotus_chatops_alerts_firing', { severity: 'critical', check: 'alertmanager' })).toBe(
      0,
    );
  });

  it('given a route to Slack and a WeCom robot, then a firing → resolved cycle reaches both: the Slack message resolved in place, the robot told and then told of the resolution quoting the id', async () => {
    const wecom = await startWecomFakeRobot({ clock: { now: () => Date.now() } });
    try {
      const bed = await start({ wecom });
      const fp = bed.am.fire(
        { alertname: 'DiskFull', severity: 'warning', instance: 'seal-01:9100' },
        { summary: 'Sealing scratch /mnt/nvme is 85% full' },
      );
      await deliver(bed, bed.am.notification(DISK, [fp]));
      const [post] = posts(bed.slack);
      expect(post && text(post)).toContain('A1: DiskFull: Sealing scratch /mnt/nvme is 85% full');
      expect(wecom.accepted).toHaveLength(1);
      expect(wecom.accepted[0]).toContain('A1: DiskFull: Sealing scratch /mnt/nvme is 85% full');
      expect(wecom.accepted[0]).toContain('/alerts ack A1');

      bed.am.resolve(fp);
      await deliver(bed, bed.am.notification(DISK, [fp]));
      expect(text(updates(bed.slack, String(post?.answer.ts)).at(-1) as RecordedCall)).toContain('Resolved A1');
      expect(wecom.accepted).toHaveLength(2);
      expect(wecom.accepted[1]).toMatch(/A1 resolved after/);
      expect(wecom.errors).toEqual([]);
    } finally {
      await wecom.close();
    }
  });

  it('keeps one alert per fingerprint within a group, resolves one the group no longer lists, and leaves other groups and cut lists alone', async () => {
    const bed = await start();
    const a = bed.am.fire({ alertname: 'WorkerDown', severity: 'warning', instance: 'pc2-01' });
    const b = bed.am.fire({ alertname: 'WorkerDown', severity: 'warning', instance: 'pc2-02' });
    const c = bed.am.fire({ alertname: 'ChainLag', severity: 'critical', instance: 'daemon' });
    const workers = { key: '{}:{alertname="WorkerDown"}', labels: { alertname: 'WorkerDown' } };
    const chain = { key: '{}:{alertname="ChainLag"}', labels: { alertname: 'ChainLag' } };
    await deliver(bed, bed.am.notification(workers, [a, b]));
    await deliver(bed, bed.am.notification(chain, [c]));
    expect(posts(bed.slack)).toHaveLength(3);

    // max_alerts cut the list: what it leaves out is not taken as resolved.
    await deliver(bed, bed.am.notification(workers, [a], { truncatedAlerts: 1 }));
    expect((await bed.s.app.store.listAlerts({ status: 'firing', limit: 10 })).map((x) => x.summary).sort()).toEqual([
      'ChainLag',
      'WorkerDown',
      'WorkerDown',
    ]);
    // A full list without pc2-02 (it stopped firing and send_resolved is off): it resolves; ChainLag stays.
    await deliver(bed, bed.am.notification(workers, [a]));
    const firing = await bed.s.app.store.listAlerts({ status: 'firing', limit: 10 });
    expect(firing.map((x) => x.subject.split('/')[1]).sort()).toEqual([a, c].sort());
  });

  it.each([
    ['no Authorization header', {}],
    ['a forged bearer token', { bearer: 'am-webhook-token-0123456789abcdeX' }],
    ['the token as basic auth', { basic: { username: 'alertmanager', password: TOKEN } }],
  ])('refuses %s with 401 and posts nothing', async (_what, auth) => {
    const bed = await start();
    const fp = bed.am.fire({ alertname: 'DiskFull', severity: 'critical' });
    const answer = await deliver(bed, bed.am.notification(DISK, [fp]), auth);
    expect(answer.status).toBe(401);
    expect(posts(bed.slack)).toEqual([]);
    expect(await bed.s.app.store.listAlerts({ limit: 10 })).toEqual([]);
    const families = parsePrometheusText(await bed.metrics.render());
    expect(sampleValue(families, 'lotus_chatops_alertmanager_requests_total', { outcome: 'unauthorized' })).toBe(1);
    // The refusal is logged, without what was sent.
    expect(bed.httpLog.join('')).toContain('refused an Alertmanager request');
    expect(bed.httpLog.join('')).not.toContain('am-webhook-token');
  });

  it('given basic auth configured, takes the right password and refuses a wrong one', async () => {
    const bed = await start({ basic: true });
    const fp = bed.am.fire({ alertname: 'DiskFull', severity: 'critical' });
    const wrong = await deliver(bed, bed.am.notification(DISK, [fp]), {
      basic: { username: 'alertmanager', password: `${TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    expect(posts(bed.slack)).toEqual([]);
    const right = await deliver(bed, bed.am.notification(DISK, [fp]), {
      basic: { username: 'alertmanager', password: TOKEN },
    });
    expect(right.status).toBe(200);
    expect(posts(bed.slack)).toHaveLength(1);
  });

  it('refuses a body over the limit with 413 before reading it, and a body that is not a version 4 notification with 400; nothing is posted', async () => {
    const bed = await start({ maxBodyBytes: 4096 });
    const fp = bed.am.fire({ alertname: 'DiskFull', severity: 'critical' }, { description: 'x'.repeat(10_000) });
    const big = await deliver(bed, bed.am.notification(DISK, [fp]));
    expect(big.status).toBe(413);
    // Sent in pieces, without a length up front: refused once the limit is passed.
    const chunked = await postChunked(bed.receiver, JSON.stringify(bed.am.notification(DISK, [fp])), TOKEN);
    expect(chunked).toBe(413);
    expect((await deliver(bed, '{"version":')).status).toBe(400);
    const v3 = { ...bed.am.notification(DISK, [bed.am.fire({ alertname: 'Small' })]), version: '3' };
    const old = await deliver(bed, v3);
    expect(old.status).toBe(400);
    expect(old.text).toContain('version 4');
    expect(posts(bed.slack)).toEqual([]);
    expect(await bed.s.app.store.listAlerts({ limit: 10 })).toEqual([]);
  });

  it('acks from the Slack button, and the Silence button also creates the matching silence in Alertmanager', async () => {
    const bed = await start();
    const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'seal-01:9100' };
    const fp = bed.am.fire(labels, { summary: 'scratch full' });
    await deliver(bed, bed.am.notification(DISK, [fp]));
    const [post] = posts(bed.slack);
    const ts = String(post?.answer.ts);
    const click = async (value: string, as: string) => {
      const button = buttonsOf(blocksOf(post as RecordedCall)).find((x) => x.value === value);
      await bed.slack.socket.send(
        'interactive',
        buttonClick({
          actionId: button?.action_id ?? '',
          value,
          label: button?.text.text ?? '',
          user: 'UALICE',
          messageTs: ts,
          blocks: blocksOf(post as RecordedCall),
          responseUrl: bed.slack.responses.url(as),
        }),
      );
      const [answer] = await bed.slack.responses.waitFor(as);
      await bed.s.app.settled();
      return JSON.stringify(answer);
    };

    await click('/alerts ack A1', 'ack');
    expect((await bed.s.app.store.getAlert('A1'))?.ackedBy).toBe('slack:UALICE');
    expect(text(updates(bed.slack, ts).at(-1) as RecordedCall)).toContain('Acked');

    const answer = await click('/alerts silence A1 for=1h', 'silence');
    expect(bed.am.silences).toHaveLength(1);
    const [silence] = bed.am.silences;
    expect(answer).toContain(`Silenced in Alertmanager too (silence ${silence?.id})`);
    expect(silence?.matchers).toEqual(
      Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
    );
    expect(silence?.startsAt).toBe('2026-11-30T12:00:00.000Z');
    expect(silence?.endsAt).toBe('2026-11-30T13:00:00.000Z');
    expect(silence?.createdBy).toBe('slack:UALICE');
    expect((await bed.s.app.store.getAlert('A1'))?.silencedBy).toBe('slack:UALICE');

    // Unsilence ends it there too, once.
    const unsilenced = await bed.s.run('slack:UALICE', '/alerts unsilence A1');
    expect(JSON.stringify(unsilenced)).toContain(`Its silence in Alertmanager (${silence?.id}) is ended too.`);
    expect(bed.am.silences.map((x) => x.state)).toEqual(['expired']);
    const again = await bed.s.run('slack:UALICE', '/alerts unsilence A1');
    expect(again.severity).toBe('success');
    expect(JSON.stringify(again)).not.toContain('Alertmanager');
  });

  it('given the whole alertmanager check silenced, then a new alert from it is kept without being posted', async () => {
    const bed = await start();
    const silenced = await bed.s.run('slack:UALICE', '/alerts silence alertmanager for=1h maintenance');
    expect(silenced.title).toContain('Silenced the alertmanager check');
    const fp = bed.am.fire({ alertname: 'DiskFull', severity: 'critical' });
    expect((await deliver(bed, bed.am.notification(DISK, [fp]))).status).toBe(200);
    expect(posts(bed.slack)).toEqual([]);
    expect((await bed.s.app.store.listAlerts({ status: 'firing', limit: 10 })).map((a) => a.check)).toEqual([
      'alertmanager',
    ]);
  });

  it('keeps the bot’s own silence and says so when Alertmanager no longer knows the alert', async () => {
    const bed = await start();
    const fp = bed.am.fire({ alertname: 'DiskFull', severity: 'critical' });
    await deliver(bed, bed.am.notification(DISK, [fp]));
    bed.am.alerts.delete(fp);
    const reply = await bed.s.run('slack:UALICE', '/alerts silence A1 for=2h');
    expect(reply.severity).toBe('warning');
    expect(JSON.stringify(reply)).toContain('Not silenced in Alertmanager: Alertmanager no longer knows the alert');
    expect(bed.am.silences).toEqual([]);
    expect((await bed.s.app.store.getAlert('A1'))?.silencedUntil).not.toBeNull();
  });
});

/** POSTs a body in chunks without Content-Length (chunked transfer); resolves with the status, or 413 on a reset after it. */
function postChunked(url: string, body: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1024) req.write(body.slice(i, i + 1024));
    req.end();
  });
}

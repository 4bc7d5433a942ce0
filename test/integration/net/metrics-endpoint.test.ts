import { afterEach, describe, expect, it } from 'vitest';
import { startBotHttp } from '../../../src/cli/start-bot-http.js';
import type { HttpListener } from '../../../src/net/http-listener.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/net/prometheus-metrics.js';
import { type MetricFamily, parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';
import { captureLog, requestIdOf } from '../../helpers/runtime-harness.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp | undefined;
let http: HttpListener | undefined;
afterEach(async () => {
  await http?.close();
  await s?.close();
  s = http = undefined;
});

/** The bot on the simulator with metrics on, served by its HTTP listener on a free loopback port. */
async function start(): Promise<{ s: SimApp; url: string; metrics: PrometheusMetrics }> {
  const metrics = createPrometheusMetrics();
  s = await startSimApp({
    scenario: 'small',
    metrics,
    configure(config) {
      config.metrics.enabled = true;
      config.http.port = 0;
    },
  });
  const app = s;
  metrics.watch({ firingAlerts: () => app.app.store.listAlerts({ status: 'firing', limit: 1_000 }) });
  http = await startBotHttp({ config: s.config, app: s.app, metrics, counts: metrics, log: captureLog().log });
  if (!http) throw new Error('no listener');
  return { s, url: http.url, metrics };
}

async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return parsePrometheusText(await response.text());
}

const total = (families: Map<string, MetricFamily>, name: string, where: (l: Record<string, string>) => boolean) =>
  [...families.values()]
    .flatMap((f) => f.samples)
    .filter((x) => x.name === name && where(x.labels))
    .reduce((sum, x) => sum + x.value, 0);

describe('/metrics on the bot’s HTTP listener', () => {
  it('given metrics on, when commands run, then the scrape parses as Prometheus text and counts them by name and outcome, with their latency and the lotus calls they made', async () => {
    const { s, url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const before = await scrape(url);
    expect(
      sampleValue(before, 'lotus_chatops_commands_total', { command: 'deadlines', outcome: 'ok' }),
    ).toBeUndefined();
    const lotusBefore = total(before, 'lotus_chatops_lotus_calls_total', (l) => l.outcome === 'ok');

    await s.run('victor', '/deadlines');
    await s.run('victor', '/deadlines');
    await s.run('victor', '/deadlinez');
    await s.run('victor', '/pledge 1');

    const after = await scrape(url);
    expect(sampleValue(after, 'lotus_chatops_commands_total', { command: 'deadlines', outcome: 'ok' })).toBe(2);
    expect(
      sampleValue(after, 'lotus_chatops_command_duration_seconds_count', { command: 'deadlines', outcome: 'ok' }),
    ).toBe(2);
    // A mistyped command is one series, whatever was typed; a viewer's /pledge is refused by role.
    expect(sampleValue(after, 'lotus_chatops_commands_total', { command: '(unknown)', outcome: 'usage' })).toBe(1);
    expect(sampleValue(after, 'lotus_chatops_commands_total', { command: 'pledge start', outcome: 'refused' })).toBe(1);
    expect(after.get('lotus_chatops_command_duration_seconds')?.type).toBe('histogram');
    expect(total(after, 'lotus_chatops_lotus_calls_total', (l) => l.outcome === 'ok')).toBeGreaterThan(lotusBefore);
    expect(
      total(after, 'lotus_chatops_lotus_calls_total', (l) => l.api === 'full' && l.method === 'ChainHead'),
    ).toBeGreaterThan(0);
    expect(after.get('lotus_chatops_lotus_call_duration_seconds')?.type).toBe('histogram');
    // Node's own process metrics, under their usual names.
    expect(after.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(after.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });

  it('given a pledge request, when another operator approves it, then the approval steps and the execution are counted', async () => {
    const { s, url } = await start();
    const plan = await s.run('alice', '/pledge 1');
    await s.run('alice', `/approvals approve ${requestIdOf(plan)}`);
    await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    const after = await scrape(url);
    expect(sampleValue(after, 'lotus_chatops_approvals_total', { outcome: 'requested' })).toBe(1);
    expect(sampleValue(after, 'lotus_chatops_approvals_total', { outcome: 'refused' })).toBe(1);
    expect(sampleValue(after, 'lotus_chatops_approvals_total', { outcome: 'approved' })).toBe(1);
    expect(sampleValue(after, 'lotus_chatops_approvals_total', { outcome: 'succeeded' })).toBe(1);
    expect(
      sampleValue(after, 'lotus_chatops_commands_total', { command: 'pledge start', outcome: 'pending-approval' }),
    ).toBe(1);
  });

  it('given the background jobs, when they tick, then each run is counted by job and outcome with its duration', async () => {
    const { s, url } = await start();
    s.app.startBackgroundWork({ timer: false });
    await s.app.jobs.tick();
    s.clock.advance(60_000);
    await s.app.jobs.tick();
    const after = await scrape(url);
    expect(sampleValue(after, 'lotus_chatops_job_runs_total', { job: 'approvals-expiry', outcome: 'ok' })).toBe(2);
    expect(sampleValue(after, 'lotus_chatops_job_run_duration_seconds_count', { job: 'approvals-expiry' })).toBe(2);
  });

  it('given metrics and the receiver both off, then nothing listens', async () => {
    s = await startSimApp({ scenario: 'small' });
    expect(s.config.metrics.enabled).toBe(false);
    expect(s.config.http.host).toBe('127.0.0.1');
    const listener = await startBotHttp({ config: s.config, app: s.app, log: captureLog().log });
    expect(listener).toBeUndefined();
  });

  it('given the listener, when another path or method is asked for, then it answers 404 or 405 and nothing else', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/alertmanager`, { method: 'POST', body: '{}' })).status).toBe(404);
    const post = await fetch(`${url}/metrics`, { method: 'POST', body: '' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

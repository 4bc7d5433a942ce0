import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../core/metrics.js';
import type { HealthView, LinkState } from '../core/platform-health.js';

/** What is read when Prometheus scrapes, rather than counted as it happens. */
export interface ScrapeSources {
  /** The chat platforms' links and outboxes (absent in a process without adapters). */
  health?: HealthView;
  /** The alerts that fire now, from the store. */
  firingAlerts?: () => Promise<ReadonlyArray<{ severity: string; check: string }>>;
}

export interface PrometheusMetrics extends Metrics {
  /** The Content-Type of `render`'s text. */
  readonly contentType: string;
  /** Everything, in Prometheus's text exposition format. */
  render(): Promise<string>;
  /** Sets what the scrape-time gauges read (the store and the health exist after the metrics are made). */
  watch(sources: ScrapeSources): void;
}

const PREFIX = 'lotus_chatops_';
const linkStates: readonly LinkState[] = ['connected', 'reconnecting', 'down'];
/** Commands answer in milliseconds to minutes (an approval's execution); lotus calls and SSH commands likewise. */
const slowBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * The bot's metrics in a registry of its own (never prom-client's global one, which other code in the process could
 * fill): counters and histograms moved by the `Metrics` reports, gauges read at scrape time, and Node's process
 * metrics (CPU, memory, event loop lag, file descriptors) under their usual names.
 */
export function createPrometheusMetrics(options: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  let sources: ScrapeSources = {};
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Histogram<L>({ name: PREFIX + name, help, labelNames, buckets: slowBuckets, registers: [registry] });

  const commands = counter('commands_total', 'Commands dispatched, typed or clicked, by command and outcome', [
    'command',
    'outcome',
  ]);
  const commandSeconds = histogram('command_duration_seconds', 'Time to answer a command', ['command', 'outcome']);
  const approvals = counter(
    'approvals_total',
    'Approval gate steps: requested, blocked, recorded, approved, denied, refused, expired, succeeded, failed',
    ['outcome'],
  );
  const lotusCalls = counter('lotus_calls_total', 'Lotus JSON-RPC method calls by API, method and outcome', [
    'api',
    'method',
    'outcome',
  ]);
  const lotusSeconds = histogram('lotus_call_duration_seconds', 'Lotus call latency, retries included', [
    'api',
    'method',
  ]);
  const sshCommands = counter('ssh_commands_total', 'Commands run over SSH by host and outcome', ['host', 'outcome']);
  const sshSeconds = histogram('ssh_command_duration_seconds', 'SSH command duration', ['host']);
  const jobRuns = counter('job_runs_total', 'Background job runs by job and outcome (ok, failed, timeout)', [
    'job',
    'outcome',
  ]);
  const jobSeconds = histogram('job_run_duration_seconds', 'Background job run duration', ['job']);
  const outboxDropped = counter('outbox_dropped_total', 'Messages the outbox gave up on, by platform', ['platform']);
  const alertmanagerRequests = counter(
    'alertmanager_requests_total',
    'Requests to the Alertmanager receiver: accepted, unauthorized, too-large, invalid, failed',
    ['outcome'],
  );

  const firingSeen = new Set<string>();
  new Gauge({
    name: `${PREFIX}alerts_firing`,
    help: 'Alerts firing now, by severity and check (alertmanager for those Alertmanager sent)',
    labelNames: ['severity', 'check'],
    registers: [registry],
    async collect() {
      const firing = (await sources.firingAlerts?.()) ?? [];
      const counts = new Map<string, number>();
      for (const a of firing)
        counts.set(`${a.severity}\u0000${a.check}`, (counts.get(`${a.severity}\u0000${a.check}`) ?? 0) + 1);
      // A series that fired once reads 0 once it no longer does, rather than vanishing.
      for (const key of counts.keys()) firingSeen.add(key);
      for (const key of firingSeen) {
        const [severity = '', check = ''] = key.split('\u0000');
        this.set({ severity, check }, counts.get(key) ?? 0);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}chat_platform_up`,
    help: 'Whether the link to a chat platform is connected (1) or not (0)',
    labelNames: ['platform'],
    registers: [registry],
    collect() {
      for (const p of sources.health?.platforms() ?? [])
        this.set({ platform: p.platform }, p.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}chat_platform_state`,
    help: "A chat platform's link state: 1 for the state it is in",
    labelNames: ['platform', 'state'],
    registers: [registry],
    collect() {
      for (const p of sources.health?.platforms() ?? [])
        for (const state of linkStates) this.set({ platform: p.platform, state }, p.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: `${PREFIX}outbox_waiting`,
    help: 'Messages waiting in the outbox for their platform to be reachable',
    labelNames: ['platform'],
    registers: [registry],
    collect() {
      for (const p of sources.health?.platforms() ?? []) this.set({ platform: p.platform }, p.outbox?.waiting ?? 0);
    },
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    watch(next) {
      sources = { ...sources, ...next };
    },
    command(path, outcome, seconds) {
      commands.inc({ command: path, outcome });
      commandSeconds.observe({ command: path, outcome }, seconds);
    },
    approval(outcome, count = 1) {
      approvals.inc({ outcome }, count);
    },
    lotusCall(api, method, outcome, seconds) {
      lotusCalls.inc({ api, method, outcome });
      lotusSeconds.observe({ api, method }, seconds);
    },
    sshCommand(host, outcome, seconds) {
      sshCommands.inc({ host, outcome });
      sshSeconds.observe({ host }, seconds);
    },
    jobRun(job, outcome, seconds) {
      jobRuns.inc({ job, outcome });
      jobSeconds.observe({ job }, seconds);
    },
    outboxDropped(platform) {
      outboxDropped.inc({ platform });
    },
    alertmanagerRequest(outcome) {
      alertmanagerRequests.inc({ outcome });
    },
  };
}

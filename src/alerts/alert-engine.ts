import type { ClusterServices } from '../cluster/cluster-services.js';
import type { AlertsConfig } from '../config/schema.js';
import { parseDuration } from '../core/duration.js';
import type { JobDefinition } from '../core/jobs/job-registry.js';
import type { Store } from '../store/store.js';
import { allChecks } from './checks/all-checks.js';
import type { AlertCheck } from './checks/check.js';
import { alertThresholds } from './checks/thresholds.js';
import { type CheckResult, type ReconcilePolicy, reconcile } from './reconcile.js';
import { runChecks } from './run-checks.js';

export const ALERTS_JOB = 'alerts';
/** How often the engine looks for checks that are due: an alert is posted within this of its check's interval. */
const TICK_MS = 1_000;

export interface AlertEngineOptions {
  store: Store;
  services: () => Promise<ClusterServices>;
  config: AlertsConfig;
  /** Tells the chat that alerts changed (the chat-updates job runs at once). */
  changed: () => void;
  checks?: readonly AlertCheck[];
}

/** A check's interval from the config (`off` = never), or its own default. */
export function checkInterval(check: AlertCheck, config: AlertsConfig): number | undefined {
  const every = config.every[check.name];
  if (every === 'off') return undefined;
  return every === undefined ? check.defaultEveryMs : parseDuration(every);
}

export function reconcilePolicy(config: AlertsConfig): ReconcilePolicy {
  return {
    flapWindowMs: parseDuration(config.flapWindow),
    renotifyAfterMs: parseDuration(config.renotifyAfter),
    stormThreshold: config.stormThreshold,
  };
}

/**
 * The alert engine, one job on the registry (so only one process of several sharing a store runs it): each second it
 * runs the checks that are due, several at once, each within the timeout; a check whose failures point at another
 * (chain reads failing because the internal daemon is down) brings that one into the same pass, so that the outage
 * and what it explains arrive together as one alert. Then one reconciliation of everything the pass found, one store
 * transaction, and the chat is told.
 */
export function alertEngineJob(options: AlertEngineOptions): JobDefinition {
  const checks = options.checks ?? allChecks;
  const thresholds = alertThresholds(options.config.thresholds);
  const policy = reconcilePolicy(options.config);
  const timeoutMs = parseDuration(options.config.timeout);
  const intervals = new Map(checks.map((c) => [c.name, checkInterval(c, options.config)]));
  return {
    name: ALERTS_JOB,
    description: `Runs the alert checks on their intervals (${checks.filter((c) => intervals.get(c.name) !== undefined).length} on) and keeps the alerts in the store`,
    everyMs: TICK_MS,
    timeoutMs: 2 * timeoutMs + 30_000,
    async run({ now, state, signal }) {
      const lastRun = record(state.lastRun) as Record<string, number>;
      const memory = record(state.memory) as Record<string, Record<string, unknown>>;
      const due = checks.filter((c) => {
        const every = intervals.get(c.name);
        return every !== undefined && now - (lastRun[c.name] ?? 0) >= every;
      });
      if (due.length === 0) return undefined;
      const services = await options.services();
      const run = (list: readonly AlertCheck[]) =>
        runChecks(list, {
          services,
          thresholds,
          now,
          memory,
          timeoutMs,
          concurrency: options.config.concurrency,
          signal,
        });
      const outcomes = await run(due);
      // Failures that name a cause whose check did not run: run it now, so the cause is known in this same pass.
      const causes = new Set(
        [...outcomes.values()].flatMap((o) => o.findings.map((f) => f.cause?.split(':')[0]).filter(Boolean)),
      );
      const extra = checks.filter((c) => causes.has(c.name) && !outcomes.has(c.name) && intervals.has(c.name));
      for (const [name, outcome] of await run(extra)) outcomes.set(name, outcome);

      const results: CheckResult[] = [...outcomes].map(([check, o]) => ({
        check,
        findings: o.findings,
        blind: o.blind,
      }));
      const silenced = new Set(
        (await options.store.activeSilences(now))
          .filter((s) => s.matcher.startsWith('check:'))
          .map((s) => s.matcher.slice('check:'.length)),
      );
      const existing = await options.store.activeAlerts(now - policy.flapWindowMs);
      const changes = reconcile(existing, results, now, policy, silenced);
      await options.store.applyAlertChanges(changes, now);
      if (changes.some((c) => c.kind !== 'seen')) options.changed();

      for (const [name, outcome] of outcomes) {
        lastRun[name] = now;
        if (outcome.memory !== undefined) memory[name] = outcome.memory;
      }
      return { lastRun, memory };
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? { ...(value as Record<string, unknown>) }
    : {};
}

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClusterServices } from '../cluster/cluster-services.js';
import type { AlertmanagerConfig, AlertsConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { isOpsError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { AlertDesk } from './alert-desk.js';
import { ALERTS_JOB, checkInterval } from './alert-engine.js';
import { ALERTMANAGER_CHECK, fingerprintOf } from './alertmanager-receiver.js';
import { allChecks } from './checks/all-checks.js';
import type { StatusLine } from './checks/check.js';
import { alertThresholds } from './checks/thresholds.js';
import { runChecks } from './run-checks.js';

export interface AlertDeskOptions {
  store: Store;
  clock: Clock;
  config: AlertsConfig;
  /** Alertmanager's receiver and API (its alerts can be silenced as a check, and silenced there too). */
  alertmanager?: AlertmanagerConfig;
  services: () => ClusterServices;
  /** How Alertmanager's API is reached (tests); the global fetch otherwise. */
  fetch?: typeof globalThis.fetch;
  /** Something chat should show changed (an ack): the long-lived process updates the alert's message at once. */
  changed: () => void;
}

/** Journal kinds: a silence made in Alertmanager for one of its alerts, and its end. */
const UPSTREAM_SILENCE = 'alertmanager.silence';
const UPSTREAM_UNSILENCE = 'alertmanager.unsilence';

export function createAlertDesk(options: AlertDeskOptions): AlertDesk {
  const { store, clock, config } = options;
  const checks = allChecks;
  const on = checks.filter((c) => checkInterval(c, config) !== undefined);
  const after = <T>(value: T): T => {
    options.changed();
    return value;
  };
  return {
    engineEnabled: config.enabled,
    checkNames: [...checks.map((c) => c.name), ...(options.alertmanager?.enabled ? [ALERTMANAGER_CHECK] : [])],
    list: (filter) => store.listAlerts(filter),
    get: (id) => store.getAlert(id),
    ack: async (id, by) => after(await store.ackAlert(id, by, clock.now())),
    silence: async (id, change) => after(await store.silenceAlert(id, change, clock.now())),
    async silenceUpstream(alert, change) {
      const apiUrl = options.alertmanager?.apiUrl;
      const fingerprint = fingerprintOf(alert.subject);
      if (apiUrl === undefined || alert.check !== ALERTMANAGER_CHECK || fingerprint === undefined) return undefined;
      const { createAlertmanagerSilence } = await import('./alertmanager-api.js');
      try {
        const id = await createAlertmanagerSilence(
          apiUrl,
          {
            fingerprint,
            now: clock.now(),
            endsAt: change.until,
            createdBy: change.by,
            comment: `${alert.id} silenced from chat (lotus-chatops)${change.reason ? `: ${change.reason}` : ''}`,
          },
          options.fetch,
        );
        // Kept, so that Unsilence can end it there too.
        await store.appendJournal({
          at: clock.now(),
          kind: UPSTREAM_SILENCE,
          principal: change.by,
          approvalId: null,
          data: { alert: alert.id, silence: id },
        });
        return { created: id };
      } catch (error) {
        if (isOpsError(error)) return { failed: error.message };
        throw error;
      }
    },
    async unsilenceUpstream(alert, by) {
      const apiUrl = options.alertmanager?.apiUrl;
      if (apiUrl === undefined || alert.check !== ALERTMANAGER_CHECK) return undefined;
      const made = (await store.recentJournal(UPSTREAM_SILENCE, 500)).find((e) => e.data.alert === alert.id);
      const ended = new Set(
        (await store.recentJournal(UPSTREAM_UNSILENCE, 500)).map((e) => e.data.silence).filter(Boolean),
      );
      const silence = made?.data.silence;
      if (typeof silence !== 'string' || ended.has(silence)) return undefined;
      const { expireAlertmanagerSilence } = await import('./alertmanager-api.js');
      try {
        await expireAlertmanagerSilence(apiUrl, silence, options.fetch);
      } catch (error) {
        if (isOpsError(error)) return { failed: error.message };
        throw error;
      }
      await store.appendJournal({
        at: clock.now(),
        kind: UPSTREAM_UNSILENCE,
        principal: by,
        approvalId: null,
        data: { alert: alert.id, silence },
      });
      return { ended: silence };
    },
    unsilence: async (id, by) => after(await store.silenceAlert(id, { until: null, by, reason: null }, clock.now())),
    async silenceCheck(check, change) {
      const silence = {
        id: randomUUID(),
        matcher: `check:${check}`,
        createdBy: change.by,
        createdAt: clock.now(),
        expiresAt: change.until,
        reason: change.reason ?? '',
      };
      await store.addSilence(silence);
      return after(silence);
    },
    unsilenceCheck: async (check, by) => after(await store.endSilences(`check:${check}`, by, clock.now())),
    silences: () => store.activeSilences(clock.now()),
    async statusNow(onProgress) {
      const started = clock.now();
      const t0 = performance.now();
      // What the engine remembered (workers seen, drain mode since) makes /status say the same as the alerts.
      const job = (await store.listJobs()).find((j) => j.name === ALERTS_JOB);
      const memory = (job?.state.memory ?? {}) as Record<string, Record<string, unknown>>;
      const pending = new Set(on.map((c) => c.name));
      const soFar: StatusLine[] = [];
      const outcomes = await runChecks(on, {
        services: options.services(),
        thresholds: alertThresholds(config.thresholds),
        now: started,
        memory,
        timeoutMs: parseDuration(config.timeout),
        concurrency: on.length,
        onDone(check, outcome) {
          pending.delete(check.name);
          soFar.push(...outcome.lines);
          onProgress?.(on.length - pending.size, [...pending], soFar);
        },
      });
      return {
        lines: on.flatMap((c) => outcomes.get(c.name)?.lines ?? []),
        late: [...outcomes].filter(([, o]) => o.timedOut).map(([name]) => name),
        off: checks.filter((c) => !on.includes(c)).map((c) => c.name),
        durationMs: performance.now() - t0,
      };
    },
  };
}

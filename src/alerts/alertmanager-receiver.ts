import { createHash } from 'node:crypto';
import type { AlertmanagerConfig, AlertsConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import { reconcilePolicy } from './alert-engine.js';
import { type WebhookAlert, type WebhookPayload, webhookPayloadSchema } from './alertmanager-payload.js';
import type { AlertSeverity, Finding } from './finding.js';
import { reconcile } from './reconcile.js';

/** The check name of every alert Alertmanager sent: routes and `/alerts silence alertmanager` name it. */
export const ALERTMANAGER_CHECK = 'alertmanager';

const SUMMARY_CHARS = 200;
const DETAIL_CHARS = 1_500;

export interface AlertmanagerReceiverOptions {
  store: Store;
  clock: Clock;
  alerts: AlertsConfig;
  config: AlertmanagerConfig;
  /** The chat should show what changed (the chat-updates job runs at once). */
  changed: () => void;
}

/** A body that is not an Alertmanager notification (version 4): answered 400, nothing changed. */
export class PayloadRefused extends Error {}

export interface ReceiveOutcome {
  /** Alerts in the notification. */
  alerts: number;
  raised: number;
  resolved: number;
}

/**
 * Alertmanager's notifications as findings of the `alertmanager` check, through the same rule (reconcile) and store
 * step as the bot's own checks, so that they are posted, updated in place, acked, silenced and resolved the same way.
 *
 * One notification is one pass over one alert group (subjects `GROUP/FINGERPRINT`): its firing alerts are found; an
 * alert of the group that it marks resolved, or leaves out of a full list, resolves; alerts of other groups, and
 * those a truncated list (max_alerts) leaves out, are kept as they are. Alertmanager has grouped the alerts already,
 * so no storm summary is made of them; its repeat_interval paces the re-notices of unacked critical ones.
 */
export function alertmanagerReceiver(options: AlertmanagerReceiverOptions) {
  const { store, clock } = options;
  const policy = { ...reconcilePolicy(options.alerts), stormThreshold: Number.POSITIVE_INFINITY };
  // One notification at a time: two of one group arriving together must not both raise its alerts.
  let queue: Promise<unknown> = Promise.resolve();

  async function apply(payload: WebhookPayload): Promise<ReceiveOutcome> {
    const now = clock.now();
    const group = groupId(payload.groupKey);
    const inGroup = (subject: string) => subject.startsWith(`${group}/`);
    const firing = payload.alerts.filter((a) => a.status === 'firing');
    const findings = firing.map((a) => finding(a, group, payload, options.config));
    const listed = new Set(payload.alerts.map((a) => `${group}/${a.fingerprint}`));
    const markedResolved = new Set(
      payload.alerts.filter((a) => a.status === 'resolved').map((a) => `${group}/${a.fingerprint}`),
    );
    const existing = (await store.activeAlerts(now - policy.flapWindowMs)).filter(
      (a) => a.check === ALERTMANAGER_CHECK,
    );
    // What this notification does not speak for is kept: other groups, and what a cut list may have left out.
    const kept = existing
      .filter((a) => a.status === 'firing')
      .filter(
        (a) =>
          !inGroup(a.subject) ||
          (!markedResolved.has(a.subject) && !listed.has(a.subject) && payload.truncatedAlerts > 0),
      )
      .map((a) => a.subject);
    const silences = await store.activeSilences(now);
    const silencedChecks = new Set(
      silences.some((s) => s.matcher === `check:${ALERTMANAGER_CHECK}`) ? [ALERTMANAGER_CHECK] : [],
    );
    const changes = reconcile(
      existing,
      [{ check: ALERTMANAGER_CHECK, findings, blind: kept }],
      now,
      policy,
      silencedChecks,
    );
    await store.applyAlertChanges(changes, now);
    if (changes.some((c) => c.kind !== 'seen')) options.changed();
    return {
      alerts: payload.alerts.length,
      raised: changes.filter((c) => c.kind === 'raise').length,
      resolved: changes.filter((c) => c.kind === 'resolve').length,
    };
  }

  return {
    /** Parses a notification's JSON and applies it; rejects with PayloadRefused for a body that is not one. */
    receive(body: unknown): Promise<ReceiveOutcome> {
      const parsed = webhookPayloadSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        return Promise.reject(new PayloadRefused(`${where}${issue?.message ?? 'not an Alertmanager notification'}`));
      }
      const run = queue.then(() => apply(parsed.data));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export type AlertmanagerReceiver = ReturnType<typeof alertmanagerReceiver>;

/** A short, stable name for an alert group: its group key is long and full of quotes. */
export function groupId(groupKey: string): string {
  return createHash('sha256').update(groupKey, 'utf8').digest('hex').slice(0, 12);
}

/** The Alertmanager fingerprint of one of its alerts' subjects (`GROUP/FINGERPRINT`). */
export function fingerprintOf(subject: string): string | undefined {
  return /^[0-9a-f]{12}\/([0-9a-f]{1,64})$/.exec(subject)?.[1];
}

function finding(alert: WebhookAlert, group: string, payload: WebhookPayload, config: AlertmanagerConfig): Finding {
  const { labels, annotations } = alert;
  const name = labels.alertname ?? 'Alert';
  const headline = annotations.summary ?? annotations.description ?? annotations.message;
  const summary = clip(oneLine(headline ? `${name}: ${headline}` : name), SUMMARY_CHARS);
  const raw = labels[config.severityLabel];
  const severity: AlertSeverity = raw === undefined ? 'warning' : (config.severities[raw] ?? 'warning');
  const shown = Object.entries(labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const detail = [
    annotations.summary !== undefined && annotations.description !== undefined ? annotations.description : undefined,
    shown ? `Labels: ${shown}` : undefined,
    raw !== undefined && config.severities[raw] === undefined
      ? `Severity "${raw}" is not one this bot knows; shown as a warning (alertmanager.severities).`
      : undefined,
    alert.generatorURL ? `Source: ${alert.generatorURL}` : undefined,
    `From Alertmanager${payload.externalURL ? ` ${payload.externalURL}` : ''} (receiver ${payload.receiver})`,
  ].filter((line): line is string => line !== undefined);
  const actor = config.actorLabel === undefined ? undefined : labels[config.actorLabel];
  return {
    check: ALERTMANAGER_CHECK,
    subject: `${group}/${alert.fingerprint}`,
    severity,
    summary,
    detail: clip(detail.join('\n'), DETAIL_CHARS),
    ...(actor !== undefined && /^[ft]0\d+$/.test(actor) ? { actor } : {}),
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

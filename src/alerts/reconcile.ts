import type { AlertChange, AlertRecord } from '../store/store.js';
import { type AlertSeverity, type Finding, findingKey, severityRank } from './finding.js';

export interface ReconcilePolicy {
  /** A condition that resolves and returns within this is the same alert, not a new one. */
  flapWindowMs: number;
  /** An unacked critical alert is told again after this. */
  renotifyAfterMs: number;
  /** This many new alerts in one pass (not explained by another) become one summary message. */
  stormThreshold: number;
}

/** What the checks of one pass found; a check that did not run this pass is not here and keeps its alerts. */
export interface CheckResult {
  check: string;
  findings: Finding[];
  /** Subjects the check could not see ('' = all): their alerts are kept as they are. */
  blind?: readonly string[];
}

/** The checks silenced as a whole now (`/alerts silence CHECK`). */
export type SilencedChecks = ReadonlySet<string>;

/** The check name of a storm's summary alert: no check runs under it; it resolves when its last member does. */
export const STORM_CHECK = 'storm';

/**
 * The alert engine's rule, pure: from the alerts as the store has them (firing, and recently resolved) and what this
 * pass's checks found, what changes. Each condition is one alert (check + subject) from the pass that first finds it
 * to the pass that no longer does:
 * - new → raised; gone → resolved; back within the flap window → the same alert again (refired, not a new message);
 * - severity changed → changed, and an ack no longer stands; other text (a figure that moves) is kept quietly;
 * - critical, unacked, unsilenced, told longer ago than the re-notify interval → re-notified;
 * - raised while silenced → kept untold, and told (re-notified) once the silence is over;
 * - lasted past its `escalate.afterMs` → its severity rises;
 * - explained by another alert that fires (its `cause`) → shown under that one, and on its own once that one resolves;
 * - as many new ones as the storm threshold → one summary alert with the rest under it.
 */
export function reconcile(
  existing: readonly AlertRecord[],
  results: readonly CheckResult[],
  now: number,
  policy: ReconcilePolicy,
  silencedChecks: SilencedChecks = new Set(),
): AlertChange[] {
  const changes: AlertChange[] = [];
  const firing = new Map(existing.filter((a) => a.status === 'firing').map((a) => [a.key, a]));
  const byId = new Map(existing.map((a) => [a.id, a]));
  const recentlyResolved = new Map<string, AlertRecord>();
  for (const alert of existing)
    if (alert.status === 'resolved' && alert.resolvedAt !== null && now - alert.resolvedAt <= policy.flapWindowMs)
      if (!firing.has(alert.key)) recentlyResolved.set(alert.key, alert);
  const silenced = (alert: Pick<AlertRecord, 'check' | 'silencedUntil'>): boolean =>
    silencedChecks.has(alert.check) || (alert.silencedUntil !== null && alert.silencedUntil > now);
  const ran = new Set(results.map((r) => r.check));
  const blindTo = new Map(results.map((r) => [r.check, r.blind ?? []]));
  const unseen = (alert: AlertRecord): boolean =>
    (blindTo.get(alert.check) ?? []).some((p) => p === '' || alert.subject === p || alert.subject.startsWith(`${p}/`));
  const found = new Set<string>();
  const raised: Array<{ finding: Finding; ref: string }> = [];
  const stillFiring = new Set<string>();

  for (const { findings } of results) {
    for (const raw of findings) {
      const key = findingKey(raw);
      if (found.has(key)) continue;
      found.add(key);
      const current = firing.get(key);
      if (!current) {
        const flapped = recentlyResolved.get(key);
        if (flapped) {
          changes.push({ kind: 'refire', id: flapped.id, ...fields(raw) });
          stillFiring.add(flapped.id);
        } else raised.push({ finding: raw, ref: `new:${key}` });
        continue;
      }
      stillFiring.add(current.id);
      const finding = escalated(raw, current, now);
      if (current.severity !== finding.severity) changes.push({ kind: 'change', id: current.id, ...fields(finding) });
      else changes.push({ kind: 'seen', id: current.id, summary: finding.summary, detail: finding.detail ?? '' });
      if (shouldRenotify(current, finding.severity, now, policy, silenced(current)))
        changes.push({ kind: 'renotify', id: current.id });
    }
  }
  for (const alert of firing.values()) {
    if (alert.check === STORM_CHECK) continue;
    if (ran.has(alert.check) && !found.has(alert.key) && !unseen(alert))
      changes.push({ kind: 'resolve', id: alert.id });
    else stillFiring.add(alert.id);
  }

  // A storm's summary lasts as long as one of its members; a member whose explaining alert resolved stands alone.
  for (const alert of firing.values()) {
    if (alert.check === STORM_CHECK) {
      const members = [...firing.values()].filter((m) => m.groupId === alert.id && stillFiring.has(m.id));
      if (members.length === 0) changes.push({ kind: 'resolve', id: alert.id });
      else if (shouldRenotify(alert, alert.severity, now, policy, silenced(alert)))
        changes.push({ kind: 'renotify', id: alert.id });
      continue;
    }
    if (alert.groupId === null || !stillFiring.has(alert.id)) continue;
    const parent = byId.get(alert.groupId);
    if (parent && parent.check !== STORM_CHECK && !stillFiring.has(parent.id)) {
      changes.push({ kind: 'group', id: alert.id, groupId: null });
      if (!silenced(alert)) changes.push({ kind: 'renotify', id: alert.id });
    }
  }

  const explained = explainedBy(raised, firing, found);
  const alone = raised.filter((r) => !explained.has(r.ref) && !silencedChecks.has(r.finding.check));
  const storm = alone.length >= policy.stormThreshold;
  if (storm) changes.push(stormSummary(alone, now));
  // Raised before what is shown under them, so that the store can point each member at its new parent.
  const pending = [...raised];
  const emitted = new Set<string>();
  while (pending.length > 0) {
    const ready = pending.filter(({ ref }) => {
      const parent = explained.get(ref);
      return (
        parent === undefined ||
        !parent.startsWith('new:') ||
        emitted.has(parent) ||
        !pending.some((p) => p.ref === parent)
      );
    });
    const batch = ready.length > 0 ? ready : pending.slice(0, 1);
    for (const { finding, ref } of batch) {
      pending.splice(pending.indexOf(batch.find((b) => b.ref === ref) as (typeof pending)[number]), 1);
      emitted.add(ref);
      const groupId = explained.get(ref) ?? (storm && alone.some((r) => r.ref === ref) ? 'storm' : null);
      changes.push({
        kind: 'raise',
        ref,
        groupId,
        notify: groupId === null && !silencedChecks.has(finding.check),
        finding: {
          ...fields(finding),
          check: finding.check,
          subject: finding.subject,
          actor: finding.actor ?? null,
          cause: finding.cause ?? null,
        },
      });
    }
  }
  return changes;
}

function shouldRenotify(
  alert: AlertRecord,
  severity: AlertSeverity,
  now: number,
  policy: ReconcilePolicy,
  silenced: boolean,
): boolean {
  if (silenced || alert.groupId !== null) return false;
  // Raised while silenced, or put back on its own: nobody has been told yet.
  if (alert.notifiedAt === null) return true;
  return (
    severity === 'critical' &&
    alert.severity === 'critical' &&
    alert.ackedBy === null &&
    now - alert.notifiedAt >= policy.renotifyAfterMs
  );
}

/** New findings whose cause fires (now, or is raised in this same pass): ref → the alert (or ref) to show them under. */
function explainedBy(
  raised: ReadonlyArray<{ finding: Finding; ref: string }>,
  firing: ReadonlyMap<string, AlertRecord>,
  found: ReadonlySet<string>,
): Map<string, string> {
  const explained = new Map<string, string>();
  for (const { finding, ref } of raised) {
    if (!finding.cause) continue;
    const firingNow = firing.get(finding.cause);
    if (firingNow && found.has(finding.cause)) explained.set(ref, firingNow.groupId ?? firingNow.id);
    else if (raised.some((r) => r.ref !== ref && findingKey(r.finding) === finding.cause))
      explained.set(ref, `new:${finding.cause}`);
  }
  return explained;
}

function stormSummary(alone: ReadonlyArray<{ finding: Finding }>, now: number): AlertChange {
  const worst = alone.reduce<AlertSeverity>(
    (w, r) => (severityRank[r.finding.severity] > severityRank[w] ? r.finding.severity : w),
    'info',
  );
  return {
    kind: 'raise',
    ref: 'storm',
    groupId: null,
    notify: true,
    finding: {
      check: STORM_CHECK,
      subject: new Date(now).toISOString(),
      severity: worst,
      summary: `${alone.length} alerts at once: ${likelyCause(alone.map((r) => r.finding))}`,
      detail: 'They are listed here instead of one message each; each still resolves on its own.',
      actor: null,
      cause: null,
    },
  };
}

function fields(finding: Finding): { severity: AlertSeverity; summary: string; detail: string } {
  return { severity: finding.severity, summary: finding.summary, detail: finding.detail ?? '' };
}

/** A finding whose condition has lasted past its escalation point, at the higher severity, saying why. */
function escalated(finding: Finding, current: AlertRecord, now: number): Finding {
  const rule = finding.escalate;
  if (!rule || now - current.firstSeen < rule.afterMs || severityRank[rule.to] <= severityRank[finding.severity])
    return finding;
  return { ...finding, severity: rule.to, detail: [finding.detail, rule.because].filter(Boolean).join('\n') };
}

/** What most of a storm has in common: the cause they name most, or the check most of them come from. */
function likelyCause(findings: Finding[]): string {
  const commonest = (values: Array<string | undefined>): [string, number] | undefined => {
    const tally = new Map<string, number>();
    for (const v of values) if (v) tally.set(v, (tally.get(v) ?? 0) + 1);
    return [...tally].sort((a, b) => b[1] - a[1])[0];
  };
  const cause = commonest(findings.map((f) => f.cause));
  if (cause && cause[1] * 2 >= findings.length) return `most point at ${cause[0]}`;
  const check = commonest(findings.map((f) => f.check));
  if (check && check[1] * 2 >= findings.length) return `${check[1]} from the ${check[0]} check`;
  const actor = commonest(findings.map((f) => f.actor));
  return actor && actor[1] * 2 >= findings.length ? `most about ${actor[0]}` : 'no common cause found';
}

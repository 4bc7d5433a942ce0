/** How bad a finding is. `critical` pages the on-call person (the route's mention) and is re-notified until acked. */
export type AlertSeverity = 'info' | 'warning' | 'critical';

export const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * One thing a check found wrong, now. The same (check, subject) pair in the next pass is the same condition: it is
 * kept as one alert, updated in place, and resolved when a pass no longer finds it.
 */
export interface Finding {
  /** The check's name, e.g. `daemons`, `windowpost`. */
  check: string;
  /** What it is about, stable from pass to pass: `daemon-internal`, `f01234/deadline 12`, `seal-miner/PreCommit1`. */
  subject: string;
  severity: AlertSeverity;
  /** One line, the message's title: what is wrong, with the figure. */
  summary: string;
  /** What to look at or do, a few lines at most. */
  detail?: string;
  /** The actor it concerns, for routes by actor. */
  actor?: string;
  /**
   * What would explain it, when that is something another alert is about: `daemon:daemon-internal`. A finding whose
   * cause is itself firing is shown under that alert, not on its own (one message for one outage).
   */
  cause?: string;
  /** Raise the severity once the condition has lasted this long (drain mode left on, faults near termination). */
  escalate?: { afterMs: number; to: AlertSeverity; because: string };
}

export function findingKey(f: Pick<Finding, 'check' | 'subject'>): string {
  return `${f.check}:${f.subject}`;
}

import type { NodeAlertSpec } from './scenario.js';

/** lotus's LogAlerts answer for a node's alerts: raised ones carry when and why, as alerting.Alert does. */
export function logAlertsView(alerts: readonly NodeAlertSpec[], startMs: number): unknown[] {
  const time = new Date(startMs - 3 * 60 * 60_000).toISOString();
  return alerts.map((a) => ({
    Type: { System: a.system, Subsystem: a.subsystem },
    Active: a.active,
    LastActive: a.active
      ? { Type: 'raised', Message: a.message || `${a.system}/${a.subsystem} raised`, Time: time }
      : null,
    LastResolved: null,
  }));
}

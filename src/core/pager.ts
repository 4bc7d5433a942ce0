/**
 * One event for a paging service (PagerDuty's Events API v2): open an incident, acknowledge it, resolve it. Events with
 * the same `dedupKey` are about the same incident.
 */
export interface PageEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  dedupKey: string;
  /** One line; what the person paged reads first. */
  summary: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  /** What it is about: the cluster. */
  source: string;
  component?: string;
  group?: string;
  details?: Record<string, string>;
}

/** Paging services, by the name routes give them (`pagerduty:NAME`). Sending never throws: failures are logged. */
export interface Pager {
  serves(service: string): boolean;
  send(service: string, event: PageEvent): Promise<void>;
}

/** No paging service configured. */
export const noPager: Pager = { serves: () => false, send: async () => undefined };

/**
 * How the bot reaches its chat platforms, as /health shows it. The core only reads it; `src/net/connection-health.ts`
 * keeps it, written by the adapters.
 */

/** A chat platform's link as operators read it. */
export type LinkState = 'connected' | 'reconnecting' | 'down';

export interface HealthProblem {
  at: number;
  /** The call or link that failed, e.g. "Web API chat.postMessage", "gateway". */
  hop: string;
  detail: string;
}

/** One platform's health, as /health shows it and a later alerts engine will read it. */
export interface PlatformHealth {
  platform: string;
  /**
   * `webhook`: a destination the bot only sends to (a group robot, a PagerDuty service). It has no link: it counts
   * as connected until a delivery fails, and again once one works. Absent for chat platforms.
   */
  kind?: 'webhook';
  state: LinkState;
  /** When the state last changed. */
  since: number;
  /** Links lost (connected → reconnecting or down) in the last 24 h. */
  reconnects24h: number;
  lastProblem?: HealthProblem;
  /** Slack Socket Mode: links open out of those kept. */
  links?: { open: number; kept: number };
  /**
   * Slack Socket Mode: spans with no link open, in which Slack cannot deliver commands (its refresh gap). `last` is
   * the latest; longest and count over the last 24 h.
   */
  gaps?: { last: number; longest24h: number; count24h: number };
  /** Messages waiting to be posted once the platform is back, and those given up on in the last 24 h. */
  outbox?: { waiting: number; dropped24h: number };
}

/** What /health reads; adapters never see it, they get a HealthReporter. */
export interface HealthView {
  platforms(): PlatformHealth[];
}

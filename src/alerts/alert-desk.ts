import type { AlertRecord, AlertStatus, SilenceRecord } from '../store/store.js';
import type { StatusLine } from './checks/check.js';

/** /status's view of the cluster now: every check's lines, and which checks had not finished in time. */
export interface ClusterStatus {
  lines: StatusLine[];
  /** Checks still running when the answer was given, or that never finished. */
  late: string[];
  /** Checks turned off in the configuration. */
  off: string[];
  durationMs: number;
}

/**
 * What /alerts and /status reach: the alerts in the store (list, ack, silence) and the checks, run now. Every change
 * is audited by the store and shown in the alert's own message by the long-lived process.
 */
export interface AlertDesk {
  /** Whether the long-lived process runs the alert engine (alerts.enabled). */
  readonly engineEnabled: boolean;
  readonly checkNames: readonly string[];
  list(filter: { status?: AlertStatus; limit: number }): Promise<AlertRecord[]>;
  get(id: string): Promise<AlertRecord | undefined>;
  ack(id: string, by: string): Promise<AlertRecord | undefined>;
  silence(id: string, change: { until: number; by: string; reason: string | null }): Promise<AlertRecord | undefined>;
  /**
   * For an alert Alertmanager sent, when alertmanager.apiUrl is set: the matching silence made there too. Undefined
   * when there is nothing to do; otherwise the silence's id, or why it could not be made (the bot's own silence stands).
   */
  silenceUpstream(
    alert: AlertRecord,
    change: { until: number; by: string; reason: string | null },
  ): Promise<{ created: string } | { failed: string } | undefined>;
  /** Ends the silence `silenceUpstream` made for the alert in Alertmanager, if it made one. */
  unsilenceUpstream(alert: AlertRecord, by: string): Promise<{ ended: string } | { failed: string } | undefined>;
  unsilence(id: string, by: string): Promise<AlertRecord | undefined>;
  silenceCheck(check: string, change: { until: number; by: string; reason: string | null }): Promise<SilenceRecord>;
  /** Ends a check's silences; how many there were. */
  unsilenceCheck(check: string, by: string): Promise<number>;
  silences(): Promise<SilenceRecord[]>;
  /** Every check now; `onProgress` as each finishes, with those still running. */
  statusNow(onProgress?: (done: number, pending: string[], soFar: StatusLine[]) => void): Promise<ClusterStatus>;
}

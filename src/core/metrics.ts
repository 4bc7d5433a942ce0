/**
 * What the bot counts and times, as the places where it happens report it: the runtime (commands), the approval gate
 * (votes and their outcomes), the job registry (runs), the lotus client, the SSH executor, the outbox and the
 * Alertmanager receiver. `/metrics` (src/net/prometheus-metrics.ts) turns it into Prometheus series; where metrics are
 * off, `noMetrics` takes it and does nothing, so no seam asks whether they are on.
 *
 * Outcomes are short, fixed words (`ok`, `refused`, an error code's tail such as `timeout`), never free text: each
 * distinct value is a series of its own.
 */
export interface Metrics {
  /** A command dispatched (typed or a click), by its full path, with the reply's outcome and the time to answer. */
  command(path: string, outcome: string, seconds: number): void;
  /**
   * A step of the approval gate: `requested`, `blocked`, `recorded`, `approved`, `denied`, `refused`, `expired`, and an
   * execution's end, `succeeded` or `failed`.
   */
  approval(outcome: string, count?: number): void;
  /** One lotus JSON-RPC method call (a batch reports each method in it), `api` = full or miner. */
  lotusCall(api: string, method: string, outcome: string, seconds: number): void;
  /** One command run over SSH on a configured host: `ok`, `exit-nonzero`, or the failure's kind. */
  sshCommand(host: string, outcome: string, seconds: number): void;
  /** One run of a background job. */
  jobRun(job: string, outcome: string, seconds: number): void;
  /** A message the outbox gave up on (full, too old, refused later). */
  outboxDropped(platform: string): void;
  /** A request to the Alertmanager receiver: `accepted`, `unauthorized`, `too-large`, `invalid`, `failed`. */
  alertmanagerRequest(outcome: string): void;
}

/** Metrics that are off: every report is dropped. */
export const noMetrics: Metrics = {
  command: () => undefined,
  approval: () => undefined,
  lotusCall: () => undefined,
  sshCommand: () => undefined,
  jobRun: () => undefined,
  outboxDropped: () => undefined,
  alertmanagerRequest: () => undefined,
};

/** An OpsError code as an outcome: `LOTUS_TIMEOUT` → `timeout` under the `LOTUS_` prefix, lower case with dashes. */
export function outcomeOfCode(code: string, prefix = ''): string {
  const tail = prefix && code.startsWith(prefix) ? code.slice(prefix.length) : code;
  return tail.toLowerCase().replaceAll('_', '-');
}

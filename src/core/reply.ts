/**
 * The platform-neutral answer of every command. Commands build a Reply; each adapter renders it (Slack Block Kit,
 * Discord embeds, terminal text). Nothing here knows a platform's payload format.
 */

/** How the reply or a notice should look: colour on Slack and Discord, a marker in the terminal. */
export type Severity = 'info' | 'success' | 'warning' | 'error';

/** A pre-check or verdict line with its outcome, e.g. "Funds: pass (12.3 FIL available, 4.1 FIL needed)". */
export interface CheckLine {
  status: 'pass' | 'warn' | 'fail' | 'info';
  label: string;
  detail: string;
}

export interface TableColumn {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

/** The building blocks of a reply body. */
export type Block =
  | { kind: 'text'; text: string }
  | { kind: 'fields'; fields: Array<{ label: string; value: string }> }
  | { kind: 'table'; columns: TableColumn[]; rows: string[][]; caption?: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'code'; text: string }
  | { kind: 'notice'; severity: Severity; text: string }
  | { kind: 'checks'; checks: CheckLine[] };

/** Buttons an adapter shows under the reply; each maps back to a runtime call by its id. */
export interface Action {
  kind: 'approve' | 'deny';
  label: string;
  /** The approval request the button acts on. */
  requestId: string;
}

/** How the request ended, for scripts (exit codes) and adapters; chat users see the content, not this. */
export type Outcome = 'ok' | 'pending-approval' | 'usage' | 'refused' | 'failed';

export interface Reply {
  title: string;
  /** Absent means ok. */
  outcome?: Outcome;
  severity?: Severity;
  blocks: Block[];
  actions?: Action[];
  /** Shown as a context line, so a user can quote it when asking for help. */
  correlationId?: string;
  /** For the asker only (an error about their own input); adapters that can, show it privately. */
  ephemeral?: boolean;
}

/** Small builders so command files read as content, not as object literals. */
export const block = {
  text: (text: string): Block => ({ kind: 'text', text }),
  fields: (fields: Array<{ label: string; value: string }>): Block => ({ kind: 'fields', fields }),
  table: (columns: Array<string | TableColumn>, rows: string[][], caption?: string): Block => ({
    kind: 'table',
    columns: columns.map((c) => (typeof c === 'string' ? { header: c } : c)),
    rows,
    ...(caption === undefined ? {} : { caption }),
  }),
  list: (items: string[]): Block => ({ kind: 'list', items }),
  code: (text: string): Block => ({ kind: 'code', text }),
  notice: (severity: Severity, text: string): Block => ({ kind: 'notice', severity, text }),
  checks: (checks: CheckLine[]): Block => ({ kind: 'checks', checks }),
};

/** The worst severity among the checks, for colouring a plan. */
export function severityOfChecks(checks: CheckLine[]): Severity {
  if (checks.some((c) => c.status === 'fail')) return 'error';
  if (checks.some((c) => c.status === 'warn')) return 'warning';
  return 'info';
}

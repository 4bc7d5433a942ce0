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

/**
 * A button under a reply. Clicking it runs `command` exactly as if the clicking person had typed it: their role, the
 * channel's limits, the approval gate and the audit all apply, and nothing else may be done by a button. The answer
 * goes to the clicker alone; what others should see comes from the messages the command updates.
 */
export interface Action {
  label: string;
  /** A command line, e.g. `/approvals approve K7M2Q9`; at most `actionLimits.commandChars` characters. */
  command: string;
  style?: 'primary' | 'danger';
  /** Ask "are you sure?" with this text before running (where the platform can). */
  confirm?: string;
  /**
   * The command line still needs the text of its last option (a deny's reason): the adapter asks the clicker for it
   * in a form, prompting with that option's description, and appends the answer.
   */
  ask?: boolean;
}

/**
 * Buttons carry their command line in the platform's own id field; Discord's holds 100 characters, so a command line
 * is kept well inside that, with room for the adapter's prefix.
 */
export const actionLimits = { commandChars: 90, perReply: 5 } as const;

/** A button; a command line too long for the platforms' id fields is a programming error, caught at once. */
export function action(label: string, command: string, options: Omit<Action, 'label' | 'command'> = {}): Action {
  if (!command.startsWith('/') || command.length > actionLimits.commandChars || /[\r\n]/.test(command))
    throw new RangeError(`an action's command must be one line of at most ${actionLimits.commandChars} characters`);
  return { label, command, ...options };
}

/**
 * A text file that goes with a reply, such as an env file ready to copy. The reply's blocks must carry the same text
 * (a code block): adapters that can attach files do, and where one cannot, or the upload fails, nothing is lost.
 */
export interface Attachment {
  /** A plain file name, e.g. `sealer-01.env`. */
  filename: string;
  text: string;
}

/** Discord takes at most 10 files a message; a file here is small text, never near the platforms' size limits. */
export const attachmentLimits = { perReply: 10, bytes: 256 * 1024 } as const;

/** A checked attachment: a plain file name (no path, nothing a shell or a platform would read as more). */
export function attachment(filename: string, text: string): Attachment {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(filename))
    throw new RangeError('an attachment needs a plain file name of letters, digits, dots, dashes and underscores');
  if (Buffer.byteLength(text) > attachmentLimits.bytes)
    throw new RangeError(`an attachment holds at most ${attachmentLimits.bytes} bytes`);
  return { filename, text };
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
  /**
   * What the message is about (`approval:K7M2Q9`, later an alert or a rollback run). An adapter that posts a reply
   * with a subject tells the runtime where (`Runtime.messagePosted`), so the message can be updated and answered in
   * its thread when the subject changes, from any process.
   */
  subject?: string;
  /**
   * Who this message pages, as principals: slack:U0123, slack-group:S0123, discord:123, discord-role:456. Each adapter
   * mentions those of its own platform (so they are notified) and ignores the rest. Nothing else in a reply pings.
   */
  mentions?: string[];
  /**
   * Files to attach to a command's answer where the platform allows (at most `attachmentLimits.perReply`); their text
   * is also in the blocks. Messages the core posts on its own (alerts, approval outcomes) carry none.
   */
  attachments?: Attachment[];
}

/** The ids after `kind:` among a reply's mentions, e.g. mentionsOf(reply, 'slack-group') → ['S0123']. */
export function mentionsOf(reply: Pick<Reply, 'mentions'>, kind: string): string[] {
  return (reply.mentions ?? []).filter((m) => m.startsWith(`${kind}:`)).map((m) => m.slice(kind.length + 1));
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

/**
 * What the bot keeps: approval requests and their votes, executions, the audit trail, alert state and silences.
 * SQLite (`sqlite-store.ts`) implements it for one process; a PostgreSQL store can implement the same contract for
 * several instances. Every state change that matters is one atomic step here, with its audit entry in the same
 * transaction, so that no crash or race leaves a change without its record, or runs an approval twice.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';
export type ExecutionStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface ApprovalRecord {
  id: string;
  command: string;
  argsJson: string;
  planJson: string;
  requestedBy: string;
  channelPlatform: string;
  channelId: string;
  correlationId: string;
  createdAt: number;
  expiresAt: number;
  requiredApprovals: number;
  approverRole: string;
  status: ApprovalStatus;
  decidedAt: number | null;
  decidedBy: string | null;
  denyReason: string | null;
  approvedBy: string[];
}

export interface ExecutionRecord {
  id: number;
  approvalId: string;
  executedBy: string;
  startedAt: number;
  finishedAt: number | null;
  status: ExecutionStatus;
  resultJson: string | null;
}

export interface AuditRecord {
  seq: number;
  at: number;
  principal: string;
  /** command.run, command.refused, approval.requested, approval.vote, approval.approved, approval.denied, approval.expired, execution.started, execution.succeeded, execution.failed, execution.interrupted … */
  event: string;
  command: string | null;
  approvalId: string | null;
  outcome: string | null;
  correlationId: string | null;
  detail: Record<string, unknown>;
}

export type NewAudit = Omit<AuditRecord, 'seq' | 'detail'> & { detail?: Record<string, unknown> };

export type NewApproval = Omit<
  ApprovalRecord,
  'id' | 'status' | 'decidedAt' | 'decidedBy' | 'denyReason' | 'approvedBy'
>;

export type VoteOutcome =
  | { kind: 'not-found'; id: string }
  | { kind: 'self'; approval: ApprovalRecord }
  | { kind: 'closed'; approval: ApprovalRecord }
  | { kind: 'expired'; approval: ApprovalRecord }
  | { kind: 'already-voted'; approval: ApprovalRecord; remaining: number }
  | { kind: 'recorded'; approval: ApprovalRecord; remaining: number }
  | { kind: 'denied'; approval: ApprovalRecord }
  /** Exactly one voter ever gets this for a request: the one whose vote completed it. It must run execute. */
  | { kind: 'execute'; approval: ApprovalRecord; execution: ExecutionRecord };

export interface Vote {
  approvalId: string;
  voter: string;
  decision: 'approve' | 'deny';
  reason?: string;
  now: number;
  correlationId: string;
}

export interface AlertStateRecord {
  key: string;
  check: string;
  severity: string;
  status: 'firing' | 'resolved';
  firstSeen: number;
  lastSeen: number;
  lastNotified: number | null;
  message: string;
}

export interface SilenceRecord {
  id: string;
  matcher: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  reason: string;
}

/** A fact a command wants to remember, e.g. the sector numbers a pledge created. */
export interface JournalEntry {
  seq: number;
  at: number;
  kind: string;
  principal: string;
  approvalId: string | null;
  data: Record<string, unknown>;
}

export type ScheduleStatus = 'active' | 'paused' | 'stopped';

/** Recurring work one approval covers (e.g. a pledge every 15 minutes), run by the long-lived bot process. */
export interface ScheduleRecord {
  id: string;
  kind: string;
  approvalId: string | null;
  dataJson: string;
  intervalMs: number;
  nextRunAt: number;
  status: ScheduleStatus;
  statusReason: string | null;
  channelPlatform: string;
  channelId: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  runs: number;
}

export type NewSchedule = Omit<ScheduleRecord, 'id' | 'status' | 'statusReason' | 'updatedAt' | 'runs'>;

export interface Store {
  createApproval(request: NewApproval): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(options: { statuses?: ApprovalStatus[]; limit: number }): Promise<ApprovalRecord[]>;
  /** One atomic step: checks, records the vote, closes the request and claims its execution when complete. */
  castVote(vote: Vote): Promise<VoteOutcome>;
  /** Marks every pending request whose time is up as expired, with an audit entry each. */
  expireApprovals(now: number): Promise<ApprovalRecord[]>;
  getExecution(approvalId: string): Promise<ExecutionRecord | undefined>;
  finishExecution(id: number, status: 'succeeded' | 'failed', resultJson: string, now: number): Promise<void>;
  /** At start-up: executions still `running` were cut off by a crash; they become `interrupted`, never re-run. */
  markInterruptedExecutions(now: number): Promise<ExecutionRecord[]>;
  appendAudit(entry: NewAudit): Promise<AuditRecord>;
  queryAudit(filter: {
    principal?: string;
    command?: string;
    approvalId?: string;
    limit: number;
  }): Promise<AuditRecord[]>;
  appendJournal(entry: Omit<JournalEntry, 'seq'>): Promise<void>;
  recentJournal(kind: string, limit: number): Promise<JournalEntry[]>;
  createSchedule(schedule: NewSchedule): Promise<ScheduleRecord>;
  listSchedules(filter: { kind?: string; statuses?: ScheduleStatus[] }): Promise<ScheduleRecord[]>;
  /**
   * The schedules of a kind that are due, each moved to its next run time in the same step, so that two bot
   * processes sharing the store never run one round twice.
   */
  claimDueSchedules(kind: string, now: number): Promise<ScheduleRecord[]>;
  /** Sets status (and its reason); `ranOnce` counts a round. Audited. */
  updateSchedule(
    id: string,
    change: { status?: ScheduleStatus; reason?: string | null; ranOnce?: boolean; by: string; now: number },
  ): Promise<ScheduleRecord | undefined>;
  upsertAlertState(state: AlertStateRecord): Promise<void>;
  getAlertState(key: string): Promise<AlertStateRecord | undefined>;
  addSilence(silence: SilenceRecord): Promise<void>;
  activeSilences(now: number): Promise<SilenceRecord[]>;
  close(): Promise<void>;
}

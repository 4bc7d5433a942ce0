/**
 * What the bot keeps: approval requests and their votes, executions, the audit trail, alert state and silences.
 * SQLite (`sqlite-store.ts`) implements it for one process; a PostgreSQL store can implement the same contract for
 * several instances. Every state change that matters is one atomic step here, with its audit entry in the same
 * transaction, so that no crash or race leaves a change without its record, or runs an approval twice.
 */

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';
export type ExecutionStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export type ApprovalKind = 'execute' | 'continue';

export interface VoteRecord {
  voter: string;
  /** The voter as their platform described them ({id, groups}), JSON: roles are checked again at execution. */
  voterJson: string;
  decision: 'approve' | 'deny';
  reason: string | null;
  at: number;
}

export interface ApprovalRecord {
  id: string;
  /** `execute` runs the command's plan; `continue` resumes the interrupted execution of `parentId` from its checkpoint. */
  kind: ApprovalKind;
  command: string;
  argsJson: string;
  planJson: string;
  requestedBy: string;
  /** The requester as their platform described them ({id, groups, displayName}), JSON. */
  requesterJson: string;
  channelPlatform: string;
  channelId: string;
  correlationId: string;
  createdAt: number;
  expiresAt: number;
  requiredApprovals: number;
  approverRole: string;
  reasonRequired: boolean;
  parentId: string | null;
  status: ApprovalStatus;
  decidedAt: number | null;
  decidedBy: string | null;
  denyReason: string | null;
  votes: VoteRecord[];
  /** The approving voters, in the order they voted. */
  approvedBy: string[];
}

/** The process carrying out an execution. Only it renews the lease; an expired lease is what "interrupted" means. */
export interface ExecutionOwner {
  /** host:pid:start, unique per process. */
  id: string;
  pid: number;
  host: string;
  startedAt: number;
}

export interface ExecutionRecord {
  id: number;
  approvalId: string;
  executedBy: string;
  startedAt: number;
  finishedAt: number | null;
  status: ExecutionStatus;
  resultJson: string | null;
  owner: ExecutionOwner | null;
  leaseExpiresAt: number | null;
  /** How far it got, as the command recorded it. */
  checkpoint: Record<string, unknown> | null;
  /** When it was reported interrupted (kept when its real outcome arrives later). */
  interruptedAt: number | null;
  /** Where the vote that started it came from. */
  origin: VoteOrigin | null;
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
  'id' | 'status' | 'decidedAt' | 'decidedBy' | 'denyReason' | 'votes' | 'approvedBy'
>;

/**
 * What the approval gate (`src/core/approval/decide-vote.ts`) decided about one vote. The store persists it and
 * nothing more: the rule lives in the gate, so that every store implements it the same way.
 */
export type VoteDecision =
  | {
      kind: 'refused';
      reason: 'approver-role' | 'self' | 'closed' | 'expired' | 'already-voted' | 'reason-required';
    }
  | { kind: 'recorded'; remaining: number }
  | { kind: 'denied' }
  | { kind: 'approved' };

/** Where a vote came from: the decision's messages depend on it (a typed answer already shows the outcome there). */
export interface VoteOrigin {
  platform: string;
  channelId: string;
  trigger: 'typed' | 'button';
}

export interface Vote {
  approvalId: string;
  voter: string;
  voterJson: string;
  decision: 'approve' | 'deny';
  reason?: string;
  now: number;
  correlationId: string;
  origin: VoteOrigin;
  /** Who runs the execution an approving vote claims, and for how long before the lease must be renewed. */
  owner: ExecutionOwner;
  leaseMs: number;
}

export type VoteOutcome =
  | { kind: 'not-found'; id: string }
  /** `execution` is set for exactly one vote of a request, the one whose decision was `approved`: it must run it. */
  | { kind: 'decided'; decision: VoteDecision; approval: ApprovalRecord; execution?: ExecutionRecord };

/**
 * Something that changed and that the chat should show: `approval.*` and `execution.*` for approval requests. The long-
 * lived process reads them in order (`eventsAfter`) and updates its messages, whichever process made the change.
 */
export interface StoreEvent {
  seq: number;
  at: number;
  kind: string;
  /** What it is about, as in a message's subject: `approval:K7M2Q9`. */
  subject: string;
  data: Record<string, unknown>;
}

/** Where a message was posted (Slack ts, Discord message ids), so that it can be updated or answered later. */
export interface MessageRef {
  platform: string;
  channelId: string;
  messageIds: string[];
}

export interface JobRecord {
  name: string;
  nextRunAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  state: Record<string, unknown>;
  lastStartedAt: number | null;
  lastFinishedAt: number | null;
  lastDurationMs: number | null;
  lastOutcome: 'ok' | 'failed' | 'timeout' | null;
  lastError: string | null;
  runs: number;
  failures: number;
}

export type AlertStatus = 'firing' | 'resolved';

/** One condition a check found, for as long as it lasts (and a short while after, in case it returns). */
export interface AlertRecord {
  /** A17: typed by hand in /alerts ack. */
  id: string;
  /** check:subject, the same from pass to pass. */
  key: string;
  check: string;
  subject: string;
  severity: 'info' | 'warning' | 'critical';
  status: AlertStatus;
  summary: string;
  detail: string;
  actor: string | null;
  cause: string | null;
  firstSeen: number;
  lastSeen: number;
  /** When its severity, summary or status last changed. */
  lastChange: number;
  resolvedAt: number | null;
  ackedBy: string | null;
  ackedAt: number | null;
  silencedUntil: number | null;
  silencedBy: string | null;
  silenceReason: string | null;
  /** When people were last told (raised, or re-notified). */
  notifiedAt: number | null;
  /** Times it resolved and came back within the flap window. */
  flaps: number;
  /** The alert it is shown under: a storm's summary, or the outage that explains it. */
  groupId: string | null;
}

/** What the alert engine decided for one pass; the store persists it as one step, with audit entries and events. */
export type AlertChange =
  | {
      kind: 'raise';
      finding: Pick<AlertRecord, 'check' | 'subject' | 'severity' | 'summary' | 'detail' | 'actor' | 'cause'>;
      groupId: string | null;
      /** Whether people are told now; false while its check is silenced (they are told once the silence ends). */
      notify: boolean;
      /** Ref used to point later changes of this pass at the new alert (a storm summary's members). */
      ref?: string;
    }
  /** Its severity changed: an ack no longer stands. */
  | { kind: 'change'; id: string; severity: AlertRecord['severity']; summary: string; detail: string }
  /** Still there; its text (a figure that moves) is kept without telling anyone. */
  | { kind: 'seen'; id: string; summary: string; detail: string }
  | { kind: 'resolve'; id: string }
  | { kind: 'refire'; id: string; severity: AlertRecord['severity']; summary: string; detail: string }
  | { kind: 'renotify'; id: string }
  /** Shown under another alert, or (null) on its own again. */
  | { kind: 'group'; id: string; groupId: string | null };

export interface SilenceRecord {
  id: string;
  /** `check:NAME` silences every alert of a check. */
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

/** Who leads the instances sharing a store (Discord's gateway, scheduled work): a lease its holder renews. */
export interface LeaseRecord {
  role: string;
  holder: string;
  /** When the current holder took it. */
  since: number;
  expiresAt: number;
  /** Who held it before the current holder took it over (null for the first). */
  previous: string | null;
}

/** One running bot process, as its heartbeat in the store shows it (/health lists them all). */
export interface InstanceRecord {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  lastSeen: number;
}

export interface Store {
  createApproval(request: NewApproval): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(options: { statuses?: ApprovalStatus[]; limit: number }): Promise<ApprovalRecord[]>;
  /**
   * One atomic step: reads the request with its votes, asks `decide` (the gate's pure rule) and persists exactly what
   * it decided (the vote, the closing of the request, the claimed execution with its owner and lease), with the audit
   * entries and events, in one transaction. `decide` may run more than once and must have no side effects.
   */
  vote(vote: Vote, decide: (approval: ApprovalRecord) => VoteDecision): Promise<VoteOutcome>;
  /** Marks every pending request whose time is up as expired, with an audit entry and an event each. */
  expireApprovals(now: number): Promise<ApprovalRecord[]>;
  getExecution(approvalId: string): Promise<ExecutionRecord | undefined>;
  /** Extends the lease while the owner still holds it; false when the execution is no longer this owner's to run. */
  renewExecutionLease(id: number, ownerId: string, until: number): Promise<boolean>;
  saveCheckpoint(id: number, checkpoint: Record<string, unknown>): Promise<void>;
  /**
   * Records the outcome, with its audit entry and event. Never dropped: an execution reported interrupted (its lease
   * ran out while it was still working) gets its real outcome too, and the audit says both.
   */
  finishExecution(id: number, status: 'succeeded' | 'failed', resultJson: string, now: number): Promise<void>;
  /** Executions still `running` whose lease ran out become `interrupted` (never re-run), each claimed by one caller. */
  claimInterruptedExecutions(now: number): Promise<ExecutionRecord[]>;
  appendAudit(entry: NewAudit): Promise<AuditRecord>;
  queryAudit(filter: {
    principal?: string;
    command?: string;
    approvalId?: string;
    limit: number;
  }): Promise<AuditRecord[]>;
  appendJournal(entry: Omit<JournalEntry, 'seq'>): Promise<void>;
  recentJournal(kind: string, limit: number): Promise<JournalEntry[]>;
  /** Everything an approval's execution journalled, oldest first. */
  journalOf(approvalId: string): Promise<JournalEntry[]>;
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
  appendEvent(event: Omit<StoreEvent, 'seq'>): Promise<void>;
  eventsAfter(seq: number, limit: number): Promise<StoreEvent[]>;
  latestEventSeq(): Promise<number>;
  /** Keeps where a message about `subject` was posted; one per subject and channel (a newer one replaces it). */
  saveMessageRef(subject: string, ref: MessageRef, now: number): Promise<void>;
  messageRefs(subject: string): Promise<MessageRef[]>;
  /**
   * Takes a job's run when it is due and nobody holds it (or their lease ran out): sets the lease and moves the next
   * run to `now + everyMs`, so that a missed run is not stacked. `evenIfNotDue` takes it whenever nobody holds it.
   * Undefined when it is not this caller's to run.
   */
  claimJob(claim: {
    name: string;
    owner: string;
    now: number;
    leaseMs: number;
    everyMs: number;
    evenIfNotDue?: boolean;
  }): Promise<JobRecord | undefined>;
  /** Records the run's outcome and releases the lease, if the owner still holds it. */
  finishJob(run: {
    name: string;
    owner: string;
    now: number;
    outcome: 'ok' | 'failed' | 'timeout';
    error: string | null;
    durationMs: number;
    state?: Record<string, unknown>;
  }): Promise<void>;
  /** Makes a job due now (a change that it should act on at once). */
  requestJobRun(name: string, now: number): Promise<void>;
  listJobs(): Promise<JobRecord[]>;
  /** Checks the file for damage (PRAGMA quick_check or the like); on failure the store refuses every write after. */
  checkIntegrity(): Promise<{ ok: boolean; detail: string }>;
  /** A consistent copy of the whole store while it is in use, written to a new file. */
  backupTo(target: string): Promise<void>;
  /**
   * Remembers a verified request signature (Slack's HTTP mode) until `expiresAt`; false when it was already seen, a
   * replay. Kept in the store so that a restart, or a second instance, does not accept it again.
   */
  rememberRequestSignature(signature: string, expiresAt: number, now: number): Promise<boolean>;
  /** The alerts that fire, and those resolved since `resolvedSince` (they may come back: a flap). */
  activeAlerts(resolvedSince: number): Promise<AlertRecord[]>;
  /**
   * Persists one pass's decisions in one transaction, each with its event (subject `alert:ID`) and, for what people
   * see, an audit entry. Returns the alerts raised, in order (storm members may refer to a summary by its `ref`).
   */
  applyAlertChanges(changes: readonly AlertChange[], now: number): Promise<AlertRecord[]>;
  getAlert(id: string): Promise<AlertRecord | undefined>;
  /** The alerts shown under one (a storm's summary, an outage), firing first. */
  alertGroupMembers(groupId: string, limit: number): Promise<AlertRecord[]>;
  listAlerts(filter: { status?: AlertStatus; limit: number }): Promise<AlertRecord[]>;
  /** Acked by a person: no more re-notifying until the condition changes. Audited, with an event. */
  ackAlert(id: string, by: string, now: number): Promise<AlertRecord | undefined>;
  /** Silenced until a time (or, with `until` null, unsilenced). Audited, with an event. */
  silenceAlert(
    id: string,
    change: { until: number | null; by: string; reason: string | null },
    now: number,
  ): Promise<AlertRecord | undefined>;
  /** Silences every alert of a check until it expires. Audited. */
  addSilence(silence: SilenceRecord): Promise<void>;
  /** Ends the silences of a matcher now; how many were active. Audited. */
  endSilences(matcher: string, by: string, now: number): Promise<number>;
  activeSilences(now: number): Promise<SilenceRecord[]>;
  /**
   * Takes the lead of `role` for `instance` when nobody holds an unexpired lease, or renews it when `instance` holds
   * it; returns the lease as it stands after (held by another instance when this one did not get it).
   */
  claimLeadership(claim: { role: string; instance: string; now: number; ttlMs: number }): Promise<LeaseRecord>;
  /** Gives the lead up at once (a clean shutdown), if `instance` holds it: another takes over without waiting. */
  releaseLeadership(role: string, instance: string, now: number): Promise<void>;
  leadership(role: string): Promise<LeaseRecord | undefined>;
  /** This instance's heartbeat. */
  recordInstance(instance: InstanceRecord): Promise<void>;
  /** The instances seen since `seenSince`, oldest first. */
  listInstances(seenSince: number): Promise<InstanceRecord[]>;
  /** Whether the database answers now (a cheap round trip), for /health. */
  ping(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

import { randomInt } from 'node:crypto';
import type {
  AlertRecord,
  AlertStatus,
  ApprovalKind,
  ApprovalRecord,
  ApprovalStatus,
  ExecutionOwner,
  ExecutionRecord,
  InstanceRecord,
  JobRecord,
  JournalEntry,
  LeaseRecord,
  ScheduleRecord,
  ScheduleStatus,
  VoteOrigin,
} from './store.js';

/**
 * Rows as both stores read them back (SQLite and PostgreSQL use the same column names), turned into the Store's
 * records. PostgreSQL returns BIGINT as a string, hence Number() everywhere.
 */

export type Row = Record<string, unknown>;

/** Crockford base32 without look-alikes: ids are typed by hand in chat. */
const idAlphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newApprovalId(): string {
  let id = '';
  for (let i = 0; i < 6; i++) id += idAlphabet[randomInt(idAlphabet.length)];
  return id;
}

export function toApproval(row: Row, voteRows: Row[]): ApprovalRecord {
  const votes = voteRows.map((v) => ({
    voter: String(v.voter),
    voterJson: v.voter_json === null ? JSON.stringify({ id: String(v.voter), groups: [] }) : String(v.voter_json),
    decision: v.decision === 'deny' ? ('deny' as const) : ('approve' as const),
    reason: v.reason === null ? null : String(v.reason),
    at: Number(v.created_at),
  }));
  return {
    id: String(row.id),
    kind: String(row.kind) as ApprovalKind,
    command: String(row.command),
    argsJson: String(row.args_json),
    planJson: String(row.plan_json),
    requestedBy: String(row.requested_by),
    requesterJson:
      row.requester_json === null
        ? JSON.stringify({ id: String(row.requested_by), groups: [] })
        : String(row.requester_json),
    channelPlatform: String(row.channel_platform),
    channelId: String(row.channel_id),
    correlationId: String(row.correlation_id),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    requiredApprovals: Number(row.required_approvals),
    approverRole: String(row.approver_role),
    reasonRequired: Number(row.reason_required) === 1,
    parentId: row.parent_id === null ? null : String(row.parent_id),
    status: row.status as ApprovalStatus,
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decidedBy: row.decided_by === null ? null : String(row.decided_by),
    denyReason: row.deny_reason === null ? null : String(row.deny_reason),
    votes,
    approvedBy: votes.filter((v) => v.decision === 'approve').map((v) => v.voter),
  };
}

export function toExecution(row: Row): ExecutionRecord {
  return {
    id: Number(row.id),
    approvalId: String(row.approval_id),
    executedBy: String(row.executed_by),
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    status: row.status as ExecutionRecord['status'],
    resultJson: row.result_json === null ? null : String(row.result_json),
    owner: row.owner_json === null ? null : (JSON.parse(String(row.owner_json)) as ExecutionOwner),
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    checkpoint:
      row.checkpoint_json === null ? null : (JSON.parse(String(row.checkpoint_json)) as Record<string, unknown>),
    interruptedAt: row.interrupted_at === null ? null : Number(row.interrupted_at),
    origin: row.origin_json === null ? null : (JSON.parse(String(row.origin_json)) as VoteOrigin),
  };
}

/** The audit trail keeps the gist of a result (its title and severity), not every table row. */
export function summarise(resultJson: string): unknown {
  try {
    const parsed = JSON.parse(resultJson) as { title?: unknown; severity?: unknown };
    return { title: parsed.title, severity: parsed.severity };
  } catch {
    return resultJson.slice(0, 200);
  }
}

export function toJournalEntry(row: Row): JournalEntry {
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    kind: String(row.kind),
    principal: String(row.principal),
    approvalId: row.approval_id === null ? null : String(row.approval_id),
    data: JSON.parse(String(row.data_json)) as Record<string, unknown>,
  };
}

export function toJob(row: Row): JobRecord {
  return {
    name: String(row.name),
    nextRunAt: Number(row.next_run_at),
    leaseOwner: row.lease_owner === null ? null : String(row.lease_owner),
    leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
    state: JSON.parse(String(row.state_json)) as Record<string, unknown>,
    lastStartedAt: row.last_started_at === null ? null : Number(row.last_started_at),
    lastFinishedAt: row.last_finished_at === null ? null : Number(row.last_finished_at),
    lastDurationMs: row.last_duration_ms === null ? null : Number(row.last_duration_ms),
    lastOutcome: row.last_outcome === null ? null : (String(row.last_outcome) as JobRecord['lastOutcome']),
    lastError: row.last_error === null ? null : String(row.last_error),
    runs: Number(row.runs),
    failures: Number(row.failures),
  };
}

/** A17 → 17; undefined for anything that is not an alert id. */
export function seqOf(id: string): number | undefined {
  const match = /^A(\d{1,12})$/i.exec(id.trim());
  return match ? Number(match[1]) : undefined;
}

export function toAlert(row: Row): AlertRecord {
  const text = (v: unknown) => (v === null ? null : String(v));
  const num = (v: unknown) => (v === null ? null : Number(v));
  return {
    id: `A${Number(row.seq)}`,
    key: String(row.key),
    check: String(row.check_name),
    subject: String(row.subject),
    severity: String(row.severity) as AlertRecord['severity'],
    status: String(row.status) as AlertStatus,
    summary: String(row.summary),
    detail: String(row.detail),
    actor: text(row.actor),
    cause: text(row.cause),
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    lastChange: Number(row.last_change),
    resolvedAt: num(row.resolved_at),
    ackedBy: text(row.acked_by),
    ackedAt: num(row.acked_at),
    silencedUntil: num(row.silenced_until),
    silencedBy: text(row.silenced_by),
    silenceReason: text(row.silence_reason),
    notifiedAt: num(row.notified_at),
    flaps: Number(row.flaps),
    groupId: text(row.group_id),
  };
}

export function toLease(row: Row): LeaseRecord {
  return {
    role: String(row.role),
    holder: String(row.holder),
    since: Number(row.since),
    expiresAt: Number(row.expires_at),
    previous: row.previous === null ? null : String(row.previous),
  };
}

export function toInstance(row: Row): InstanceRecord {
  return {
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    startedAt: Number(row.started_at),
    lastSeen: Number(row.last_seen),
  };
}

/**
 * The lease's one statement, the same in both stores: (role, instance, now, ttlMs). It takes the lead when it is
 * free or expired, renews it for its holder, and leaves someone else's live lease alone; `previous` remembers whom a
 * take-over replaced, so that the new leader can say so.
 */
export function claimLeadershipSql(param: (n: number) => string): string {
  const [role, instance, now, ttl] = [param(1), param(2), param(3), param(4)];
  return `INSERT INTO leadership (role, holder, since, expires_at, previous)
    VALUES (${role}, ${instance}, ${now}, ${now} + ${ttl}, NULL)
    ON CONFLICT (role) DO UPDATE SET
      previous = CASE WHEN leadership.holder = excluded.holder THEN leadership.previous ELSE leadership.holder END,
      since = CASE WHEN leadership.holder = excluded.holder THEN leadership.since ELSE excluded.since END,
      holder = excluded.holder,
      expires_at = excluded.expires_at
    WHERE leadership.holder = excluded.holder OR leadership.expires_at <= excluded.since`;
}

export function toSchedule(row: Row): ScheduleRecord {
  return {
    id: String(row.id),
    kind: String(row.kind),
    approvalId: row.approval_id === null ? null : String(row.approval_id),
    dataJson: String(row.data_json),
    intervalMs: Number(row.interval_ms),
    nextRunAt: Number(row.next_run_at),
    status: row.status as ScheduleStatus,
    statusReason: row.status_reason === null ? null : String(row.status_reason),
    channelPlatform: String(row.channel_platform),
    channelId: String(row.channel_id),
    createdBy: String(row.created_by),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    runs: Number(row.runs),
  };
}

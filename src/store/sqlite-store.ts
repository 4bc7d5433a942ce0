import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import type {
  AlertStateRecord,
  ApprovalRecord,
  ApprovalStatus,
  AuditRecord,
  ExecutionRecord,
  JournalEntry,
  NewApproval,
  NewAudit,
  NewSchedule,
  ScheduleRecord,
  ScheduleStatus,
  SilenceRecord,
  Store,
  Vote,
  VoteOutcome,
} from './store.js';

type Row = Record<string, unknown>;

/** Crockford base32 without look-alikes: ids are typed by hand in chat. */
const idAlphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';

function newApprovalId(): string {
  let id = '';
  for (let i = 0; i < 6; i++) id += idAlphabet[randomInt(idAlphabet.length)];
  return id;
}

/**
 * The embedded store. better-sqlite3 is synchronous, so each method runs its statements inside one IMMEDIATE
 * transaction: the write lock is taken up front, which also serialises separate processes (`exec` runs) that share
 * the file, with busy_timeout making them wait instead of failing.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db);
  }

  async createApproval(request: NewApproval): Promise<ApprovalRecord> {
    const insert = this.db.prepare(
      `INSERT INTO approvals (id, command, args_json, plan_json, requested_by, channel_platform, channel_id, correlation_id,
         created_at, expires_at, required_approvals, approver_role, status)
       VALUES (@id, @command, @argsJson, @planJson, @requestedBy, @channelPlatform, @channelId, @correlationId,
         @createdAt, @expiresAt, @requiredApprovals, @approverRole, 'pending')`,
    );
    const run = this.db.transaction(() => {
      for (;;) {
        const id = newApprovalId();
        if (this.db.prepare('SELECT 1 FROM approvals WHERE id = ?').get(id)) continue;
        insert.run({ ...request, id });
        this.audit({
          at: request.createdAt,
          principal: request.requestedBy,
          event: 'approval.requested',
          command: request.command,
          approvalId: id,
          outcome: 'pending',
          correlationId: request.correlationId,
          detail: {
            args: JSON.parse(request.argsJson) as unknown,
            expiresAt: request.expiresAt,
            requiredApprovals: request.requiredApprovals,
          },
        });
        return id;
      }
    });
    const id = run.immediate();
    return this.approvalById(id) as ApprovalRecord;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.approvalById(id.toUpperCase());
  }

  async listApprovals(options: { statuses?: ApprovalStatus[]; limit: number }): Promise<ApprovalRecord[]> {
    const statuses = options.statuses ?? ['pending', 'approved', 'denied', 'expired'];
    const rows = this.db
      .prepare(
        `SELECT * FROM approvals WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY created_at DESC LIMIT ?`,
      )
      .all(...statuses, options.limit) as Row[];
    return rows.map((row) => this.toApproval(row));
  }

  async castVote(vote: Vote): Promise<VoteOutcome> {
    const run = this.db.transaction((): VoteOutcome => {
      const id = vote.approvalId.toUpperCase();
      const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
      if (!row) return { kind: 'not-found', id };
      let approval = this.toApproval(row);
      if (approval.status !== 'pending') return { kind: 'closed', approval };
      if (approval.expiresAt <= vote.now) {
        this.expireOne(approval, vote.now);
        return { kind: 'expired', approval: this.approvalById(id) as ApprovalRecord };
      }
      if (approval.requestedBy === vote.voter) return { kind: 'self', approval };

      if (vote.decision === 'deny') {
        this.db
          .prepare(
            `UPDATE approvals SET status = 'denied', decided_at = ?, decided_by = ?, deny_reason = ? WHERE id = ? AND status = 'pending'`,
          )
          .run(vote.now, vote.voter, vote.reason ?? null, id);
        this.db
          .prepare(
            'INSERT OR REPLACE INTO votes (approval_id, voter, decision, reason, created_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(id, vote.voter, 'deny', vote.reason ?? null, vote.now);
        this.audit({
          at: vote.now,
          principal: vote.voter,
          event: 'approval.denied',
          command: approval.command,
          approvalId: id,
          outcome: 'denied',
          correlationId: vote.correlationId,
          detail: { reason: vote.reason ?? null },
        });
        return { kind: 'denied', approval: this.approvalById(id) as ApprovalRecord };
      }

      const inserted = this.db
        .prepare(
          'INSERT OR IGNORE INTO votes (approval_id, voter, decision, reason, created_at) VALUES (?, ?, ?, NULL, ?)',
        )
        .run(id, vote.voter, 'approve', vote.now);
      const approvals = this.approvalCount(id);
      const remaining = Math.max(0, approval.requiredApprovals - approvals);
      if (inserted.changes === 0) return { kind: 'already-voted', approval, remaining };
      this.audit({
        at: vote.now,
        principal: vote.voter,
        event: 'approval.vote',
        command: approval.command,
        approvalId: id,
        outcome: remaining === 0 ? 'complete' : `${remaining} more needed`,
        correlationId: vote.correlationId,
      });
      if (remaining > 0) return { kind: 'recorded', approval: this.approvalById(id) as ApprovalRecord, remaining };

      // The conditional update is the one gate: only the transaction that flips pending → approved claims the run.
      const flipped = this.db
        .prepare(
          `UPDATE approvals SET status = 'approved', decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending' RETURNING id`,
        )
        .get(vote.now, vote.voter, id);
      approval = this.approvalById(id) as ApprovalRecord;
      if (!flipped) return { kind: 'closed', approval };
      const execution = this.db
        .prepare(
          `INSERT INTO executions (approval_id, executed_by, started_at, status) VALUES (?, ?, ?, 'running') RETURNING *`,
        )
        .get(id, vote.voter, vote.now) as Row;
      this.audit({
        at: vote.now,
        principal: vote.voter,
        event: 'approval.approved',
        command: approval.command,
        approvalId: id,
        outcome: 'approved',
        correlationId: vote.correlationId,
        detail: { approvedBy: approval.approvedBy },
      });
      this.audit({
        at: vote.now,
        principal: approval.requestedBy,
        event: 'execution.started',
        command: approval.command,
        approvalId: id,
        outcome: 'running',
        correlationId: vote.correlationId,
      });
      return { kind: 'execute', approval, execution: this.toExecution(execution) };
    });
    return run.immediate();
  }

  async expireApprovals(now: number): Promise<ApprovalRecord[]> {
    const run = this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ?`)
        .all(now) as Row[];
      for (const row of rows) this.expireOne(this.toApproval(row), now);
      return rows.map((row) => this.approvalById(String(row.id)) as ApprovalRecord);
    });
    return run.immediate();
  }

  async getExecution(approvalId: string): Promise<ExecutionRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM executions WHERE approval_id = ?').get(approvalId.toUpperCase()) as
      | Row
      | undefined;
    return row ? this.toExecution(row) : undefined;
  }

  async finishExecution(id: number, status: 'succeeded' | 'failed', resultJson: string, now: number): Promise<void> {
    const run = this.db.transaction(() => {
      const row = this.db
        .prepare(
          `UPDATE executions SET status = ?, finished_at = ?, result_json = ? WHERE id = ? AND status = 'running' RETURNING *`,
        )
        .get(status, now, resultJson, id) as Row | undefined;
      if (!row) return;
      const approval = this.approvalById(String(row.approval_id)) as ApprovalRecord;
      this.audit({
        at: now,
        principal: approval.requestedBy,
        event: `execution.${status}`,
        command: approval.command,
        approvalId: approval.id,
        outcome: status,
        correlationId: approval.correlationId,
        detail: { result: summarise(resultJson) },
      });
    });
    run.immediate();
  }

  async markInterruptedExecutions(now: number): Promise<ExecutionRecord[]> {
    const run = this.db.transaction(() => {
      const rows = this.db
        .prepare(`UPDATE executions SET status = 'interrupted', finished_at = ? WHERE status = 'running' RETURNING *`)
        .all(now) as Row[];
      for (const row of rows) {
        const approval = this.approvalById(String(row.approval_id)) as ApprovalRecord;
        this.audit({
          at: now,
          principal: 'system',
          event: 'execution.interrupted',
          command: approval.command,
          approvalId: approval.id,
          outcome: 'interrupted',
          correlationId: approval.correlationId,
          detail: { startedAt: row.started_at, note: 'the bot stopped while this ran; it was not re-run' },
        });
      }
      return rows.map((row) => this.toExecution(row));
    });
    return run.immediate();
  }

  async appendAudit(entry: NewAudit): Promise<AuditRecord> {
    return this.audit(entry);
  }

  async queryAudit(filter: {
    principal?: string;
    command?: string;
    approvalId?: string;
    limit: number;
  }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.principal) {
      where.push('principal = ?');
      params.push(filter.principal);
    }
    if (filter.command) {
      where.push('(command = ? OR command LIKE ?)');
      params.push(filter.command, `${filter.command} %`);
    }
    if (filter.approvalId) {
      where.push('approval_id = ?');
      params.push(filter.approvalId.toUpperCase());
    }
    const rows = this.db
      .prepare(`SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`)
      .all(...params, filter.limit) as Row[];
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: Number(row.at),
      principal: String(row.principal),
      event: String(row.event),
      command: row.command === null ? null : String(row.command),
      approvalId: row.approval_id === null ? null : String(row.approval_id),
      outcome: row.outcome === null ? null : String(row.outcome),
      correlationId: row.correlation_id === null ? null : String(row.correlation_id),
      detail: JSON.parse(String(row.detail_json)) as Record<string, unknown>,
    }));
  }

  async appendJournal(entry: Omit<JournalEntry, 'seq'>): Promise<void> {
    this.db
      .prepare('INSERT INTO journal (at, kind, principal, approval_id, data_json) VALUES (?, ?, ?, ?, ?)')
      .run(entry.at, entry.kind, entry.principal, entry.approvalId, JSON.stringify(entry.data));
  }

  async recentJournal(kind: string, limit: number): Promise<JournalEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM journal WHERE kind = ? ORDER BY seq DESC LIMIT ?')
      .all(kind, limit) as Row[];
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: Number(row.at),
      kind: String(row.kind),
      principal: String(row.principal),
      approvalId: row.approval_id === null ? null : String(row.approval_id),
      data: JSON.parse(String(row.data_json)) as Record<string, unknown>,
    }));
  }

  async createSchedule(schedule: NewSchedule): Promise<ScheduleRecord> {
    const run = this.db.transaction(() => {
      const count = this.db.prepare('SELECT COUNT(*) AS n FROM schedules').get() as Row;
      // S1, S2, …: typed by hand in /pledge stop.
      const id = `S${Number(count.n) + 1}`;
      this.db
        .prepare(
          `INSERT INTO schedules (id, kind, approval_id, data_json, interval_ms, next_run_at, status, channel_platform, channel_id,
             created_by, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          schedule.kind,
          schedule.approvalId,
          schedule.dataJson,
          schedule.intervalMs,
          schedule.nextRunAt,
          schedule.channelPlatform,
          schedule.channelId,
          schedule.createdBy,
          schedule.createdAt,
          schedule.createdAt,
        );
      this.audit({
        at: schedule.createdAt,
        principal: schedule.createdBy,
        event: 'schedule.started',
        command: schedule.kind,
        approvalId: schedule.approvalId,
        outcome: 'active',
        correlationId: null,
        detail: { schedule: id, intervalMs: schedule.intervalMs },
      });
      return id;
    });
    return this.scheduleById(run.immediate()) as ScheduleRecord;
  }

  async listSchedules(filter: { kind?: string; statuses?: ScheduleStatus[] }): Promise<ScheduleRecord[]> {
    const statuses = filter.statuses ?? ['active', 'paused', 'stopped'];
    const rows = this.db
      .prepare(
        `SELECT * FROM schedules WHERE status IN (${statuses.map(() => '?').join(',')}) ${filter.kind ? 'AND kind = ?' : ''} ORDER BY created_at`,
      )
      .all(...statuses, ...(filter.kind ? [filter.kind] : [])) as Row[];
    return rows.map((row) => this.toSchedule(row));
  }

  async claimDueSchedules(kind: string, now: number): Promise<ScheduleRecord[]> {
    const rows = this.db
      .prepare(
        `UPDATE schedules SET next_run_at = ? + interval_ms
         WHERE kind = ? AND status IN ('active', 'paused') AND next_run_at <= ? RETURNING *`,
      )
      .all(now, kind, now) as Row[];
    return rows.map((row) => this.toSchedule(row));
  }

  async updateSchedule(
    id: string,
    change: { status?: ScheduleStatus; reason?: string | null; ranOnce?: boolean; by: string; now: number },
  ): Promise<ScheduleRecord | undefined> {
    const run = this.db.transaction(() => {
      const before = this.scheduleById(id);
      if (!before || before.status === 'stopped') return before;
      const status = change.status ?? before.status;
      const reason = change.reason === undefined ? before.statusReason : change.reason;
      this.db
        .prepare('UPDATE schedules SET status = ?, status_reason = ?, runs = runs + ?, updated_at = ? WHERE id = ?')
        .run(status, reason, change.ranOnce ? 1 : 0, change.now, id);
      if (status !== before.status) {
        this.audit({
          at: change.now,
          principal: change.by,
          event: `schedule.${status === 'active' ? 'resumed' : status}`,
          command: before.kind,
          approvalId: before.approvalId,
          outcome: status,
          correlationId: null,
          detail: { schedule: id, reason },
        });
      }
      return this.scheduleById(id);
    });
    return run.immediate();
  }

  private scheduleById(id: string): ScheduleRecord | undefined {
    const row = this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(id.toUpperCase()) as Row | undefined;
    return row ? this.toSchedule(row) : undefined;
  }

  private toSchedule(row: Row): ScheduleRecord {
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

  async upsertAlertState(state: AlertStateRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO alert_state (key, check_name, severity, status, first_seen, last_seen, last_notified, message)
         VALUES (@key, @check, @severity, @status, @firstSeen, @lastSeen, @lastNotified, @message)
         ON CONFLICT(key) DO UPDATE SET severity = excluded.severity, status = excluded.status, last_seen = excluded.last_seen,
           last_notified = excluded.last_notified, message = excluded.message`,
      )
      .run(state);
  }

  async getAlertState(key: string): Promise<AlertStateRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM alert_state WHERE key = ?').get(key) as Row | undefined;
    if (!row) return undefined;
    return {
      key: String(row.key),
      check: String(row.check_name),
      severity: String(row.severity),
      status: row.status === 'resolved' ? 'resolved' : 'firing',
      firstSeen: Number(row.first_seen),
      lastSeen: Number(row.last_seen),
      lastNotified: row.last_notified === null ? null : Number(row.last_notified),
      message: String(row.message),
    };
  }

  async addSilence(silence: SilenceRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO silences (id, matcher, created_by, created_at, expires_at, reason) VALUES (@id, @matcher, @createdBy, @createdAt, @expiresAt, @reason)',
      )
      .run(silence);
  }

  async activeSilences(now: number): Promise<SilenceRecord[]> {
    const rows = this.db.prepare('SELECT * FROM silences WHERE expires_at > ? ORDER BY created_at').all(now) as Row[];
    return rows.map((row) => ({
      id: String(row.id),
      matcher: String(row.matcher),
      createdBy: String(row.created_by),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      reason: String(row.reason),
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private expireOne(approval: ApprovalRecord, now: number): void {
    const changed = this.db
      .prepare(`UPDATE approvals SET status = 'expired', decided_at = ? WHERE id = ? AND status = 'pending'`)
      .run(now, approval.id);
    if (changed.changes === 0) return;
    this.audit({
      at: now,
      principal: 'system',
      event: 'approval.expired',
      command: approval.command,
      approvalId: approval.id,
      outcome: 'expired',
      correlationId: approval.correlationId,
    });
  }

  private approvalCount(id: string): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM votes WHERE approval_id = ? AND decision = 'approve'`)
      .get(id) as Row;
    return Number(row.n);
  }

  private approvalById(id: string): ApprovalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return row ? this.toApproval(row) : undefined;
  }

  private toApproval(row: Row): ApprovalRecord {
    const voters = this.db
      .prepare(`SELECT voter FROM votes WHERE approval_id = ? AND decision = 'approve' ORDER BY created_at, voter`)
      .all(row.id) as Row[];
    return {
      id: String(row.id),
      command: String(row.command),
      argsJson: String(row.args_json),
      planJson: String(row.plan_json),
      requestedBy: String(row.requested_by),
      channelPlatform: String(row.channel_platform),
      channelId: String(row.channel_id),
      correlationId: String(row.correlation_id),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      requiredApprovals: Number(row.required_approvals),
      approverRole: String(row.approver_role),
      status: row.status as ApprovalStatus,
      decidedAt: row.decided_at === null ? null : Number(row.decided_at),
      decidedBy: row.decided_by === null ? null : String(row.decided_by),
      denyReason: row.deny_reason === null ? null : String(row.deny_reason),
      approvedBy: voters.map((v) => String(v.voter)),
    };
  }

  private toExecution(row: Row): ExecutionRecord {
    return {
      id: Number(row.id),
      approvalId: String(row.approval_id),
      executedBy: String(row.executed_by),
      startedAt: Number(row.started_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
      status: row.status as ExecutionRecord['status'],
      resultJson: row.result_json === null ? null : String(row.result_json),
    };
  }

  private audit(entry: NewAudit): AuditRecord {
    const row = this.db
      .prepare(
        `INSERT INTO audit (at, principal, event, command, approval_id, outcome, correlation_id, detail_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      )
      .get(
        entry.at,
        entry.principal,
        entry.event,
        entry.command,
        entry.approvalId,
        entry.outcome,
        entry.correlationId,
        JSON.stringify(entry.detail ?? {}),
      ) as Row;
    return { ...entry, detail: entry.detail ?? {}, seq: Number(row.seq) };
  }
}

/** The audit trail keeps the gist of a result (its title and severity), not every table row. */
function summarise(resultJson: string): unknown {
  try {
    const parsed = JSON.parse(resultJson) as { title?: unknown; severity?: unknown };
    return { title: parsed.title, severity: parsed.severity };
  } catch {
    return resultJson.slice(0, 200);
  }
}

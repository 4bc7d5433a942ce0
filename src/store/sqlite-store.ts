import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openSqlite, storeError } from './open-sqlite.js';
import {
  claimLeadershipSql,
  newApprovalId,
  type Row,
  seqOf,
  summarise,
  toAlert,
  toApproval,
  toExecution,
  toInstance,
  toJob,
  toJournalEntry,
  toLease,
  toSchedule,
} from './rows.js';
import type {
  AlertChange,
  AlertRecord,
  AlertStatus,
  ApprovalRecord,
  ApprovalStatus,
  AuditRecord,
  ExecutionOwner,
  ExecutionRecord,
  InstanceRecord,
  JobRecord,
  JournalEntry,
  LeaseRecord,
  MessageRef,
  NewApproval,
  NewAudit,
  NewSchedule,
  ScheduleRecord,
  ScheduleStatus,
  SilenceRecord,
  Store,
  StoreEvent,
  Vote,
  VoteDecision,
  VoteOutcome,
} from './store.js';
import { StoreError } from './store-error.js';

/** The methods that only read: they keep working on a store found damaged, so that operators can still look. */
const readOnlyMethods = new Set([
  'getApproval',
  'listApprovals',
  'getExecution',
  'queryAudit',
  'recentJournal',
  'journalOf',
  'listSchedules',
  'eventsAfter',
  'latestEventSeq',
  'messageRefs',
  'listJobs',
  'activeAlerts',
  'getAlert',
  'alertGroupMembers',
  'listAlerts',
  'activeSilences',
  'checkIntegrity',
  'leadership',
  'listInstances',
  'ping',
  'backupTo',
  'close',
]);

/**
 * The embedded store. better-sqlite3 is synchronous, so each method runs its statements inside one IMMEDIATE
 * transaction: the write lock is taken up front, which also serialises separate processes (`exec` runs) that share
 * the file, with busy_timeout making them wait instead of failing. Every method's SQLite failure that an operator can
 * act on (busy, damaged, cannot write) comes out as a StoreError naming the file; once `checkIntegrity` has found
 * the file damaged, every method that writes refuses.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private damaged: string | undefined;

  constructor(
    private readonly path: string,
    options: { busyTimeoutMs?: number } = {},
  ) {
    this.db = openSqlite(path, { busyTimeoutMs: options.busyTimeoutMs ?? 5_000 });
    this.guardMethods();
  }

  /** Wraps every method of the store: SQLite's errors mapped to StoreError, writes refused on a damaged file. */
  private guardMethods(): void {
    const proto = SqliteStore.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
      const method = proto[name];
      // The Store's methods are the async ones; the private helpers are synchronous and run inside them.
      if (typeof method !== 'function' || method.constructor.name !== 'AsyncFunction') continue;
      const writes = !readOnlyMethods.has(name);
      (this as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        if (writes && this.damaged !== undefined)
          throw new StoreError('damaged', this.path, `${this.damaged} (found by PRAGMA quick_check)`);
        try {
          return await (method as (...a: unknown[]) => unknown).apply(this, args);
        } catch (error) {
          throw storeError(this.path, error);
        }
      };
    }
  }

  /**
   * PRAGMA quick_check: a damaged page is found before anything more is written into the file. On failure the store
   * stops writing (reads still work) and the result says so.
   */
  async checkIntegrity(): Promise<{ ok: boolean; detail: string }> {
    const rows = this.db.pragma('quick_check') as Array<{ quick_check: string }>;
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length === 0) return { ok: true, detail: 'ok' };
    this.damaged = problems.slice(0, 3).join('; ');
    return { ok: false, detail: this.damaged };
  }

  /** A consistent copy of the whole store while it is in use (SQLite's online backup), written to `target`. */
  async backupTo(target: string): Promise<void> {
    await this.db.backup(target);
  }

  async rememberRequestSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    const hash = createHash('sha256').update(signature).digest('hex');
    const run = this.db.transaction(() => {
      this.db.prepare('DELETE FROM seen_requests WHERE expires_at < ?').run(now);
      return this.db
        .prepare('INSERT OR IGNORE INTO seen_requests (hash, expires_at) VALUES (?, ?)')
        .run(hash, expiresAt).changes;
    });
    return run.immediate() === 1;
  }

  async createApproval(request: NewApproval): Promise<ApprovalRecord> {
    const insert = this.db.prepare(
      `INSERT INTO approvals (id, kind, command, args_json, plan_json, requested_by, requester_json, channel_platform,
         channel_id, correlation_id, created_at, expires_at, required_approvals, approver_role, reason_required,
         parent_id, status)
       VALUES (@id, @kind, @command, @argsJson, @planJson, @requestedBy, @requesterJson, @channelPlatform,
         @channelId, @correlationId, @createdAt, @expiresAt, @requiredApprovals, @approverRole, @reasonRequired,
         @parentId, 'pending')`,
    );
    const run = this.db.transaction(() => {
      for (;;) {
        const id = newApprovalId();
        if (this.db.prepare('SELECT 1 FROM approvals WHERE id = ?').get(id)) continue;
        insert.run({ ...request, id, reasonRequired: request.reasonRequired ? 1 : 0 });
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
            ...(request.kind === 'continue' ? { continues: request.parentId } : {}),
          },
        });
        this.approvalEvent(request.createdAt, 'approval.requested', id, { kind: request.kind });
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

  async vote(vote: Vote, decide: (approval: ApprovalRecord) => VoteDecision): Promise<VoteOutcome> {
    const run = this.db.transaction((): VoteOutcome => {
      const id = vote.approvalId.toUpperCase();
      const before = this.approvalById(id);
      if (!before) return { kind: 'not-found', id };
      const decision = decide(before);
      const origin = { by: vote.voter, ...vote.origin };
      switch (decision.kind) {
        case 'refused': {
          if (decision.reason === 'expired') this.expireOne(before, vote.now);
          return { kind: 'decided', decision, approval: this.approvalById(id) as ApprovalRecord };
        }
        case 'denied': {
          this.db
            .prepare(
              `UPDATE approvals SET status = 'denied', decided_at = ?, decided_by = ?, deny_reason = ? WHERE id = ? AND status = 'pending'`,
            )
            .run(vote.now, vote.voter, vote.reason ?? null, id);
          this.insertVote(vote, id);
          this.audit({
            at: vote.now,
            principal: vote.voter,
            event: 'approval.denied',
            command: before.command,
            approvalId: id,
            outcome: 'denied',
            correlationId: vote.correlationId,
            detail: { reason: vote.reason ?? null },
          });
          this.approvalEvent(vote.now, 'approval.denied', id, origin);
          return { kind: 'decided', decision, approval: this.approvalById(id) as ApprovalRecord };
        }
        case 'recorded': {
          this.insertVote(vote, id);
          this.audit({
            at: vote.now,
            principal: vote.voter,
            event: 'approval.vote',
            command: before.command,
            approvalId: id,
            outcome: `${decision.remaining} more needed`,
            correlationId: vote.correlationId,
            ...(vote.reason ? { detail: { reason: vote.reason } } : {}),
          });
          this.approvalEvent(vote.now, 'approval.voted', id, origin);
          return { kind: 'decided', decision, approval: this.approvalById(id) as ApprovalRecord };
        }
        case 'approved': {
          // The conditional update is the one gate: only the transaction that flips pending → approved claims the run.
          const flipped = this.db
            .prepare(
              `UPDATE approvals SET status = 'approved', decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending' RETURNING id`,
            )
            .get(vote.now, vote.voter, id);
          if (!flipped) {
            return {
              kind: 'decided',
              decision: { kind: 'refused', reason: 'closed' },
              approval: this.approvalById(id) as ApprovalRecord,
            };
          }
          this.insertVote(vote, id);
          const approval = this.approvalById(id) as ApprovalRecord;
          const execution = this.db
            .prepare(
              `INSERT INTO executions (approval_id, executed_by, started_at, status, owner_json, lease_expires_at, origin_json)
               VALUES (?, ?, ?, 'running', ?, ?, ?) RETURNING *`,
            )
            .get(
              id,
              vote.voter,
              vote.now,
              JSON.stringify(vote.owner),
              vote.now + vote.leaseMs,
              JSON.stringify(vote.origin),
            ) as Row;
          this.audit({
            at: vote.now,
            principal: vote.voter,
            event: 'approval.approved',
            command: approval.command,
            approvalId: id,
            outcome: 'approved',
            correlationId: vote.correlationId,
            detail: { approvedBy: approval.approvedBy, ...(vote.reason ? { reason: vote.reason } : {}) },
          });
          this.audit({
            at: vote.now,
            principal: approval.requestedBy,
            event: 'execution.started',
            command: approval.command,
            approvalId: id,
            outcome: 'running',
            correlationId: vote.correlationId,
            detail: { process: vote.owner.id },
          });
          this.approvalEvent(vote.now, 'approval.approved', id, origin);
          return { kind: 'decided', decision, approval, execution: toExecution(execution) };
        }
      }
    });
    return run.immediate();
  }

  private insertVote(vote: Vote, id: string): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO votes (approval_id, voter, voter_json, decision, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, vote.voter, vote.voterJson, vote.decision, vote.reason ?? null, vote.now);
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
    return row ? toExecution(row) : undefined;
  }

  async renewExecutionLease(id: number, ownerId: string, until: number): Promise<boolean> {
    const changed = this.db
      .prepare(
        `UPDATE executions SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND json_extract(owner_json, '$.id') = ?`,
      )
      .run(until, id, ownerId);
    return changed.changes > 0;
  }

  async saveCheckpoint(id: number, checkpoint: Record<string, unknown>): Promise<void> {
    this.db.prepare('UPDATE executions SET checkpoint_json = ? WHERE id = ?').run(JSON.stringify(checkpoint), id);
  }

  async finishExecution(id: number, status: 'succeeded' | 'failed', resultJson: string, now: number): Promise<void> {
    const run = this.db.transaction(() => {
      // Whatever happened meanwhile (a lease that ran out while the owner was stalled), the real outcome is recorded.
      const row = this.db
        .prepare(
          `UPDATE executions SET status = ?, finished_at = ?, result_json = ?, lease_expires_at = NULL
           WHERE id = ? AND status IN ('running', 'interrupted') RETURNING *`,
        )
        .get(status, now, resultJson, id) as Row | undefined;
      if (!row) return;
      const approval = this.approvalById(String(row.approval_id)) as ApprovalRecord;
      const interruptedAt = row.interrupted_at === null ? null : Number(row.interrupted_at);
      this.audit({
        at: now,
        principal: approval.requestedBy,
        event: `execution.${status}`,
        command: approval.command,
        approvalId: approval.id,
        outcome: status,
        correlationId: approval.correlationId,
        detail: {
          result: summarise(resultJson),
          ...(interruptedAt === null
            ? {}
            : { note: 'finished after it had been reported interrupted', reportedInterruptedAt: interruptedAt }),
        },
      });
      this.approvalEvent(now, 'execution.finished', approval.id, {
        status,
        ...(interruptedAt === null ? {} : { late: true }),
      });
    });
    run.immediate();
  }

  async claimInterruptedExecutions(now: number): Promise<ExecutionRecord[]> {
    const run = this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `UPDATE executions SET status = 'interrupted', interrupted_at = ?
           WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= ?) RETURNING *`,
        )
        .all(now, now) as Row[];
      for (const row of rows) {
        const approval = this.approvalById(String(row.approval_id)) as ApprovalRecord;
        const owner = row.owner_json === null ? null : (JSON.parse(String(row.owner_json)) as ExecutionOwner);
        this.audit({
          at: now,
          principal: 'system',
          event: 'execution.interrupted',
          command: approval.command,
          approvalId: approval.id,
          outcome: 'interrupted',
          correlationId: approval.correlationId,
          detail: {
            startedAt: row.started_at,
            process: owner?.id ?? 'unknown',
            note: 'its process stopped renewing the lease; it was not re-run',
          },
        });
        this.approvalEvent(now, 'execution.interrupted', approval.id, {});
      }
      return rows.map((row) => toExecution(row));
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
    return rows.map(toJournalEntry);
  }

  async journalOf(approvalId: string): Promise<JournalEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM journal WHERE approval_id = ? ORDER BY seq')
      .all(approvalId.toUpperCase()) as Row[];
    return rows.map(toJournalEntry);
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
    return rows.map((row) => toSchedule(row));
  }

  async claimDueSchedules(kind: string, now: number): Promise<ScheduleRecord[]> {
    const rows = this.db
      .prepare(
        `UPDATE schedules SET next_run_at = ? + interval_ms
         WHERE kind = ? AND status IN ('active', 'paused') AND next_run_at <= ? RETURNING *`,
      )
      .all(now, kind, now) as Row[];
    return rows.map((row) => toSchedule(row));
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
        .run(status, reason, change.ranOnce ? 1 : 0, change.now, before.id);
      if (status !== before.status) {
        this.audit({
          at: change.now,
          principal: change.by,
          event: `schedule.${status === 'active' ? 'resumed' : status}`,
          command: before.kind,
          approvalId: before.approvalId,
          outcome: status,
          correlationId: null,
          detail: { schedule: before.id, reason },
        });
      }
      return this.scheduleById(id);
    });
    return run.immediate();
  }

  private scheduleById(id: string): ScheduleRecord | undefined {
    const row = this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(id.toUpperCase()) as Row | undefined;
    return row ? toSchedule(row) : undefined;
  }

  async appendEvent(event: Omit<StoreEvent, 'seq'>): Promise<void> {
    this.insertEvent(event.at, event.kind, event.subject, event.data);
  }

  async eventsAfter(seq: number, limit: number): Promise<StoreEvent[]> {
    const rows = this.db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as Row[];
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: Number(row.at),
      kind: String(row.kind),
      subject: String(row.subject),
      data: JSON.parse(String(row.data_json)) as Record<string, unknown>,
    }));
  }

  async latestEventSeq(): Promise<number> {
    const row = this.db.prepare('SELECT MAX(seq) AS seq FROM events').get() as Row;
    return row.seq === null ? 0 : Number(row.seq);
  }

  async saveMessageRef(subject: string, ref: MessageRef, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO message_refs (subject, platform, channel_id, message_ids_json, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (subject, platform, channel_id) DO UPDATE SET message_ids_json = excluded.message_ids_json,
           created_at = excluded.created_at`,
      )
      .run(subject, ref.platform, ref.channelId, JSON.stringify(ref.messageIds), now);
  }

  async messageRefs(subject: string): Promise<MessageRef[]> {
    const rows = this.db
      .prepare('SELECT * FROM message_refs WHERE subject = ? ORDER BY created_at')
      .all(subject) as Row[];
    return rows.map((row) => ({
      platform: String(row.platform),
      channelId: String(row.channel_id),
      messageIds: JSON.parse(String(row.message_ids_json)) as string[],
    }));
  }

  async claimJob(claim: {
    name: string;
    owner: string;
    now: number;
    leaseMs: number;
    everyMs: number;
    evenIfNotDue?: boolean;
  }): Promise<JobRecord | undefined> {
    const run = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO jobs (name, next_run_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
        .run(claim.name, claim.now);
      const row = this.db
        .prepare(
          `UPDATE jobs SET lease_owner = @owner, lease_expires_at = @now + @leaseMs, last_started_at = @now,
             next_run_at = @now + @everyMs
           WHERE name = @name AND (@any = 1 OR next_run_at <= @now) AND (lease_owner IS NULL OR lease_expires_at <= @now)
           RETURNING *`,
        )
        .get({
          name: claim.name,
          owner: claim.owner,
          now: claim.now,
          leaseMs: claim.leaseMs,
          everyMs: claim.everyMs,
          any: claim.evenIfNotDue ? 1 : 0,
        }) as Row | undefined;
      return row ? toJob(row) : undefined;
    });
    return run.immediate();
  }

  async finishJob(run: {
    name: string;
    owner: string;
    now: number;
    outcome: 'ok' | 'failed' | 'timeout';
    error: string | null;
    durationMs: number;
    state?: Record<string, unknown>;
  }): Promise<void> {
    this.db
      .prepare(
        `UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_finished_at = @now,
           last_duration_ms = @durationMs, last_outcome = @outcome, last_error = @error, runs = runs + 1,
           failures = failures + (CASE WHEN @outcome = 'ok' THEN 0 ELSE 1 END),
           state_json = COALESCE(@state, state_json)
         WHERE name = @name AND lease_owner = @owner`,
      )
      .run({ ...run, state: run.state === undefined ? null : JSON.stringify(run.state) });
  }

  async requestJobRun(name: string, now: number): Promise<void> {
    this.db.prepare('UPDATE jobs SET next_run_at = MIN(next_run_at, ?) WHERE name = ?').run(now, name);
  }

  async listJobs(): Promise<JobRecord[]> {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY name').all() as Row[]).map(toJob);
  }

  async activeAlerts(resolvedSince: number): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM alerts WHERE status = 'firing' OR resolved_at >= ? ORDER BY seq`)
      .all(resolvedSince) as Row[];
    return rows.map(toAlert);
  }

  async applyAlertChanges(changes: readonly AlertChange[], now: number): Promise<AlertRecord[]> {
    const run = this.db.transaction(() => {
      const raised: AlertRecord[] = [];
      const refs = new Map<string, string>();
      // Alerts whose list of members changed: one event each, after the changes (a storm of 200 is one update).
      const groups = new Set<string>();
      const event = (id: string, kind: string, data: Record<string, unknown> = {}) =>
        this.insertEvent(now, kind, `alert:${id}`, data);
      const alertAudit = (id: string, event: string, outcome: string, detail: Record<string, unknown> = {}) =>
        this.audit({
          at: now,
          principal: 'system',
          event,
          command: 'alerts',
          approvalId: null,
          outcome,
          correlationId: null,
          detail: { alert: id, ...detail },
        });
      for (const change of changes) {
        switch (change.kind) {
          case 'raise': {
            const f = change.finding;
            const groupId = change.groupId === null ? null : (refs.get(change.groupId) ?? change.groupId);
            const row = this.db
              .prepare(
                `INSERT INTO alerts (key, check_name, subject, severity, status, summary, detail, actor, cause, first_seen,
                   last_seen, last_change, notified_at, group_id)
                 VALUES (?, ?, ?, ?, 'firing', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
              )
              .get(
                `${f.check}:${f.subject}`,
                f.check,
                f.subject,
                f.severity,
                f.summary,
                f.detail,
                f.actor,
                f.cause,
                now,
                now,
                now,
                change.notify ? now : null,
                groupId,
              ) as Row;
            const alert = toAlert(row);
            if (change.ref) refs.set(change.ref, alert.id);
            raised.push(alert);
            alertAudit(alert.id, 'alert.raised', alert.severity, {
              check: f.check,
              subject: f.subject,
              summary: f.summary,
            });
            event(alert.id, 'alert.raised', { notify: change.notify, ...(groupId === null ? {} : { groupId }) });
            // The alert it is shown under lists it: its message changes too.
            if (groupId !== null) groups.add(groupId);
            break;
          }
          case 'change': {
            const before = this.alertRow(change.id);
            this.db
              .prepare(
                `UPDATE alerts SET severity = ?, summary = ?, detail = ?, last_seen = ?, last_change = ?, acked_by = NULL,
                   acked_at = NULL WHERE seq = ?`,
              )
              .run(change.severity, change.summary, change.detail, now, now, seqOf(change.id));
            if (before && before.severity !== change.severity)
              alertAudit(change.id, 'alert.changed', change.severity, { from: before.severity });
            event(change.id, 'alert.changed', before ? { from: before.severity, summaryBefore: before.summary } : {});
            break;
          }
          case 'seen':
            this.db
              .prepare('UPDATE alerts SET last_seen = ?, summary = ?, detail = ? WHERE seq = ?')
              .run(now, change.summary, change.detail, seqOf(change.id));
            break;
          case 'resolve':
            this.db
              .prepare(
                `UPDATE alerts SET status = 'resolved', resolved_at = ?, last_change = ? WHERE seq = ? AND status = 'firing'`,
              )
              .run(now, now, seqOf(change.id));
            alertAudit(change.id, 'alert.resolved', 'resolved');
            event(change.id, 'alert.resolved');
            {
              const groupId = this.alertRow(change.id)?.groupId;
              if (groupId) groups.add(groupId);
            }
            break;
          case 'refire':
            this.db
              .prepare(
                `UPDATE alerts SET status = 'firing', resolved_at = NULL, severity = ?, summary = ?, detail = ?, last_seen = ?,
                   last_change = ?, flaps = flaps + 1 WHERE seq = ?`,
              )
              .run(change.severity, change.summary, change.detail, now, now, seqOf(change.id));
            alertAudit(change.id, 'alert.refired', change.severity);
            event(change.id, 'alert.refired');
            break;
          case 'renotify':
            this.db.prepare('UPDATE alerts SET notified_at = ? WHERE seq = ?').run(now, seqOf(change.id));
            event(change.id, 'alert.renotified');
            break;
          case 'group': {
            const groupId = change.groupId === null ? null : (refs.get(change.groupId) ?? change.groupId);
            this.db.prepare('UPDATE alerts SET group_id = ? WHERE seq = ?').run(groupId, seqOf(change.id));
            event(change.id, 'alert.grouped', { groupId });
            if (groupId !== null) groups.add(groupId);
            break;
          }
        }
      }
      for (const groupId of groups) event(groupId, 'alert.members');
      return raised;
    });
    return run.immediate();
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    return this.alertRow(id);
  }

  async alertGroupMembers(groupId: string, limit: number): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM alerts WHERE group_id = ? ORDER BY status = 'firing' DESC, seq LIMIT ?`)
      .all(groupId.toUpperCase(), limit) as Row[];
    return rows.map(toAlert);
  }

  async listAlerts(filter: { status?: AlertStatus; limit: number }): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts ${filter.status ? 'WHERE status = ?' : ''} ORDER BY status = 'firing' DESC,
           CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, first_seen, seq LIMIT ?`,
      )
      .all(...(filter.status ? [filter.status] : []), filter.limit) as Row[];
    return rows.map(toAlert);
  }

  async ackAlert(id: string, by: string, now: number): Promise<AlertRecord | undefined> {
    const run = this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE alerts SET acked_by = ?, acked_at = ? WHERE seq = ?')
        .run(by, now, seqOf(id)).changes;
      if (changed === 0) return undefined;
      this.audit({
        at: now,
        principal: by,
        event: 'alert.acked',
        command: 'alerts ack',
        approvalId: null,
        outcome: 'acked',
        correlationId: null,
        detail: { alert: id.toUpperCase() },
      });
      this.insertEvent(now, 'alert.acked', `alert:${id.toUpperCase()}`, { by });
      return this.alertRow(id);
    });
    return run.immediate();
  }

  async silenceAlert(
    id: string,
    change: { until: number | null; by: string; reason: string | null },
    now: number,
  ): Promise<AlertRecord | undefined> {
    const run = this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE alerts SET silenced_until = ?, silenced_by = ?, silence_reason = ? WHERE seq = ?')
        .run(change.until, change.until === null ? null : change.by, change.reason, seqOf(id)).changes;
      if (changed === 0) return undefined;
      const kind = change.until === null ? 'alert.unsilenced' : 'alert.silenced';
      this.audit({
        at: now,
        principal: change.by,
        event: kind,
        command: change.until === null ? 'alerts unsilence' : 'alerts silence',
        approvalId: null,
        outcome: change.until === null ? 'unsilenced' : 'silenced',
        correlationId: null,
        detail: { alert: id.toUpperCase(), until: change.until, reason: change.reason },
      });
      this.insertEvent(now, kind, `alert:${id.toUpperCase()}`, { by: change.by });
      return this.alertRow(id);
    });
    return run.immediate();
  }

  private alertRow(id: string): AlertRecord | undefined {
    const seq = seqOf(id);
    if (seq === undefined) return undefined;
    const row = this.db.prepare('SELECT * FROM alerts WHERE seq = ?').get(seq) as Row | undefined;
    return row ? toAlert(row) : undefined;
  }

  async addSilence(silence: SilenceRecord): Promise<void> {
    const run = this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO silences (id, matcher, created_by, created_at, expires_at, reason) VALUES (@id, @matcher, @createdBy, @createdAt, @expiresAt, @reason)',
        )
        .run(silence);
      this.audit({
        at: silence.createdAt,
        principal: silence.createdBy,
        event: 'alert.silenced',
        command: 'alerts silence',
        approvalId: null,
        outcome: 'silenced',
        correlationId: null,
        detail: { matcher: silence.matcher, until: silence.expiresAt, reason: silence.reason },
      });
    });
    run.immediate();
  }

  async endSilences(matcher: string, by: string, now: number): Promise<number> {
    const run = this.db.transaction(() => {
      const ended = this.db
        .prepare('UPDATE silences SET expires_at = ? WHERE matcher = ? AND expires_at > ?')
        .run(now, matcher, now).changes;
      if (ended > 0)
        this.audit({
          at: now,
          principal: by,
          event: 'alert.unsilenced',
          command: 'alerts unsilence',
          approvalId: null,
          outcome: 'unsilenced',
          correlationId: null,
          detail: { matcher },
        });
      return ended;
    });
    return run.immediate();
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

  async claimLeadership(claim: { role: string; instance: string; now: number; ttlMs: number }): Promise<LeaseRecord> {
    const run = this.db.transaction(() => {
      this.db.prepare(claimLeadershipSql((n) => ['@role', '@instance', '@now', '@ttlMs'][n - 1] as string)).run(claim);
      return toLease(this.db.prepare('SELECT * FROM leadership WHERE role = ?').get(claim.role) as Row);
    });
    return run.immediate();
  }

  async releaseLeadership(role: string, instance: string, now: number): Promise<void> {
    this.db
      .prepare('UPDATE leadership SET expires_at = ? WHERE role = ? AND holder = ? AND expires_at > ?')
      .run(now, role, instance, now);
  }

  async leadership(role: string): Promise<LeaseRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM leadership WHERE role = ?').get(role) as Row | undefined;
    return row ? toLease(row) : undefined;
  }

  async recordInstance(instance: InstanceRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO instances (id, host, pid, started_at, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`,
      )
      .run(instance.id, instance.host, instance.pid, instance.startedAt, instance.lastSeen);
  }

  async listInstances(seenSince: number): Promise<InstanceRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM instances WHERE last_seen >= ? ORDER BY started_at, id')
      .all(seenSince) as Row[];
    return rows.map(toInstance);
  }

  async ping(): Promise<{ ok: boolean; detail: string }> {
    this.db.prepare('SELECT 1').get();
    return { ok: true, detail: `SQLite file ${this.path}` };
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
    this.approvalEvent(now, 'approval.expired', approval.id, {});
  }

  private approvalById(id: string): ApprovalRecord | undefined {
    const row = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return row ? this.toApproval(row) : undefined;
  }

  private toApproval(row: Row): ApprovalRecord {
    const votes = this.db
      .prepare('SELECT * FROM votes WHERE approval_id = ? ORDER BY created_at, voter')
      .all(row.id) as Row[];
    return toApproval(row, votes);
  }

  private approvalEvent(at: number, kind: string, id: string, data: Record<string, unknown>): void {
    this.insertEvent(at, kind, `approval:${id}`, data);
  }

  private insertEvent(at: number, kind: string, subject: string, data: Record<string, unknown>): void {
    this.db
      .prepare('INSERT INTO events (at, kind, subject, data_json) VALUES (?, ?, ?, ?)')
      .run(at, kind, subject, JSON.stringify(data));
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

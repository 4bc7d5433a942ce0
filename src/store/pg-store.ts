import { createHash } from 'node:crypto';
import pg from 'pg';
import { latestPgSchemaVersion, migratePg, pgSchemaVersion } from './pg-migrations.js';
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

export interface PgStoreOptions {
  /** postgres://user@host:port/database; a password in it is allowed but `password` (from the environment) is better. */
  url: string;
  password?: string;
  /** Connections per instance. */
  poolSize?: number;
  /** How long to wait for a connection (the database unreachable) before a command fails with STORE_UNREACHABLE. */
  connectTimeoutMs?: number;
  /** How long a statement waits for another instance's row lock before it fails with STORE_BUSY. */
  lockTimeoutMs?: number;
}

/**
 * A fixed advisory lock key ("lcops" + 2) held from a transaction's first event insert until its commit, so that
 * events commit in the order of their seq: the chat-updates job reads them with `seq > cursor`, and a lower seq that
 * committed later would otherwise be skipped for good.
 */
const eventsLock = 0x6c636f7002;

/** SQLSTATE classes that mean "the database is not there" (connection, shutdown, starting up, out of resources). */
const unreachableStates = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const unreachableErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** Deadlock and serialization failures: the transaction was rolled back whole and is safe to run again. */
const retryableStates = new Set(['40P01', '40001']);

/** One transaction's statements; events wait for the commit (see eventsLock). */
interface Tx {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  one(sql: string, params?: unknown[]): Promise<Row | undefined>;
  event(at: number, kind: string, subject: string, data: Record<string, unknown>): void;
}

/**
 * The store for several instances sharing one PostgreSQL. The same contract as the SQLite store, with the guarantees
 * held by the database rather than by one process: each method is one transaction; a vote locks its request's row
 * (`SELECT … FOR UPDATE`) and the executions table has UNIQUE (approval_id), so two instances approving at once make
 * one execution; job runs, schedules, interrupted executions and the leadership are claimed with conditional
 * `UPDATE … RETURNING` (re-checked on the row's newest version when another transaction got there first); the audit
 * trail refuses UPDATE, DELETE and TRUNCATE in a trigger. A database that goes away fails the call with
 * STORE_UNREACHABLE and the transaction is rolled back by the server: nothing half-written. The pool reconnects on the
 * next call.
 */
export class PgStore implements Store {
  private readonly pool: pg.Pool;
  /** host:port/database, never the password: it names the store in errors and logs. */
  readonly where: string;

  private constructor(options: PgStoreOptions) {
    const url = new URL(options.url);
    this.where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      ...(options.password === undefined ? {} : { password: options.password }),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      // A lost server is found by the next statement, not after the OS's TCP timeout.
      keepAlive: true,
      lock_timeout: options.lockTimeoutMs ?? 5_000,
      statement_timeout: 60_000,
      application_name: 'lotus-chatops',
    });
    // An idle connection cut by the server (restart, failover) is an event, not a crash: the next call reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connects, brings the schema up to date (under an advisory lock, once for all instances) and returns the store. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const store = new PgStore(options);
    try {
      const client = await store.pool.connect();
      try {
        if ((await pgSchemaVersion(client)) < latestPgSchemaVersion) await migratePg(client);
      } finally {
        client.release();
      }
      return store;
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw store.mapError(error);
    }
  }

  /** pg's failures an operator can act on, as a StoreError naming the database (never its password). */
  private mapError(error: unknown): unknown {
    if (error instanceof StoreError) return error;
    const code = (error as { code?: unknown } | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (
      (typeof code === 'string' && (unreachableStates.has(code) || unreachableErrnos.has(code))) ||
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
        message,
      )
    ) {
      return new StoreError('unreachable', this.where, message, { cause: error });
    }
    if (code === '55P03')
      return new StoreError('busy', this.where, message, { holder: 'another instance', cause: error });
    if (code === '28P01' || code === '28000' || code === '3D000' || code === '42501')
      return new StoreError('cannot-open', this.where, message, { user: 'the database user', cause: error });
    return error;
  }

  /** A pool query outside a transaction (one statement is atomic on its own). */
  private async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Row[];
    } catch (error) {
      throw this.mapError(error);
    }
  }

  private async one(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.query(sql, params))[0];
  }

  /**
   * One transaction: BEGIN, the work, the events (under eventsLock), COMMIT. A deadlock or serialization failure runs
   * it again (the server rolled it back whole); a lost connection fails it, and the server discards what it had done.
   */
  private async tx<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw this.mapError(error);
      }
      let broken: Error | undefined;
      // A connection cut while checked out is reported by the statement under way; without a listener, pg would also
      // raise it as an uncaught error.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        const events: Array<[number, string, string, string]> = [];
        const tx: Tx = {
          query: async (sql, params = []) => (await client.query(sql, params)).rows as Row[],
          one: async (sql, params = []) => (await client.query(sql, params)).rows[0] as Row | undefined,
          event: (at, kind, subject, data) => {
            events.push([at, kind, subject, JSON.stringify(data)]);
          },
        };
        await client.query('BEGIN');
        const result = await work(tx);
        if (events.length > 0) {
          await client.query('SELECT pg_advisory_xact_lock($1)', [eventsLock]);
          for (const event of events)
            await client.query('INSERT INTO events (at, kind, subject, data_json) VALUES ($1, $2, $3, $4)', event);
        }
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && retryableStates.has(code) && attempt < 5) continue;
        throw this.mapError(error);
      } finally {
        // A connection that could not even roll back is dropped, not handed to the next caller.
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  async checkIntegrity(): Promise<{ ok: boolean; detail: string }> {
    const row = await this.one('SELECT MAX(version) AS version FROM schema_migrations');
    const version = Number(row?.version ?? 0);
    return version >= latestPgSchemaVersion
      ? { ok: true, detail: 'ok' }
      : { ok: false, detail: `schema version ${version}, expected ${latestPgSchemaVersion}` };
  }

  async backupTo(_target: string): Promise<void> {
    throw new StoreError(
      'cannot-open',
      this.where,
      'a PostgreSQL store is backed up with pg_dump (or the database’s own backups), not by the bot',
    );
  }

  async rememberRequestSignature(signature: string, expiresAt: number, now: number): Promise<boolean> {
    const hash = createHash('sha256').update(signature).digest('hex');
    return this.tx(async (tx) => {
      await tx.query('DELETE FROM seen_requests WHERE expires_at < $1', [now]);
      const rows = await tx.query(
        'INSERT INTO seen_requests (hash, expires_at) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING RETURNING hash',
        [hash, expiresAt],
      );
      return rows.length === 1;
    });
  }

  async createApproval(request: NewApproval): Promise<ApprovalRecord> {
    const id = await this.tx(async (tx) => {
      for (;;) {
        const candidate = newApprovalId();
        const inserted = await tx.one(
          `INSERT INTO approvals (id, kind, command, args_json, plan_json, requested_by, requester_json,
             channel_platform, channel_id, correlation_id, created_at, expires_at, required_approvals, approver_role,
             reason_required, parent_id, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'pending')
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            candidate,
            request.kind,
            request.command,
            request.argsJson,
            request.planJson,
            request.requestedBy,
            request.requesterJson,
            request.channelPlatform,
            request.channelId,
            request.correlationId,
            request.createdAt,
            request.expiresAt,
            request.requiredApprovals,
            request.approverRole,
            request.reasonRequired ? 1 : 0,
            request.parentId,
          ],
        );
        if (!inserted) continue;
        await this.audit(tx, {
          at: request.createdAt,
          principal: request.requestedBy,
          event: 'approval.requested',
          command: request.command,
          approvalId: candidate,
          outcome: 'pending',
          correlationId: request.correlationId,
          detail: {
            args: JSON.parse(request.argsJson) as unknown,
            expiresAt: request.expiresAt,
            requiredApprovals: request.requiredApprovals,
            ...(request.kind === 'continue' ? { continues: request.parentId } : {}),
          },
        });
        tx.event(request.createdAt, 'approval.requested', `approval:${candidate}`, { kind: request.kind });
        return candidate;
      }
    });
    return (await this.getApproval(id)) as ApprovalRecord;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.approvalById({ query: (s, p) => this.query(s, p) }, id.toUpperCase());
  }

  async listApprovals(options: { statuses?: ApprovalStatus[]; limit: number }): Promise<ApprovalRecord[]> {
    const statuses = options.statuses ?? ['pending', 'approved', 'denied', 'expired'];
    const rows = await this.query(
      'SELECT * FROM approvals WHERE status = ANY($1::text[]) ORDER BY created_at DESC LIMIT $2',
      [statuses, options.limit],
    );
    return this.withVotes({ query: (s, p) => this.query(s, p) }, rows);
  }

  async vote(vote: Vote, decide: (approval: ApprovalRecord) => VoteDecision): Promise<VoteOutcome> {
    return this.tx(async (tx): Promise<VoteOutcome> => {
      const id = vote.approvalId.toUpperCase();
      // The row lock serialises every vote on this request, from any instance, until this transaction ends.
      const locked = await tx.one('SELECT id FROM approvals WHERE id = $1 FOR UPDATE', [id]);
      if (!locked) return { kind: 'not-found', id };
      const before = (await this.approvalById(tx, id)) as ApprovalRecord;
      const decision = decide(before);
      const origin = { by: vote.voter, ...vote.origin };
      const subject = `approval:${id}`;
      switch (decision.kind) {
        case 'refused': {
          if (decision.reason === 'expired') await this.expireOne(tx, before, vote.now);
          return { kind: 'decided', decision, approval: (await this.approvalById(tx, id)) as ApprovalRecord };
        }
        case 'denied': {
          await tx.query(
            `UPDATE approvals SET status = 'denied', decided_at = $1, decided_by = $2, deny_reason = $3
             WHERE id = $4 AND status = 'pending'`,
            [vote.now, vote.voter, vote.reason ?? null, id],
          );
          await this.insertVote(tx, vote, id);
          await this.audit(tx, {
            at: vote.now,
            principal: vote.voter,
            event: 'approval.denied',
            command: before.command,
            approvalId: id,
            outcome: 'denied',
            correlationId: vote.correlationId,
            detail: { reason: vote.reason ?? null },
          });
          tx.event(vote.now, 'approval.denied', subject, origin);
          return { kind: 'decided', decision, approval: (await this.approvalById(tx, id)) as ApprovalRecord };
        }
        case 'recorded': {
          await this.insertVote(tx, vote, id);
          await this.audit(tx, {
            at: vote.now,
            principal: vote.voter,
            event: 'approval.vote',
            command: before.command,
            approvalId: id,
            outcome: `${decision.remaining} more needed`,
            correlationId: vote.correlationId,
            ...(vote.reason ? { detail: { reason: vote.reason } } : {}),
          });
          tx.event(vote.now, 'approval.voted', subject, origin);
          return { kind: 'decided', decision, approval: (await this.approvalById(tx, id)) as ApprovalRecord };
        }
        case 'approved': {
          const flipped = await tx.one(
            `UPDATE approvals SET status = 'approved', decided_at = $1, decided_by = $2
             WHERE id = $3 AND status = 'pending' RETURNING id`,
            [vote.now, vote.voter, id],
          );
          if (!flipped) {
            return {
              kind: 'decided',
              decision: { kind: 'refused', reason: 'closed' },
              approval: (await this.approvalById(tx, id)) as ApprovalRecord,
            };
          }
          await this.insertVote(tx, vote, id);
          const approval = (await this.approvalById(tx, id)) as ApprovalRecord;
          // UNIQUE (approval_id) is the last word: a second execution of one request is refused by the database.
          const execution = (await tx.one(
            `INSERT INTO executions (approval_id, executed_by, started_at, status, owner_json, lease_expires_at, origin_json)
             VALUES ($1, $2, $3, 'running', $4, $5, $6) RETURNING *`,
            [
              id,
              vote.voter,
              vote.now,
              JSON.stringify(vote.owner),
              vote.now + vote.leaseMs,
              JSON.stringify(vote.origin),
            ],
          )) as Row;
          await this.audit(tx, {
            at: vote.now,
            principal: vote.voter,
            event: 'approval.approved',
            command: approval.command,
            approvalId: id,
            outcome: 'approved',
            correlationId: vote.correlationId,
            detail: { approvedBy: approval.approvedBy, ...(vote.reason ? { reason: vote.reason } : {}) },
          });
          await this.audit(tx, {
            at: vote.now,
            principal: approval.requestedBy,
            event: 'execution.started',
            command: approval.command,
            approvalId: id,
            outcome: 'running',
            correlationId: vote.correlationId,
            detail: { process: vote.owner.id },
          });
          tx.event(vote.now, 'approval.approved', subject, origin);
          return { kind: 'decided', decision, approval, execution: toExecution(execution) };
        }
      }
    });
  }

  private async insertVote(tx: Tx, vote: Vote, id: string): Promise<void> {
    await tx.query(
      `INSERT INTO votes (approval_id, voter, voter_json, decision, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (approval_id, voter) DO UPDATE SET voter_json = excluded.voter_json, decision = excluded.decision,
         reason = excluded.reason, created_at = excluded.created_at`,
      [id, vote.voter, vote.voterJson, vote.decision, vote.reason ?? null, vote.now],
    );
  }

  async expireApprovals(now: number): Promise<ApprovalRecord[]> {
    return this.tx(async (tx) => {
      // SKIP LOCKED: a request another instance is deciding right now is left to that decision (or the next pass).
      const rows = await tx.query(
        `SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= $1 ORDER BY id FOR UPDATE SKIP LOCKED`,
        [now],
      );
      const expired: ApprovalRecord[] = [];
      for (const row of rows) {
        const approval = (await this.approvalById(tx, String(row.id))) as ApprovalRecord;
        await this.expireOne(tx, approval, now);
        expired.push((await this.approvalById(tx, approval.id)) as ApprovalRecord);
      }
      return expired;
    });
  }

  private async expireOne(tx: Tx, approval: ApprovalRecord, now: number): Promise<void> {
    const changed = await tx.query(
      `UPDATE approvals SET status = 'expired', decided_at = $1 WHERE id = $2 AND status = 'pending' RETURNING id`,
      [now, approval.id],
    );
    if (changed.length === 0) return;
    await this.audit(tx, {
      at: now,
      principal: 'system',
      event: 'approval.expired',
      command: approval.command,
      approvalId: approval.id,
      outcome: 'expired',
      correlationId: approval.correlationId,
    });
    tx.event(now, 'approval.expired', `approval:${approval.id}`, {});
  }

  async getExecution(approvalId: string): Promise<ExecutionRecord | undefined> {
    const row = await this.one('SELECT * FROM executions WHERE approval_id = $1', [approvalId.toUpperCase()]);
    return row ? toExecution(row) : undefined;
  }

  async renewExecutionLease(id: number, ownerId: string, until: number): Promise<boolean> {
    const rows = await this.query(
      `UPDATE executions SET lease_expires_at = $1
       WHERE id = $2 AND status = 'running' AND (owner_json::jsonb ->> 'id') = $3 RETURNING id`,
      [until, id, ownerId],
    );
    return rows.length > 0;
  }

  async saveCheckpoint(id: number, checkpoint: Record<string, unknown>): Promise<void> {
    await this.query('UPDATE executions SET checkpoint_json = $1 WHERE id = $2', [JSON.stringify(checkpoint), id]);
  }

  async finishExecution(id: number, status: 'succeeded' | 'failed', resultJson: string, now: number): Promise<void> {
    await this.tx(async (tx) => {
      const row = await tx.one(
        `UPDATE executions SET status = $1, finished_at = $2, result_json = $3, lease_expires_at = NULL
         WHERE id = $4 AND status IN ('running', 'interrupted') RETURNING *`,
        [status, now, resultJson, id],
      );
      if (!row) return;
      const approval = (await this.approvalById(tx, String(row.approval_id))) as ApprovalRecord;
      const interruptedAt = row.interrupted_at === null ? null : Number(row.interrupted_at);
      await this.audit(tx, {
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
      tx.event(now, 'execution.finished', `approval:${approval.id}`, {
        status,
        ...(interruptedAt === null ? {} : { late: true }),
      });
    });
  }

  async claimInterruptedExecutions(now: number): Promise<ExecutionRecord[]> {
    return this.tx(async (tx) => {
      const rows = await tx.query(
        `UPDATE executions SET status = 'interrupted', interrupted_at = $1
         WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1) RETURNING *`,
        [now],
      );
      for (const row of rows) {
        const approval = (await this.approvalById(tx, String(row.approval_id))) as ApprovalRecord;
        const owner = row.owner_json === null ? null : (JSON.parse(String(row.owner_json)) as ExecutionOwner);
        await this.audit(tx, {
          at: now,
          principal: 'system',
          event: 'execution.interrupted',
          command: approval.command,
          approvalId: approval.id,
          outcome: 'interrupted',
          correlationId: approval.correlationId,
          detail: {
            startedAt: Number(row.started_at),
            process: owner?.id ?? 'unknown',
            note: 'its process stopped renewing the lease; it was not re-run',
          },
        });
        tx.event(now, 'execution.interrupted', `approval:${approval.id}`, {});
      }
      return rows.map(toExecution);
    });
  }

  async appendAudit(entry: NewAudit): Promise<AuditRecord> {
    return this.tx((tx) => this.audit(tx, entry));
  }

  async queryAudit(filter: {
    principal?: string;
    command?: string;
    approvalId?: string;
    limit: number;
  }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.principal) where.push(`principal = ${param(filter.principal)}`);
    if (filter.command)
      where.push(`(command = ${param(filter.command)} OR command LIKE ${param(`${filter.command} %`)})`);
    if (filter.approvalId) where.push(`approval_id = ${param(filter.approvalId.toUpperCase())}`);
    const rows = await this.query(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${param(filter.limit)}`,
      params,
    );
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
    await this.query('INSERT INTO journal (at, kind, principal, approval_id, data_json) VALUES ($1, $2, $3, $4, $5)', [
      entry.at,
      entry.kind,
      entry.principal,
      entry.approvalId,
      JSON.stringify(entry.data),
    ]);
  }

  async recentJournal(kind: string, limit: number): Promise<JournalEntry[]> {
    const rows = await this.query('SELECT * FROM journal WHERE kind = $1 ORDER BY seq DESC LIMIT $2', [kind, limit]);
    return rows.map(toJournalEntry);
  }

  async journalOf(approvalId: string): Promise<JournalEntry[]> {
    const rows = await this.query('SELECT * FROM journal WHERE approval_id = $1 ORDER BY seq', [
      approvalId.toUpperCase(),
    ]);
    return rows.map(toJournalEntry);
  }

  async createSchedule(schedule: NewSchedule): Promise<ScheduleRecord> {
    const id = await this.tx(async (tx) => {
      const number = await tx.one("SELECT nextval('schedule_numbers') AS n");
      const id = `S${Number(number?.n)}`;
      await tx.query(
        `INSERT INTO schedules (id, kind, approval_id, data_json, interval_ms, next_run_at, status, channel_platform,
           channel_id, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10)`,
        [
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
        ],
      );
      await this.audit(tx, {
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
    return (await this.scheduleById(id)) as ScheduleRecord;
  }

  async listSchedules(filter: { kind?: string; statuses?: ScheduleStatus[] }): Promise<ScheduleRecord[]> {
    const statuses = filter.statuses ?? ['active', 'paused', 'stopped'];
    const rows = await this.query(
      `SELECT * FROM schedules WHERE status = ANY($1::text[]) ${filter.kind ? 'AND kind = $2' : ''} ORDER BY created_at, id`,
      filter.kind ? [statuses, filter.kind] : [statuses],
    );
    return rows.map(toSchedule);
  }

  async claimDueSchedules(kind: string, now: number): Promise<ScheduleRecord[]> {
    const rows = await this.query(
      `UPDATE schedules SET next_run_at = $1 + interval_ms
       WHERE kind = $2 AND status IN ('active', 'paused') AND next_run_at <= $1 RETURNING *`,
      [now, kind],
    );
    return rows.map(toSchedule);
  }

  async updateSchedule(
    id: string,
    change: { status?: ScheduleStatus; reason?: string | null; ranOnce?: boolean; by: string; now: number },
  ): Promise<ScheduleRecord | undefined> {
    return this.tx(async (tx) => {
      const row = await tx.one('SELECT * FROM schedules WHERE id = $1 FOR UPDATE', [id.toUpperCase()]);
      if (!row) return undefined;
      const before = toSchedule(row);
      if (before.status === 'stopped') return before;
      const status = change.status ?? before.status;
      const reason = change.reason === undefined ? before.statusReason : change.reason;
      const after = await tx.one(
        'UPDATE schedules SET status = $1, status_reason = $2, runs = runs + $3, updated_at = $4 WHERE id = $5 RETURNING *',
        [status, reason, change.ranOnce ? 1 : 0, change.now, before.id],
      );
      if (status !== before.status) {
        await this.audit(tx, {
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
      return after ? toSchedule(after) : undefined;
    });
  }

  private async scheduleById(id: string): Promise<ScheduleRecord | undefined> {
    const row = await this.one('SELECT * FROM schedules WHERE id = $1', [id.toUpperCase()]);
    return row ? toSchedule(row) : undefined;
  }

  async appendEvent(event: Omit<StoreEvent, 'seq'>): Promise<void> {
    await this.tx(async (tx) => tx.event(event.at, event.kind, event.subject, event.data));
  }

  async eventsAfter(seq: number, limit: number): Promise<StoreEvent[]> {
    const rows = await this.query('SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit]);
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: Number(row.at),
      kind: String(row.kind),
      subject: String(row.subject),
      data: JSON.parse(String(row.data_json)) as Record<string, unknown>,
    }));
  }

  async latestEventSeq(): Promise<number> {
    const row = await this.one('SELECT MAX(seq) AS seq FROM events');
    return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
  }

  async saveMessageRef(subject: string, ref: MessageRef, now: number): Promise<void> {
    await this.query(
      `INSERT INTO message_refs (subject, platform, channel_id, message_ids_json, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (subject, platform, channel_id) DO UPDATE SET message_ids_json = excluded.message_ids_json,
         created_at = excluded.created_at`,
      [subject, ref.platform, ref.channelId, JSON.stringify(ref.messageIds), now],
    );
  }

  async messageRefs(subject: string): Promise<MessageRef[]> {
    const rows = await this.query('SELECT * FROM message_refs WHERE subject = $1 ORDER BY created_at', [subject]);
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
    return this.tx(async (tx) => {
      await tx.query('INSERT INTO jobs (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
        claim.name,
        claim.now,
      ]);
      // Two instances claiming at once: the second waits for the first's row lock, then re-checks the WHERE on the
      // row the first left (lease held), and claims nothing.
      const row = await tx.one(
        `UPDATE jobs SET lease_owner = $2, lease_expires_at = $3::bigint + $4::bigint, last_started_at = $3,
           next_run_at = $3::bigint + $5::bigint
         WHERE name = $1 AND ($6 OR next_run_at <= $3) AND (lease_owner IS NULL OR lease_expires_at <= $3)
         RETURNING *`,
        [claim.name, claim.owner, claim.now, claim.leaseMs, claim.everyMs, claim.evenIfNotDue === true],
      );
      return row ? toJob(row) : undefined;
    });
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
    await this.query(
      `UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_finished_at = $1, last_duration_ms = $2,
         last_outcome = $3, last_error = $4, runs = runs + 1,
         failures = failures + (CASE WHEN $3 = 'ok' THEN 0 ELSE 1 END), state_json = COALESCE($5, state_json)
       WHERE name = $6 AND lease_owner = $7`,
      [
        run.now,
        run.durationMs,
        run.outcome,
        run.error,
        run.state === undefined ? null : JSON.stringify(run.state),
        run.name,
        run.owner,
      ],
    );
  }

  async requestJobRun(name: string, now: number): Promise<void> {
    await this.query('UPDATE jobs SET next_run_at = LEAST(next_run_at, $1) WHERE name = $2', [now, name]);
  }

  async listJobs(): Promise<JobRecord[]> {
    return (await this.query('SELECT * FROM jobs ORDER BY name')).map(toJob);
  }

  async activeAlerts(resolvedSince: number): Promise<AlertRecord[]> {
    const rows = await this.query(`SELECT * FROM alerts WHERE status = 'firing' OR resolved_at >= $1 ORDER BY seq`, [
      resolvedSince,
    ]);
    return rows.map(toAlert);
  }

  async applyAlertChanges(changes: readonly AlertChange[], now: number): Promise<AlertRecord[]> {
    return this.tx(async (tx) => {
      const raised: AlertRecord[] = [];
      const refs = new Map<string, string>();
      const groups = new Set<string>();
      const event = (id: string, kind: string, data: Record<string, unknown> = {}) =>
        tx.event(now, kind, `alert:${id}`, data);
      const alertAudit = (id: string, event: string, outcome: string, detail: Record<string, unknown> = {}) =>
        this.audit(tx, {
          at: now,
          principal: 'system',
          event,
          command: 'alerts',
          approvalId: null,
          outcome,
          correlationId: null,
          detail: { alert: id, ...detail },
        });
      const alertRow = async (id: string) => {
        const seq = seqOf(id);
        if (seq === undefined) return undefined;
        const row = await tx.one('SELECT * FROM alerts WHERE seq = $1', [seq]);
        return row ? toAlert(row) : undefined;
      };
      for (const change of changes) {
        switch (change.kind) {
          case 'raise': {
            const f = change.finding;
            const groupId = change.groupId === null ? null : (refs.get(change.groupId) ?? change.groupId);
            const row = (await tx.one(
              `INSERT INTO alerts (key, check_name, subject, severity, status, summary, detail, actor, cause, first_seen,
                 last_seen, last_change, notified_at, group_id)
               VALUES ($1, $2, $3, $4, 'firing', $5, $6, $7, $8, $9, $9, $9, $10, $11) RETURNING *`,
              [
                `${f.check}:${f.subject}`,
                f.check,
                f.subject,
                f.severity,
                f.summary,
                f.detail,
                f.actor,
                f.cause,
                now,
                change.notify ? now : null,
                groupId,
              ],
            )) as Row;
            const alert = toAlert(row);
            if (change.ref) refs.set(change.ref, alert.id);
            raised.push(alert);
            await alertAudit(alert.id, 'alert.raised', alert.severity, {
              check: f.check,
              subject: f.subject,
              summary: f.summary,
            });
            event(alert.id, 'alert.raised', { notify: change.notify, ...(groupId === null ? {} : { groupId }) });
            if (groupId !== null) groups.add(groupId);
            break;
          }
          case 'change': {
            const before = await alertRow(change.id);
            await tx.query(
              `UPDATE alerts SET severity = $1, summary = $2, detail = $3, last_seen = $4, last_change = $4,
                 acked_by = NULL, acked_at = NULL WHERE seq = $5`,
              [change.severity, change.summary, change.detail, now, seqOf(change.id)],
            );
            if (before && before.severity !== change.severity)
              await alertAudit(change.id, 'alert.changed', change.severity, { from: before.severity });
            event(change.id, 'alert.changed', before ? { from: before.severity, summaryBefore: before.summary } : {});
            break;
          }
          case 'seen':
            await tx.query('UPDATE alerts SET last_seen = $1, summary = $2, detail = $3 WHERE seq = $4', [
              now,
              change.summary,
              change.detail,
              seqOf(change.id),
            ]);
            break;
          case 'resolve': {
            await tx.query(
              `UPDATE alerts SET status = 'resolved', resolved_at = $1, last_change = $1 WHERE seq = $2 AND status = 'firing'`,
              [now, seqOf(change.id)],
            );
            await alertAudit(change.id, 'alert.resolved', 'resolved');
            event(change.id, 'alert.resolved');
            const groupId = (await alertRow(change.id))?.groupId;
            if (groupId) groups.add(groupId);
            break;
          }
          case 'refire':
            await tx.query(
              `UPDATE alerts SET status = 'firing', resolved_at = NULL, severity = $1, summary = $2, detail = $3,
                 last_seen = $4, last_change = $4, flaps = flaps + 1 WHERE seq = $5`,
              [change.severity, change.summary, change.detail, now, seqOf(change.id)],
            );
            await alertAudit(change.id, 'alert.refired', change.severity);
            event(change.id, 'alert.refired');
            break;
          case 'renotify':
            await tx.query('UPDATE alerts SET notified_at = $1 WHERE seq = $2', [now, seqOf(change.id)]);
            event(change.id, 'alert.renotified');
            break;
          case 'group': {
            const groupId = change.groupId === null ? null : (refs.get(change.groupId) ?? change.groupId);
            await tx.query('UPDATE alerts SET group_id = $1 WHERE seq = $2', [groupId, seqOf(change.id)]);
            event(change.id, 'alert.grouped', { groupId });
            if (groupId !== null) groups.add(groupId);
            break;
          }
        }
      }
      for (const groupId of groups) event(groupId, 'alert.members');
      return raised;
    });
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    const seq = seqOf(id);
    if (seq === undefined) return undefined;
    const row = await this.one('SELECT * FROM alerts WHERE seq = $1', [seq]);
    return row ? toAlert(row) : undefined;
  }

  async alertGroupMembers(groupId: string, limit: number): Promise<AlertRecord[]> {
    const rows = await this.query(
      `SELECT * FROM alerts WHERE group_id = $1 ORDER BY status = 'firing' DESC, seq LIMIT $2`,
      [groupId.toUpperCase(), limit],
    );
    return rows.map(toAlert);
  }

  async listAlerts(filter: { status?: AlertStatus; limit: number }): Promise<AlertRecord[]> {
    const rows = await this.query(
      `SELECT * FROM alerts ${filter.status ? 'WHERE status = $2' : ''} ORDER BY status = 'firing' DESC,
         CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, first_seen, seq LIMIT $1`,
      filter.status ? [filter.limit, filter.status] : [filter.limit],
    );
    return rows.map(toAlert);
  }

  async ackAlert(id: string, by: string, now: number): Promise<AlertRecord | undefined> {
    return this.tx(async (tx) => {
      const row = await tx.one('UPDATE alerts SET acked_by = $1, acked_at = $2 WHERE seq = $3 RETURNING *', [
        by,
        now,
        seqOf(id) ?? -1,
      ]);
      if (!row) return undefined;
      await this.audit(tx, {
        at: now,
        principal: by,
        event: 'alert.acked',
        command: 'alerts ack',
        approvalId: null,
        outcome: 'acked',
        correlationId: null,
        detail: { alert: id.toUpperCase() },
      });
      tx.event(now, 'alert.acked', `alert:${id.toUpperCase()}`, { by });
      return toAlert(row);
    });
  }

  async silenceAlert(
    id: string,
    change: { until: number | null; by: string; reason: string | null },
    now: number,
  ): Promise<AlertRecord | undefined> {
    return this.tx(async (tx) => {
      const row = await tx.one(
        'UPDATE alerts SET silenced_until = $1, silenced_by = $2, silence_reason = $3 WHERE seq = $4 RETURNING *',
        [change.until, change.until === null ? null : change.by, change.reason, seqOf(id) ?? -1],
      );
      if (!row) return undefined;
      const kind = change.until === null ? 'alert.unsilenced' : 'alert.silenced';
      await this.audit(tx, {
        at: now,
        principal: change.by,
        event: kind,
        command: change.until === null ? 'alerts unsilence' : 'alerts silence',
        approvalId: null,
        outcome: change.until === null ? 'unsilenced' : 'silenced',
        correlationId: null,
        detail: { alert: id.toUpperCase(), until: change.until, reason: change.reason },
      });
      tx.event(now, kind, `alert:${id.toUpperCase()}`, { by: change.by });
      return toAlert(row);
    });
  }

  async addSilence(silence: SilenceRecord): Promise<void> {
    await this.tx(async (tx) => {
      await tx.query(
        'INSERT INTO silences (id, matcher, created_by, created_at, expires_at, reason) VALUES ($1, $2, $3, $4, $5, $6)',
        [silence.id, silence.matcher, silence.createdBy, silence.createdAt, silence.expiresAt, silence.reason],
      );
      await this.audit(tx, {
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
  }

  async endSilences(matcher: string, by: string, now: number): Promise<number> {
    return this.tx(async (tx) => {
      const ended = await tx.query(
        'UPDATE silences SET expires_at = $1 WHERE matcher = $2 AND expires_at > $1 RETURNING id',
        [now, matcher],
      );
      if (ended.length > 0)
        await this.audit(tx, {
          at: now,
          principal: by,
          event: 'alert.unsilenced',
          command: 'alerts unsilence',
          approvalId: null,
          outcome: 'unsilenced',
          correlationId: null,
          detail: { matcher },
        });
      return ended.length;
    });
  }

  async activeSilences(now: number): Promise<SilenceRecord[]> {
    const rows = await this.query('SELECT * FROM silences WHERE expires_at > $1 ORDER BY created_at, id', [now]);
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
    return this.tx(async (tx) => {
      await tx.query(
        claimLeadershipSql((n) => `$${n}::${n <= 2 ? 'text' : 'bigint'}`),
        [claim.role, claim.instance, claim.now, claim.ttlMs],
      );
      return toLease((await tx.one('SELECT * FROM leadership WHERE role = $1', [claim.role])) as Row);
    });
  }

  async releaseLeadership(role: string, instance: string, now: number): Promise<void> {
    await this.query('UPDATE leadership SET expires_at = $1 WHERE role = $2 AND holder = $3 AND expires_at > $1', [
      now,
      role,
      instance,
    ]);
  }

  async leadership(role: string): Promise<LeaseRecord | undefined> {
    const row = await this.one('SELECT * FROM leadership WHERE role = $1', [role]);
    return row ? toLease(row) : undefined;
  }

  async recordInstance(instance: InstanceRecord): Promise<void> {
    await this.query(
      `INSERT INTO instances (id, host, pid, started_at, last_seen) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`,
      [instance.id, instance.host, instance.pid, instance.startedAt, instance.lastSeen],
    );
  }

  async listInstances(seenSince: number): Promise<InstanceRecord[]> {
    const rows = await this.query('SELECT * FROM instances WHERE last_seen >= $1 ORDER BY started_at, id', [seenSince]);
    return rows.map(toInstance);
  }

  async ping(): Promise<{ ok: boolean; detail: string }> {
    await this.query('SELECT 1');
    return { ok: true, detail: `PostgreSQL ${this.where}` };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async approvalById(tx: Pick<Tx, 'query'>, id: string): Promise<ApprovalRecord | undefined> {
    const rows = await tx.query('SELECT * FROM approvals WHERE id = $1', [id]);
    return (await this.withVotes(tx, rows))[0];
  }

  private async withVotes(tx: Pick<Tx, 'query'>, rows: Row[]): Promise<ApprovalRecord[]> {
    if (rows.length === 0) return [];
    const votes = await tx.query('SELECT * FROM votes WHERE approval_id = ANY($1::text[]) ORDER BY created_at, voter', [
      rows.map((r) => String(r.id)),
    ]);
    return rows.map((row) =>
      toApproval(
        row,
        votes.filter((v) => v.approval_id === row.id),
      ),
    );
  }

  private async audit(tx: Tx, entry: NewAudit): Promise<AuditRecord> {
    const row = (await tx.one(
      `INSERT INTO audit (at, principal, event, command, approval_id, outcome, correlation_id, detail_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
      [
        entry.at,
        entry.principal,
        entry.event,
        entry.command,
        entry.approvalId,
        entry.outcome,
        entry.correlationId,
        JSON.stringify(entry.detail ?? {}),
      ],
    )) as Row;
    return { ...entry, detail: entry.detail ?? {}, seq: Number(row.seq) };
  }
}

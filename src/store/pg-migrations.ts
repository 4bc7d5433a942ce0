import type pg from 'pg';

/**
 * The PostgreSQL store's own versioned schema changes, applied in order, each once, in one transaction under an
 * advisory lock (two instances starting at once do not both create the tables). It starts from the SQLite store's
 * current shape, with the same column names (src/store/rows.ts reads both); it is not a replay of SQLite's history.
 * Times are epoch milliseconds (BIGINT), JSON is kept as text, as in SQLite, so that rows move between the two as
 * they are. Never edit a migration that has shipped: add the next one.
 */
export const pgMigrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'approvals, votes, executions, append-only audit, events, jobs, schedules, alerts, silences, leadership',
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'execute' CHECK (kind IN ('execute', 'continue')),
        command TEXT NOT NULL,
        args_json TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requester_json TEXT,
        channel_platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        required_approvals INTEGER NOT NULL CHECK (required_approvals >= 1),
        approver_role TEXT NOT NULL,
        reason_required INTEGER NOT NULL DEFAULT 0,
        parent_id TEXT REFERENCES approvals (id),
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        decided_at BIGINT,
        decided_by TEXT,
        deny_reason TEXT
      );
      CREATE INDEX approvals_status ON approvals (status, created_at);

      CREATE TABLE votes (
        approval_id TEXT NOT NULL REFERENCES approvals (id),
        voter TEXT NOT NULL,
        voter_json TEXT,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
        reason TEXT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (approval_id, voter)
      );

      -- UNIQUE (approval_id): whatever any instance does, the database refuses a second execution of one request.
      CREATE TABLE executions (
        id BIGSERIAL PRIMARY KEY,
        approval_id TEXT NOT NULL UNIQUE REFERENCES approvals (id),
        executed_by TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        result_json TEXT,
        owner_json TEXT,
        lease_expires_at BIGINT,
        checkpoint_json TEXT,
        interrupted_at BIGINT,
        origin_json TEXT
      );
      CREATE INDEX executions_running ON executions (status, lease_expires_at);

      CREATE TABLE audit (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        principal TEXT NOT NULL,
        event TEXT NOT NULL,
        command TEXT,
        approval_id TEXT,
        outcome TEXT,
        correlation_id TEXT,
        detail_json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_principal ON audit (principal, seq);
      CREATE INDEX audit_command ON audit (command, seq);
      CREATE INDEX audit_approval ON audit (approval_id, seq);
      -- Append-only: the application never changes history, and the database refuses it too (TRUNCATE included).
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit is append-only' USING ERRCODE = 'insufficient_privilege';
      END;
      $$;
      CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

      CREATE TABLE journal (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        principal TEXT NOT NULL,
        approval_id TEXT,
        data_json TEXT NOT NULL
      );
      CREATE INDEX journal_kind ON journal (kind, seq);
      CREATE INDEX journal_approval ON journal (approval_id, seq);

      -- S1, S2, …: typed by hand in /pledge stop; a sequence, so that two instances never hand out one id twice.
      CREATE SEQUENCE schedule_numbers;
      CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        approval_id TEXT,
        data_json TEXT NOT NULL,
        interval_ms BIGINT NOT NULL CHECK (interval_ms >= 60000),
        next_run_at BIGINT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped')),
        status_reason TEXT,
        channel_platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX schedules_due ON schedules (kind, status, next_run_at);

      -- Written only while holding the events lock (pg-store.ts), so that seq order is commit order.
      CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        data_json TEXT NOT NULL DEFAULT '{}'
      );

      CREATE TABLE message_refs (
        subject TEXT NOT NULL,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_ids_json TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (subject, platform, channel_id)
      );

      CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        next_run_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        state_json TEXT NOT NULL DEFAULT '{}',
        last_started_at BIGINT,
        last_finished_at BIGINT,
        last_duration_ms BIGINT,
        last_outcome TEXT CHECK (last_outcome IN ('ok', 'failed', 'timeout')),
        last_error TEXT,
        runs INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE seen_requests (
        hash TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX seen_requests_expiry ON seen_requests (expires_at);

      CREATE TABLE alerts (
        seq BIGSERIAL PRIMARY KEY,
        key TEXT NOT NULL,
        check_name TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        summary TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        actor TEXT,
        cause TEXT,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        last_change BIGINT NOT NULL,
        resolved_at BIGINT,
        acked_by TEXT,
        acked_at BIGINT,
        silenced_until BIGINT,
        silenced_by TEXT,
        silence_reason TEXT,
        notified_at BIGINT,
        flaps INTEGER NOT NULL DEFAULT 0,
        group_id TEXT
      );
      CREATE UNIQUE INDEX alerts_firing_key ON alerts (key) WHERE status = 'firing';
      CREATE INDEX alerts_check ON alerts (check_name, status, resolved_at);

      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matcher TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        reason TEXT NOT NULL
      );

      -- Which instance leads (Discord's gateway, scheduled work): a lease with an expiry, renewed by its holder.
      CREATE TABLE leadership (
        role TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        since BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        previous TEXT
      );

      -- Every instance's heartbeat, for /health.
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
      );
    `,
  },
];

export const latestPgSchemaVersion = pgMigrations[pgMigrations.length - 1]?.version ?? 0;

/** A fixed key for the migrations' advisory lock ("lcops" + 1). */
const migrationLock = 0x6c636f7001;

/** Applies what is missing; concurrent callers wait for each other on an advisory lock held for the transaction. */
export async function migratePg(client: pg.ClientBase): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) =>
        Number(r.version),
      ),
    );
    let count = 0;
    for (const migration of pgMigrations) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      count++;
    }
    await client.query('COMMIT');
    return count;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The newest migration applied; 0 for an empty database. */
export async function pgSchemaVersion(client: pg.ClientBase): Promise<number> {
  const table = await client.query("SELECT to_regclass('schema_migrations') AS t");
  if (table.rows[0]?.t === null) return 0;
  const row = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
  return Number(row.rows[0]?.version ?? 0);
}

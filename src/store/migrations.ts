import type Database from 'better-sqlite3';

/**
 * Versioned schema changes, applied in order, each once, inside a transaction. Never edit a migration that has
 * shipped: add the next one.
 */
const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'approvals, votes, executions, audit, alert state, silences',
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        args_json TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        channel_platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        required_approvals INTEGER NOT NULL CHECK (required_approvals >= 1),
        approver_role TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        decided_at INTEGER,
        decided_by TEXT,
        deny_reason TEXT
      );
      CREATE INDEX approvals_status ON approvals (status, created_at);

      CREATE TABLE votes (
        approval_id TEXT NOT NULL REFERENCES approvals (id),
        voter TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
        reason TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (approval_id, voter)
      );

      -- UNIQUE (approval_id): the database itself refuses a second execution of one request.
      CREATE TABLE executions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        approval_id TEXT NOT NULL UNIQUE REFERENCES approvals (id),
        executed_by TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        result_json TEXT
      );

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
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
      -- Append-only: the application never changes history, and the database refuses it too.
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

      CREATE TABLE alert_state (
        key TEXT PRIMARY KEY,
        check_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        last_notified INTEGER,
        message TEXT NOT NULL
      );

      CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matcher TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        reason TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'journal of what commands did (e.g. pledged sector numbers)',
    sql: `
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        principal TEXT NOT NULL,
        approval_id TEXT,
        data_json TEXT NOT NULL
      );
      CREATE INDEX journal_kind ON journal (kind, seq);
    `,
  },
  {
    version: 3,
    name: 'schedules: recurring work covered by one approval',
    sql: `
      CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        approval_id TEXT,
        data_json TEXT NOT NULL,
        interval_ms INTEGER NOT NULL CHECK (interval_ms >= 60000),
        next_run_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped')),
        status_reason TEXT,
        channel_platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        runs INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX schedules_due ON schedules (kind, status, next_run_at);
    `,
  },
  {
    version: 5,
    name: 'owned executions with leases, principals kept with requests and votes, events, message refs, jobs',
    sql: `
      ALTER TABLE approvals ADD COLUMN kind TEXT NOT NULL DEFAULT 'execute' CHECK (kind IN ('execute', 'continue'));
      -- The requester and each voter as their platform described them (id and groups): roles are checked again at
      -- execution. Rows from before this migration hold only the id.
      ALTER TABLE approvals ADD COLUMN requester_json TEXT;
      ALTER TABLE approvals ADD COLUMN reason_required INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE approvals ADD COLUMN parent_id TEXT REFERENCES approvals (id);
      ALTER TABLE votes ADD COLUMN voter_json TEXT;

      -- The process running an execution renews its lease; only an expired lease means "interrupted". Rows running
      -- before this migration have no lease, and count as expired.
      ALTER TABLE executions ADD COLUMN owner_json TEXT;
      ALTER TABLE executions ADD COLUMN lease_expires_at INTEGER;
      ALTER TABLE executions ADD COLUMN checkpoint_json TEXT;
      ALTER TABLE executions ADD COLUMN interrupted_at INTEGER;
      -- Where the deciding vote came from (platform, channel, typed or button): how the outcome is announced.
      ALTER TABLE executions ADD COLUMN origin_json TEXT;
      CREATE INDEX executions_running ON executions (status, lease_expires_at);

      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        data_json TEXT NOT NULL DEFAULT '{}'
      );

      CREATE TABLE message_refs (
        subject TEXT NOT NULL,
        platform TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_ids_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (subject, platform, channel_id)
      );

      CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        next_run_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        state_json TEXT NOT NULL DEFAULT '{}',
        last_started_at INTEGER,
        last_finished_at INTEGER,
        last_duration_ms INTEGER,
        last_outcome TEXT CHECK (last_outcome IN ('ok', 'failed', 'timeout')),
        last_error TEXT,
        runs INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 6,
    name: 'seen Slack request signatures: a replay is refused after a restart too',
    sql: `
      CREATE TABLE seen_requests (
        hash TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX seen_requests_expiry ON seen_requests (expires_at);
    `,
  },
  {
    version: 7,
    name: 'alerts: one row per condition, with its acks, silences, flaps and group',
    sql: `
      DROP TABLE alert_state;
      CREATE TABLE alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        check_name TEXT NOT NULL,
        subject TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
        summary TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        actor TEXT,
        cause TEXT,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        last_change INTEGER NOT NULL,
        resolved_at INTEGER,
        acked_by TEXT,
        acked_at INTEGER,
        silenced_until INTEGER,
        silenced_by TEXT,
        silence_reason TEXT,
        notified_at INTEGER,
        flaps INTEGER NOT NULL DEFAULT 0,
        group_id TEXT
      );
      -- One firing alert per condition: the engine raises a second one only after the first resolved.
      CREATE UNIQUE INDEX alerts_firing_key ON alerts (key) WHERE status = 'firing';
      CREATE INDEX alerts_check ON alerts (check_name, status, resolved_at);
    `,
  },
  {
    version: 8,
    name: 'leadership lease and instance heartbeats (the same tables as the PostgreSQL store)',
    sql: `
      CREATE TABLE leadership (
        role TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        since INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        previous TEXT
      );
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );
    `,
  },
];

export function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const apply = db.transaction(() => {
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
    );
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
  });
  // IMMEDIATE, so two processes opening a new file at once do not both try to create the tables.
  apply.immediate();
}

export const latestSchemaVersion = migrations[migrations.length - 1]?.version ?? 0;

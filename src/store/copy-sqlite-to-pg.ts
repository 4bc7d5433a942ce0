import Database from 'better-sqlite3';
import pg from 'pg';
import { migratePg } from './pg-migrations.js';
import { SqliteStore } from './sqlite-store.js';

/**
 * The tables copied, parents first. Events, job state and seen request signatures are not: events are what chat has
 * already been told (the new store starts its chat updates from now), job state holds cursors into those events, and
 * signatures expire within minutes.
 */
const tables = [
  'approvals',
  'votes',
  'executions',
  'audit',
  'journal',
  'schedules',
  'alerts',
  'silences',
  'message_refs',
] as const;

/** The serial columns whose sequences must continue after the copied rows. */
const serials: ReadonlyArray<[table: string, column: string]> = [
  ['executions', 'id'],
  ['audit', 'seq'],
  ['journal', 'seq'],
  ['alerts', 'seq'],
];

export interface CopyResult {
  counts: Record<(typeof tables)[number], number>;
}

/**
 * Copies an SQLite store's approvals (with their votes and executions), audit trail, journal, schedules, alerts,
 * silences and message references into an empty PostgreSQL store, in one transaction: all of it or nothing. Ids and
 * sequence numbers are kept (A17 stays A17, the audit keeps its order) and the sequences continue after them. A
 * database that already holds approvals or audit entries is refused: two histories would mix. The SQLite file is
 * brought to the current schema first (that is all that is written to it).
 */
export async function copySqliteToPg(options: {
  sqlitePath: string;
  url: string;
  password?: string;
  now: number;
}): Promise<CopyResult> {
  // Opening it the usual way applies its own pending migrations, so that its columns are the current ones.
  await new SqliteStore(options.sqlitePath).close();
  const source = new Database(options.sqlitePath, { readonly: true, fileMustExist: true });
  const client = new pg.Client({
    connectionString: options.url,
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  await client.connect();
  try {
    await migratePg(client);
    await client.query('BEGIN');
    // No other instance may write while the history is copied in.
    await client.query(`LOCK TABLE ${tables.join(', ')} IN EXCLUSIVE MODE`);
    const existing = await client.query<{ approvals: string; audit: string }>(
      'SELECT (SELECT COUNT(*) FROM approvals) AS approvals, (SELECT COUNT(*) FROM audit) AS audit',
    );
    const held = existing.rows[0];
    if (held && (Number(held.approvals) > 0 || Number(held.audit) > 0)) {
      throw new Error(
        `the database already holds ${held.approvals} approval request(s) and ${held.audit} audit entries; copy only into an empty store`,
      );
    }
    const counts = {} as CopyResult['counts'];
    for (const table of tables) {
      const columns = (
        await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).rows.map((r) => r.column_name);
      const rows = source.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Array<Record<string, unknown>>;
      const list = columns.map((c) => `"${c}"`).join(', ');
      const params = columns.map((_, i) => `$${i + 1}`).join(', ');
      for (const row of rows) {
        await client.query(
          `INSERT INTO ${table} (${list}) VALUES (${params})`,
          columns.map((c) => row[c] ?? null),
        );
      }
      counts[table] = rows.length;
    }
    for (const [table, column] of serials) {
      await client.query(
        `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), COALESCE(MAX(${column}), 1), MAX(${column}) IS NOT NULL) FROM ${table}`,
      );
    }
    await client.query(
      `SELECT setval('schedule_numbers', COALESCE(MAX(substring(id from 2)::bigint), 1), COUNT(*) > 0) FROM schedules WHERE id ~ '^S[0-9]+$'`,
    );
    await client.query(
      `INSERT INTO audit (at, principal, event, command, approval_id, outcome, correlation_id, detail_json)
       VALUES ($1, 'system', 'store.copied', 'migrate', NULL, 'ok', NULL, $2)`,
      [options.now, JSON.stringify({ from: 'sqlite', counts })],
    );
    await client.query('COMMIT');
    return { counts };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    source.close();
    await client.end().catch(() => undefined);
  }
}

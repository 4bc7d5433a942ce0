import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgStore } from '../../../src/store/pg-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { ensureBuilt, runCli } from '../../helpers/cli.js';
import { describeWithPostgres, startPostgres, type TestPostgres } from '../../helpers/postgres.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
let server: TestPostgres;
let dir: string;

/** An SQLite store with some history: a request approved and run, a schedule, an alert. */
async function sqliteWithHistory(path: string): Promise<{ id: string }> {
  const store = new SqliteStore(path);
  try {
    const approval = await store.createApproval({
      kind: 'execute',
      command: 'pledge',
      argsJson: '{"count":2}',
      planJson: '{}',
      requestedBy: 'slack:UALICE',
      requesterJson: '{"id":"slack:UALICE","groups":[]}',
      channelPlatform: 'slack',
      channelId: 'C0OPS',
      correlationId: 'c1',
      createdAt: T0,
      expiresAt: T0 + 900_000,
      requiredApprovals: 1,
      approverRole: 'operator',
      reasonRequired: false,
      parentId: null,
    });
    const outcome = await store.vote(
      {
        approvalId: approval.id,
        voter: 'slack:UBOB',
        voterJson: '{"id":"slack:UBOB","groups":[]}',
        decision: 'approve',
        now: T0 + 1_000,
        correlationId: 'c2',
        origin: { platform: 'slack', channelId: 'C0OPS', trigger: 'button' },
        owner: { id: 'old-host:1:0', pid: 1, host: 'old-host', startedAt: 0 },
        leaseMs: 60_000,
      },
      () => ({ kind: 'approved' }),
    );
    if (outcome.kind !== 'decided' || !outcome.execution) throw new Error('not approved');
    await store.finishExecution(outcome.execution.id, 'succeeded', '{"title":"Pledged 2"}', T0 + 5_000);
    await store.createSchedule({
      kind: 'pledge',
      approvalId: approval.id,
      dataJson: '{}',
      intervalMs: 900_000,
      nextRunAt: T0,
      channelPlatform: 'slack',
      channelId: 'C0OPS',
      createdBy: 'slack:UALICE',
      createdAt: T0,
    });
    await store.applyAlertChanges(
      [
        {
          kind: 'raise',
          finding: {
            check: 'funds',
            subject: 'wallet',
            severity: 'warning',
            summary: 'low',
            detail: '',
            actor: null,
            cause: null,
          },
          groupId: null,
          notify: true,
        },
      ],
      T0 + 6_000,
    );
    return { id: approval.id };
  } finally {
    await store.close();
  }
}

describeWithPostgres('lotus-chatops migrate', () => {
  beforeAll(async () => {
    ensureBuilt();
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'lcops-migrate-'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('given an SQLite store with history, when migrated into an empty PostgreSQL, then approvals, audit, schedules and alerts arrive whole with their ids, and a second copy is refused', async () => {
    const url = await server.createDatabase();
    const sqlitePath = join(dir, 'old.db');
    const { id } = await sqliteWithHistory(sqlitePath);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'cluster:',
        '  daemons: [{ name: daemon, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http" }]',
        '  miners: [{ name: miner, actor: f01000, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http", roles: [seal] }]',
        'store:',
        '  url: ${LCOPS_PG_URL}',
        '  password: ${LCOPS_PG_PASSWORD}',
        '',
      ].join('\n'),
    );
    const env = { LCOPS_PG_URL: url, LCOPS_PG_PASSWORD: 'secret-from-env' };

    const schema = await runCli(['migrate', '--config', config], { env });
    expect(schema.stdout).toMatch(/The store 127\.0\.0\.1:\d+\/\w+ is up to date\./);
    expect(schema.code).toBe(0);

    const copied = await runCli(['migrate', '--config', config, '--from-sqlite', sqlitePath], { env });
    expect(copied.stderr).toBe('');
    expect(copied.stdout).toContain('1 approval request(s) with 1 vote(s) and 1 execution(s), 6 audit entries');
    expect(copied.code).toBe(0);

    const before = new SqliteStore(sqlitePath);
    const after = await PgStore.open({ url });
    try {
      expect(await after.getApproval(id)).toEqual(await before.getApproval(id));
      expect(await after.getExecution(id)).toEqual(await before.getExecution(id));
      const audit = await after.queryAudit({ limit: 50 });
      expect(audit.slice(1)).toEqual(await before.queryAudit({ limit: 50 }));
      expect(audit[0]).toMatchObject({ event: 'store.copied', principal: 'system' });
      expect(await after.getAlert('A1')).toEqual(await before.getAlert('A1'));
      // The sequences go on after the copied rows.
      const next = await after.createSchedule({
        kind: 'pledge',
        approvalId: null,
        dataJson: '{}',
        intervalMs: 900_000,
        nextRunAt: T0,
        channelPlatform: 'slack',
        channelId: 'C0OPS',
        createdBy: 'slack:UALICE',
        createdAt: T0 + 10_000,
      });
      expect(next.id).toBe('S2');

      const again = await runCli(['migrate', '--config', config, '--from-sqlite', sqlitePath], { env });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('nothing was copied');
      expect(again.stderr).toContain('already holds 1 approval request(s)');
      expect(again.stderr).not.toContain('secret-from-env');
      expect((await after.queryAudit({ limit: 50 })).length).toBe(audit.length + 1);
    } finally {
      await before.close();
      await after.close();
    }
  });

  it('given store.url, when exec runs a command, then it uses PostgreSQL and /health shows the database answering', async () => {
    const url = await server.createDatabase();
    const config = join(dir, 'exec.yaml');
    writeFileSync(
      config,
      [
        'cluster:',
        '  daemons: [{ name: daemon, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http" }]',
        '  miners: [{ name: miner, actor: f01000, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http", roles: [seal] }]',
        'rbac: { roles: { viewer: [terminal:victor] } }',
        'store:',
        '  url: ${LCOPS_PG_URL}',
        '',
      ].join('\n'),
    );
    const result = await runCli(['exec', '--config', config, '--as', 'victor', '/health'], {
      env: { LCOPS_PG_URL: url },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Store: PostgreSQL 127\.0\.0\.1:\d+\/\w+, answering\./);
    expect(result.code).toBe(0);
    const store = await PgStore.open({ url });
    try {
      expect((await store.queryAudit({ principal: 'terminal:victor', limit: 5 })).map((e) => e.command)).toContain(
        'health',
      );
    } finally {
      await store.close();
    }
  });

  it('given a database that is not there, when migrate runs, then it says which and what to do', async () => {
    const config = join(dir, 'nowhere.yaml');
    writeFileSync(
      config,
      [
        'cluster:',
        '  daemons: [{ name: daemon, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http" }]',
        '  miners: [{ name: miner, actor: f01000, api: "TOKEN:/ip4/127.0.0.1/tcp/9/http", roles: [seal] }]',
        'store:',
        '  url: postgres://lcops@127.0.0.1:9/none',
        '',
      ].join('\n'),
    );
    const result = await runCli(['migrate', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The database 127.0.0.1:9/none does not answer');
    expect(result.stderr).toContain('Check that PostgreSQL runs');
  });
});

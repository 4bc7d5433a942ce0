import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decideVote } from '../../src/core/approval/decide-vote.js';
import { PgStore } from '../../src/store/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { FigureResult } from '../lib/report.js';
import { median, round, spread } from '../lib/stats.js';
import { postgresBin, startBenchPostgres } from '../support/postgres-server.js';

/** Requests approved per run, and how many are in flight at once (spread over two handles, as two instances). */
const perRun = 200;
const inFlight = 8;

/**
 * Figure 7: approvals per second on each store, in the same run. One approval is what the gate does for it: the
 * request opened (createApproval), the approving vote decided by the gate's rule and persisted with its claimed
 * execution, audit entries and event (vote), and the outcome recorded (finishExecution). Two handles on one store
 * (two instances on PostgreSQL; two connections to one file on SQLite) take the votes, `inFlight` at a time.
 * PostgreSQL is "ours" (the multi-instance store), SQLite the baseline; here higher is better.
 */
export async function approvalsFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const bin = postgresBin();
  if (bin === undefined)
    return {
      id: 'approvals',
      title: '7. approvals per second',
      rows: [],
      skipped: 'PostgreSQL not installed (apt-get install -y postgresql)',
      details: {},
      durationMs: 0,
    };
  const server = await startBenchPostgres(bin);
  const dir = mkdtempSync(join(tmpdir(), 'lcops-bench-approvals-'));
  try {
    const pgRates: number[] = [];
    const sqliteRates: number[] = [];
    const pgPair = async (): Promise<[Store, Store]> => [
      await PgStore.open({ url: server.url }),
      await PgStore.open({ url: server.url }),
    ];
    const sqlitePair = (run: number): [Store, Store] => {
      const path = join(dir, `store-${run}.db`);
      return [new SqliteStore(path), new SqliteStore(path)];
    };
    // Warm-up (schema, connections, JIT), not counted; then runs alternate between the stores.
    await approveMany(await pgPair(), 20);
    await approveMany(sqlitePair(-1), 20);
    for (let run = 0; run < options.runs; run++) {
      pgRates.push(await approveMany(await pgPair(), perRun));
      sqliteRates.push(await approveMany(sqlitePair(run), perRun));
    }
    const p = median(pgRates);
    const s = median(sqliteRates);
    const pSpread = spread(pgRates);
    const sSpread = spread(sqliteRates);
    const text = (rate: number) => `${Math.round(rate)} approvals/s`;
    return {
      id: 'approvals',
      title: '7. approvals per second',
      rows: [
        {
          figure: '7. approvals per second (PostgreSQL vs SQLite)',
          ours: { value: round(p), unit: 'approvals/s', text: text(p) },
          baseline: { value: round(s), unit: 'approvals/s', text: text(s), name: 'SQLite file' },
          ratio: p / s,
          notes: `higher is better here; median of ${options.runs} runs of ${perRun}, ${inFlight} in flight over two handles; PostgreSQL ${Math.round(pSpread.min)}–${Math.round(pSpread.max)}, SQLite ${Math.round(sSpread.min)}–${Math.round(sSpread.max)}; loopback, fsync off`,
        },
      ],
      details: {
        runs: options.runs,
        perRun,
        inFlight,
        postgresPerSecond: pgRates.map((r) => round(r)),
        sqlitePerSecond: sqliteRates.map((r) => round(r)),
      },
      durationMs: performance.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }
}

/** Opens `count` requests, then approves and finishes them `inFlight` at a time; returns approvals per second. */
async function approveMany(stores: [Store, Store], count: number): Promise<number> {
  try {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await stores[0].createApproval(request(i))).id);
    const begun = performance.now();
    let next = 0;
    const worker = async (store: Store) => {
      for (let i = next++; i < ids.length; i = next++) {
        const now = Date.now();
        const vote = {
          approvalId: ids[i] as string,
          voter: 'bench:approver',
          voterJson: '{"id":"bench:approver","groups":[]}',
          decision: 'approve' as const,
          now,
          correlationId: `bench-${i}`,
          origin: { platform: 'terminal', channelId: 'bench', trigger: 'typed' as const },
          owner: { id: 'bench:1:0', pid: 1, host: 'bench', startedAt: 0 },
          leaseMs: 60_000,
        };
        const outcome = await store.vote(vote, (approval) =>
          decideVote(approval, { voter: vote.voter, voterRole: 'operator', decision: 'approve' }, now),
        );
        if (outcome.kind !== 'decided' || !outcome.execution) throw new Error(`request ${ids[i]} was not approved`);
        await store.finishExecution(outcome.execution.id, 'succeeded', '{"title":"done"}', Date.now());
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, w) => worker(stores[w % 2] as Store)));
    return count / ((performance.now() - begun) / 1000);
  } finally {
    for (const store of stores) await store.close();
  }
}

function request(i: number) {
  const now = Date.now();
  return {
    kind: 'execute' as const,
    command: 'bench',
    argsJson: JSON.stringify({ i }),
    planJson: '{}',
    requestedBy: 'bench:requester',
    requesterJson: '{"id":"bench:requester","groups":[]}',
    channelPlatform: 'terminal',
    channelId: 'bench',
    correlationId: `bench-request-${i}`,
    createdAt: now,
    expiresAt: now + 3_600_000,
    requiredApprovals: 1,
    approverRole: 'operator',
    reasonRequired: false,
    parentId: null,
  };
}

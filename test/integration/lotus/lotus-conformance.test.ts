import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { FakeClock } from '../../../src/core/clock.js';
import { parseApiInfo } from '../../../src/lotus/api-info.js';
import { fullNodeMethods } from '../../../src/lotus/full-node-api.js';
import type { MethodSpec } from '../../../src/lotus/method-spec.js';
import { minerMethods } from '../../../src/lotus/miner-api.js';
import {
  featureMethods,
  featurePermission,
  type LotusPermission,
  lotusPermissions,
  permissionRank,
} from '../../../src/lotus/permissions.js';
import { RpcClient } from '../../../src/lotus/rpc-client.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/index.js';
import { mergeScenario, parseScenario, scenarioVariants } from '../../../src/simulator/scenario.js';
import { loadLotusFacts, type ShapeRules, shapeProblems } from '../../helpers/lotus-facts.js';

const facts = loadLotusFacts();
type MethodTable = Record<string, MethodSpec<unknown>>;
const tables = { full: fullNodeMethods, miner: minerMethods } as Record<'full' | 'miner', MethodTable>;
const apis = ['full', 'miner'] as const;

describe('the client against lotus API facts', () => {
  test.each(apis)('every %s method the client can call exists in lotus with the same param count and types', (api) => {
    const documented = facts.apis[api].methods;
    for (const [method, spec] of Object.entries(tables[api])) {
      const fact = documented[method];
      expect(fact, `${api} ${method} is not a lotus method`).toBeDefined();
      expect(spec.params.length, `${api} ${method} parameter count`).toBe(fact?.params);
      if (fact?.paramTypes) expect(spec.params, `${api} ${method} parameter types`).toEqual(fact.paramTypes);
    }
  });

  test.each(apis)('the permission table states lotus documented permission for every %s method', (api) => {
    const table: Record<string, LotusPermission> = lotusPermissions[api];
    expect(Object.keys(table).sort()).toEqual(Object.keys(tables[api]).sort());
    for (const [method, perm] of Object.entries(table)) {
      expect(perm, `${api} ${method}`).toBe(facts.apis[api].methods[method]?.perm);
    }
  });

  test('each feature needs exactly the highest documented permission of the methods it calls', () => {
    for (const [feature, byApi] of Object.entries(featureMethods)) {
      for (const api of apis) {
        const documented = byApi[api].map((m) => facts.apis[api].methods[m]?.perm ?? 'missing');
        expect(documented, `${feature} on ${api}`).not.toContain('missing');
        const highest = documented.reduce<LotusPermission>(
          (best, p) => (permissionRank(p as LotusPermission) > permissionRank(best) ? (p as LotusPermission) : best),
          'read',
        );
        expect(featurePermission(feature as keyof typeof featureMethods, api), `${feature} on ${api}`).toBe(highest);
      }
    }
  });

  // WalletList needs a write token (lotus guards the key list) but changes nothing: retrying it is safe.
  const guardedReads = ['full.WalletList'];

  test('only PledgeSector is a write the client makes, and it is marked so that it is never retried', () => {
    const writes = apis.flatMap((api) =>
      Object.entries(tables[api])
        .filter(([, spec]) => spec.write)
        .map(([m]) => `${api}.${m}`),
    );
    const documentedWrites = apis.flatMap((api) =>
      Object.keys(tables[api])
        .filter((m) => facts.apis[api].methods[m]?.perm !== 'read' && facts.apis[api].methods[m]?.perm !== 'admin')
        .map((m) => `${api}.${m}`)
        .filter((m) => !guardedReads.includes(m)),
    );
    expect(writes).toEqual(['miner.PledgeSector']);
    expect(documentedWrites).toEqual(writes);
  });
});

/** Fields lotus documents (lotus-api.md §2, §3) as possibly null: Go pointers, unset CIDs, nil byte slices. */
const nullable: ShapeRules['nullable'] = new Set([
  'StateMinerInfo.PeerId',
  'StateMinerInfo.NewWorker',
  'StateMinerInfo.PendingOwnerAddress',
  'StateMinerInfo.PendingBeneficiaryTerm',
  'StateGetActor.DelegatedAddress',
  'SyncState.ActiveSyncs[].Base',
  'SyncState.ActiveSyncs[].Target',
  'SectorsStatus.CommD',
  'SectorsStatus.CommR',
  'SectorsStatus.Proof',
  'SectorsStatus.Deals',
  'SectorsStatus.Ticket.Value',
  'SectorsStatus.Seed.Value',
  'SectorsStatus.PreCommitMsg',
  'SectorsStatus.CommitMsg',
  'SectorsStatus.ReplicaUpdateMessage',
  'SectorsStatus.Pieces[].DealInfo',
  'LogAlerts[].LastActive',
  'LogAlerts[].LastResolved',
]);

/** The distributed-miner fork's additions to WorkerResources (lotus-ops.md §4.5). */
const forkWorkerFields = new Set([
  'IsMiner',
  'AddPieceMax',
  'PreCommit1Max',
  'PreCommit2Max',
  'Commit2Max',
  'DiskHoldMax',
  'APDiskHoldMax',
  'AllowMyScheduler',
  'ForceP1FromLocalAP',
  'ForceP2FromLocalP1',
  'ForceC2FromLocalP2',
  'IsPlanOffline',
  'AllowP2C2Parallel',
  'AutoPledgeDiff',
  'DiskUsed',
  'APDiskUsed',
  'IgnoreOutOfSpace',
]);
const rules: ShapeRules = {
  nullable,
  extraKeys: new Map([['WorkerStats.*.Info.Resources', forkWorkerFields]]),
};

describe('the simulator against lotus documented examples', () => {
  let sim: SimulatedCluster;
  let full: RpcClient;
  let miner: RpcClient;
  let head: unknown[];
  let storage: string[];

  beforeAll(async () => {
    // Stuck and failed sectors fill SectorsStatus/SchedDiag fields a healthy cluster leaves empty; few sectors keep
    // StorageList (one entry per sector file) small.
    const scenario = parseScenario(
      mergeScenario(scenarioVariants['stuck-sector'](), { chain: { liveSectors: 5_000, dealMinerSectors: 500 } }),
    );
    sim = await startSimulator({ scenario, clock: new FakeClock() });
    const rpc = (name: string, api: 'full' | 'miner') =>
      new RpcClient({ endpoints: parseApiInfo(sim.apiInfo(name), api), api, retries: 0 });
    full = rpc('daemon-internal', 'full');
    miner = rpc('seal-miner', 'miner');
    head = (await full.call('ChainHead', [], z.looseObject({ Cids: z.array(z.unknown()) }))).Cids;
    storage = Object.keys(await miner.call('StorageList', [], z.record(z.string(), z.unknown())));
  });
  afterAll(() => sim?.close());

  /** Params for every method, by lotus's Go param type (a few need a value the cluster knows). */
  async function paramsFor(api: 'full' | 'miner', method: string): Promise<unknown[][]> {
    const value = (goType: string): unknown => {
      switch (goType) {
        case 'address.Address':
          return sim.actor;
        case 'types.TipSetKey':
          return head;
        case 'bool':
          return true;
        case 'uint64':
          return 0;
        case 'abi.SectorNumber':
          return 1;
        case 'abi.ChainEpoch':
          return 1_555_200;
        case 'abi.SectorSize':
          return 34359738368;
        case 'miner.SectorPreCommitInfo':
          return {
            SealProof: 8,
            SectorNumber: 9,
            SealedCID: { '/': 'bagboea4b5abcatlxechwbp7kjpjguna6r6q7ejrhe6mdp3lf34pmswn27pkkiekz' },
            SealRandEpoch: 10101,
            DealIDs: [],
            Expiration: 5_000_000,
            UnsealedCid: null,
          };
        case '[]SectorState':
          return ['Proving', 'PreCommit1'];
        case 'storiface.ID':
          return storage[0];
        case 'string':
          return sim.node(api === 'full' ? 'daemon-internal' : 'seal-miner').tokens.write;
        default:
          throw new Error(`no example value for ${goType}`);
      }
    };
    const base = tables[api][method]?.params.map(value) ?? [];
    // A proving sector and a sealing one: their SectorsStatus fill different fields.
    if (method === 'SectorsStatus') {
      const sealing = await miner.call('SectorsListInStates', [['PreCommit1']], z.array(z.number()));
      return [
        [1, true],
        [sealing[0], false],
      ];
    }
    return [base];
  }

  test.each(apis)('every %s method the simulator serves answers with its example keys and types', async (api) => {
    const client = api === 'full' ? full : miner;
    const problems: string[] = [];
    for (const [method, fact] of Object.entries(facts.apis[api].methods)) {
      if (!(method in tables[api])) continue;
      for (const params of await paramsFor(api, method)) {
        const result = await client.call(method, params, z.unknown());
        problems.push(...shapeProblems(result, fact.result, method, rules));
        // The bot's own schema must read what lotus documents, too.
        const parsed = tables[api][method]?.result.safeParse(result);
        if (!parsed?.success) problems.push(`${method}: the client schema rejects it: ${parsed?.error.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test.each(apis)('the simulator serves every %s method the client can call, and no other', async (api) => {
    const name = api === 'full' ? 'daemon-internal' : 'seal-miner';
    const served: string[] = [];
    for (const method of Object.keys(facts.apis[api].methods)) {
      const response = await fetch(sim.node(name).url, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: `Filecoin.${method}`, params: [] }),
      });
      const body = (await response.json()) as { error?: { code: number } };
      if (body.error?.code !== -32601) served.push(method);
    }
    expect(served.sort()).toEqual(Object.keys(tables[api]).sort());
  });

  test.each(apis)('the simulator asks for lotus documented permission on every %s method', async (api) => {
    const name = api === 'full' ? 'daemon-internal' : 'seal-miner';
    for (const method of Object.keys(tables[api])) {
      const needed = facts.apis[api].methods[method]?.perm as LotusPermission;
      const below = ['read', 'write', 'sign', 'admin'][permissionRank(needed) - 1] as LotusPermission | undefined;
      if (!below) continue;
      const [params] = await paramsFor(api, method);
      const response = await fetch(sim.node(name).url, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.node(name).tokens[below]}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: `Filecoin.${method}`, params }),
      });
      const body = (await response.json()) as { error?: { code: number; message: string } };
      expect(response.status).toBe(200);
      expect(body.error, `${method} with a ${below} token`).toEqual({
        code: 1,
        message: `missing permission to invoke '${method}' (need '${needed}')`,
      });
    }
  });
});

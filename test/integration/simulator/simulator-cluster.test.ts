import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { countRuns } from '../../../src/lotus/bitfield.js';
import { FullNodeApi } from '../../../src/lotus/full-node-api.js';
import { MinerApi } from '../../../src/lotus/miner-api.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/index.js';
import { opsFailure } from '../../helpers/ops-failure.js';

const MINUTE = 60_000;
const EPOCH = 30_000;

let sim: SimulatedCluster;
let clock: FakeClock;
let daemon: FullNodeApi;
let seal: MinerApi;

async function start(scenario = 'small'): Promise<void> {
  clock = new FakeClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  sim = await startSimulator({ scenario, clock });
  const fast = { retries: 0, sleep: async () => {} };
  daemon = FullNodeApi.fromApiInfo(sim.apiInfo('daemon-internal'), fast);
  seal = MinerApi.fromApiInfo(sim.apiInfo('seal-miner'), fast);
}

beforeEach(() => start());
afterEach(() => sim.close());

describe('the chain', () => {
  test('the head height follows the clock: one epoch every 30 s since mainnet genesis', async () => {
    const before = await daemon.chainHead();
    expect(before.Height).toBe(Math.floor((clock.now() / 1000 - 1598306400) / 30));
    clock.advance(3 * EPOCH);
    expect((await daemon.chainHead()).Height).toBe(before.Height + 3);
    const params = await daemon.stateGetNetworkParams();
    expect(params).toMatchObject({ GenesisTimestamp: 1598306400, BlockDelaySecs: 30 });
  });

  test('a pinned tipset key keeps reading the state of that tipset after the head moved', async () => {
    const head = await daemon.chainHead();
    clock.advance(10 * EPOCH);
    expect((await daemon.stateMinerProvingDeadline(sim.actor, head.Cids)).CurrentEpoch).toBe(head.Height);
    const unknown = [{ '/': 'bafy2bzaceunknownunknownunknownunknownunknownunknownunknownunk' }];
    expect((await opsFailure(daemon.stateMinerInfo(sim.actor, unknown))).params.detail).toMatch(/^loading tipset/);
  });

  test('an unknown miner address is ActorNotFound (code 10)', async () => {
    const error = await opsFailure(daemon.stateMinerInfo('f09999999'));
    expect(error.params.rpcCode).toBe(10);
  });
});

describe('the miner actor on chain', () => {
  test('partitions of all 48 deadlines add up to the sector count, and some deadlines are empty', async () => {
    const head = await daemon.chainHead();
    const partitions = await daemon.stateMinerPartitionsAll(sim.actor, head.Cids);
    const live = partitions.flat().reduce((n, p) => n + countRuns(p.LiveSectors), 0);
    const count = await daemon.stateMinerSectorCount(sim.actor, head.Cids);
    expect(count).toEqual({ Live: 12_000, Active: 12_000, Faulty: 0 });
    expect(live).toBe(count.Live);
    expect(partitions.filter((p) => p.length === 0).length).toBeGreaterThan(0);
    expect((await daemon.stateMinerInfo(sim.actor)).WindowPoStPartitionSectors).toBe(2349);
  });

  test('the open deadline PostSubmissions grow through its window and clear when it closes', async () => {
    const info = await daemon.stateMinerProvingDeadline(sim.actor);
    clock.advance((info.Open - info.CurrentEpoch + 60) * EPOCH);
    const next = await daemon.stateMinerProvingDeadline(sim.actor);
    const partitions = await daemon.stateMinerPartitions(sim.actor, next.Index);
    const proven = async () => {
      const deadlines = await daemon.stateMinerDeadlines(sim.actor);
      return countRuns(deadlines[next.Index]?.PostSubmissions ?? [0]);
    };
    expect(await proven()).toBe(0);
    clock.advance(30 * EPOCH);
    expect(await proven()).toBe(partitions.length);
    clock.advance(30 * EPOCH);
    expect(await proven()).toBe(0);
  });

  test('new faults show in the partition, the miner-wide bitfield and the count alike', async () => {
    const deadline = (await daemon.stateMinerPartitionsAll(sim.actor)).findIndex((p) => p.length > 0);
    expect(sim.controls.addFaults({ deadline, partition: 0, count: 25, offset: 10 })).toBe(25);
    const [partition] = await daemon.stateMinerPartitions(sim.actor, deadline);
    expect(countRuns(partition?.FaultySectors ?? null)).toBe(25);
    expect(countRuns(await daemon.stateMinerFaults(sim.actor))).toBe(25);
    expect(await daemon.stateMinerSectorCount(sim.actor)).toEqual({ Live: 12_000, Active: 11_975, Faulty: 25 });
    expect(sim.controls.declareRecoveries({ deadline, partition: 0, count: 5, offset: 10 })).toBe(5);
    expect(countRuns(await daemon.stateMinerRecoveries(sim.actor))).toBe(5);
  });

  test('a deadline left unproven shows no proof near its close, then turns faulty when it closes', async () => {
    const info = await daemon.stateMinerProvingDeadline(sim.actor);
    const partitions = await daemon.stateMinerPartitions(sim.actor, info.Index);
    const sectors = partitions.reduce((n, p) => n + countRuns(p.LiveSectors), 0);
    expect(sim.controls.leaveDeadlineUnproven('current')).toBe(info.Index);
    clock.advance((info.Close - info.CurrentEpoch - 5) * EPOCH);
    expect((await daemon.stateMinerDeadlines(sim.actor))[info.Index]?.PostSubmissions).toEqual([0]);
    expect((await daemon.stateMinerSectorCount(sim.actor)).Faulty).toBe(0);
    clock.advance(5 * EPOCH);
    expect((await daemon.stateMinerSectorCount(sim.actor)).Faulty).toBe(sectors);
    const power = await daemon.stateMinerPower(sim.actor);
    expect(BigInt(power.MinerPower.RawBytePower)).toBe(BigInt(12_000 - sectors) * 34359738368n);
  });

  test('balances are attoFIL strings and a low balance shows everywhere it is read', async () => {
    sim.controls.setBalances({ available: '350000000000000000', wallets: { f01002: '20000000000000000' } });
    expect(await daemon.stateMinerAvailableBalance(sim.actor)).toBe('350000000000000000');
    const info = await daemon.stateMinerInfo(sim.actor);
    expect(await daemon.walletBalance(info.Worker)).toBe('20000000000000000');
    expect((await daemon.stateGetActor(info.Worker)).Balance).toBe('20000000000000000');
    expect(await daemon.stateLookupId(Object.keys(sim.scenario.actor.addressBook)[0] ?? '')).toBe('f01001');
  });
});

describe('the daemons', () => {
  test('a daemon out of sync shows an old head, its lag in NodeStatus and SyncState, and fails readyz', async () => {
    sim.controls.setDaemonLag('daemon-internal', 40, { stage: 3 });
    const head = await daemon.chainHead();
    const publicHead = await FullNodeApi.fromApiInfo(sim.apiInfo('daemon-public')).chainHead();
    expect(publicHead.Height - head.Height).toBe(40);
    expect((await daemon.nodeStatus()).SyncStatus.Behind).toBe(40);
    expect((await daemon.syncState()).ActiveSyncs[0]?.Stage).toBe(3);
    const ready = await fetch(sim.node('daemon-internal').url.replace('/rpc/v1', '/health/readyz'));
    expect(ready.status).toBe(503);
  });

  test('a stopped miner refuses connections until started again', async () => {
    await sim.controls.stopNode('window-post-miner');
    const api = MinerApi.fromApiInfo(sim.apiInfo('window-post-miner'), { retries: 0 });
    expect((await opsFailure(api.actorAddress())).code).toBe('LOTUS_UNREACHABLE');
    await sim.controls.startNode('window-post-miner');
    await expect(api.actorAddress()).resolves.toBe(sim.actor);
  });

  test('an injected method error is returned as lotus returns errors', async () => {
    sim.controls.failMethod('*', 'NetPeers', 'network is down');
    expect((await opsFailure(daemon.netPeers())).params.detail).toBe('network is down');
  });
});

describe('pledging and sealing', () => {
  test('PledgeSector puts a new sector in Packing with an AddPiece job, numbered by the shared counter', async () => {
    const deal = MinerApi.fromApiInfo(sim.apiInfo('deal-miner'));
    const first = await seal.pledgeSector();
    const second = await deal.pledgeSector();
    expect(second.Number).toBe(first.Number + 1);
    expect(first.Miner).toBe(1000);
    expect((await seal.sectorsStatus(first.Number)).State).toBe('Packing');
    expect(await seal.sectorsListInStates(['Packing'])).toContain(first.Number);
    const jobs = Object.values(await seal.workerJobs()).flat();
    expect(jobs.find((j) => j.Sector.Number === first.Number)?.Task).toBe('seal/v0/addpiece');
    expect((await seal.sectorNumAssignerMeta()).Next).toBe(second.Number + 1);
  });

  test('a pledged sector moves through the pipeline with the clock and is allocated after pre-commit', async () => {
    const { Number: n } = await seal.pledgeSector();
    expect(await daemon.stateMinerSectorAllocated(sim.actor, n)).toBe(false);
    clock.advance(10 * MINUTE);
    expect((await seal.sectorsStatus(n)).State).toBe('PreCommit1');
    clock.advance(240 * MINUTE);
    const status = await seal.sectorsStatus(n);
    expect(status.State).toBe('WaitSeed');
    expect(status.CommR).not.toBeNull();
    expect(await daemon.stateMinerSectorAllocated(sim.actor, n)).toBe(true);
  });

  test('PledgeSector honours MaxSealingSectors with lotus text', async () => {
    const sealing = Object.entries(await seal.sectorsSummary())
      .filter(([state]) => state !== 'Proving')
      .reduce((n, [, count]) => n + count, 0);
    sim.controls.setMaxSealingSectors('seal-miner', sealing);
    const error = await opsFailure(seal.pledgeSector());
    expect(error.params.detail).toBe(`too many sectors sealing (curSealing: ${sealing}, max: ${sealing})`);
  });

  test('with the sector counter down, pledging fails and the counter refuses TCP connections', async () => {
    await sim.controls.stopSectorCounter();
    expect((await opsFailure(seal.pledgeSector())).params.detail).toMatch(/^getting sector number: /);
    await sim.controls.startSectorCounter();
    await expect(seal.pledgeSector()).resolves.toMatchObject({ Miner: 1000 });
  });

  test('a stuck sector stays in its state with its job only assigned, hours later', async () => {
    const n = sim.controls.stickSector('seal-miner');
    clock.advance(20 * 60 * MINUTE);
    expect((await seal.sectorsStatus(n)).State).toBe('PreCommit1');
    const job = Object.values(await seal.workerJobs())
      .flat()
      .find((j) => j.Sector.Number === n);
    expect(job?.RunWait).toBeGreaterThanOrEqual(2);
  });

  test('a worker that disconnects leaves WorkerStats, and its running C2 waits in the scheduler', async () => {
    const before = await seal.workerStats();
    const [gone] = sim.controls.removeWorker('seal-miner', 'c2-01-gpu1');
    const after = await seal.workerStats();
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length - 1);
    expect(after[gone ?? '']).toBeUndefined();
    expect(Object.keys(await seal.workerJobs())).not.toContain(gone);
    clock.advance(60 * MINUTE);
    const waiting = (await seal.sealingSchedDiag()).SchedInfo?.Requests ?? [];
    expect(waiting.some((r) => r.TaskType === 'seal/v0/commit/2')).toBe(true);
  });
});

describe('workers', () => {
  test('resources reflect each worker env, and the fork scheduler fields appear only on fork workers', async () => {
    const stats = Object.values(await seal.workerStats());
    const byHost = (host: string) => stats.find((w) => w.Info.Hostname === host);
    const pc1 = (host: string) => byHost(host)?.Info.Resources.Resources['seal/v0/precommit/1']?.['8'];
    expect(pc1('sealer-01')?.MaxParallelism).toBe(3);
    expect(pc1('sealer-03')?.MaxParallelism).toBe(1);
    expect(pc1('sealer-03')?.MaxConcurrent).toBe(6);
    const fork = { AddPieceMax: 3, PreCommit1Max: 7, IsPlanOffline: false };
    expect(byHost('sealer-01')?.Info.Resources).toMatchObject(fork);
    expect(byHost('sealer-02')?.Info.Resources.IsPlanOffline).toBe(true);
    expect(byHost('sealer-03')?.Info.Resources.AddPieceMax).toBeUndefined();
    // Two workers on one host, one per GPU, each named (LOTUS_WORKER_NAME): lotus reports the name.
    const c2 = stats.filter((w) => w.Info.Hostname.startsWith('c2-01-gpu'));
    expect(c2.map((w) => w.Info.Resources.GPUs)).toEqual([['NVIDIA GeForce RTX 3090'], ['NVIDIA GeForce RTX 3090']]);
    expect(Object.keys(byHost('sealer-01')?.TaskCounts ?? {})).toContain('8:seal/v0/precommit/1');
  });

  test('a post-miner holds no sector metadata and has no workers', async () => {
    const post = MinerApi.fromApiInfo(sim.apiInfo('window-post-miner'));
    expect(await post.sectorsSummary()).toEqual({});
    expect(await post.workerStats()).toEqual({});
    expect(await post.actorAddress()).toBe(sim.actor);
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { ChainTime } from '../../../src/lotus/chain-time.js';
import { deadlineSchedule } from '../../../src/lotus/deadline-math.js';
import { formatFil } from '../../../src/lotus/fil.js';
import { FullNodeApi } from '../../../src/lotus/full-node-api.js';
import { MinerApi } from '../../../src/lotus/miner-api.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/index.js';

let sim: SimulatedCluster;
let daemon: FullNodeApi;
let seal: MinerApi;

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'small', clock: new FakeClock(Date.UTC(2025, 3, 9, 13, 1, 30)) });
  daemon = FullNodeApi.fromApiInfo(sim.apiInfo('daemon-internal'));
  seal = MinerApi.fromApiInfo(sim.apiInfo('seal-miner'));
});
afterAll(() => sim?.close());

describe('typed full-node wrappers against the simulator', () => {
  test('genesis, network params and the head agree on mainnet time', async () => {
    const [genesis, params, head] = await Promise.all([
      daemon.chainGetGenesis(),
      daemon.stateGetNetworkParams(),
      daemon.chainHead(),
    ]);
    expect(genesis.Blocks[0]?.Timestamp).toBe(params.GenesisTimestamp);
    expect(ChainTime.fromHead(head).genesisUnix).toBe(params.GenesisTimestamp);
    expect(await daemon.stateNetworkVersion(head.Cids)).toBe(27);
  });

  test('the proving deadline of the clock time is the documented example deadline 25 of 2025-04-09', async () => {
    const info = await daemon.stateMinerProvingDeadline(sim.actor);
    expect(info).toMatchObject({ Index: 25, PeriodStart: 4861740, Open: 4863240, Close: 4863300 });
    expect(deadlineSchedule(info)[25]?.state).toBe('open');
  });

  test('pledge estimates are attoFIL strings that scale with the sector', async () => {
    const deposit = await daemon.stateMinerPreCommitDepositForPower(sim.actor, {
      SealProof: 8,
      SectorNumber: 1,
      SealedCID: { '/': 'bagboea4b5abcatlxechwbp7kjpjguna6r6q7ejrhe6mdp3lf34pmswn27pkkiekz' },
      SealRandEpoch: 4863000,
      DealIDs: null,
      Expiration: 6_418_483,
      UnsealedCid: null,
    });
    const cc = await daemon.stateMinerInitialPledgeForSector(1_555_200, 34359738368, 0);
    const verified = await daemon.stateMinerInitialPledgeForSector(1_555_200, 34359738368, 34359738368);
    expect(formatFil(deposit)).toBe('0.0209 FIL');
    expect(BigInt(verified)).toBe(BigInt(cc) * 10n);
  });

  test('peers, version, session and token permissions read back', async () => {
    expect((await daemon.netPeers()).length).toBe(14);
    expect((await daemon.version()).APIVersion).toBe(131840);
    expect(await daemon.session()).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(await daemon.startTime())).toBeLessThan(Date.UTC(2025, 3, 9, 13, 1, 30));
    expect(await daemon.authVerify(sim.node('daemon-internal').tokens.sign)).toEqual(['read', 'write', 'sign']);
  });
});

describe('typed miner wrappers against the simulator', () => {
  test('actor, sector size, subsystems and version describe the seal-miner', async () => {
    expect(await seal.actorAddress()).toBe('f01000');
    expect(await seal.actorSectorSize('f01000')).toBe(34359738368);
    expect(await seal.runtimeSubsystems()).toEqual(['Mining', 'Sealing', 'SectorStorage']);
    expect((await seal.version()).APIVersion).toBe(66816);
  });

  test('storage paths list sector files and report their space', async () => {
    const storage = await seal.storageList();
    const ids = Object.keys(storage);
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const stat = await seal.storageStat(id);
      expect(stat.Capacity).toBe(stat.Available + stat.Used + stat.Reserved);
    }
  });

  test('alerts are listed with their state', async () => {
    const alerts = await seal.logAlerts();
    expect(alerts.map((a) => `${a.Type.System}/${a.Type.Subsystem}:${a.Active}`)).toEqual([
      'process/fd-limit:false',
      'process/udp-buffer-size:false',
    ]);
  });

  test('the summary counts every sector the miner lists', async () => {
    const summary = await seal.sectorsSummary();
    const listed = await seal.sectorsList();
    expect(Object.values(summary).reduce((a, b) => a + b, 0)).toBe(listed.length);
  });
});

import { WPOST_PERIOD_DEADLINES } from '../lotus/deadline-math.js';
import { fullNodeMethods } from '../lotus/full-node-api.js';
import { type FullNodeMethodName, type LotusPermission, lotusPermissions } from '../lotus/permissions.js';
import type { CidJson } from './chain-model.js';
import { ACTOR_NOT_FOUND, type ClusterState } from './cluster-state.js';
import { fakeCid, fakeFraction, multiaddrBytes } from './fake-ids.js';
import { logAlertsView } from './log-alerts.js';
import { RpcMethodError, type ServedMethod } from './rpc-server.js';

export interface NodeIdentity {
  name: string;
  session: string;
  startTime: string;
  verify: (token: string) => LotusPermission[] | undefined;
}

type Handler = (params: unknown[]) => unknown;

const TiB = 2n ** 40n;
const EiB = 2n ** 60n;
const SECTOR_32G = 32 * 2 ** 30;

const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function peerId(seed: string): string {
  let out = '12D3KooW';
  for (let i = 0; i < 44; i++) out += base58[Math.floor(fakeFraction(`${seed}:${i}`) * 58)];
  return out;
}

const upgradeHeights: Record<string, number> = {
  UpgradeSmokeHeight: 51000,
  UpgradeBreezeHeight: 41280,
  UpgradeIgnitionHeight: 94000,
  UpgradeLiftoffHeight: 148888,
  UpgradeAssemblyHeight: 138720,
  UpgradeRefuelHeight: 130800,
  UpgradeTapeHeight: 140760,
  UpgradeKumquatHeight: 170000,
  BreezeGasTampingDuration: 120,
  UpgradeCalicoHeight: 265200,
  UpgradePersianHeight: 272400,
  UpgradeOrangeHeight: 336458,
  UpgradeClausHeight: 343200,
  UpgradeTrustHeight: 550321,
  UpgradeNorwegianHeight: 665280,
  UpgradeTurboHeight: 712320,
  UpgradeHyperdriveHeight: 892800,
  UpgradeChocolateHeight: 1231620,
  UpgradeOhSnapHeight: 1594680,
  UpgradeSkyrHeight: 1960320,
  UpgradeSharkHeight: 2383680,
  UpgradeHyggeHeight: 2683348,
  UpgradeLightningHeight: 2809800,
  UpgradeThunderHeight: 2870280,
  UpgradeWatermelonHeight: 3469380,
  UpgradeDragonHeight: 3855360,
  UpgradePhoenixHeight: 3855480,
  UpgradeWaffleHeight: 4154640,
  UpgradeTuktukHeight: 4461240,
  UpgradeTeepHeight: 4878840,
  UpgradeTockHeight: 5348280,
  UpgradeGoldenWeekHeight: 5397420,
  UpgradeFireHorseHeight: 99999999999999,
  UpgradeXxHeight: 99999999999999,
};

/** The full-node methods the simulator serves: exactly the bot's table, with lotus's permissions and arity. */
export function fullNodeHandlers(state: ClusterState, node: NodeIdentity): Map<string, ServedMethod> {
  const daemon = node.name;
  const { scenario, chain, actor } = state;
  const iso = (ms: number) => new Date(ms).toISOString();
  const tsk = (value: unknown) => value as CidJson[];
  const miner = (address: unknown, key: unknown): number => {
    state.requireMiner(address as string);
    return state.resolve(daemon, tsk(key));
  };

  const handlers: Record<FullNodeMethodName, Handler> = {
    AuthVerify: ([token]) => {
      const perms = node.verify(token as string);
      if (!perms) throw new RpcMethodError('JWT Verification failed: signature is invalid');
      return perms;
    },
    ChainHead: () => chain.tipset(state.headOf(daemon)),
    ChainGetGenesis: () => chain.tipset(0),
    ID: () => peerId(`${daemon}:self`),
    LogAlerts: () => logAlertsView(state.daemon(daemon).spec.alerts, state.startMs),
    MpoolGetNonce: ([address]) => {
      const id = state.lookupId(address as string);
      if (id === undefined)
        throw new RpcMethodError(`resolve address ${String(address)}: actor not found`, ACTOR_NOT_FOUND);
      return state.actorNonce(id) + (state.mpoolBacklog.get(id) ?? 0);
    },
    NetPeers: () => {
      const d = state.daemon(daemon);
      const cluster = [...d.peerDaemons].map((other) => ({
        ID: peerId(`${other}:self`),
        Addrs: ['/ip4/10.0.0.2/tcp/1347'],
      }));
      return [
        ...cluster,
        ...Array.from({ length: Math.max(0, d.spec.peers - cluster.length) }, (_, i) => ({
          ID: peerId(`${daemon}:peer:${i}`),
          Addrs: [`/ip4/198.51.100.${(i % 250) + 1}/tcp/${1347 + (i % 7)}`],
        })),
      ];
    },
    NodeStatus: ([inclChainStatus]) => {
      const d = state.daemon(daemon);
      const peers = d.spec.peers;
      return {
        SyncStatus: { Epoch: state.headOf(daemon), Behind: d.lagEpochs },
        PeerStatus: { PeersToPublishMsgs: Math.min(peers, 60), PeersToPublishBlocks: Math.min(peers, 40) },
        ChainStatus: inclChainStatus
          ? { BlocksPerTipsetLast100: 4.71, BlocksPerTipsetLastFinality: 4.83 }
          : { BlocksPerTipsetLast100: 0, BlocksPerTipsetLastFinality: 0 },
      };
    },
    Session: () => node.session,
    StartTime: () => node.startTime,
    StateGetActor: ([address, key]) => {
      const epoch = state.resolve(daemon, tsk(key));
      const id = state.lookupId(address as string);
      if (id === undefined) {
        throw new RpcMethodError(`resolve address ${String(address)}: actor not found`, ACTOR_NOT_FOUND);
      }
      const isMiner = id === scenario.actor.id;
      return {
        Code: { '/': isMiner ? fakeCid('code:storageminer', 'bafk2bzace') : fakeCid('code:account', 'bafk2bzace') },
        Head: { '/': fakeCid(`head:${id}:${epoch}`, 'bafy2bzace') },
        Nonce: state.actorNonce(id),
        Balance: String(isMiner ? state.balances.minerActor : (state.balances.wallets.get(id) ?? 0n)),
        DelegatedAddress: null,
      };
    },
    StateGetNetworkParams: () => ({
      NetworkName: scenario.network.name,
      BlockDelaySecs: scenario.network.blockDelaySecs,
      ConsensusMinerMinPower: String(10n * TiB),
      PreCommitChallengeDelay: 150,
      ForkUpgradeParams: upgradeHeights,
      Eip155ChainID: 314,
      GenesisTimestamp: scenario.network.genesisUnix,
    }),
    StateLookupID: ([address, key]) => {
      state.resolve(daemon, tsk(key));
      const id = state.lookupId(address as string);
      if (id === undefined) {
        const a = String(address);
        const message = `resolution lookup failed (${a}): resolve address ${a}: actor not found`;
        throw new RpcMethodError(message, ACTOR_NOT_FOUND);
      }
      return id;
    },
    StateMinerAvailableBalance: ([address, key]) => {
      miner(address, key);
      return String(state.balances.available);
    },
    StateMinerDeadlines: ([address, key]) => {
      const epoch = miner(address, key);
      return Array.from({ length: WPOST_PERIOD_DEADLINES }, (_, d) => ({
        PostSubmissions: actor.postSubmissions(d, epoch).toRuns(),
        DisputableProofCount: actor.disputableProofCount(d, epoch),
        DailyFee: '0',
      }));
    },
    StateMinerFaults: ([address, key]) => actor.faults(miner(address, key)).toRuns(),
    StateMinerInfo: ([address, key]) => {
      miner(address, key);
      const a = scenario.actor;
      return {
        Owner: a.owner,
        Worker: a.worker,
        NewWorker: '<empty>',
        ControlAddresses: a.controls,
        WorkerChangeEpoch: -1,
        PeerId: a.peerId,
        Multiaddrs: a.multiaddrs.map(multiaddrBytes),
        WindowPoStProofType: a.sectorSizeGiB === 64 ? 14 : 13,
        SectorSize: actor.sectorSize,
        WindowPoStPartitionSectors: actor.partitionSectors,
        ConsensusFaultElapsed: -1,
        PendingOwnerAddress: null,
        Beneficiary: a.owner,
        BeneficiaryTerm: { Quota: '0', UsedQuota: '0', Expiration: 0 },
        PendingBeneficiaryTerm: null,
      };
    },
    StateMinerInitialPledgeForSector: ([duration, sectorSize, verifiedSize, key]) => {
      state.resolve(daemon, tsk(key));
      if ((duration as number) <= 0) throw new RpcMethodError('sector duration must be positive');
      const size = BigInt(sectorSize as number);
      const verified = BigInt(Math.min(verifiedSize as number, sectorSize as number));
      // Pledge scales with quality-adjusted power: verified space counts ten times.
      const qa = size + 9n * verified;
      return String((BigInt(scenario.pledge.initialPledge) * qa) / BigInt(SECTOR_32G));
    },
    StateMinerPartitions: ([address, deadline, key]) => {
      const epoch = miner(address, key);
      if ((deadline as number) >= WPOST_PERIOD_DEADLINES) {
        throw new RpcMethodError(`invalid deadline ${String(deadline)}`);
      }
      return actor.partitions(deadline as number, epoch).map((p) => ({
        AllSectors: p.all.toRuns(),
        FaultySectors: p.faulty.toRuns(),
        RecoveringSectors: p.recovering.toRuns(),
        LiveSectors: p.live.toRuns(),
        ActiveSectors: p.active.toRuns(),
      }));
    },
    StateMinerPower: ([address, key]) => {
      const epoch = miner(address, key);
      const raw = BigInt(actor.sectorCount(epoch).Active) * BigInt(actor.sectorSize);
      const total = BigInt(Math.round(scenario.chain.networkRawPowerEiB * 1000)) * (EiB / 1000n);
      return {
        MinerPower: { RawBytePower: String(raw), QualityAdjPower: String(raw) },
        TotalPower: { RawBytePower: String(total), QualityAdjPower: String(total + total / 4n) },
        HasMinPower: raw >= 10n * TiB,
      };
    },
    StateMinerPreCommitDepositForPower: ([address, info, key]) => {
      miner(address, key);
      const proof = (info as { SealProof?: unknown }).SealProof;
      const factor = proof === 9 || proof === 4 || proof === 14 || proof === 19 ? 2n : 1n;
      return String(BigInt(scenario.pledge.preCommitDeposit) * factor);
    },
    StateMinerProvingDeadline: ([address, key]) => actor.provingDeadline(miner(address, key)),
    StateMinerRecoveries: ([address, key]) => actor.recoveries(miner(address, key)).toRuns(),
    StateMinerSectorAllocated: ([address, sector, key]) => {
      miner(address, key);
      return state.sectorAllocated(sector as number);
    },
    StateMinerSectorCount: ([address, key]) => actor.sectorCount(miner(address, key)),
    StateNetworkVersion: ([key]) => {
      state.resolve(daemon, tsk(key));
      return scenario.network.networkVersion;
    },
    SyncState: () => {
      const d = state.daemon(daemon);
      const head = state.headOf(daemon);
      const now = state.clock.now();
      const synced = d.lagEpochs === 0;
      return {
        ActiveSyncs: [
          {
            WorkerID: 1,
            Base: chain.tipset(Math.max(0, head - 1)),
            Target: chain.tipset(synced ? head : chain.epochNow()),
            Stage: synced ? 4 : d.syncStage,
            Height: head,
            Start: iso(now - 12_000),
            End: synced ? iso(now - 11_000) : '0001-01-01T00:00:00Z',
            Message: synced ? '' : d.syncMessage,
          },
        ],
        VMApplied: head * 7,
      };
    },
    Version: () => ({
      Version: state.daemon(daemon).spec.version,
      APIVersion: 131840,
      BlockDelay: scenario.network.blockDelaySecs,
      Agent: 'lotus',
    }),
    WalletBalance: ([address]) => {
      const id = state.lookupId(address as string);
      if (id === scenario.actor.id) return String(state.balances.minerActor);
      return String((id && state.balances.wallets.get(id)) ?? 0n);
    },
    WalletList: () => [...state.daemon(daemon).walletKeys],
  };

  const served = new Map<string, ServedMethod>();
  for (const [name, handler] of Object.entries(handlers) as Array<[FullNodeMethodName, Handler]>) {
    served.set(name, { params: fullNodeMethods[name].params, perm: lotusPermissions.full[name], handler });
  }
  return served;
}

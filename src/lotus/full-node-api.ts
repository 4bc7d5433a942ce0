import pLimit from 'p-limit';
import { z } from 'zod';
import { parseApiInfo } from './api-info.js';
import { WPOST_PERIOD_DEADLINES } from './deadline-math.js';
import { type MethodSpec, methodSpec, type SpecResult } from './method-spec.js';
import type { FullNodeMethodName } from './permissions.js';
import { type CallOptions, RpcClient, type RpcClientOptions } from './rpc-client.js';
import {
  actorSchema,
  addressSchema,
  alertsSchema,
  bigIntString,
  bitfieldSchema,
  booleanSchema,
  deadlineInfoSchema,
  deadlinesSchema,
  minerInfoSchema,
  minerPowerSchema,
  netPeersSchema,
  networkParamsSchema,
  nodeStatusSchema,
  type Partition,
  partitionsSchema,
  permissionListSchema,
  type SectorPreCommitInfo,
  sectorCountSchema,
  stringSchema,
  syncStateSchema,
  type TipSetKey,
  tipSetSchema,
  versionSchema,
} from './schemas.js';
import { TypedApi } from './typed-api.js';

const ADDR = 'address.Address';
const TSK = 'types.TipSetKey';

/** Every full-node method the bot can call (`/rpc/v1`). The conformance test walks this table. */
export const fullNodeMethods = {
  AuthVerify: methodSpec(['string'], permissionListSchema),
  ChainGetGenesis: methodSpec([], tipSetSchema),
  ChainHead: methodSpec([], tipSetSchema),
  ID: methodSpec([], stringSchema),
  LogAlerts: methodSpec([], alertsSchema),
  MpoolGetNonce: methodSpec([ADDR], z.int().nonnegative()),
  NetPeers: methodSpec([], netPeersSchema),
  NodeStatus: methodSpec(['bool'], nodeStatusSchema),
  Session: methodSpec([], stringSchema),
  StartTime: methodSpec([], stringSchema),
  StateGetActor: methodSpec([ADDR, TSK], actorSchema),
  StateGetNetworkParams: methodSpec([], networkParamsSchema),
  StateLookupID: methodSpec([ADDR, TSK], addressSchema),
  StateMinerAvailableBalance: methodSpec([ADDR, TSK], bigIntString),
  StateMinerDeadlines: methodSpec([ADDR, TSK], deadlinesSchema),
  StateMinerFaults: methodSpec([ADDR, TSK], bitfieldSchema),
  StateMinerInfo: methodSpec([ADDR, TSK], minerInfoSchema),
  StateMinerInitialPledgeForSector: methodSpec(['abi.ChainEpoch', 'abi.SectorSize', 'uint64', TSK], bigIntString),
  StateMinerPartitions: methodSpec([ADDR, 'uint64', TSK], partitionsSchema),
  StateMinerPower: methodSpec([ADDR, TSK], minerPowerSchema),
  StateMinerPreCommitDepositForPower: methodSpec([ADDR, 'miner.SectorPreCommitInfo', TSK], bigIntString),
  StateMinerProvingDeadline: methodSpec([ADDR, TSK], deadlineInfoSchema),
  StateMinerRecoveries: methodSpec([ADDR, TSK], bitfieldSchema),
  StateMinerSectorAllocated: methodSpec([ADDR, 'abi.SectorNumber', TSK], booleanSchema),
  StateMinerSectorCount: methodSpec([ADDR, TSK], sectorCountSchema),
  StateNetworkVersion: methodSpec([TSK], z.int().nonnegative()),
  SyncState: methodSpec([], syncStateSchema),
  Version: methodSpec([], versionSchema),
  WalletBalance: methodSpec([ADDR], bigIntString),
  WalletList: methodSpec(
    [],
    z
      .array(z.string())
      .nullable()
      .transform((v) => v ?? []),
  ),
} as const satisfies Record<FullNodeMethodName, MethodSpec<unknown>>;

type Methods = typeof fullNodeMethods;
export type FullNodeResult<M extends FullNodeMethodName> = SpecResult<Methods[M]>;

export interface AllPartitionsOptions extends CallOptions {
  /**
   * 'batch': one HTTP POST of 48 calls (lotus runs them serially, one round trip); 'parallel': 48 requests,
   * `concurrency` at a time (lotus runs them in parallel). Pass a pinned `tsk` so all 48 read one state.
   */
  strategy?: 'batch' | 'parallel';
  concurrency?: number;
  deadlines?: number;
}

/** Typed wrappers over the full-node API. Every State* call takes a tipset key; [] reads at the head. */
export class FullNodeApi extends TypedApi<typeof fullNodeMethods> {
  constructor(rpc: RpcClient) {
    super(rpc, fullNodeMethods);
  }

  /** From a FULLNODE_API_INFO value (TOKEN:MULTIADDR, comma-separated for fail-over). */
  static fromApiInfo(apiInfo: string, options: Omit<RpcClientOptions, 'endpoints' | 'api'> = {}): FullNodeApi {
    return new FullNodeApi(new RpcClient({ ...options, endpoints: parseApiInfo(apiInfo, 'full'), api: 'full' }));
  }

  chainHead(options?: CallOptions) {
    return this.call('ChainHead', [], options);
  }
  chainGetGenesis(options?: CallOptions) {
    return this.call('ChainGetGenesis', [], options);
  }
  stateGetNetworkParams(options?: CallOptions) {
    return this.call('StateGetNetworkParams', [], options);
  }
  syncState(options?: CallOptions) {
    return this.call('SyncState', [], options);
  }
  /** `inclChainStatus` walks 900 tipsets back on the node: keep it false for polling. */
  nodeStatus(inclChainStatus = false, options?: CallOptions) {
    return this.call('NodeStatus', [inclChainStatus], options);
  }
  netPeers(options?: CallOptions) {
    return this.call('NetPeers', [], options);
  }
  stateNetworkVersion(tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateNetworkVersion', [tsk], options);
  }
  stateLookupId(address: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateLookupID', [address, tsk], options);
  }
  stateGetActor(address: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateGetActor', [address, tsk], options);
  }
  walletBalance(address: string, options?: CallOptions) {
    return this.call('WalletBalance', [address], options);
  }
  /** The addresses whose keys this node holds. Needs a write token: lotus guards the key list as a write. */
  walletList(options?: CallOptions) {
    return this.call('WalletList', [], options);
  }
  /** The node's libp2p peer ID. */
  id(options?: CallOptions) {
    return this.call('ID', [], options);
  }
  /** The next nonce the pool would give a message from `address`: its actor nonce plus the messages pending. */
  mpoolGetNonce(address: string, options?: CallOptions) {
    return this.call('MpoolGetNonce', [address], options);
  }
  logAlerts(options?: CallOptions) {
    return this.call('LogAlerts', [], options);
  }
  stateMinerInfo(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerInfo', [miner, tsk], options);
  }
  stateMinerProvingDeadline(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerProvingDeadline', [miner, tsk], options);
  }
  stateMinerDeadlines(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerDeadlines', [miner, tsk], options);
  }
  stateMinerPartitions(miner: string, deadline: number, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerPartitions', [miner, deadline, tsk], options);
  }
  stateMinerFaults(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerFaults', [miner, tsk], options);
  }
  stateMinerRecoveries(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerRecoveries', [miner, tsk], options);
  }
  stateMinerSectorCount(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerSectorCount', [miner, tsk], options);
  }
  stateMinerPower(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerPower', [miner, tsk], options);
  }
  stateMinerAvailableBalance(miner: string, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerAvailableBalance', [miner, tsk], options);
  }
  stateMinerPreCommitDepositForPower(
    miner: string,
    info: SectorPreCommitInfo,
    tsk: TipSetKey = [],
    options?: CallOptions,
  ) {
    return this.call('StateMinerPreCommitDepositForPower', [miner, info, tsk], options);
  }
  /** `duration` in epochs; sizes in bytes (verified 0 for CC sectors). */
  stateMinerInitialPledgeForSector(
    duration: number,
    sectorSize: number,
    verifiedSize: number,
    tsk: TipSetKey = [],
    options?: CallOptions,
  ) {
    return this.call('StateMinerInitialPledgeForSector', [duration, sectorSize, verifiedSize, tsk], options);
  }
  stateMinerSectorAllocated(miner: string, sector: number, tsk: TipSetKey = [], options?: CallOptions) {
    return this.call('StateMinerSectorAllocated', [miner, sector, tsk], options);
  }

  /** The partitions of every deadline (index = deadline), in one batch or with bounded parallelism. */
  async stateMinerPartitionsAll(
    miner: string,
    tsk: TipSetKey = [],
    options: AllPartitionsOptions = {},
  ): Promise<Partition[][]> {
    const { strategy = 'batch', concurrency = 8, deadlines = WPOST_PERIOD_DEADLINES, ...callOptions } = options;
    const indexes = Array.from({ length: deadlines }, (_, i) => i);
    if (strategy === 'batch') {
      const results = await this.rpc.batch(
        indexes.map((i) => this.request('StateMinerPartitions', [miner, i, tsk])),
        callOptions,
      );
      return results.map((r) => {
        if (!r.ok) throw r.error;
        return r.value;
      });
    }
    const limit = pLimit(Math.max(1, concurrency));
    return Promise.all(indexes.map((i) => limit(() => this.stateMinerPartitions(miner, i, tsk, callOptions))));
  }
}

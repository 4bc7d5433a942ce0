import type { LotusApiKind } from './api-info.js';

/** Lotus token permissions, lowest first. A token made with `--perm X` holds X and every level below it. */
export const permissionLevels = ['read', 'write', 'sign', 'admin'] as const;
export type LotusPermission = (typeof permissionLevels)[number];

/**
 * The permission lotus requires for each method the bot calls (facts from lotus's generated API docs, "Perms:"
 * lines; the conformance test checks this table against them). Full node: /rpc/v1; miner: /rpc/v0.
 */
export const lotusPermissions = {
  full: {
    AuthVerify: 'read',
    ChainGetGenesis: 'read',
    ChainHead: 'read',
    ID: 'read',
    LogAlerts: 'admin',
    MpoolGetNonce: 'read',
    NetPeers: 'read',
    NodeStatus: 'read',
    Session: 'read',
    StartTime: 'read',
    StateGetActor: 'read',
    StateGetNetworkParams: 'read',
    StateLookupID: 'read',
    StateMinerAvailableBalance: 'read',
    StateMinerDeadlines: 'read',
    StateMinerFaults: 'read',
    StateMinerInfo: 'read',
    StateMinerInitialPledgeForSector: 'read',
    StateMinerPartitions: 'read',
    StateMinerPower: 'read',
    StateMinerPreCommitDepositForPower: 'read',
    StateMinerProvingDeadline: 'read',
    StateMinerRecoveries: 'read',
    StateMinerSectorAllocated: 'read',
    StateMinerSectorCount: 'read',
    StateNetworkVersion: 'read',
    SyncState: 'read',
    Version: 'read',
    WalletBalance: 'read',
    WalletList: 'write',
  },
  miner: {
    ActorAddress: 'read',
    ActorSectorSize: 'read',
    AuthVerify: 'read',
    LogAlerts: 'admin',
    PledgeSector: 'write',
    RuntimeSubsystems: 'read',
    SealingSchedDiag: 'admin',
    SectorNumAssignerMeta: 'read',
    SectorsList: 'read',
    SectorsListInStates: 'read',
    SectorsStatus: 'read',
    SectorsSummary: 'read',
    Session: 'read',
    StartTime: 'read',
    StorageList: 'admin',
    StorageStat: 'admin',
    Version: 'read',
    WorkerJobs: 'admin',
    WorkerStats: 'admin',
  },
} as const satisfies Record<LotusApiKind, Record<string, LotusPermission>>;

export type FullNodeMethodName = keyof (typeof lotusPermissions)['full'];
export type MinerMethodName = keyof (typeof lotusPermissions)['miner'];

/** The permission a method needs, or undefined for a method the bot does not call. */
export function requiredPermission(api: LotusApiKind, method: string): LotusPermission | undefined {
  const table: Record<string, LotusPermission> = lotusPermissions[api];
  return Object.hasOwn(table, method) ? table[method] : undefined;
}

export function permissionRank(permission: LotusPermission): number {
  return permissionLevels.indexOf(permission);
}

/** The least token permission that can call all of `methods` (read for none). */
export function minimumPermission(api: LotusApiKind, methods: Iterable<string>): LotusPermission {
  let best: LotusPermission = 'read';
  for (const method of methods) {
    const needed = requiredPermission(api, method);
    if (needed === undefined) throw new RangeError(`the bot does not call ${api} method ${method}`);
    if (permissionRank(needed) > permissionRank(best)) best = needed;
  }
  return best;
}

/** The levels a token created with `--perm permission` holds, as lotus writes them into the JWT's Allow claim. */
export function grantedBy(permission: LotusPermission): LotusPermission[] {
  return permissionLevels.slice(0, permissionRank(permission) + 1);
}

/** The CLI that creates tokens for an API, for hints such as `lotus-miner auth create-token --perm admin`. */
export function tokenCli(api: LotusApiKind): 'lotus' | 'lotus-miner' {
  return api === 'full' ? 'lotus' : 'lotus-miner';
}

/**
 * Which lotus methods each bot feature calls on which node. The README and config docs derive the token each
 * node needs from this (see `featurePermission`); the conformance test checks every method here is documented.
 */
export const featureMethods = {
  status: {
    full: ['ChainHead', 'SyncState', 'NodeStatus', 'NetPeers', 'Version', 'StateNetworkVersion'],
    miner: ['ActorAddress', 'Version', 'RuntimeSubsystems', 'SectorsSummary'],
  },
  deadlines: {
    full: [
      'ChainHead',
      'StateMinerInfo',
      'StateMinerProvingDeadline',
      'StateMinerDeadlines',
      'StateMinerPartitions',
      'StateMinerSectorCount',
      'StateMinerRecoveries',
    ],
    miner: [],
  },
  pledge: {
    full: [
      'StateMinerInfo',
      'StateMinerAvailableBalance',
      'StateMinerPreCommitDepositForPower',
      'StateMinerInitialPledgeForSector',
      'StateMinerSectorAllocated',
      'WalletBalance',
    ],
    miner: ['ActorAddress', 'SectorsSummary', 'SectorNumAssignerMeta', 'WorkerStats', 'PledgeSector'],
  },
  workers: {
    full: [],
    miner: ['WorkerStats', 'WorkerJobs', 'SealingSchedDiag'],
  },
  sectors: {
    full: ['StateMinerFaults', 'StateMinerRecoveries', 'StateMinerSectorCount'],
    miner: ['SectorsList', 'SectorsListInStates', 'SectorsSummary', 'SectorsStatus'],
  },
  storage: {
    full: [],
    miner: ['StorageList', 'StorageStat'],
  },
  alerts: {
    full: [
      'ChainHead',
      'SyncState',
      'NetPeers',
      'ID',
      'Version',
      'WalletList',
      'LogAlerts',
      'MpoolGetNonce',
      'StateGetActor',
      'StateMinerInfo',
      'StateMinerProvingDeadline',
      'StateMinerPartitions',
      'StateMinerFaults',
      'StateMinerRecoveries',
      'StateMinerDeadlines',
      'StateMinerAvailableBalance',
      'WalletBalance',
    ],
    miner: [
      'ActorAddress',
      'LogAlerts',
      'WorkerStats',
      'WorkerJobs',
      'SectorsSummary',
      'SectorsListInStates',
      'SectorsStatus',
    ],
  },
} as const satisfies Record<string, { full: readonly FullNodeMethodName[]; miner: readonly MinerMethodName[] }>;

export type BotFeature = keyof typeof featureMethods;

/** The least permission a token on that node needs for a feature. */
export function featurePermission(feature: BotFeature, api: LotusApiKind): LotusPermission {
  return minimumPermission(api, featureMethods[feature][api]);
}

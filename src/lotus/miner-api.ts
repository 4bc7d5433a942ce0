import { z } from 'zod';
import { parseApiInfo } from './api-info.js';
import { type MethodSpec, methodSpec, type SpecResult } from './method-spec.js';
import type { MinerMethodName } from './permissions.js';
import { type CallOptions, RpcClient, type RpcClientOptions } from './rpc-client.js';
import {
  addressSchema,
  alertsSchema,
  fsStatSchema,
  numAssignerMetaSchema,
  permissionListSchema,
  schedDiagSchema,
  sectorIdSchema,
  sectorInfoSchema,
  sectorNumbersSchema,
  sectorsSummarySchema,
  storageListSchema,
  stringSchema,
  versionSchema,
  workerJobsMapSchema,
  workerStatsMapSchema,
} from './schemas.js';
import { TypedApi } from './typed-api.js';

/** Every miner method the bot can call (`/rpc/v0`). The conformance test walks this table. */
export const minerMethods = {
  ActorAddress: methodSpec([], addressSchema),
  ActorSectorSize: methodSpec(['address.Address'], z.int().positive()),
  AuthVerify: methodSpec(['string'], permissionListSchema),
  LogAlerts: methodSpec([], alertsSchema),
  PledgeSector: methodSpec([], sectorIdSchema, true),
  RuntimeSubsystems: methodSpec(
    [],
    z
      .array(z.string())
      .nullable()
      .transform((v) => v ?? []),
  ),
  SealingSchedDiag: methodSpec(['bool'], schedDiagSchema),
  SectorNumAssignerMeta: methodSpec([], numAssignerMetaSchema),
  SectorsList: methodSpec([], sectorNumbersSchema),
  SectorsListInStates: methodSpec(['[]SectorState'], sectorNumbersSchema),
  SectorsStatus: methodSpec(['abi.SectorNumber', 'bool'], sectorInfoSchema),
  SectorsSummary: methodSpec([], sectorsSummarySchema),
  Session: methodSpec([], stringSchema),
  StartTime: methodSpec([], stringSchema),
  StorageList: methodSpec([], storageListSchema),
  StorageStat: methodSpec(['storiface.ID'], fsStatSchema),
  Version: methodSpec([], versionSchema),
  WorkerJobs: methodSpec([], workerJobsMapSchema),
  WorkerStats: methodSpec([], workerStatsMapSchema),
} as const satisfies Record<MinerMethodName, MethodSpec<unknown>>;

type Methods = typeof minerMethods;
export type MinerResult<M extends MinerMethodName> = SpecResult<Methods[M]>;

/** Typed wrappers over the lotus-miner API. */
export class MinerApi extends TypedApi<typeof minerMethods> {
  constructor(rpc: RpcClient) {
    super(rpc, minerMethods);
  }

  /** From a MINER_API_INFO value (TOKEN:MULTIADDR). */
  static fromApiInfo(apiInfo: string, options: Omit<RpcClientOptions, 'endpoints' | 'api'> = {}): MinerApi {
    return new MinerApi(new RpcClient({ ...options, endpoints: parseApiInfo(apiInfo, 'miner'), api: 'miner' }));
  }

  actorAddress(options?: CallOptions) {
    return this.call('ActorAddress', [], options);
  }
  actorSectorSize(miner: string, options?: CallOptions) {
    return this.call('ActorSectorSize', [miner], options);
  }
  runtimeSubsystems(options?: CallOptions) {
    return this.call('RuntimeSubsystems', [], options);
  }
  /** Creates one CC sector. A write: sent once, never retried. */
  pledgeSector(options?: CallOptions) {
    return this.call('PledgeSector', [], options);
  }
  sectorsList(options?: CallOptions) {
    return this.call('SectorsList', [], options);
  }
  sectorsListInStates(states: readonly string[], options?: CallOptions) {
    return this.call('SectorsListInStates', [states], options);
  }
  sectorsSummary(options?: CallOptions) {
    return this.call('SectorsSummary', [], options);
  }
  /** On-chain fields (Activation, Expiration, InitialPledge…) are filled only with `showOnChainInfo`. */
  sectorsStatus(sector: number, showOnChainInfo = false, options?: CallOptions) {
    return this.call('SectorsStatus', [sector, showOnChainInfo], options);
  }
  sectorNumAssignerMeta(options?: CallOptions) {
    return this.call('SectorNumAssignerMeta', [], options);
  }
  workerStats(options?: CallOptions) {
    return this.call('WorkerStats', [], options);
  }
  workerJobs(options?: CallOptions) {
    return this.call('WorkerJobs', [], options);
  }
  /** `doSched` forces a scheduling pass; false only reads. */
  sealingSchedDiag(doSched = false, options?: CallOptions) {
    return this.call('SealingSchedDiag', [doSched], options);
  }
  storageList(options?: CallOptions) {
    return this.call('StorageList', [], options);
  }
  storageStat(storageId: string, options?: CallOptions) {
    return this.call('StorageStat', [storageId], options);
  }
  logAlerts(options?: CallOptions) {
    return this.call('LogAlerts', [], options);
  }
}

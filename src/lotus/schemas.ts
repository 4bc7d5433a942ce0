/**
 * zod schemas of every lotus result the bot reads. Objects are loose (lotus adds fields between versions, a fork
 * adds more), but the fields we read are checked strictly, so that a shape lotus did not promise fails here, with
 * the field's path, instead of deep inside a command.
 */
import { z } from 'zod';
import { validateRuns } from './bitfield.js';

const int = z.int();
const uint = z.int().nonnegative();
/** types.BigInt / abi.TokenAmount: decimal strings on the wire (attoFIL, bytes of power). */
export const bigIntString = z.string().regex(/^-?\d+$/, { error: 'expected a decimal integer string' });
export const cidSchema = z.looseObject({ '/': z.string().min(1) });
export type Cid = z.infer<typeof cidSchema>;
/** types.TipSetKey: the CIDs of a tipset's blocks; [] means the head. */
export const tipSetKeySchema = z.array(cidSchema);
export type TipSetKey = Cid[];
export const addressSchema = z
  .string()
  .regex(/^[ft][0-4]\w+$/, { error: 'expected a Filecoin address (f0…, f1…, f3…)' });
/** Go nil slices arrive as null; the bot treats them as empty. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullable()
    .transform((v) => v ?? []);

/** go-bitfield RLE runs (see bitfield.ts); null is the empty set. */
export const bitfieldSchema = z
  .array(uint)
  .nullable()
  .refine((runs) => validateRuns(runs) === undefined, {
    error: 'invalid RLE bitfield (a zero-length run after the first)',
  })
  .transform((runs) => runs ?? [0]);
export type BitfieldRuns = number[];

// ---- chain ----

export const blockHeaderSchema = z.looseObject({
  Miner: addressSchema,
  Height: uint,
  Timestamp: uint,
  ParentBaseFee: bigIntString,
  ParentWeight: bigIntString,
});
export const tipSetSchema = z.looseObject({
  Cids: z.array(cidSchema).min(1),
  Blocks: z.array(blockHeaderSchema).min(1),
  Height: uint,
});
export type TipSet = z.infer<typeof tipSetSchema>;

export const networkParamsSchema = z.looseObject({
  NetworkName: z.string(),
  BlockDelaySecs: z.int().positive(),
  ConsensusMinerMinPower: bigIntString,
  PreCommitChallengeDelay: int,
  Eip155ChainID: int,
  GenesisTimestamp: uint,
});
export type NetworkParams = z.infer<typeof networkParamsSchema>;

export const syncStateSchema = z.looseObject({
  ActiveSyncs: list(
    z.looseObject({
      WorkerID: uint,
      Base: tipSetSchema.nullable(),
      Target: tipSetSchema.nullable(),
      /** 0 idle, 1 headers, 2 persisting headers, 3 messages, 4 complete, 5 error, 6 fetching messages. */
      Stage: int,
      Height: int,
      Start: z.string(),
      End: z.string(),
      Message: z.string(),
    }),
  ),
  VMApplied: uint,
});
export type SyncState = z.infer<typeof syncStateSchema>;

export const nodeStatusSchema = z.looseObject({
  SyncStatus: z.looseObject({ Epoch: uint, Behind: uint }),
  PeerStatus: z.looseObject({ PeersToPublishMsgs: int, PeersToPublishBlocks: int }),
  ChainStatus: z.looseObject({ BlocksPerTipsetLast100: z.number(), BlocksPerTipsetLastFinality: z.number() }),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const peerInfoSchema = z.looseObject({ ID: z.string(), Addrs: list(z.string()) });
export const netPeersSchema = list(peerInfoSchema);
export type PeerInfo = z.infer<typeof peerInfoSchema>;

export const versionSchema = z.looseObject({
  Version: z.string(),
  APIVersion: uint,
  BlockDelay: uint,
  Agent: z.string(),
});
export type Version = z.infer<typeof versionSchema>;

// ---- miner actor state (full node) ----

export const minerInfoSchema = z.looseObject({
  Owner: addressSchema,
  Worker: addressSchema,
  NewWorker: z.string().nullable(),
  ControlAddresses: list(addressSchema),
  WorkerChangeEpoch: int,
  PeerId: z.string().nullable(),
  Multiaddrs: list(z.string()),
  WindowPoStProofType: int,
  SectorSize: z.int().positive(),
  WindowPoStPartitionSectors: z.int().positive(),
  ConsensusFaultElapsed: int,
  PendingOwnerAddress: z.string().nullable(),
  Beneficiary: addressSchema,
});
export type MinerInfo = z.infer<typeof minerInfoSchema>;

export const deadlineInfoSchema = z.looseObject({
  CurrentEpoch: int,
  PeriodStart: int,
  Index: uint,
  Open: int,
  Close: int,
  Challenge: int,
  FaultCutoff: int,
  WPoStPeriodDeadlines: z.int().positive(),
  WPoStProvingPeriod: z.int().positive(),
  WPoStChallengeWindow: z.int().positive(),
  WPoStChallengeLookback: uint,
  FaultDeclarationCutoff: uint,
});
export type DeadlineInfoResult = z.infer<typeof deadlineInfoSchema>;

export const deadlineSchema = z.looseObject({
  PostSubmissions: bitfieldSchema,
  DisputableProofCount: uint,
  DailyFee: bigIntString.optional(),
});
export const deadlinesSchema = list(deadlineSchema);
export type Deadline = z.infer<typeof deadlineSchema>;

export const partitionSchema = z.looseObject({
  AllSectors: bitfieldSchema,
  FaultySectors: bitfieldSchema,
  RecoveringSectors: bitfieldSchema,
  LiveSectors: bitfieldSchema,
  ActiveSectors: bitfieldSchema,
});
export const partitionsSchema = list(partitionSchema);
export type Partition = z.infer<typeof partitionSchema>;

export const sectorCountSchema = z.looseObject({ Live: uint, Active: uint, Faulty: uint });
export type SectorCount = z.infer<typeof sectorCountSchema>;

const powerPairSchema = z.looseObject({ RawBytePower: bigIntString, QualityAdjPower: bigIntString });
export const minerPowerSchema = z.looseObject({
  MinerPower: powerPairSchema,
  TotalPower: powerPairSchema,
  HasMinPower: z.boolean(),
});
export type MinerPower = z.infer<typeof minerPowerSchema>;

export const actorSchema = z.looseObject({
  Code: cidSchema,
  Head: cidSchema,
  Nonce: uint,
  Balance: bigIntString,
});
export type Actor = z.infer<typeof actorSchema>;

/** miner.SectorPreCommitInfo, the param of StateMinerPreCommitDepositForPower. */
export interface SectorPreCommitInfo {
  SealProof: number;
  SectorNumber: number;
  SealedCID: Cid;
  SealRandEpoch: number;
  DealIDs: number[] | null;
  Expiration: number;
  UnsealedCid: Cid | null;
}

// ---- miner API ----

export const sectorIdSchema = z.looseObject({ Miner: uint, Number: uint });
export type SectorId = z.infer<typeof sectorIdSchema>;

export const sectorNumbersSchema = list(uint);
export const sectorsSummarySchema = z.record(z.string(), uint);

const ticketSchema = z.looseObject({ Value: z.string().nullable(), Epoch: int });
export const sectorInfoSchema = z.looseObject({
  SectorID: uint,
  State: z.string(),
  CommD: cidSchema.nullable(),
  CommR: cidSchema.nullable(),
  Deals: list(uint),
  Ticket: ticketSchema,
  Seed: ticketSchema,
  PreCommitMsg: cidSchema.nullable(),
  CommitMsg: cidSchema.nullable(),
  Retries: uint,
  ToUpgrade: z.boolean(),
  LastErr: z.string(),
  Log: list(z.looseObject({ Kind: z.string(), Timestamp: uint, Trace: z.string(), Message: z.string() })),
  SealProof: int,
  Activation: int,
  Expiration: int,
  InitialPledge: bigIntString,
  OnTime: int,
  Early: int,
});
export type SectorInfo = z.infer<typeof sectorInfoSchema>;

export const numAssignerMetaSchema = z.looseObject({
  Reserved: bitfieldSchema,
  Allocated: bitfieldSchema,
  InUse: bitfieldSchema,
  Next: uint,
});
export type NumAssignerMeta = z.infer<typeof numAssignerMetaSchema>;

export const resourcesSchema = z.looseObject({
  MinMemory: uint,
  MaxMemory: uint,
  GPUUtilization: z.number(),
  MaxParallelism: int,
  MaxParallelismGPU: int,
  BaseMinMemory: uint,
  MaxConcurrent: int,
});
export type TaskResources = z.infer<typeof resourcesSchema>;

/**
 * Fields the distributed-miner fork adds to WorkerResources (from the worker's myscheduler.json). Optional: an
 * upstream miner never sends them, and a fork miner may report stale values cached at connect time.
 */
export const forkSchedulerFields = {
  IsMiner: z.boolean().optional(),
  AddPieceMax: uint.optional(),
  PreCommit1Max: uint.optional(),
  PreCommit2Max: uint.optional(),
  Commit2Max: uint.optional(),
  DiskHoldMax: uint.optional(),
  APDiskHoldMax: uint.optional(),
  AllowMyScheduler: z.boolean().optional(),
  ForceP1FromLocalAP: z.boolean().optional(),
  ForceP2FromLocalP1: z.boolean().optional(),
  ForceC2FromLocalP2: z.boolean().optional(),
  IsPlanOffline: z.boolean().optional(),
  AllowP2C2Parallel: z.boolean().optional(),
  AutoPledgeDiff: uint.optional(),
  DiskUsed: uint.optional(),
  APDiskUsed: uint.optional(),
  IgnoreOutOfSpace: z.boolean().optional(),
};

export const workerResourcesSchema = z.looseObject({
  MemPhysical: uint,
  MemUsed: uint,
  MemSwap: uint,
  MemSwapUsed: uint,
  CPUs: uint,
  GPUs: list(z.string()),
  /** Effective resource table after the worker's env overrides: task type → seal proof type → resources. */
  Resources: z
    .record(z.string(), z.record(z.string(), resourcesSchema))
    .nullable()
    .transform((v) => v ?? {}),
  ...forkSchedulerFields,
});
export type WorkerResources = z.infer<typeof workerResourcesSchema>;

export const workerStatsSchema = z.looseObject({
  Info: z.looseObject({
    Hostname: z.string(),
    IgnoreResources: z.boolean(),
    Resources: workerResourcesSchema,
  }),
  Tasks: list(z.string()),
  Enabled: z.boolean(),
  MemUsedMin: uint,
  MemUsedMax: uint,
  GpuUsed: z.number().nonnegative(),
  CpuUse: uint,
  TaskCounts: z
    .record(z.string(), int)
    .nullable()
    .transform((v) => v ?? {}),
});
export type WorkerStats = z.infer<typeof workerStatsSchema>;
export const workerStatsMapSchema = z.record(z.string(), workerStatsSchema);

export const workerJobSchema = z.looseObject({
  /** CallID: the UUID is a string on the wire, whatever the OpenRPC schema says. */
  ID: z.looseObject({ Sector: sectorIdSchema, ID: z.string() }),
  Sector: sectorIdSchema,
  Task: z.string(),
  /** 0 running, 1 prepared, ≥ 2 assigned (queue position RunWait − 1), −1 ret-wait, −2 returned, −3 done. */
  RunWait: int,
  Start: z.string(),
  Hostname: z.string(),
});
export type WorkerJob = z.infer<typeof workerJobSchema>;
export const workerJobsMapSchema = z.record(z.string(), list(workerJobSchema));

/** SealingSchedDiag is free-form (interface{}); we read the queue when it is there and keep the rest. */
export const schedDiagSchema = z.looseObject({
  SchedInfo: z
    .looseObject({
      Requests: list(
        z.looseObject({ Sector: sectorIdSchema, TaskType: z.string(), Priority: int, SchedId: z.string().optional() }),
      ),
      OpenWindows: list(z.string()),
    })
    .optional(),
});
export type SchedDiag = z.infer<typeof schedDiagSchema>;

export const storageDeclSchema = z.looseObject({ Miner: uint, Number: uint, SectorFileType: uint });
export const storageListSchema = z.record(z.string(), list(storageDeclSchema));
export type StorageDecl = z.infer<typeof storageDeclSchema>;

export const fsStatSchema = z.looseObject({
  Capacity: int,
  Available: int,
  FSAvailable: int,
  Reserved: int,
  Max: int,
  Used: int,
});
export type FsStat = z.infer<typeof fsStatSchema>;

const alertEventSchema = z.looseObject({ Type: z.string(), Message: z.unknown(), Time: z.string() });
export const alertSchema = z.looseObject({
  Type: z.looseObject({ System: z.string(), Subsystem: z.string() }),
  Active: z.boolean(),
  LastActive: alertEventSchema.nullable(),
  LastResolved: alertEventSchema.nullable(),
});
export const alertsSchema = list(alertSchema);
export type Alert = z.infer<typeof alertSchema>;

export const stringSchema = z.string();
export const booleanSchema = z.boolean();
export const permissionListSchema = list(z.enum(['read', 'write', 'sign', 'admin']));

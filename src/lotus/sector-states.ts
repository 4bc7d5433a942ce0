/**
 * Sealing FSM states as the miner reports them (SectorsSummary keys, SectorsStatus.State), grouped the way an
 * operator reads them. From lotus's storage/pipeline/sector_state.go list; a state the bot does not know (a newer
 * lotus, a fork) is 'unknown', never an error.
 */
export const sectorStateGroups = {
  staging: ['Empty', 'WaitDeals', 'AddPiece', 'AddPieceFailed', 'SnapDealsWaitDeals', 'SnapDealsAddPiece'],
  sealing: [
    'Packing',
    'GetTicket',
    'PreCommit1',
    'PreCommit2',
    'PreCommitting',
    'PreCommitWait',
    'SubmitPreCommitBatch',
    'PreCommitBatchWait',
    'WaitSeed',
    'Committing',
    'CommitFinalize',
    'SubmitCommit',
    'CommitWait',
    'SubmitCommitAggregate',
    'CommitAggregateWait',
    'FinalizeSector',
    'ReceiveSector',
  ],
  snap: [
    'SnapDealsPacking',
    'UpdateReplica',
    'ProveReplicaUpdate',
    'SubmitReplicaUpdate',
    'WaitMutable',
    'ReplicaUpdateWait',
    'FinalizeReplicaUpdate',
    'UpdateActivating',
    'ReleaseSectorKey',
  ],
  done: ['Proving', 'Available'],
  failed: [
    'FailedUnrecoverable',
    'SealPreCommit1Failed',
    'SealPreCommit2Failed',
    'PreCommitFailed',
    'ComputeProofFailed',
    'RemoteCommitFailed',
    'CommitFailed',
    'CommitFinalizeFailed',
    'PackingFailed',
    'FinalizeFailed',
    'DealsExpired',
    'RecoverDealIDs',
    'SnapDealsAddPieceFailed',
    'SnapDealsDealsExpired',
    'SnapDealsRecoverDealIDs',
    'AbortUpgrade',
    'ReplicaUpdateFailed',
    'ReleaseSectorKeyFailed',
    'FinalizeReplicaUpdateFailed',
  ],
  removal: [
    'Faulty',
    'FaultReported',
    'FaultedFinal',
    'Terminating',
    'TerminateWait',
    'TerminateFinality',
    'TerminateFailed',
    'Removing',
    'RemoveFailed',
    'Removed',
  ],
} as const;

export type SectorStateGroup = keyof typeof sectorStateGroups | 'unknown';

const groupOf = new Map<string, SectorStateGroup>();
for (const [group, states] of Object.entries(sectorStateGroups)) {
  for (const state of states) groupOf.set(state, group as SectorStateGroup);
}

export function sectorStateGroup(state: string): SectorStateGroup {
  return groupOf.get(state) ?? 'unknown';
}

/**
 * Whether a sector in this state counts against `[Sealing] MaxSealingSectors` (what PledgeSector checks):
 * everything between a new sector and Proving, failed states included because they still hold resources.
 */
export function countsAsSealing(state: string): boolean {
  const group = sectorStateGroup(state);
  return group === 'staging' || group === 'sealing' || group === 'snap' || group === 'failed';
}

/**
 * The states between a new sector's AddPiece (or Packing) and its ProveCommit landing on chain: what the pledge plan
 * calls "sealing now". Sectors waiting for deals, finalizing after the commit, proving, failed or being removed are not
 * in it (a failed one is counted apart, where it matters).
 */
const pipeline = new Set<string>([
  'AddPiece',
  ...sectorStateGroups.sealing.filter((state) => state !== 'FinalizeSector' && state !== 'ReceiveSector'),
]);

export function inSealingPipeline(state: string): boolean {
  return pipeline.has(state);
}

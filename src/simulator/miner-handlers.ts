import { minerMethods } from '../lotus/miner-api.js';
import { lotusPermissions, type MinerMethodName } from '../lotus/permissions.js';
import type { ClusterState } from './cluster-state.js';
import type { NodeIdentity } from './full-node-handlers.js';
import { RpcMethodError, type ServedMethod } from './rpc-server.js';

type Handler = (params: unknown[]) => unknown;

/** The lotus-miner methods the simulator serves for one miner process: the bot's table, lotus's permissions. */
export function minerHandlers(state: ClusterState, node: NodeIdentity): Map<string, ServedMethod> {
  const model = state.sealingOf(node.name);
  const { scenario } = state;

  const handlers: Record<MinerMethodName, Handler> = {
    ActorAddress: () => scenario.actor.id,
    ActorSectorSize: ([address]) => {
      if (state.lookupId(address as string) !== scenario.actor.id) {
        throw new RpcMethodError(`getting miner info: failed to load miner actor: actor not found`, 10);
      }
      return state.actor.sectorSize;
    },
    AuthVerify: ([token]) => {
      const perms = node.verify(token as string);
      if (!perms) throw new RpcMethodError('JWT Verification failed: signature is invalid');
      return perms;
    },
    LogAlerts: () => model.logAlerts(),
    PledgeSector: () => model.pledge(),
    RuntimeSubsystems: () => model.miner.subsystems,
    SealingSchedDiag: () => model.schedDiag(),
    SectorNumAssignerMeta: () => {
      const allocated = model.allocated().toRuns();
      return { Reserved: [0], Allocated: allocated, InUse: allocated, Next: state.counter.next };
    },
    SectorsList: () => model.list(),
    SectorsListInStates: ([states]) => model.listInStates(states as string[]),
    SectorsStatus: ([sector, showOnChainInfo]) => model.status(sector as number, showOnChainInfo as boolean),
    SectorsSummary: () => model.summary(),
    Session: () => node.session,
    StartTime: () => node.startTime,
    StorageList: () => model.storageList(),
    StorageStat: ([id]) => model.storageStat(id as string),
    Version: () => ({
      Version: model.miner.version,
      APIVersion: 66816,
      BlockDelay: scenario.network.blockDelaySecs,
      Agent: 'lotus-miner',
    }),
    WorkerJobs: () => model.workerJobs(),
    WorkerStats: () => model.workerStats(),
  };

  const served = new Map<string, ServedMethod>();
  for (const [name, handler] of Object.entries(handlers) as Array<[MinerMethodName, Handler]>) {
    served.set(name, { params: minerMethods[name].params, perm: lotusPermissions.miner[name], handler });
  }
  return served;
}

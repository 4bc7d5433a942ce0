import type { Config, MinerConfig, MinerRole } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { OpsError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { FullNodeApi } from '../lotus/full-node-api.js';
import { MinerApi } from '../lotus/miner-api.js';
import type { ClusterServices } from './cluster-services.js';

export interface ClusterServicesDeps {
  log: Logger;
  clock: Clock;
  /** Per-call lotus timeout. */
  lotusTimeoutMs?: number;
}

export function createClusterServices(config: Config, deps: ClusterServicesDeps): ClusterServices {
  const { cluster } = config;
  const miners = new Map<string, MinerApi>();
  let fullNode: FullNodeApi | undefined;
  const rpcOptions = { logger: deps.log.child({ component: 'lotus' }), timeoutMs: deps.lotusTimeoutMs ?? 30_000 };

  const findMiner = (nameOrActor: string): MinerConfig => {
    const byName = cluster.miners.find((m) => m.name === nameOrActor);
    if (byName) return byName;
    // An actor names the cluster's miner set; the first configured process of that actor answers for it.
    const byActor = cluster.miners.find((m) => m.actor === nameOrActor);
    if (byActor) return byActor;
    throw new OpsError('MINER_UNKNOWN', { miner: nameOrActor, known: cluster.miners.map((m) => `${m.name} (${m.actor})`).join(', ') });
  };

  return {
    topology: cluster,
    fullNode() {
      if (!fullNode) {
        const daemon = cluster.daemons.find((d) => !d.public) ?? cluster.daemons[0];
        if (!daemon) throw new OpsError('LOTUS_ENDPOINT_INVALID', { value: '(none)', detail: 'no daemon configured' });
        fullNode = FullNodeApi.fromApiInfo(daemon.api, rpcOptions);
      }
      return fullNode;
    },
    miner(name) {
      let api = miners.get(name);
      if (!api) {
        api = MinerApi.fromApiInfo(findMiner(name).api, rpcOptions);
        miners.set(name, api);
      }
      return api;
    },
    findMiner,
    minersWithRole(role: MinerRole) {
      return cluster.miners.filter((m) => m.roles.includes(role));
    },
    async close() {},
  };
}

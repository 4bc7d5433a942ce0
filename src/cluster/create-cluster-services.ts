import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterServices } from './cluster-services.js';

export function createClusterServices(config: Config, _deps: { log: Logger; clock: Clock }): ClusterServices {
  return {
    topology: config.cluster,
    async close() {},
  };
}

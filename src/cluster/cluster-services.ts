import type { Config } from '../config/schema.js';

/**
 * What commands use to reach the cluster: the topology from the config, and clients for its lotus APIs and hosts.
 * Clients are created lazily and shared, so a command never pays for a connection it does not use.
 */
export interface ClusterServices {
  readonly topology: Config['cluster'];
  close(): Promise<void>;
}

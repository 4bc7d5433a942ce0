import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { OpsError } from '../core/errors.js';

export interface ResolvedConfig {
  config: Config;
  /** Who the terminal user is when --as is not given. */
  defaultPrincipal?: string;
}

/**
 * A config file when one is named; otherwise, like the lotus CLI, lotus's own FULLNODE_API_INFO and MINER_API_INFO
 * describe a one-miner cluster, and the local terminal user acts as admin (they already hold the node's tokens).
 */
export async function resolveConfig(path: string | undefined, env: NodeJS.ProcessEnv): Promise<ResolvedConfig> {
  if (path !== undefined) return { config: loadConfigFile(path, env).config };
  const { zeroConfig } = await import('./zero-config.js');
  const config = await zeroConfig(env);
  if (!config) {
    throw new OpsError('USAGE', {
      detail:
        'no --config FILE, and FULLNODE_API_INFO / MINER_API_INFO are not set. Give a config file (see config/example.yaml) or export the API info as for the lotus CLI.',
    });
  }
  return { config };
}

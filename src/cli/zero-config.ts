import { type Config, configSchema } from '../config/schema.js';
import { OpsError } from '../core/errors.js';
import { registerSecret } from '../core/logger.js';
import { parseApiInfo } from '../lotus/api-info.js';
import { discoverApiInfo } from '../lotus/discover-api-info.js';
import { MinerApi } from '../lotus/miner-api.js';

/**
 * The cluster lotus's own environment describes, as the lotus CLI reads it: FULLNODE_API_INFO (or ~/.lotus) for
 * the daemon and MINER_API_INFO (or ~/.lotusminer) for one miner, whose actor is asked from the miner itself. The
 * local terminal user is admin: whoever can read these variables already holds the node's tokens.
 */
export async function zeroConfig(env: NodeJS.ProcessEnv): Promise<Config | undefined> {
  // As the lotus CLI: the *_API_INFO variables first, then the repos' own `api` and `token` files.
  const fullNode = discoverApiInfo('full', { env })?.apiInfo;
  const minerInfo = discoverApiInfo('miner', { env })?.apiInfo;
  if (!fullNode || !minerInfo) return undefined;
  for (const endpoint of [...parseApiInfo(fullNode, 'full'), ...parseApiInfo(minerInfo, 'miner')])
    registerSecret(endpoint.token);
  const actor = await MinerApi.fromApiInfo(minerInfo, { timeoutMs: 10_000 }).call('ActorAddress', []);
  const parsed = configSchema.safeParse({
    cluster: {
      name: `${actor} (from FULLNODE_API_INFO / MINER_API_INFO)`,
      daemons: [{ name: 'daemon', api: fullNode }],
      miners: [
        { name: 'miner', actor, api: minerInfo, roles: ['winning-post', 'window-post', 'seal'], forkCommands: false },
      ],
    },
    rbac: { roles: { admin: ['terminal:*'] } },
    store: { path: env.LOTUS_CHATOPS_STORE ?? `${env.HOME ?? '.'}/.lotus-chatops/store.db` },
  });
  if (!parsed.success)
    throw new OpsError('CONFIG_INVALID', { count: parsed.error.issues.length, detail: parsed.error.message });
  return parsed.data;
}

import { type Config, configSchema } from '../config/schema.js';
import { isOpsError, OpsError } from '../core/errors.js';
import { registerSecret } from '../core/logger.js';
import { parseApiInfo } from '../lotus/api-info.js';
import { discoverApiInfo } from '../lotus/discover-api-info.js';
import { MinerApi } from '../lotus/miner-api.js';

/** A placeholder that passes the schema while the miner's actor is unknown; never shown, never used (see below). */
const unknownActor = 'f00';

/**
 * The cluster lotus's own environment describes, as the lotus CLI reads it: FULLNODE_API_INFO (or ~/.lotus) for
 * the daemon and MINER_API_INFO (or ~/.lotusminer) for one miner, whose actor is asked from the miner itself. The
 * local terminal user is admin: whoever can read these variables already holds the node's tokens.
 *
 * A miner that does not answer does not stop the bot: /help, /approvals and /audit need no lotus. The actor is then
 * unknown, and the first command that needs it is told which endpoint failed and why.
 */
export async function zeroConfig(env: NodeJS.ProcessEnv): Promise<Config | undefined> {
  // As the lotus CLI: the *_API_INFO variables first, then the repos' own `api` and `token` files.
  const fullNode = discoverApiInfo('full', { env })?.apiInfo;
  const minerInfo = discoverApiInfo('miner', { env })?.apiInfo;
  if (!fullNode || !minerInfo) return undefined;
  for (const endpoint of [...parseApiInfo(fullNode, 'full'), ...parseApiInfo(minerInfo, 'miner')])
    registerSecret(endpoint.token);
  let actor: string | undefined;
  let unreachable: OpsError | undefined;
  try {
    actor = await MinerApi.fromApiInfo(minerInfo, { timeoutMs: 5_000 }).call('ActorAddress', []);
  } catch (error) {
    if (!isOpsError(error)) throw error;
    unreachable = new OpsError('ZERO_CONFIG_ACTOR_UNKNOWN', { detail: error.message }, { cause: error });
  }
  const parsed = configSchema.safeParse({
    cluster: {
      name: `${actor ?? 'a miner'} (from FULLNODE_API_INFO / MINER_API_INFO)`,
      daemons: [{ name: 'daemon', api: fullNode }],
      miners: [
        {
          name: 'miner',
          actor: actor ?? unknownActor,
          api: minerInfo,
          roles: ['winning-post', 'window-post', 'seal'],
          forkCommands: false,
        },
      ],
    },
    rbac: { roles: { admin: ['terminal:*'] } },
    store: { path: env.LOTUS_CHATOPS_STORE ?? `${env.HOME ?? '.'}/.lotus-chatops/store.db` },
  });
  if (!parsed.success)
    throw new OpsError('CONFIG_INVALID', { count: parsed.error.issues.length, detail: parsed.error.message });
  const miner = parsed.data.cluster.miners[0];
  if (unreachable && miner) {
    // Whatever reads the actor (a command about the miner) is told why it is unknown; nothing else notices.
    Object.defineProperty(miner, 'actor', {
      enumerable: true,
      get: () => {
        throw unreachable;
      },
    });
  }
  return parsed.data;
}

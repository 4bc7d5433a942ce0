import type { Config } from '../config/schema.js';

/** Filled in with the lotus client: reads the actor from the miner named by MINER_API_INFO. */
export async function zeroConfig(_env: NodeJS.ProcessEnv): Promise<Config | undefined> {
  return undefined;
}

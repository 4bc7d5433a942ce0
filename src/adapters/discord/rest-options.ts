import type { RESTOptions } from 'discord.js';
import type { Config } from '../../config/schema.js';

export type DiscordConfig = NonNullable<Config['discord']>;

/** How every Discord REST call is made. Explicit, because the library's own defaults wait long on a dead network. */
export interface DiscordRestTuning {
  /** Per request, in ms (default 10 s). */
  timeoutMs?: number;
  /** Retries after a network error, a timeout or a 5xx (default 2); rate limits are waited out, not counted. */
  retries?: number;
  /** An undici Dispatcher (a ProxyAgent, say) that carries every REST call; default undici's own Agent. */
  agent?: RESTOptions['agent'];
}

export const defaultRestTuning = { timeoutMs: 10_000, retries: 2 } as const;

export const defaultApiUrl = 'https://discord.com/api';

/**
 * REST options for discord.js and @discordjs/rest. `discord.apiUrl` is the base up to `/api`, as discord.js takes it
 * (`https://discord.com/api`); a REST proxy that shares rate limits between processes is given the same way. A trailing
 * `/v10` is dropped, because the library adds the version itself.
 */
export function discordRestOptions(
  config: Pick<DiscordConfig, 'apiUrl'>,
  tuning: DiscordRestTuning = {},
): Partial<RESTOptions> {
  const api = (config.apiUrl ?? defaultApiUrl).replace(/\/+$/, '').replace(/\/v\d+$/, '');
  return {
    api,
    timeout: tuning.timeoutMs ?? defaultRestTuning.timeoutMs,
    retries: tuning.retries ?? defaultRestTuning.retries,
    ...(tuning.agent ? { agent: tuning.agent } : {}),
  };
}

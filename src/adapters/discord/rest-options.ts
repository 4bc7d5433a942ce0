import type { RESTOptions } from 'discord.js';
import type { Config } from '../../config/schema.js';
import type { PlatformFetch } from '../../net/platform-transport.js';

export type DiscordConfig = NonNullable<Config['discord']>;

/** How every Discord REST call is made. Explicit, because the library's own defaults wait long on a dead network. */
export interface DiscordRestTuning {
  /** Per request, in ms (default 10 s). */
  timeoutMs?: number;
  /** Retries after a network error, a timeout or a 5xx (default 2); rate limits are waited out, not counted. */
  retries?: number;
  /** An undici Dispatcher (a ProxyAgent, say) that carries every REST call; default undici's own Agent. */
  agent?: RESTOptions['agent'];
  /**
   * The function that makes each REST request, as @discordjs/rest documents it (fetch-shaped). The configured proxy
   * comes in here (src/net/platform-transport.ts): @discordjs/rest bundles undici 6, and a fetch of our own undici 7
   * keeps one HTTP stack, one proxy connector and one place that reports failed hops.
   */
  makeRequest?: RESTOptions['makeRequest'];
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
    ...(tuning.makeRequest ? { makeRequest: tuning.makeRequest } : {}),
  };
}

/** @discordjs/rest's makeRequest over a platform transport's fetch (undici 7, with the proxy's connector). */
export function makeRequestThrough(fetch: PlatformFetch): NonNullable<RESTOptions['makeRequest']> {
  return ((url: string, init: unknown) => fetch(url, init as never)) as unknown as NonNullable<
    RESTOptions['makeRequest']
  >;
}

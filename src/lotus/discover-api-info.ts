import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LotusApiKind } from './api-info.js';

export interface DiscoveredApiInfo {
  /** TOKEN:MULTIADDR (or a bare multiaddr when the repo has no token file), for parseApiInfo. */
  apiInfo: string;
  /** Where it came from, safe to show: an environment variable name or a file path, never the token. */
  source: string;
}

export interface DiscoverOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file, undefined when it does not exist or cannot be read. */
  readFile?: (path: string) => string | undefined;
  homeDir?: string;
}

const envVars: Record<LotusApiKind, readonly string[]> = {
  full: ['FULLNODE_API_INFO'],
  // STORAGE_API_INFO is lotus's deprecated alias.
  miner: ['MINER_API_INFO', 'STORAGE_API_INFO'],
};

const repoVars: Record<LotusApiKind, readonly string[]> = {
  full: ['LOTUS_PATH'],
  miner: ['LOTUS_MINER_PATH', 'LOTUS_STORAGE_PATH'],
};

const defaultRepo: Record<LotusApiKind, string> = { full: '.lotus', miner: '.lotusminer' };

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Finds a node's API the way the lotus CLI does when no endpoint is configured: the `*_API_INFO` variable, else
 * the repo's `api` and `token` files (whitespace trimmed, as lotus reads them). This is what lets the bot run
 * with no config file on a miner host.
 */
export function discoverApiInfo(kind: LotusApiKind, options: DiscoverOptions = {}): DiscoveredApiInfo | undefined {
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? readIfPresent;
  for (const name of envVars[kind]) {
    const value = env[name]?.trim();
    if (value) return { apiInfo: value, source: name };
  }
  const repoVar = repoVars[kind].find((name) => env[name]?.trim());
  const repo = repoVar ? (env[repoVar] as string).trim() : join(options.homeDir ?? homedir(), defaultRepo[kind]);
  const apiPath = join(repo, 'api');
  const address = readFile(apiPath)?.trim();
  if (!address) return undefined;
  const token = readFile(join(repo, 'token'))?.trim();
  return { apiInfo: token ? `${token}:${address}` : address, source: apiPath };
}

import { registerCommands } from '../adapters/discord/register-commands.js';
import { makeRequestThrough } from '../adapters/discord/rest-options.js';
import { parseDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import { loadCommands } from '../core/load-commands.js';
import { createLogger } from '../core/logger.js';
import { createPlatformTransport } from '../net/platform-transport.js';
import { proxySettings } from '../net/proxy-settings.js';
import { resolveConfig } from './resolve-config.js';

/** `lotus-chatops register-commands`: one bulk registration of the slash commands, through the configured proxy. */
export async function registerDiscordCommands(configPath: string, global: boolean): Promise<number> {
  const { config } = await resolveConfig(configPath, process.env);
  if (!config.discord)
    throw new OpsError('USAGE', { detail: 'register-commands needs a discord section in the configuration' });
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level });
  // Through the configured proxy, like every other Discord call.
  const timeoutMs = parseDuration(config.network.timeout);
  const transport = createPlatformTransport(proxySettings(config.network, process.env), {
    log,
    connectTimeoutMs: timeoutMs,
  });
  try {
    const summary = await registerCommands({
      config: config.discord,
      commands: await loadCommands(),
      ...(global ? { scope: 'global' as const } : {}),
      log,
      rest: { timeoutMs, retries: config.network.retries, makeRequest: makeRequestThrough(transport.fetch) },
    });
    process.stdout.write(`${summary.text}\n`);
  } finally {
    await transport.close();
  }
  return 0;
}

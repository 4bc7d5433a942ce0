import { REST, Routes } from 'discord.js';
import { z } from 'zod';
import type { PlatformTransport } from '../../net/platform-transport.js';
import type { ProbeTarget } from '../../net/probe-platforms.js';
import { botToken } from './bot-token.js';
import { discordError } from './discord-error.js';
import { type DiscordConfig, discordRestOptions, makeRequestThrough } from './rest-options.js';

const me = z.looseObject({ username: z.string() });
const gateway = z.looseObject({ url: z.string() });

/**
 * What check-config --probe tries for Discord, over the transport the bot would use: the REST API with the bot token
 * (who am I, and where is the gateway), then the gateway host the answer names. One attempt each, no retries.
 */
export function discordProbeTargets(
  config: DiscordConfig,
  transport: PlatformTransport,
  timeoutMs: number,
): ProbeTarget[] {
  const options = discordRestOptions(config, {
    timeoutMs,
    retries: 0,
    makeRequest: makeRequestThrough(transport.fetch),
  });
  const api = options.api ?? '';
  return [
    {
      name: 'Discord REST API',
      url: `${api}/`,
      check: async () => {
        const rest = new REST({ ...options, hashSweepInterval: 0, handlerSweepInterval: 0 }).setToken(
          botToken(config.token),
        );
        try {
          const user = me.parse(await rest.get(Routes.user('@me')));
          const found = gateway.parse(await rest.get(Routes.gatewayBot()));
          const url = new URL(found.url);
          return {
            detail: `bot token accepted: ${user.username}`,
            next: { name: 'Discord gateway WebSocket', url: `${url.protocol}//${url.host}/` },
          };
        } catch (error) {
          throw discordError(error, { api, action: 'checking the bot token' });
        } finally {
          rest.clearHashSweeper();
          rest.clearHandlerSweeper();
        }
      },
    },
  ];
}

import { DiscordAPIError, REST, Routes } from 'discord.js';
import { z } from 'zod';
import type { CommandDefinition } from '../../core/command.js';
import type { Logger } from '../../core/logger.js';
import { botToken } from './bot-token.js';
import { commandPayloads } from './command-payloads.js';
import { discordApiDetail, discordError, discordErrors } from './discord-error.js';
import { type DiscordConfig, type DiscordRestTuning, discordRestOptions } from './rest-options.js';

export interface RegisterCommandsOptions {
  config: DiscordConfig;
  /** The declarations to register: usually every file in commands/ (`loadCommands()`). */
  commands: readonly CommandDefinition[];
  /** Default: the guild when `discord.guildId` is set (shows at once), else global (may take up to an hour). */
  scope?: 'guild' | 'global';
  log?: Logger;
  rest?: DiscordRestTuning;
}

export interface RegistrationSummary {
  scope: 'guild' | 'global';
  guildId?: string;
  /** The command names Discord holds now, as it answered. */
  commands: string[];
  /** One line for the CLI to print. */
  text: string;
}

const registered = z.array(z.looseObject({ id: z.string(), name: z.string() }));

/**
 * Registers the slash commands with one bulk PUT, which replaces the whole set: running it twice changes nothing, and
 * a command removed from commands/ disappears from Discord. Run it when the commands change, not at every start:
 * Discord allows 200 command creations per guild and day.
 */
export async function registerCommands(options: RegisterCommandsOptions): Promise<RegistrationSummary> {
  const { config } = options;
  const scope = options.scope ?? (config.guildId ? 'guild' : 'global');
  const guildId = config.guildId;
  if (scope === 'guild' && guildId === undefined) {
    throw discordErrors('DISCORD_REGISTRATION_REFUSED', {
      scope: 'for a guild',
      detail: 'discord.guildId is not set in the configuration',
    });
  }
  const body = commandPayloads(options.commands);
  const restOptions = discordRestOptions(config, options.rest);
  // A one-shot client: no sweeper timers left running after the CLI is done.
  const rest = new REST({ ...restOptions, hashSweepInterval: 0, handlerSweepInterval: 0 }).setToken(
    botToken(config.token),
  );
  const route =
    guildId !== undefined && scope === 'guild'
      ? Routes.applicationGuildCommands(config.applicationId, guildId)
      : Routes.applicationCommands(config.applicationId);
  const where = scope === 'guild' ? `in guild ${guildId}` : 'globally';
  options.log?.info({ scope, guildId, commands: body.map((c) => c.name) }, 'registering Discord slash commands');
  let answer: unknown;
  try {
    answer = await rest.put(route, { body });
  } catch (error) {
    if (error instanceof DiscordAPIError && error.status !== 401) {
      throw discordErrors(
        'DISCORD_REGISTRATION_REFUSED',
        { scope: where, detail: discordApiDetail(error) },
        { cause: error },
      );
    }
    throw discordError(error, { api: restOptions.api ?? '', action: `registering commands ${where}` });
  }
  const parsed = registered.safeParse(answer);
  if (!parsed.success) {
    throw discordErrors('DISCORD_REGISTRATION_REFUSED', {
      scope: where,
      detail: `Discord answered with an unexpected shape: ${parsed.error.message}`,
    });
  }
  const names = parsed.data.map((c) => c.name);
  return {
    scope,
    ...(scope === 'guild' && guildId !== undefined ? { guildId } : {}),
    commands: names,
    text: `Registered ${names.length} Discord command(s) ${where}: ${names.map((n) => `/${n}`).join(', ')}`,
  };
}

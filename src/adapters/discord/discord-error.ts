import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, HTTPError } from 'discord.js';
import { errorCatalogue, isOpsError, OpsError } from '../../core/errors.js';
import { platformNetworkError } from '../../net/platform-error.js';

/** What Discord itself refused, in the operator's words (the core's catalogue has the rest). */
export const discordErrors = errorCatalogue({
  DISCORD_TOKEN_REFUSED: {
    message: 'Discord refused the bot token ({detail}).',
    hint: 'Set discord.token to the bot token from the Developer Portal (your application → Bot → Reset Token), without a "Bot " prefix.',
    kind: 'failed',
  },
  DISCORD_COMMAND_INVALID: {
    message: 'Command /{command} cannot be registered on Discord: {detail}.',
    hint: 'Discord takes lower-case names of 1–32 letters, digits, "-" or "_", at most 25 options, subcommands or choices, and 4000 characters per command.',
    kind: 'failed',
  },
  DISCORD_REGISTRATION_REFUSED: {
    message: 'Discord refused to register the commands {scope}: {detail}.',
    hint: 'Check discord.applicationId and discord.guildId, and that the bot was invited to the guild with the applications.commands scope.',
    kind: 'failed',
  },
});

/**
 * A failed Discord call as the operator should read it: a refused token, a refusal with Discord's own code and text,
 * or the hop that could not be reached. Anything else keeps its message; the original is kept as the cause.
 */
export function discordError(error: unknown, where: { api: string; action: string }): OpsError {
  if (isOpsError(error)) return error;
  if (error instanceof DiscordAPIError) {
    if (error.status === 401)
      return discordErrors(
        'DISCORD_TOKEN_REFUSED',
        { detail: `HTTP 401 when ${where.action}: ${error.message}` },
        { cause: error },
      );
    return new OpsError(
      'PLATFORM_UNREACHABLE',
      { platform: 'Discord', hop: `${where.action} at ${where.api}`, detail: discordApiDetail(error) },
      { cause: error },
    );
  }
  if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
    return discordErrors('DISCORD_TOKEN_REFUSED', { detail: `HTTP 401 when ${where.action}` }, { cause: error });
  }
  // @discordjs/ws reports the gateway's close code 4004 as a plain Error with this text, and nothing else.
  if (error instanceof Error && error.message === 'Authentication failed') {
    return discordErrors(
      'DISCORD_TOKEN_REFUSED',
      { detail: 'the gateway closed with 4004, authentication failed' },
      { cause: error },
    );
  }
  // A hop that failed on the way (DNS, the proxy, TLS, a timeout) is named as such.
  const network =
    error instanceof HTTPError ? undefined : platformNetworkError('Discord', `${where.action} at ${where.api}`, error);
  if (network) return network;
  const detail =
    error instanceof HTTPError
      ? `HTTP ${error.status} ${error.message}`
      : error instanceof Error && error.name === 'AbortError'
        ? 'no answer within the timeout'
        : describe(error);
  return new OpsError(
    'PLATFORM_UNREACHABLE',
    { platform: 'Discord', hop: `${where.action} at ${where.api}`, detail },
    { cause: error },
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
  return `${error.message}${code}${cause}`;
}

/** Discord's refusal in one line: status, Discord's error code and its text. */
export function discordApiDetail(error: DiscordAPIError): string {
  const code = typeof error.code === 'number' && error.code !== 0 ? `, code ${error.code}` : '';
  // Discord always answers its own routes with a JSON error code; without one, something else answered.
  const elsewhere =
    code === '' && error.status === 404
      ? " (not an answer of Discord's API: is discord.apiUrl the base up to /api?)"
      : '';
  return `HTTP ${error.status}${code}: ${error.message}${elsewhere}`;
}

import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationCommandOptionType } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommands } from '../../../src/adapters/discord/register-commands.js';
import type { DiscordConfig } from '../../../src/adapters/discord/rest-options.js';
import type { CommandDefinition } from '../../../src/core/command.js';
import { OpsError } from '../../../src/core/errors.js';
import { FakeDiscordRest } from '../../helpers/discord-fake-rest.js';
import { discordIds, discordToken } from '../../helpers/discord-interactions.js';
import { reportCommand } from '../../helpers/discord-test-commands.js';
import { createHarness, type Harness } from '../../helpers/runtime-harness.js';

interface Payload {
  name: string;
  description: string;
  options: Array<{
    type: number;
    name: string;
    required?: boolean;
    choices?: unknown[];
    options?: Array<{ name: string; type: number }>;
  }>;
}

let rest: FakeDiscordRest;
let h: Harness;
let commands: readonly CommandDefinition[];
let config: DiscordConfig;
beforeAll(async () => {
  rest = await FakeDiscordRest.start({ applicationId: discordIds.application, token: discordToken });
  h = await createHarness({ extraCommands: [reportCommand()] });
  commands = h.runtime.definitions();
  config = {
    enabled: true,
    token: discordToken,
    applicationId: discordIds.application,
    guildId: discordIds.guild,
    apiUrl: `${rest.apiUrl}/v10/`,
  };
});
afterAll(async () => {
  await rest?.close();
  await h?.close();
});

/** A loopback port with nothing listening: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function refusal(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof OpsError)) throw new Error(`expected an OpsError, got ${String(error)}`);
  return error;
}

describe('registering the slash commands', () => {
  it('given a guild in the config, when commands are registered, then one bulk PUT to the guild route carries every declaration', async () => {
    const summary = await registerCommands({ config, commands, rest: { retries: 0 } });
    const puts = rest.find((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    const [put] = puts;
    expect(put?.path).toBe(`/api/v10/applications/${discordIds.application}/guilds/${discordIds.guild}/commands`);
    expect(put?.headers.authorization).toBe(`Bot ${discordToken}`);
    const body = put?.body as Payload[];
    expect(body.map((c) => c.name)).toEqual(commands.map((c) => c.name));
    const byName = new Map(body.map((c) => [c.name, c]));
    expect(byName.get('destroy')?.options).toEqual([
      { type: ApplicationCommandOptionType.String, name: 'target', description: 'What to destroy', required: true },
    ]);
    expect(byName.get('audit')?.options.find((o) => o.name === 'limit')?.type).toBe(
      ApplicationCommandOptionType.Integer,
    );
    expect(byName.get('approvals')?.options.map((o) => [o.type, o.name])).toEqual([
      [ApplicationCommandOptionType.Subcommand, 'list'],
      [ApplicationCommandOptionType.Subcommand, 'approve'],
      [ApplicationCommandOptionType.Subcommand, 'deny'],
    ]);
    expect(byName.get('report')?.options.find((o) => o.name === 'format')?.choices).toEqual([
      { name: 'table', value: 'table' },
      { name: 'list', value: 'list' },
    ]);
    expect(summary).toMatchObject({ scope: 'guild', guildId: discordIds.guild, commands: commands.map((c) => c.name) });
    expect(summary.text).toMatch(
      new RegExp(`^Registered ${commands.length} Discord command\\(s\\) in guild ${discordIds.guild}: /`),
    );
  });

  it('given the global scope, when commands are registered, then they go to the application route', async () => {
    const summary = await registerCommands({ config, commands, scope: 'global', rest: { retries: 0 } });
    expect(rest.requests.at(-1)?.path).toBe(`/api/v10/applications/${discordIds.application}/commands`);
    expect(summary.scope).toBe('global');
    expect(summary.guildId).toBeUndefined();
  });

  it("given Discord refuses the registration, when commands are registered, then the error names the scope and Discord's reason", async () => {
    rest.failNext((r) => r.method === 'PUT', 403, { message: 'Missing Access', code: 50001 });
    const error = await refusal(registerCommands({ config, commands, rest: { retries: 0 } }));
    expect(error.code).toBe('DISCORD_REGISTRATION_REFUSED');
    expect(error.message).toBe(
      `Discord refused to register the commands in guild ${discordIds.guild}: HTTP 403, code 50001: Missing Access.`,
    );
    expect(error.hint).toContain('applications.commands');
  });

  it('given a wrong token, when commands are registered, then the error says the token was refused', async () => {
    const error = await refusal(
      registerCommands({ config: { ...config, token: 'MTE4.wrong.token' }, commands, rest: { retries: 0 } }),
    );
    expect(error.code).toBe('DISCORD_TOKEN_REFUSED');
    expect(error.hint).toContain('discord.token');
  });

  it('given nothing listens at the REST URL, when commands are registered, then the error names the unreachable hop', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}/api`;
    const error = await refusal(registerCommands({ config: { ...config, apiUrl }, commands, rest: { retries: 0 } }));
    expect(error.code).toBe('PLATFORM_UNREACHABLE');
    expect(error.message).toContain(
      `Discord is unreachable (registering commands in guild ${discordIds.guild} at ${apiUrl}): `,
    );
    expect(error.message).toContain('ECONNREFUSED');
  });

  it("given a REST URL that answers without Discord's error codes, when commands are registered, then the error points at discord.apiUrl", async () => {
    rest.failNext((r) => r.method === 'PUT', 404, { message: 'Not Found', code: 0 });
    const error = await refusal(registerCommands({ config, commands, rest: { retries: 0 } }));
    expect(error.message).toContain(
      "HTTP 404: Not Found (not an answer of Discord's API: is discord.apiUrl the base up to /api?)",
    );
  });

  it('given Discord never answers, when commands are registered, then the request times out and the error says so', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const apiUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api`;
      const error = await refusal(
        registerCommands({ config: { ...config, apiUrl }, commands, rest: { retries: 0, timeoutMs: 200 } }),
      );
      expect(error.code).toBe('PLATFORM_UNREACHABLE');
      expect(error.message).toContain('no answer within the timeout');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

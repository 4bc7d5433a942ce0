import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordAdapter } from '../../../src/adapters/discord/discord-adapter.js';
import { OpsError } from '../../../src/core/errors.js';
import { FakeDiscordGateway } from '../../helpers/discord-fake-gateway.js';
import { FakeDiscordRest } from '../../helpers/discord-fake-rest.js';
import { discordIds, discordToken, opsGuild } from '../../helpers/discord-interactions.js';
import { captureLog, createHarness, type Harness } from '../../helpers/runtime-harness.js';

let h: Harness;
let rest: FakeDiscordRest;
let gateway: FakeDiscordGateway;
beforeAll(async () => {
  h = await createHarness();
  rest = await FakeDiscordRest.start({ applicationId: discordIds.application, token: discordToken });
  gateway = await FakeDiscordGateway.start({
    applicationId: discordIds.application,
    token: discordToken,
    guilds: [opsGuild()],
  });
  rest.gatewayUrl = gateway.url;
});
afterAll(async () => {
  await gateway?.close();
  await rest?.close();
  await h?.close();
});

async function startWith(token: string, guildId: string = discordIds.guild): Promise<unknown> {
  const { log } = captureLog();
  const adapter = await startDiscordAdapter({
    config: { enabled: true, token, applicationId: discordIds.application, guildId, apiUrl: rest.apiUrl },
    runtime: h.runtime,
    log,
    posters: h.posters,
    rest: { retries: 0 },
  }).catch((error: unknown) => error);
  return adapter;
}

describe('starting the Discord adapter', () => {
  it('given a token Discord refuses, when the adapter starts, then it fails with the token refusal and registers nothing', async () => {
    const error = await startWith('MTE4MDAw.refused.token');
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).code).toBe('DISCORD_TOKEN_REFUSED');
    expect((error as OpsError).message).toBe('Discord refused the bot token (HTTP 401 when logging in).');
    expect(h.posters.serves('discord')).toBe(false);
    expect(
      await h.posters.post({ platform: 'discord', id: discordIds.channel }, { title: 'x', blocks: [] }),
    ).toBeUndefined();
  });

  it('given the gateway refuses the identify (4004), when the adapter starts, then it fails with the token refusal', async () => {
    const strict = await FakeDiscordGateway.start({
      applicationId: discordIds.application,
      token: 'another-token',
      guilds: [],
    });
    rest.gatewayUrl = strict.url;
    try {
      const error = await startWith(discordToken);
      expect(strict.identifies).toHaveLength(1);
      expect((error as OpsError).code).toBe('DISCORD_TOKEN_REFUSED');
      expect((error as OpsError).message).toContain('the gateway closed with 4004');
    } finally {
      rest.gatewayUrl = gateway.url;
      await strict.close();
    }
  });
});

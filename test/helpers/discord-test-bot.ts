import {
  type DiscordAdapter,
  type DiscordAdapterOptions,
  startDiscordAdapter,
} from '../../src/adapters/discord/discord-adapter.js';
import { FakeDiscordGateway } from './discord-fake-gateway.js';
import { FakeDiscordRest, type RecordedRequest } from './discord-fake-rest.js';
import { discordIds, discordToken, opsGuild } from './discord-interactions.js';
import { type Gate, newGate, reportCommand, slowCommand } from './discord-test-commands.js';
import { renamed } from './proxy-server.js';
import { captureLog, createHarness, type Harness } from './runtime-harness.js';

/** The real adapter on the real discord.js client, against fakes of Discord's REST API and gateway on loopback. */
export interface DiscordTestBot {
  h: Harness;
  rest: FakeDiscordRest;
  gateway: FakeDiscordGateway;
  adapter: DiscordAdapter;
  /** The gate the `slow` command waits on; replace `current` for each test that uses it. */
  slow: { current: Gate };
  logLines: string[];
  /** Delivers an interaction over the gateway, as Discord would. */
  send(interaction: { token: string; channel_id?: string; message?: { id: string } }): void;
  close(): Promise<void>;
}

export interface DiscordTestBotOptions {
  /** Changes to the adapter's options (a transport, health, timeouts). */
  adapter?: Partial<Omit<DiscordAdapterOptions, 'config' | 'runtime' | 'log'>>;
  /**
   * Host names the adapter sees instead of 127.0.0.1 for the REST API and the gateway (also in READY's resume URL):
   * names only the test proxy resolves, so that the fakes can be reached through it and no other way.
   */
  hostNames?: { rest: string; gateway: string };
}

export async function startDiscordTestBot(
  harness: Omit<NonNullable<Parameters<typeof createHarness>[0]>, 'extraCommands'> = {},
  options: DiscordTestBotOptions = {},
): Promise<DiscordTestBot> {
  const slow = { current: newGate() };
  const h = await createHarness({ ...harness, extraCommands: [slowCommand(slow), reportCommand()] });
  const rest = await FakeDiscordRest.start({ applicationId: discordIds.application, token: discordToken });
  const gateway = await FakeDiscordGateway.start({
    applicationId: discordIds.application,
    token: discordToken,
    guilds: [opsGuild()],
  });
  rest.gatewayUrl = options.hostNames ? renamed(gateway.url, options.hostNames.gateway) : gateway.url;
  if (options.hostNames) gateway.advertisedUrl = rest.gatewayUrl;
  const { log, lines } = captureLog();
  const adapter = await startDiscordAdapter({
    config: {
      enabled: true,
      token: discordToken,
      applicationId: discordIds.application,
      guildId: discordIds.guild,
      apiUrl: options.hostNames ? renamed(rest.apiUrl, options.hostNames.rest) : rest.apiUrl,
    },
    runtime: h.runtime,
    log,
    posters: h.posters,
    clock: h.clock,
    rest: { retries: 0, timeoutMs: 5_000 },
    ...options.adapter,
  });
  return {
    h,
    rest,
    gateway,
    adapter,
    slow,
    logLines: lines,
    send(interaction) {
      rest.trackInteraction(interaction.token, interaction.channel_id ?? discordIds.channel, interaction.message?.id);
      gateway.dispatch('INTERACTION_CREATE', interaction);
    },
    async close() {
      await adapter.stop();
      await gateway.close();
      await rest.close();
      await h.close();
    },
  };
}

/** Routes of one interaction, as the fake records them. */
export const routes = {
  callback: (interaction: { id: string; token: string }) =>
    `/api/v10/interactions/${interaction.id}/${interaction.token}/callback`,
  original: (interaction: { token: string }) =>
    `/api/v10/webhooks/${discordIds.application}/${interaction.token}/messages/@original`,
  followUp: (interaction: { token: string }) => `/api/v10/webhooks/${discordIds.application}/${interaction.token}`,
  channelMessages: (channelId: string) => `/api/v10/channels/${channelId}/messages`,
};

export const is =
  (method: string, path: string) =>
  (request: RecordedRequest): boolean =>
    request.method === method && request.path === path;

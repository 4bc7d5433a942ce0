import type { APIMessage, APIMessageComponentGuildInteraction, APIModalSubmitGuildInteraction } from 'discord.js';
import {
  type DiscordAdapter,
  type DiscordAdapterOptions,
  startDiscordAdapter,
} from '../../src/adapters/discord/discord-adapter.js';
import { FakeDiscordGateway } from './discord-fake-gateway.js';
import { FakeDiscordRest, type RecordedRequest } from './discord-fake-rest.js';
import {
  buttonClick,
  discordIds,
  discordToken,
  discordUsers,
  type FakeUser,
  modalSubmit,
  opsGuild,
  slashCommand,
} from './discord-interactions.js';
import { envFileCommand, type Gate, newGate, reportCommand, slowCommand } from './discord-test-commands.js';
import { eventually } from './eventually.js';
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
  /** A runtime made elsewhere (the whole app on the simulator) instead of the harness's. */
  use?: Harness;
}

export async function startDiscordTestBot(
  harness: Omit<NonNullable<Parameters<typeof createHarness>[0]>, 'extraCommands'> = {},
  options: DiscordTestBotOptions = {},
): Promise<DiscordTestBot> {
  const slow = { current: newGate() };
  const h =
    options.use ??
    (await createHarness({ ...harness, extraCommands: [slowCommand(slow), reportCommand(), envFileCommand()] }));
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

/** A destructive request (the harness's /destroy) and the message that carries its buttons. */
export interface OpenRequest {
  id: string;
  message: APIMessage;
  /** The slash command's interaction token. */
  token: string;
}

/** `user` (Rita by default) asks for /destroy TARGET; resolves once the request's message is known to the bot. */
export async function openRequest(
  b: DiscordTestBot,
  target = 'disk-1',
  user = discordUsers.rita,
): Promise<OpenRequest> {
  const ask = slashCommand({ user, command: 'destroy', options: { target } });
  b.send(ask);
  await b.rest.waitFor(is('PATCH', routes.original(ask)));
  const message = b.rest.originalMessage(ask.token) as unknown as APIMessage;
  const button = customIdsOf(message).find((c) => c.startsWith('run:/approvals approve '));
  const id = button?.split(' ')[2] ?? '';
  // As a person would, act only once the message is there: the adapter has told the runtime where it is.
  await eventually(async () => (await b.h.store.messageRefs(`approval:${id}`)).length > 0);
  return { id, message, token: ask.token };
}

/** The custom ids of a message's buttons. */
export function customIdsOf(message: { components?: unknown }): string[] {
  const rows = (message.components ?? []) as Array<{ components?: Array<{ custom_id?: string }> }>;
  return rows.flatMap((r) => (r.components ?? []).map((c) => c.custom_id ?? ''));
}

/**
 * `user` clicks Approve or Deny on a request's message (the button that runs `/approvals approve|deny`). Deny opens a
 * form, answered with `reason`. Resolves with the interactions sent.
 */
export async function clickButton(
  b: DiscordTestBot,
  o: { user: FakeUser; request: { message: APIMessage }; decision: 'approve' | 'deny'; reason?: string },
): Promise<{ click: APIMessageComponentGuildInteraction; submit?: APIModalSubmitGuildInteraction }> {
  const customId = customIdsOf(o.request.message).find((c) => c.includes(`:/approvals ${o.decision} `));
  if (!customId) throw new Error(`the message has no ${o.decision} button`);
  const click = buttonClick({ user: o.user, customId, message: o.request.message });
  b.send(click);
  if (!customId.startsWith('ask:')) return { click };
  await b.rest.waitFor(is('POST', routes.callback(click)));
  const submit = modalSubmit({
    user: o.user,
    customId,
    values: { answer: o.reason ?? 'no reason given' },
    message: o.request.message,
  });
  b.send(submit);
  return { click, submit };
}

/** Where the bot edits a channel message over its own REST API. */
export const messagePath = (message: { id: string; channel_id: string }): string =>
  `${routes.channelMessages(message.channel_id)}/${message.id}`;

import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type Interaction, RESTEvents } from 'discord.js';
import type { ChannelPoster, ChannelPosters } from '../../core/channel-poster.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { OpsError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Runtime } from '../../core/runtime.js';
import type { HealthReporter } from '../../net/connection-health.js';
import type { PlatformTransport } from '../../net/platform-transport.js';
import { ActionButtons } from './action-buttons.js';
import { botToken } from './bot-token.js';
import { ChannelMessages } from './channel-messages.js';
import { DiscordChannelPoster } from './discord-channel-poster.js';
import { discordError } from './discord-error.js';
import { type DiscordGatewayTuning, defaultGatewayTuning, gatewayStrategy } from './gateway-strategy.js';
import { type DiscordConfig, type DiscordRestTuning, discordRestOptions, makeRequestThrough } from './rest-options.js';
import { SlashCommands } from './slash-commands.js';

export interface DiscordAdapterOptions {
  config: DiscordConfig;
  runtime: Pick<Runtime, 'dispatch' | 'messagePosted' | 'promptFor'>;
  log: Logger;
  /** When given, the adapter registers its poster here at start and removes it at stop. */
  posters?: ChannelPosters;
  clock?: Clock;
  rest?: DiscordRestTuning;
  gateway?: DiscordGatewayTuning;
  /**
   * How Discord is reached: through the configured proxy or directly (src/net/platform-transport.ts). REST calls go
   * through its fetch, the gateway WebSocket through its gateway bridge.
   */
  transport?: PlatformTransport;
  /** Where the gateway's state and failed calls are reported, for /health and outage announcements. */
  health?: HealthReporter;
  /** How long `stop()` waits for interactions still being answered (default 10 s). */
  drainTimeoutMs?: number;
}

export interface DiscordAdapter {
  /** Posts to `discord:<channel id>`, edits and answers posted messages; registered in `posters` when given. */
  readonly poster: ChannelPoster;
  /** Stops taking interactions, lets the ones in flight finish (bounded), and closes the gateway. */
  stop(): Promise<void>;
}

/**
 * The Discord adapter: a discord.js client on the gateway (outbound only, no public URL, the Guilds intent only). It
 * takes slash commands, button clicks and modal forms, acknowledges each at once, hands it to the runtime and renders
 * the reply; it decides nothing itself. Resolves once the gateway is READY; rejects with an error that names the
 * failing hop (a refused token, an unreachable REST API or gateway).
 */
export async function startDiscordAdapter(options: DiscordAdapterOptions): Promise<DiscordAdapter> {
  const { config, runtime } = options;
  const log = options.log.child({ adapter: 'discord' });
  const clock = options.clock ?? systemClock;
  const { transport, health } = options;
  const makeRequest = transport ? observedRequest(transport, health) : undefined;
  const restOptions = discordRestOptions(config, { ...options.rest, ...(makeRequest ? { makeRequest } : {}) });
  const gateway: DiscordGatewayTuning = {
    ...options.gateway,
    ...(transport ? { connectVia: (url: string) => transport.gatewayUrl(url) } : {}),
  };
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: restOptions,
    ws: { buildStrategy: gatewayStrategy(gateway) },
    // Command output is shown, never acted on: no @everyone, role or user ping from rendered text.
    allowedMentions: { parse: [] },
  });
  const channelMessages = new ChannelMessages(client.rest);
  const poster = new DiscordChannelPoster(channelMessages, restOptions.api);
  const slash = new SlashCommands({ runtime, clock, log, channelMessages });
  const buttons = new ActionButtons({ runtime, clock, log, channelMessages });

  const inFlight = new Set<Promise<void>>();
  const handle = async (interaction: Interaction): Promise<void> => {
    const receivedAt = clock.now();
    if (interaction.isChatInputCommand()) return slash.onCommand(interaction, receivedAt);
    if (interaction.isButton()) return buttons.onButton(interaction, receivedAt);
    if (interaction.isModalSubmit()) return buttons.onModalSubmit(interaction, receivedAt);
    log.debug({ type: interaction.type }, 'ignored an interaction of a kind the bot does not use');
  };
  const onInteraction = (interaction: Interaction): void => {
    const work = handle(interaction).catch((error: unknown) =>
      log.error({ err: error, interaction: interaction.id }, 'answering a Discord interaction failed'),
    );
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  client.on(Events.InteractionCreate, onInteraction);
  client.on(Events.Error, (error) => log.error({ err: error }, 'Discord client error'));
  client.on(Events.Warn, (message) => log.warn(message));
  let stopping = false;
  client.on(Events.ShardDisconnect, (event, shard) => {
    log.warn({ code: event.code, shard }, 'Discord gateway disconnected and will not reconnect');
    if (!stopping)
      health?.state('down', { hop: 'gateway', detail: `closed with code ${event.code}; not reconnecting` });
  });
  // discord.js reports its own close at stop as a reconnect; only a real one is worth a line.
  client.on(Events.ShardReconnecting, (shard) => {
    if (stopping) return;
    log.info({ shard }, 'Discord gateway reconnecting');
    health?.state('reconnecting');
  });
  client.on(Events.ShardResume, (shard, replayed) => {
    log.info({ shard, replayed }, 'Discord gateway resumed');
    health?.state('connected');
  });
  client.on(Events.ShardReady, () => health?.state('connected'));
  client.on(Events.ShardError, (error) => {
    if (!stopping) health?.problem('gateway', transport?.lastFailure?.message ?? error.message);
  });
  // The gateway socket's failed hops (through the bridge) are otherwise seen by discord.js only as a reset.
  transport?.onConnection((outcome) => {
    if (!outcome.ok && !stopping) health?.problem('connection', outcome.error.message);
  });
  client.rest.on(RESTEvents.RateLimited, (info) =>
    log.warn(
      { route: info.route, retryAfterMs: info.retryAfter, global: info.global },
      'Discord rate limit reached; requests wait',
    ),
  );

  await connect(
    client,
    config,
    restOptions.api ?? '',
    options.gateway?.startTimeoutMs ?? defaultGatewayTuning.startTimeoutMs,
    () => transport?.lastFailure?.message,
  );
  const guildId = config.guildId;
  if (guildId !== undefined && !client.guilds.cache.has(guildId)) {
    log.warn({ guildId }, 'the bot is not a member of discord.guildId: invite it to that guild, or correct the id');
  }
  log.info({ bot: client.user?.tag, guilds: client.guilds.cache.size }, 'Discord adapter connected');
  options.posters?.register(poster);

  let stopped: Promise<void> | undefined;
  return {
    poster,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        client.off(Events.InteractionCreate, onInteraction);
        options.posters?.unregister(poster.platform);
        await drain(inFlight, options.drainTimeoutMs ?? 10_000);
        await client.destroy();
        health?.state('down', { hop: 'gateway', detail: 'the adapter stopped' });
        log.info('Discord adapter stopped');
      })();
      return stopped;
    },
  };
}

async function connect(
  client: Client,
  config: DiscordConfig,
  api: string,
  timeoutMs: number,
  lastFailure: () => string | undefined,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const ready = once(client, Events.ClientReady, { signal: controller.signal });
  const timedOut = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => {
      // A gateway that cannot be reached is retried quietly by @discordjs/ws; the failed hop, if one was seen, says why.
      const failure = lastFailure();
      reject(
        new OpsError('PLATFORM_UNREACHABLE', {
          platform: 'Discord',
          hop: 'gateway',
          detail: failure ? `not READY within ${timeoutMs} ms; ${failure}` : `not READY within ${timeoutMs} ms`,
        }),
      );
    });
  });
  // Whichever loses the race settles later with nobody listening.
  ready.catch(() => undefined);
  timedOut.catch(() => undefined);
  try {
    await Promise.race([client.login(botToken(config.token)).then(() => ready), timedOut]);
  } catch (error) {
    await client.destroy();
    throw discordError(error, { api, action: 'logging in' });
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function drain(inFlight: Set<Promise<void>>, timeoutMs: number): Promise<void> {
  if (inFlight.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled([...inFlight]), bound]);
  clearTimeout(timer);
}

/**
 * REST requests through the transport's fetch; a request that fails (a timeout included) is Discord's latest problem
 * in /health. @discordjs/rest passes its own abort signal (its timeout); the `dispatcher` it also passes (its unset
 * agent) is replaced by the transport's.
 */
function observedRequest(
  transport: PlatformTransport,
  health: HealthReporter | undefined,
): NonNullable<DiscordRestTuning['makeRequest']> {
  const request = makeRequestThrough(transport.fetch);
  return async (url, init) => {
    try {
      return await request(url, init);
    } catch (error) {
      health?.problem(
        `REST ${new URL(url).pathname}`,
        transport.lastFailure?.message ?? (error instanceof Error ? error.message : String(error)),
      );
      throw error;
    }
  };
}

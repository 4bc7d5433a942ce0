import {
  type AnyMiddlewareArgs,
  App,
  HTTPReceiver,
  type Receiver,
  SocketModeReceiver,
  type SocketModeReceiverOptions,
  webApi,
} from '@slack/bolt';
import type { z } from 'zod';
import type { configSchema } from '../../config/schema.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { OpsError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { LinkState } from '../../core/platform-health.js';
import type { RbacRules } from '../../core/rbac.js';
import type { Runtime } from '../../core/runtime.js';
import type { HealthReporter } from '../../net/connection-health.js';
import type { PlatformTransport } from '../../net/platform-transport.js';
import { ActionButtons } from './action-buttons.js';
import { askCallbackId } from './ask-modal.js';
import { boltLogger } from './bolt-logger.js';
import {
  defaultTimeoutMs,
  type SlackFetch,
  type SlackRetryOptions,
  slackClientOptions,
  socketLinkRetryConfig,
} from './client-options.js';
import { handleSlashCommand } from './command-handler.js';
import { SlackIdentity } from './identity.js';
import { type ReplayMemory, RequestGuard } from './request-guard.js';
import { ResponseUrl } from './response-url.js';
import { type SignedHttpServer, startSignedHttpServer } from './signed-http-server.js';
import { slackError } from './slack-error.js';
import { blockActionSchema, slashCommandSchema, viewSubmissionSchema } from './slack-payloads.js';
import { SlackPoster } from './slack-poster.js';

export type SlackConfig = NonNullable<z.output<typeof configSchema>['slack']>;

export interface SlackAdapterOptions {
  runtime: Runtime;
  /** The `slack` section of the configuration. */
  config: SlackConfig;
  /** The configuration's `rbac`: user groups are read from Slack only when a rule names a `slack-group:`. */
  rbac: RbacRules;
  log: Logger;
  clock?: Clock;
  /**
   * How Slack is reached: through the configured proxy or directly (src/net/platform-transport.ts). It carries every
   * Web API call, response_url post and the Socket Mode WebSocket, and takes precedence over `fetch` and `dispatcher`.
   */
  transport?: PlatformTransport;
  /** Transport of every Web API call and response_url post (a proxy's fetch, a test's); default: global fetch. */
  fetch?: SlackFetch;
  /** undici dispatcher for the Socket Mode WebSocket (and for apps.connections.open when `fetch` is not given). */
  dispatcher?: SocketModeReceiverOptions['dispatcher'];
  /** Where the link's state and failed calls are reported, for /health and outage announcements. */
  health?: HealthReporter;
  /**
   * Socket Mode links kept open at once (default 1). Slack refreshes a link every few hours: socket-mode closes it on
   * Slack's warning and opens the next one about 5 s later, and a command sent in between is lost. Slack delivers each
   * command to one open link, so with 2 the other link takes it; gaps with no link open are measured either way.
   */
  socketLinks?: number;
  /** How long starting waits for the first Socket Mode link (default 60 s). */
  startTimeoutMs?: number;
  /** Web API calls (defaults in client-options.ts: 2 retries, 10 s per attempt). */
  retryConfig?: SlackRetryOptions;
  /** The Socket Mode link's apps.connections.open (default: about 12 minutes of attempts). */
  linkRetryConfig?: SlackRetryOptions;
  /** socket-mode's clientPingTimeout: how long a pong may take, and the step of its reconnect delay (default 5 s). */
  socketPingTimeoutMs?: number;
  timeoutMs?: number;
  /** HTTP mode: where to listen. Defaults to `config.port` on every interface. */
  listen?: { port?: number; host?: string };
  /** How long Slack user-group membership is cached. */
  groupCacheTtlMs?: number;
  /** How long `stop()` waits for commands still being answered. */
  drainMs?: number;
  /** HTTP mode: where verified request signatures are remembered (the store, in the running bot). */
  replays?: ReplayMemory;
  /** HTTP mode: header and whole-request deadlines of the listener (defaults in signed-http-server.ts). */
  httpTimeouts?: { headersMs?: number; requestMs?: number };
}

export type SlackConnectionState =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnected'
  | 'listening'
  | 'stopped';

export interface SlackAdapter {
  /** Register with the app's ChannelPosters: approval outcomes and alerts for `slack:<channel>` go through it. */
  poster: SlackPoster;
  /** HTTP mode: the port listened on. */
  port?: number;
  /** The Socket Mode link (or HTTP listener) as last seen, since when; for /health and the alerts engine later. */
  connection(): { state: SlackConnectionState; since: number; reconnects: number };
  /** Stops taking requests, then waits (boundedly) for the ones being answered. */
  stop(): Promise<void>;
}

const eventsPath = '/slack/events';

/**
 * The Slack adapter: a Bolt app that takes slash commands, button clicks and their forms, acknowledges each at once in
 * one place, hands it to the runtime and renders the answer. It decides nothing itself, and knows no command.
 *
 * Socket Mode (the default) dials out to Slack and needs no public URL; HTTP mode listens on `config.port` at
 * /slack/events and checks Slack's request signature, refusing future-dated and replayed requests too.
 */
export async function startSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { config, runtime } = options;
  const log = options.log.child({ adapter: 'slack' });
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const health = options.health;
  const transport = options.transport;
  const baseFetch: SlackFetch | undefined = transport ? (transport.fetch as unknown as SlackFetch) : options.fetch;
  // Every failed Web API call and response_url post (a timeout included) is the platform's latest problem in /health.
  const observedFetch: SlackFetch | undefined =
    baseFetch && health
      ? async (url, init) => {
          try {
            return await baseFetch(url, init);
          } catch (error) {
            health.problem(`HTTP to ${hostOf(url)}`, transport?.lastFailure?.message ?? describe(error));
            throw error;
          }
        }
      : baseFetch;
  const dispatcher = transport ? (transport.dispatcher as SocketModeReceiverOptions['dispatcher']) : options.dispatcher;
  const settings = {
    ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
    ...(observedFetch ? { fetch: observedFetch } : {}),
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
    timeoutMs,
  };
  const logger = boltLogger(log);
  let state: SlackConnectionState = 'connecting';
  let since = clock.now();
  let reconnects = 0;
  let stopping: Promise<void> | undefined;
  const moveTo = (next: SlackConnectionState): void => {
    if (next === state) return;
    state = next;
    since = clock.now();
    health?.state(linkStateOf(next));
  };

  let receiver: Receiver;
  let httpReceiver: HTTPReceiver | undefined;
  const standbyLinks: SocketModeReceiver[] = [];
  if (config.mode === 'socket') {
    // socket-mode retries a token of the wrong kind for ever, so a start would hang instead of saying what is wrong.
    if (!config.appToken?.startsWith('xapp-')) {
      throw new OpsError('CONFIG_INVALID', {
        count: 1,
        detail: 'slack.appToken: Socket Mode needs an app-level token, which starts with xapp-',
      });
    }
    const appToken = config.appToken;
    const socketLink = (): SocketModeReceiver =>
      new SocketModeReceiver({
        appToken,
        logger,
        // Its own options object with its own policy: socket-mode writes into the object it is given, and without a
        // policy it would write {retries: 100} into the options every listener's client is made from.
        installerOptions: {
          clientOptions: slackClientOptions({
            ...settings,
            retryConfig: options.linkRetryConfig ?? socketLinkRetryConfig,
          }),
        },
        ...(dispatcher ? { dispatcher } : {}),
        ...(options.socketPingTimeoutMs ? { clientPingTimeout: options.socketPingTimeoutMs } : {}),
        // Whatever failed, Slack gets its acknowledgement (and stops showing the user a timeout); the error is logged.
        processEventErrorHandler: async ({ error }) => {
          log.error({ err: error }, 'Bolt could not process a Slack request');
          return true;
        },
      });
    const socketReceiver = socketLink();
    for (let i = 1; i < Math.max(1, options.socketLinks ?? 1); i++) standbyLinks.push(socketLink());
    watchSocket([socketReceiver, ...standbyLinks], {
      log,
      clock,
      stopping: () => stopping !== undefined,
      onState: (next, lost) => {
        if (lost) reconnects++;
        moveTo(next);
      },
      ...(health ? { health } : {}),
      lastFailure: () => transport?.lastFailure?.message,
    });
    receiver = socketReceiver;
  } else {
    if (!config.signingSecret) {
      throw new OpsError('CONFIG_INVALID', {
        count: 1,
        detail: 'slack.signingSecret: HTTP mode needs the signing secret',
      });
    }
    httpReceiver = new HTTPReceiver({
      signingSecret: config.signingSecret,
      endpoints: eventsPath,
      logger,
      processBeforeResponse: false,
    });
    receiver = httpReceiver;
  }

  const app = new App({
    token: config.botToken,
    receiver,
    socketMode: config.mode === 'socket',
    logger,
    // Every Web API client Bolt builds (app.client and each listener's client) is made from these options.
    clientOptions: slackClientOptions(settings),
    deferInitialization: true,
    convoStore: false,
  });
  app.client.on(webApi.WebClientEvent.RATE_LIMITED, (retryAfter: number, details: { url?: string }) => {
    log.warn(
      { retryAfterSeconds: retryAfter, url: details.url },
      'Slack rate-limited a call; it is retried after the wait Slack asked for',
    );
  });
  app.error(async (error) => {
    log.error({ err: error }, 'error in the Slack adapter');
  });

  const fetch: SlackFetch = observedFetch ?? ((url, init) => globalThis.fetch(url, init));
  const responseUrl = (url: string): ResponseUrl => new ResponseUrl(url, fetch, timeoutMs);
  const poster = new SlackPoster(app.client);
  const identity = new SlackIdentity({
    client: app.client,
    rbac: options.rbac,
    clock,
    log,
    ...(options.groupCacheTtlMs === undefined ? {} : { ttlMs: options.groupCacheTtlMs }),
  });
  const buttons = new ActionButtons({ runtime, identity, poster, client: app.client, responseUrl, log });
  const deps = {
    runtime,
    identity,
    poster,
    responseUrl,
    log,
    ...(config.singleCommand ? { singleCommand: config.singleCommand } : {}),
  };

  const inFlight = new Set<Promise<unknown>>();
  // The one place where Slack requests are acknowledged: first, before any work, for every kind, whether or not a
  // listener matches and whatever it later does. Socket Mode never acknowledges on its own, and Slack shows the user
  // a failure after 3 s without one. Events are acknowledged by Bolt itself.
  app.use(async (args) => {
    const ack = ackOf(args);
    if (ack) await ack().catch((error: unknown) => log.warn({ err: error }, 'could not acknowledge a Slack request'));
    const work = args.next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });

  app.command(/^\/.+/, async ({ body }) => {
    const payload = slashCommandSchema.safeParse(body);
    if (!payload.success) return unexpected(log, 'slash command', payload.error);
    await handleSlashCommand(deps, payload.data);
  });
  app.action(/^(run|ask):/, async ({ body }) => {
    const payload = blockActionSchema.safeParse(body);
    if (!payload.success) return unexpected(log, 'button click', payload.error);
    await buttons.click(payload.data);
  });
  app.view(askCallbackId, async ({ body }) => {
    const payload = viewSubmissionSchema.safeParse(body);
    if (!payload.success) return unexpected(log, 'form', payload.error);
    await buttons.submit(payload.data);
  });

  try {
    await app.init();
  } catch (error) {
    throw slackError('auth.test', error, { token: 'bot' });
  }

  let server: SignedHttpServer | undefined;
  if (httpReceiver && config.signingSecret) {
    server = await startSignedHttpServer({
      port: options.listen?.port ?? config.port,
      ...(options.listen?.host ? { host: options.listen.host } : {}),
      path: eventsPath,
      guard: new RequestGuard({
        signingSecret: config.signingSecret,
        now: () => clock.now(),
        ...(options.replays ? { replays: options.replays } : {}),
      }),
      ...(options.httpTimeouts?.headersMs === undefined ? {} : { headersTimeoutMs: options.httpTimeouts.headersMs }),
      ...(options.httpTimeouts?.requestMs === undefined ? {} : { requestTimeoutMs: options.httpTimeouts.requestMs }),
      handler: httpReceiver.requestListener,
      log,
    });
    moveTo('listening');
    log.info({ port: server.port, path: eventsPath }, 'Slack adapter listening (HTTP mode)');
  } else {
    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    try {
      await withTimeout(app.start(), startTimeoutMs);
    } catch (error) {
      if (error === timedOut) {
        await Promise.resolve(app.stop()).catch(() => undefined);
        throw new OpsError('PLATFORM_UNREACHABLE', {
          platform: 'Slack',
          hop: 'Socket Mode link',
          detail: transport?.lastFailure?.message ?? `not connected within ${startTimeoutMs} ms`,
        });
      }
      throw slackError('apps.connections.open', error, { token: 'app' });
    }
    // The other links connect in the background; until they do, the first one serves alone.
    for (const link of standbyLinks) {
      link.init(app);
      void Promise.resolve(link.start()).catch((error: unknown) =>
        log.warn(
          { err: slackError('apps.connections.open', error, { token: 'app' }) },
          'a second Slack Socket Mode link could not start',
        ),
      );
    }
    log.info({ links: 1 + standbyLinks.length }, 'Slack adapter connected (Socket Mode)');
  }

  return {
    poster,
    ...(server ? { port: server.port } : {}),
    connection: () => ({ state, since, reconnects }),
    stop: () => {
      stopping ??= (async () => {
        if (server) await server.close();
        else {
          await app.stop();
          await Promise.all(standbyLinks.map((link) => Promise.resolve(link.stop()).catch(() => undefined)));
        }
        await drain(inFlight, options.drainMs ?? 10_000, log);
        moveTo('stopped');
      })();
      return stopping;
    },
  };
}

/** The ack function of every request that has one (not of events, which Bolt acknowledges itself). */
function ackOf(args: AnyMiddlewareArgs): (() => Promise<void>) | undefined {
  if (!('ack' in args) || typeof args.ack !== 'function') return undefined;
  const ack = args.ack as () => Promise<void>;
  return () => ack();
}

function unexpected(log: Logger, what: string, error: z.ZodError): void {
  log.warn(
    { issues: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    `a ${what} from Slack had an unexpected shape; ignored`,
  );
}

interface SocketWatch {
  log: Logger;
  clock: Clock;
  stopping: () => boolean;
  /** The adapter's state, and whether a link was just lost (a reconnect). */
  onState: (state: SlackConnectionState, lost: boolean) => void;
  health?: HealthReporter;
  /** The transport's latest failed hop: undici reports a failed WebSocket without its cause. */
  lastFailure: () => string | undefined;
}

/**
 * Follows the Socket Mode links. Slack refreshes each every few hours (and warns 10 s before); socket-mode then closes
 * it and waits about 5 s before reconnecting. While no link is open, a command sent is lost (the user sees
 * dispatch_failed): that gap is logged when it opens and, with its length, when it closes, and reported to /health.
 * With a second link open, a refresh leaves no gap.
 */
function watchSocket(links: SocketModeReceiver[], watch: SocketWatch): void {
  const { log, clock } = watch;
  const open = new Set<number>();
  let lostAt: number | undefined;
  let everConnected = false;
  const report = (): void => watch.health?.links(open.size, links.length);
  links.forEach((link, index) => {
    link.client.on('connected', () => {
      open.add(index);
      report();
      if (lostAt !== undefined) {
        const gapMs = clock.now() - lostAt;
        watch.health?.gap(gapMs);
        log.warn({ gapMs }, 'Slack Socket Mode link is back; commands sent during the gap were lost');
      }
      lostAt = undefined;
      everConnected = true;
      watch.onState('connected', false);
    });
    link.client.on('close', () => {
      if (watch.stopping() || !open.has(index)) return;
      open.delete(index);
      report();
      if (open.size > 0) {
        log.info(
          { link: index + 1, open: open.size },
          'a Slack Socket Mode link closed; another link takes commands while it reconnects',
        );
        watch.onState('connected', true);
        return;
      }
      lostAt = clock.now();
      log.warn(
        'Slack Socket Mode link closed; it reconnects in a few seconds, and Slack cannot deliver commands until then',
      );
      watch.onState('reconnecting', true);
    });
    link.client.on('error', (error: unknown) => {
      if (watch.stopping()) return;
      const detail = watch.lastFailure() ?? describe(error);
      watch.health?.problem('Socket Mode WebSocket', detail);
      if (everConnected) log.warn({ link: index + 1, detail }, 'Slack Socket Mode link failed; it keeps reconnecting');
    });
    link.client.on('reconnecting', () => log.debug({ link: index + 1 }, 'Slack Socket Mode: reconnecting'));
    link.client.on('disconnected', () => {
      if (index === 0) watch.onState('disconnected', false);
    });
  });
}

const timedOut = Symbol('timed out');

/** The promise's outcome, or a rejection with `timedOut` after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function linkStateOf(state: SlackConnectionState): LinkState {
  if (state === 'connected' || state === 'listening') return 'connected';
  if (state === 'connecting' || state === 'reconnecting') return 'reconnecting';
  return 'down';
}

function hostOf(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return 'Slack';
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

async function drain(inFlight: Set<Promise<unknown>>, ms: number, log: Logger): Promise<void> {
  if (inFlight.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  const result = await Promise.race([Promise.allSettled([...inFlight]), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout')
    log.warn({ pending: inFlight.size }, 'stopped while Slack requests were still being answered');
}

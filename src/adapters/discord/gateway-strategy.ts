import { SimpleShardingStrategy, type WebSocketOptions } from 'discord.js';

type BuildStrategy = NonNullable<WebSocketOptions['buildStrategy']>;

/** How the gateway WebSocket is opened and how long each step may take. */
export interface DiscordGatewayTuning {
  /** Opening the WebSocket (TCP, TLS, upgrade), in ms (default 15 s). */
  handshakeTimeoutMs?: number;
  /** From open to Discord's HELLO (default 30 s). */
  helloTimeoutMs?: number;
  /** From IDENTIFY to READY (default 15 s). */
  readyTimeoutMs?: number;
  /** How long starting the adapter waits for the first READY before it gives up (default 60 s). */
  startTimeoutMs?: number;
  /**
   * The sharding strategy, @discordjs/ws's extension point. Default: the library's SimpleShardingStrategy.
   */
  buildStrategy?: BuildStrategy;
  /**
   * Where a shard should connect for a gateway URL Discord named (GET /gateway/bot, and READY's resume URL).
   * @discordjs/ws 1.2 opens the gateway socket itself (`new WebSocket(url, [], { handshakeTimeout })` from `ws`) and
   * takes no agent, but it does take the URL: through a proxy, this gives the URL of the local bridge that tunnels the
   * socket (src/net/gateway-bridge.ts).
   */
  connectVia?: (url: string) => Promise<string>;
}

export const defaultGatewayTuning = {
  handshakeTimeoutMs: 15_000,
  helloTimeoutMs: 30_000,
  readyTimeoutMs: 15_000,
  startTimeoutMs: 60_000,
} as const;

/**
 * discord.js does not pass gateway timeouts on to @discordjs/ws; the sharding strategy reads them from the manager's
 * options when it spawns a shard, so they are set there, just before the strategy is built.
 */
export function gatewayStrategy(tuning: DiscordGatewayTuning = {}): BuildStrategy {
  return (manager) => {
    Object.assign(manager.options, {
      handshakeTimeout: tuning.handshakeTimeoutMs ?? defaultGatewayTuning.handshakeTimeoutMs,
      helloTimeout: tuning.helloTimeoutMs ?? defaultGatewayTuning.helloTimeoutMs,
      readyTimeout: tuning.readyTimeoutMs ?? defaultGatewayTuning.readyTimeoutMs,
    });
    if (tuning.connectVia) routeGateway(manager, tuning.connectVia);
    return tuning.buildStrategy ? tuning.buildStrategy(manager) : new SimpleShardingStrategy(manager);
  };
}

type Manager = Parameters<BuildStrategy>[0];

/**
 * Shards take the gateway URL from the manager's gateway information and, to resume, from the session's resume URL;
 * both are public hooks of @discordjs/ws's WebSocketManager (`fetchGatewayInformation`, the `retrieveSessionInfo`
 * option), and both are read each time a shard connects. Discord's own URLs stay in discord.js's records.
 */
function routeGateway(manager: Manager, connectVia: (url: string) => Promise<string>): void {
  const fetchInformation = manager.fetchGatewayInformation.bind(manager);
  manager.fetchGatewayInformation = async (force?: boolean) => {
    const information = await fetchInformation(force);
    return { ...information, url: await connectVia(information.url) };
  };
  const retrieve = manager.options.retrieveSessionInfo.bind(manager.options);
  manager.options.retrieveSessionInfo = async (shardId: number) => {
    const session = await retrieve(shardId);
    return session ? { ...session, resumeURL: await connectVia(session.resumeURL) } : session;
  };
}

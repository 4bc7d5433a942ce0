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
   * The sharding strategy, @discordjs/ws's extension point. @discordjs/ws 1.2 opens the gateway socket itself
   * (`new WebSocket(url, [], { handshakeTimeout })` from `ws`) and takes no agent, so a connection that must go another
   * way (through a proxy, say) is made by a strategy of its own. Default: the library's SimpleShardingStrategy.
   */
  buildStrategy?: BuildStrategy;
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
    return tuning.buildStrategy ? tuning.buildStrategy(manager) : new SimpleShardingStrategy(manager);
  };
}

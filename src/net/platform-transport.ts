import { Agent, buildConnector, type Dispatcher, fetch as undiciFetch } from 'undici';
import type { Logger } from '../core/logger.js';
import { GatewayBridge, type GatewayBridgeOptions } from './gateway-bridge.js';
import { HopError, hopOf } from './hop-error.js';
import { openTunnel } from './open-tunnel.js';
import { describeProxy, type ProxySettings, proxyFor } from './proxy-settings.js';

/** fetch as undici 7 has it: what Slack's web-api and Discord's REST are given. */
export type PlatformFetch = typeof undiciFetch;

export interface PlatformTransportOptions {
  log: Logger;
  /** Reaching a platform or the proxy, including the proxy's answer to CONNECT and TLS (default 10 s). */
  connectTimeoutMs?: number;
  /** Held between failed gateway tunnels; see GatewayBridge. */
  bridgeBackoff?: GatewayBridgeOptions['backoff'];
}

/**
 * How the bot reaches one chat platform, and nothing else: lotus JSON-RPC and SSH never use it. Each platform gets
 * its own, so that a failed hop is reported to the platform it belongs to.
 *
 * One undici Agent carries every platform HTTP call (Slack's Web API and response_url posts, Discord's REST) and
 * Slack's Socket Mode WebSocket, which undici opens too. Its connector decides per host: direct for NO_PROXY hosts
 * and when no proxy is set, otherwise a CONNECT tunnel through the proxy (for http:// targets as well, so that nothing
 * is ever sent to the proxy in the clear), with TLS to the platform inside it. Discord's gateway WebSocket is opened
 * by `ws` inside @discordjs/ws, which undici cannot reach; it goes through the GatewayBridge (`gatewayUrl`).
 */
export interface PlatformTransport {
  readonly settings: ProxySettings;
  readonly dispatcher: Dispatcher;
  readonly fetch: PlatformFetch;
  /** The URL a gateway shard should open for `url`: the bridge's when the proxy carries it, `url` itself if not. */
  gatewayUrl(url: string): Promise<string>;
  /** Where a URL's traffic goes, for logs and check-config: "direct" or "via http://proxy:3128". */
  route(url: string | URL): string;
  /**
   * Every failed connection (direct or through the proxy, HTTP or WebSocket), and every first success after failures:
   * libraries often report a failed WebSocket without its cause, so adapters take the hop from here.
   */
  onConnection(listener: (outcome: ConnectionOutcome) => void): void;
  /** The latest failure, until a connection succeeds again. */
  readonly lastFailure: HopError | undefined;
  close(): Promise<void>;
}

export type ConnectionOutcome = { ok: true } | { ok: false; error: HopError };

export const defaultConnectTimeoutMs = 10_000;

export function createPlatformTransport(settings: ProxySettings, options: PlatformTransportOptions): PlatformTransport {
  const timeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const listeners: Array<(outcome: ConnectionOutcome) => void> = [];
  let lastFailure: HopError | undefined;
  const outcome = (result: ConnectionOutcome): void => {
    if (result.ok && lastFailure === undefined) return;
    lastFailure = result.ok ? undefined : result.error;
    for (const listener of listeners) listener(result);
  };
  /** Wraps a connector callback so that its outcome is reported. */
  const reporting = (
    target: buildConnector.Options,
    via: URL | undefined,
    callback: buildConnector.Callback,
  ): buildConnector.Callback =>
    ((error: Error | null, socket: unknown) => {
      if (error) outcome({ ok: false, error: asHopError(error, target, via) });
      else outcome({ ok: true });
      (callback as (e: Error | null, s: unknown) => void)(error, socket);
    }) as buildConnector.Callback;
  const direct = buildConnector({ timeout: timeoutMs });
  // TLS to the platform over an open tunnel (undici's own connector, given the tunnel as `httpSocket`).
  const overTunnel = buildConnector({ timeout: timeoutMs });
  const connect: buildConnector.connector = (target, callback) => {
    const secure = target.protocol === 'https:' || target.protocol === 'wss:';
    const port = Number(target.port || (secure ? 443 : 80));
    const url = new URL(
      `${target.protocol}//${target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${port}`,
    );
    const proxy = proxyFor(settings, url);
    const done = reporting(target, proxy, callback);
    if (!proxy) {
      direct(target, done);
      return;
    }
    openTunnel(proxy, { host: target.hostname, port }, { timeoutMs }).then(
      (socket) => {
        if (!secure) done(null, socket);
        else overTunnel({ ...target, httpSocket: socket }, done);
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
  const agent = new Agent({ connect });
  let bridge: GatewayBridge | undefined;

  return {
    settings,
    dispatcher: agent,
    fetch: ((input, init) => undiciFetch(input, { ...init, dispatcher: agent })) as PlatformFetch,
    async gatewayUrl(url) {
      const proxy = proxyFor(settings, url);
      if (!proxy) return url;
      bridge ??= new GatewayBridge({
        proxy,
        log: options.log,
        connectTimeoutMs: timeoutMs,
        ...(options.bridgeBackoff ? { backoff: options.bridgeBackoff } : {}),
        onTunnel: outcome,
      });
      return bridge.urlFor(url);
    },
    route(url) {
      const proxy = proxyFor(settings, url);
      return proxy ? `via ${describeProxy(proxy)}` : 'direct';
    },
    onConnection(listener) {
      listeners.push(listener);
    },
    get lastFailure() {
      return lastFailure;
    },
    async close() {
      await bridge?.close();
      await agent.close();
    },
  };
}

/** A connector failure as a HopError: the tunnel's own, or a direct dial's by its error code. */
function asHopError(error: Error, target: buildConnector.Options, via: URL | undefined): HopError {
  if (error instanceof HopError) return error;
  const found = hopOf(error);
  const authority = `${target.hostname}:${target.port || (target.protocol === 'https:' ? 443 : 80)}`;
  return new HopError(
    found?.kind ?? 'connect',
    authority,
    via ? describeProxy(via) : undefined,
    found?.message ?? error.message,
    { cause: error },
  );
}

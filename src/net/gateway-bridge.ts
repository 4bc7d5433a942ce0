import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from '../core/logger.js';
import { HopError, hopOf } from './hop-error.js';
import { openTunnel } from './open-tunnel.js';
import { authorityOf } from './proxy-settings.js';

export interface GatewayBridgeOptions {
  /** The proxy every bridged connection goes through. */
  proxy: URL;
  log: Logger;
  /** For opening each tunnel (and its TLS). */
  connectTimeoutMs: number;
  /** Each failed or restored tunnel, for the adapter's health. */
  onTunnel?: (outcome: { ok: true } | { ok: false; error: HopError }) => void;
  /**
   * After failed tunnels, how long the next attempt is held before it is tried: doubling from `firstMs` up to `maxMs`.
   * @discordjs/ws retries a failed gateway connection every 500 ms; without this, a dead proxy would get two attempts
   * a second. Keep `maxMs` below the gateway's handshake timeout.
   */
  backoff?: { firstMs: number; maxMs: number };
}

export const defaultBridgeBackoff = { firstMs: 500, maxMs: 10_000 } as const;

/**
 * Carries Discord's gateway WebSocket through the CONNECT proxy. @discordjs/ws 1.2 opens that socket itself
 * (`new WebSocket(url, [], { handshakeTimeout })` from `ws`) and takes no agent, and `ws` dials directly whatever
 * global agent is set. What it does take is the URL: the gateway strategy hands the shard a loopback URL of this
 * bridge instead of Discord's (`urlFor`), and the bridge opens the real connection: a CONNECT tunnel to the gateway
 * host, TLS over it for wss://, then the shard's own upgrade request with the real Host. From there it only copies
 * bytes, so the WebSocket handshake, frames, close codes and resumes stay end to end between discord.js and Discord.
 *
 * It listens on 127.0.0.1 only and relays only to the gateway URLs it was given (under unguessable paths).
 */
export class GatewayBridge {
  private server: Promise<{ server: Server; port: number }> | undefined;
  private readonly targets = new Map<string, URL>();
  private readonly idOf = new Map<string, string>();
  private readonly open = new Set<Duplex>();
  private readonly issued = new Set<string>();
  private failures = 0;
  private closed = false;

  constructor(private readonly options: GatewayBridgeOptions) {}

  /** The loopback URL under which the shard reaches `target` (a ws:// or wss:// gateway URL). */
  async urlFor(target: string): Promise<string> {
    // @discordjs/ws stores back the session it was handed, so one of our own URLs can come round again.
    if (this.issued.has(target)) return target;
    const url = new URL(target);
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new RangeError(`not a WebSocket URL: ${url.protocol}`);
    const key = url.href;
    let id = this.idOf.get(key);
    if (id === undefined) {
      id = randomBytes(12).toString('base64url');
      this.idOf.set(key, id);
      this.targets.set(id, url);
    }
    const { port } = await this.listen();
    const issued = `ws://127.0.0.1:${port}/${id}`;
    this.issued.add(issued);
    return issued;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.open) socket.destroy();
    const started = this.server;
    this.server = undefined;
    if (!started) return;
    const { server } = await started;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<{ server: Server; port: number }> {
    this.server ??= new Promise((resolve, reject) => {
      const server = createServer((_req, res) => res.writeHead(404).end());
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.relay(req, socket, head));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
    });
    return this.server;
  }

  private async relay(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());
    const asked = new URL(req.url ?? '/', 'http://bridge');
    const target = this.targets.get(asked.pathname.slice(1));
    if (!target) {
      client.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    await this.holdAfterFailures();
    let upstream: Socket;
    try {
      upstream = await this.connect(target);
    } catch (error) {
      const hop =
        error instanceof HopError
          ? error
          : new HopError('connect', target.host, undefined, error instanceof Error ? error.message : String(error));
      this.failures++;
      this.options.log.debug(
        { target: target.host, kind: hop.kind, detail: hop.message, failures: this.failures },
        'gateway tunnel failed',
      );
      this.options.onTunnel?.({ ok: false, error: hop });
      // A reset reads to @discordjs/ws as a network error (ECONNRESET), which it retries quietly; the cause is
      // reported once by the adapter, not on every attempt.
      if ('resetAndDestroy' in client && typeof client.resetAndDestroy === 'function') client.resetAndDestroy();
      else client.destroy();
      return;
    }
    if (this.closed || client.destroyed) {
      upstream.destroy();
      return;
    }
    if (this.failures > 0) this.options.onTunnel?.({ ok: true });
    this.failures = 0;
    this.open.add(upstream);
    upstream.once('close', () => this.open.delete(upstream));
    const path = `${target.pathname || '/'}${asked.search}`;
    const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${target.host}`];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      if (name.toLowerCase() !== 'host') lines.push(`${name}: ${req.rawHeaders[i + 1] as string}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    upstream.pipe(client);
    client.pipe(upstream);
  }

  private async connect(target: URL): Promise<Socket> {
    const { host, port } = authorityOf(target);
    const raw = await openTunnel(this.options.proxy, { host, port }, { timeoutMs: this.options.connectTimeoutMs });
    if (target.protocol !== 'wss:') return raw;
    return new Promise<Socket>((resolve, reject) => {
      const secure = tlsConnect({ socket: raw, servername: target.hostname, ALPNProtocols: ['http/1.1'] });
      const timer = setTimeout(
        () => secure.destroy(new Error('TLS handshake timed out')),
        this.options.connectTimeoutMs,
      );
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(secure);
      });
      secure.once('error', (error) => {
        clearTimeout(timer);
        raw.destroy();
        reject(
          new HopError(
            'tls',
            `${host}:${port}`,
            undefined,
            `TLS to ${host}:${port} failed: ${hopOf(error)?.message ?? error.message}`,
            { cause: error },
          ),
        );
      });
    });
  }

  private async holdAfterFailures(): Promise<void> {
    if (this.failures === 0) return;
    const backoff = this.options.backoff ?? defaultBridgeBackoff;
    const ms = Math.min(backoff.firstMs * 2 ** (this.failures - 1), backoff.maxMs);
    await new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}

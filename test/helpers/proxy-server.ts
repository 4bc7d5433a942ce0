import { execFileSync } from 'node:child_process';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrepareRequestFunctionOpts, RequestError, Server } from 'proxy-chain';

/** How the test proxy treats each request. */
export type ProxyMode = 'open' | 'refuse' | 'auth';

/** One request the proxy saw: a CONNECT (a tunnel) or a plain forwarded HTTP request. */
export interface ProxiedRequest {
  kind: 'connect' | 'http';
  /** host:port as asked for. */
  target: string;
  username: string;
  /** What the proxy did with it. */
  outcome: 'tunnelled' | 'refused' | 'auth-required';
}

export interface TestProxyOptions {
  /** When set, requests without these credentials are answered 407. */
  credentials?: { username: string; password: string };
  mode?: ProxyMode;
  /** Start on this port (to bring a proxy back where it died). */
  port?: number;
}

/**
 * A real CONNECT proxy (proxy-chain) on loopback, recording every request. It alone knows the names under `.test`
 * (they resolve to 127.0.0.1 inside the proxy, and nowhere else), so a platform fake addressed as
 * `slack-api.test:PORT` can only be reached through it: a request that bypassed the proxy would fail on DNS.
 */
export class TestProxy {
  readonly requests: ProxiedRequest[] = [];
  mode: ProxyMode;
  private readonly refusals = new Set<(target: string) => boolean>();
  private waiters: Array<{ predicate: (r: ProxiedRequest) => boolean; resolve: (r: ProxiedRequest) => void }> = [];

  private constructor(
    private server: Server,
    private readonly options: TestProxyOptions,
  ) {
    this.mode = options.mode ?? 'open';
  }

  static async start(options: TestProxyOptions = {}): Promise<TestProxy> {
    let proxy: TestProxy | undefined;
    const server = new Server({
      port: options.port ?? 0,
      host: '127.0.0.1',
      prepareRequestFunction: (request) => (proxy as TestProxy).prepare(request),
    });
    proxy = new TestProxy(server, options);
    await server.listen();
    return proxy;
  }

  get port(): number {
    return this.server.port;
  }

  /** The proxy's URL, with credentials when given. */
  url(credentials?: { username: string; password: string }): string {
    const auth = credentials
      ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
      : '';
    return `http://${auth}127.0.0.1:${this.port}`;
  }

  /** Tunnels opened to each host:port. */
  tunnelsTo(target: string): number {
    return this.requests.filter((r) => r.kind === 'connect' && r.target === target && r.outcome === 'tunnelled').length;
  }

  /** Every host:port anything was asked for, tunnelled or not. */
  targets(): Set<string> {
    return new Set(this.requests.map((r) => r.target));
  }

  /** The first request (already seen or still to come) that matches. */
  waitFor(predicate: (r: ProxiedRequest) => boolean): Promise<ProxiedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  /** Refuses (403) the targets that match, whatever the mode, until the returned function is called. */
  refuse(predicate: (target: string) => boolean): () => void {
    this.refusals.add(predicate);
    return () => this.refusals.delete(predicate);
  }

  /** Dies as a proxy does: every open tunnel is cut, and nothing listens any more. */
  async kill(): Promise<void> {
    await this.server.close(true);
  }

  /** Listens again on the same port after `kill`, with the same rules. */
  async revive(): Promise<void> {
    const port = this.port;
    this.server = new Server({
      port,
      host: '127.0.0.1',
      prepareRequestFunction: (request) => this.prepare(request),
    });
    await this.server.listen();
  }

  async close(): Promise<void> {
    await this.server.close(true).catch(() => undefined);
  }

  private prepare(request: PrepareRequestFunctionOpts) {
    const record = (outcome: ProxiedRequest['outcome']): void => {
      const seen: ProxiedRequest = {
        kind: request.isHttp ? 'http' : 'connect',
        target: `${request.hostname}:${request.port}`,
        username: request.username,
        outcome,
      };
      this.requests.push(seen);
      for (const waiter of [...this.waiters]) {
        if (!waiter.predicate(seen)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(seen);
      }
    };
    if (
      this.mode === 'refuse' ||
      [...this.refusals].some((refused) => refused(`${request.hostname}:${request.port}`))
    ) {
      record('refused');
      throw new RequestError('Forbidden by the test proxy', 403);
    }
    const wanted = this.options.credentials;
    if (
      this.mode === 'auth' ||
      (wanted && (request.username !== wanted.username || request.password !== wanted.password))
    ) {
      record('auth-required');
      return { requestAuthentication: true, failMsg: 'credentials needed' };
    }
    record('tunnelled');
    return { dnsLookup: testNames };
  }
}

/** `*.test` is loopback inside the proxy only; everything else resolves as usual. */
const testNames = ((hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
  if (!hostname.endsWith('.test')) return dnsLookup(hostname, options, callback as never);
  const address: LookupAddress = { address: '127.0.0.1', family: 4 };
  if (options?.all) callback(null, [address]);
  else callback(null, address.address, address.family);
}) as unknown as typeof dnsLookup;

/** The same URL with another host name: a loopback fake as the bot should see it (`slack-api.test:PORT`). */
export function renamed(url: string, host: string): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  return parsed.href;
}

/**
 * An HTTPS server on loopback with a self-signed certificate for `name` (made with openssl), which no client trusts:
 * the TLS hop of a platform behind a TLS-inspecting proxy whose CA this host lacks.
 */
export async function startUntrustedTlsServer(
  name: string,
): Promise<{ server: HttpsServer; port: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lcops-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('{}'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

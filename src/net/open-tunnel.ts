import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { HopError, hopOf } from './hop-error.js';
import { describeProxy } from './proxy-settings.js';

export interface TunnelOptions {
  /** For the whole of it: reaching the proxy, its TLS if it is an https:// proxy, and its answer to CONNECT. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Asks an HTTP CONNECT proxy for a tunnel to host:port and resolves with the raw socket once the proxy answers 200.
 * Credentials in the proxy URL go as Basic Proxy-Authorization. Every failure is a HopError that says which hop:
 * the proxy's name (dns), reaching it (proxy-connect), its TLS (tls), its refusal (proxy-refused, with the status) or
 * its demand for credentials (proxy-auth, 407).
 *
 * Shared by the transport of every platform HTTP call, the Discord gateway bridge and check-config's probe, so that
 * all three report the same hop for the same failure.
 */
export function openTunnel(
  proxy: URL,
  target: { host: string; port: number },
  options: TunnelOptions,
): Promise<Socket> {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const via = describeProxy(proxy);
  const headers: Record<string, string> = { host: authority };
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const request = proxy.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const fail = (error: HopError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new HopError(
            'timeout',
            authority,
            via,
            `the proxy ${via} did not open a tunnel to ${authority} within ${options.timeoutMs} ms`,
          ),
        ),
      options.timeoutMs,
    );
    const onAbort = (): void =>
      fail(new HopError('timeout', authority, via, `the tunnel to ${authority} was abandoned`));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req = request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80)),
      method: 'CONNECT',
      path: authority,
      headers,
      agent: false,
      ...(proxy.protocol === 'https:' ? { servername: proxy.hostname } : {}),
    });
    req.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled) {
        socket.destroy();
        return;
      }
      const status = response.statusCode ?? 0;
      if (status === 200) {
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
        return;
      }
      socket.destroy();
      const reason = `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
      if (status === 407)
        fail(
          new HopError('proxy-auth', authority, via, `the proxy ${via} wants valid credentials (${reason})`, {
            status,
          }),
        );
      else
        fail(
          new HopError(
            'proxy-refused',
            authority,
            via,
            `the proxy ${via} refused the tunnel to ${authority} (${reason})`,
            { status },
          ),
        );
    });
    let reached = false;
    req.once('socket', (socket: Socket) => {
      socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        reached = true;
      });
    });
    req.once('error', (error: Error) => {
      const found = hopOf(error);
      if (reached)
        // The proxy took the connection and then dropped it instead of answering: it would not open this tunnel.
        fail(
          new HopError(
            'proxy-refused',
            authority,
            via,
            `the proxy ${via} closed the connection instead of opening a tunnel to ${authority} (${found?.message ?? error.message})`,
            { cause: error },
          ),
        );
      else if (found?.kind === 'dns')
        fail(
          new HopError('dns', authority, via, `the proxy's name ${proxy.hostname} does not resolve: ${found.message}`, {
            cause: error,
          }),
        );
      else if (found?.kind === 'tls')
        fail(new HopError('tls', authority, via, `TLS to the proxy ${via} failed: ${found.message}`, { cause: error }));
      else
        fail(
          new HopError(
            'proxy-connect',
            authority,
            via,
            `cannot reach the proxy ${via}: ${found?.message ?? error.message}`,
            { cause: error },
          ),
        );
    });
    req.end();
  });
}

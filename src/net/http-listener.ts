import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';

/** What one route answers: a status, a body and its type. */
export interface HttpAnswer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request as a route sees it: its headers, and its body once read within the route's limit. */
export interface HttpRequest {
  headers: IncomingMessage['headers'];
  /** Reads the body; a body over `maxBytes` (declared or sent) is refused with TooLarge before more is read. */
  body(maxBytes: number): Promise<Buffer>;
}

export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(request: HttpRequest): Promise<HttpAnswer>;
}

export interface HttpListener {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A body larger than the route allows. */
export class TooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

/**
 * The bot's own small HTTP listener (/metrics, /alertmanager): exact paths, one method each, nothing else. A route
 * that throws answers 500 with no detail (the log has it); a body over its limit answers 413 and the connection is
 * closed, so the rest is never read.
 */
export async function startHttpListener(options: {
  host: string;
  port: number;
  routes: readonly HttpRoute[];
  log: Logger;
}): Promise<HttpListener> {
  const { log } = options;
  const server: Server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      log.error({ err: error, path: req.url }, 'the HTTP listener could not answer a request');
      if (!res.headersSent) answer(res, { status: 500, body: 'internal error\n' });
      else res.destroy();
    });
  });
  // Slow or idle clients are not kept: a request has 30 s to arrive whole.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const matching = options.routes.filter((r) => r.path === path);
    if (matching.length === 0) return answer(res, { status: 404, body: 'not found\n' });
    const route = matching.find((r) => r.method === req.method);
    if (!route) {
      return answer(res, {
        status: 405,
        body: 'method not allowed\n',
        headers: { allow: matching.map((r) => r.method).join(', ') },
      });
    }
    const request: HttpRequest = { headers: req.headers, body: (maxBytes) => readBody(req, maxBytes) };
    try {
      answer(res, await route.handle(request));
    } catch (error) {
      if (!(error instanceof TooLarge)) throw error;
      res.setHeader('connection', 'close');
      answer(res, { status: 413, body: `${error.message}\n` });
      req.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  log.info({ host: options.host, port, paths: options.routes.map((r) => `${r.method} ${r.path}`) }, 'HTTP listener up');
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(res: ServerResponse, a: HttpAnswer): void {
  res.writeHead(a.status, {
    'content-type': a.contentType ?? 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...a.headers,
  });
  res.end(a.body);
}

/** The body, refused as soon as its declared or received length passes `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(new TooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(new TooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.js';
import type { RequestGuard } from './request-guard.js';
import { slackErrors } from './slack-error.js';

export interface SignedHttpServerOptions {
  port: number;
  host?: string;
  path: string;
  guard: RequestGuard;
  /** Bolt's HTTPReceiver.requestListener: it reads the body we buffered from `rawBody`. */
  handler: RequestListener;
  log: Logger;
  bodyLimitBytes?: number;
  /**
   * How long a client may take to send its headers, and its whole request (default 10 s and 30 s): Slack sends a
   * request in milliseconds, so a connection that dribbles bytes (slow-loris) is cut off instead of held open.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface SignedHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The HTTP endpoint for Slack in HTTP mode: buffers each request, lets the guard refuse unsigned, stale, future-dated
 * and replayed ones with 401, and hands the rest to Bolt's receiver. Slack's unsigned SSL check (`ssl_check=1`, sent
 * when the Request URL is saved) is answered here with an empty 200 and never reaches Bolt.
 */
export async function startSignedHttpServer(options: SignedHttpServerOptions): Promise<SignedHttpServer> {
  const limit = options.bodyLimitBytes ?? 1024 * 1024;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server: Server = createServer(
    // Node checks these deadlines on an interval; a short one keeps the bound close to what is configured.
    { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeout / 4)) },
    (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (req.method !== 'POST' || path !== options.path) {
        res.writeHead(404).end();
        return;
      }
      readBody(req, limit, requestTimeout).then(
        async (rawBody) => {
          if (rawBody === undefined) {
            res.writeHead(413).end();
            return;
          }
          if (isSslCheck(req, rawBody)) {
            res.writeHead(200).end();
            return;
          }
          const verdict = await options.guard.check(req.headers, rawBody);
          if (!verdict.ok) {
            options.log.warn(
              { reason: verdict.reason, remote: req.socket.remoteAddress },
              'refused an HTTP request that claimed to come from Slack',
            );
            res.writeHead(401).end();
            return;
          }
          options.handler(Object.assign(req, { rawBody }), res);
        },
        (error: unknown) => {
          options.log.warn({ err: error, remote: req.socket.remoteAddress }, 'could not read an HTTP request');
          if (!res.headersSent) res.writeHead(error === bodyTooSlow ? 408 : 400, { connection: 'close' }).end();
          req.socket.destroy();
        },
      );
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(slackErrors('SLACK_LISTEN_FAILED', { port: options.port, detail: error.message }, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const bodyTooSlow = new Error('the request body did not arrive in time');

/** The body, or undefined when it is larger than `limit`; rejects when it takes longer than `deadlineMs` to arrive. */
function readBody(req: IncomingMessage, limit: number, deadlineMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(bodyTooSlow), deadlineMs);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(size > limit ? undefined : Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function isSslCheck(req: IncomingMessage, rawBody: Buffer): boolean {
  return (
    (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') &&
    new URLSearchParams(rawBody.toString()).get('ssl_check') === '1'
  );
}

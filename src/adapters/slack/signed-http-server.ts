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
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== options.path) {
      res.writeHead(404).end();
      return;
    }
    readBody(req, limit).then(
      (rawBody) => {
        if (rawBody === undefined) {
          res.writeHead(413).end();
          return;
        }
        if (isSslCheck(req, rawBody)) {
          res.writeHead(200).end();
          return;
        }
        const verdict = options.guard.check(req.headers, rawBody);
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
        options.log.warn({ err: error }, 'could not read an HTTP request');
        res.writeHead(400).end();
      },
    );
  });
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

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isSslCheck(req: IncomingMessage, rawBody: Buffer): boolean {
  return (
    (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') &&
    new URLSearchParams(rawBody.toString()).get('ssl_check') === '1'
  );
}

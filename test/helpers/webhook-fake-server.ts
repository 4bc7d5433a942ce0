import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
  raw: string;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
}

export interface WebhookFakeServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Every request and what it was answered, in order. */
  exchanges: Array<{ request: FakeRequest; answer: FakeAnswer }>;
  close(): Promise<void>;
}

/** A loopback HTTP server answering JSON; the platform fakes put their validation in `handle`. */
export async function startWebhookFakeServer(
  handle: (request: FakeRequest) => FakeAnswer,
  options: { host?: string } = {},
): Promise<WebhookFakeServer> {
  const exchanges: WebhookFakeServer['exchanges'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const request: FakeRequest = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`),
        headers: req.headers,
        body,
        raw,
      };
      const answer = handle(request);
      exchanges.push({ request, answer });
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${options.host ?? '127.0.0.1'}:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Times within a sliding window, as the platforms count their rate limits. */
export function countWithin(times: readonly number[], now: number, perMs: number): number {
  return times.filter((t) => now - t < perMs).length;
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Slack on loopback, as much of it as a slash command touches: the Web API (auth.test, apps.connections.open and
 * the chat.* calls a reply may use), the Socket Mode link, and response_url endpoints. It keeps the time each
 * envelope was sent, acknowledged and answered. A small stand-in of the bench's own: bench/ is compiled by the
 * project's tsconfig (and in the Docker image), so it does not import the test suite's fakes.
 */
export interface CommandTiming {
  sentAt: number;
  ackedAt?: number;
  /** The first response_url post or chat message for the command. */
  answeredAt?: number;
  /** The answer was an error (shown to the asker only, or with the error marker). */
  failed?: boolean;
}

export class FakeSlack {
  readonly apiUrl: string;
  private socket: WebSocket | undefined;
  private readonly timings = new Map<string, CommandTiming>();
  /** envelope_id → command key, and channel → command key, to match acks and answers to their command. */
  private readonly byEnvelope = new Map<string, string>();
  private readonly byChannel = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private connectedResolve: (() => void) | undefined;
  readonly connected: Promise<void>;
  private sequence = 0;
  private pinger: NodeJS.Timeout | undefined;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly base: string,
  ) {
    this.apiUrl = `${base}/api/`;
    this.connected = new Promise((resolve) => {
      this.connectedResolve = resolve;
    });
    wss.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => this.onMessage(String(data)));
      const hello = {
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'bench' },
        connection_info: { app_id: 'A0BENCH' },
      };
      socket.send(JSON.stringify(hello));
      this.connectedResolve?.();
    });
    // Slack pings the link; socket-mode reconnects when it hears nothing for 30 s.
    this.pinger = setInterval(() => this.socket?.ping(), 5_000);
  }

  static async start(): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const http = createServer((req, res) => {
      void readBody(req).then((body) => {
        const answer = fake?.handle(req.url ?? '', body) ?? { ok: false };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const wss = new WebSocketServer({ server: http, path: '/link' });
    fake = new FakeSlack(http, wss, base);
    return fake;
  }

  /** Sends one slash command over the Socket Mode link; `key` names it in `timing`. */
  sendCommand(key: string, command: string, text: string, user: string): void {
    const socket = this.socket;
    if (!socket) throw new Error('the bot has not connected to the fake Socket Mode link');
    const envelopeId = randomUUID();
    const channel = `C${key}`;
    this.byEnvelope.set(envelopeId, key);
    this.byChannel.set(channel, key);
    const payload = {
      token: 'bench',
      team_id: 'T0BENCH',
      team_domain: 'bench',
      channel_id: channel,
      channel_name: 'ops',
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text,
      api_app_id: 'A0BENCH',
      is_enterprise_install: 'false',
      response_url: `${this.base}/respond/${encodeURIComponent(key)}`,
      trigger_id: `trigger-${key}`,
    };
    this.timings.set(key, { sentAt: performance.now() });
    const envelope = { envelope_id: envelopeId, type: 'slash_commands', payload, accepts_response_payload: true };
    socket.send(JSON.stringify(envelope));
  }

  timing(key: string): CommandTiming | undefined {
    return this.timings.get(key);
  }

  /** Resolves once every key has been acknowledged and answered, or rejects after `timeoutMs`. */
  waitForAll(keys: readonly string[], timeoutMs: number): Promise<void> {
    const done = () =>
      keys.every((k) => this.timings.get(k)?.ackedAt !== undefined && this.timings.get(k)?.answeredAt !== undefined);
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const missing = keys.filter((k) => this.timings.get(k)?.answeredAt === undefined).length;
        reject(new Error(`${missing} of ${keys.length} Slack commands were not answered within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private onMessage(text: string): void {
    const now = performance.now();
    const message = JSON.parse(text) as { envelope_id?: string };
    const key = message.envelope_id === undefined ? undefined : this.byEnvelope.get(message.envelope_id);
    const timing = key === undefined ? undefined : this.timings.get(key);
    if (timing && timing.ackedAt === undefined) timing.ackedAt = now;
    this.notify();
  }

  private answered(key: string | undefined, body: Record<string, unknown>): void {
    const timing = key === undefined ? undefined : this.timings.get(key);
    if (timing && timing.answeredAt === undefined) {
      timing.answeredAt = performance.now();
      timing.failed = body.response_type === 'ephemeral' || String(body.text ?? '').startsWith(':x:');
    }
    this.notify();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private handle(url: string, body: Record<string, unknown>): Record<string, unknown> {
    if (url.startsWith('/respond/')) {
      this.answered(decodeURIComponent(url.slice('/respond/'.length)), body);
      return { ok: true };
    }
    const method = url.replace(/^\/api\//, '').split('?')[0] ?? '';
    const channel = typeof body.channel === 'string' ? body.channel : undefined;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://bench.slack.test/',
          team: 'Bench',
          user: 'lotus-chatops',
          team_id: 'T0BENCH',
          user_id: 'UBOT',
          bot_id: 'BBOT',
        };
      case 'apps.connections.open':
        return { ok: true, url: `${this.base.replace(/^http/, 'ws')}/link` };
      case 'chat.postMessage':
        this.answered(channel === undefined ? undefined : this.byChannel.get(channel), body);
        return { ok: true, channel, ts: this.nextTs(), message: { text: body.text } };
      case 'chat.update':
        return { ok: true, channel, ts: body.ts, text: body.text };
      case 'chat.postEphemeral':
        // Ephemeral: only the asker sees it, which is how the bot shows an error.
        this.answered(channel === undefined ? undefined : this.byChannel.get(channel), {
          ...body,
          response_type: 'ephemeral',
        });
        return { ok: true, message_ts: this.nextTs() };
      case 'usergroups.list':
        return { ok: true, usergroups: [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    return `1764500000.${String(++this.sequence).padStart(6, '0')}`;
  }
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString();
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

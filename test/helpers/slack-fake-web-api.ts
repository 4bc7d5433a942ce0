import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as the fake received it; JSON-encoded form fields (blocks, view) are parsed back. */
export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  token: string | undefined;
  /** What the fake answered (for chat.postMessage, the message's `ts`). */
  answer: Record<string, unknown>;
  status: number;
}

/** An answer queued for the next call of a method, before the default one. */
export interface ScriptedAnswer {
  status?: number;
  retryAfter?: number;
  body?: Record<string, unknown>;
}

interface Waiter {
  method: string;
  predicate: (call: RecordedCall) => boolean;
  resolve: (call: RecordedCall) => void;
}

/**
 * Slack's Web API on loopback, as web-api 8 calls it (POST /api/<method>, form or JSON bodies, bearer token). It
 * records every call and answers the methods the adapter uses; `script` queues other answers (429 with retry-after,
 * 500, `ok: false` errors) for the next calls of a method.
 */
export class FakeSlackWebApi {
  readonly calls: RecordedCall[] = [];
  /** What apps.connections.open answers: the fake Socket Mode server. */
  socketUrl = '';
  userGroups: Array<{ id: string; handle: string; users: string[] }> = [];
  /** While true, requests are taken and never answered: Slack behind a network that swallows them. */
  hang = false;
  /** Requests taken while hanging, by method. */
  readonly swallowed: string[] = [];
  private readonly swallowWaiters: Array<{ method: string; resolve: () => void }> = [];
  private readonly scripted = new Map<string, ScriptedAnswer[]>();
  private readonly waiters: Waiter[] = [];
  private sequence = 0;
  /** Files announced by files.getUploadURLExternal, their bytes once posted to the upload URL. */
  private readonly uploads = new Map<string, { filename: string; length: number; bytes?: Buffer }>();
  /** Files shared by files.completeUploadExternal, with their text as uploaded. */
  readonly sharedFiles: Array<{
    id: string;
    filename: string;
    title: string;
    text: string;
    channel: unknown;
    threadTs: unknown;
  }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSlackWebApi> {
    let fake: FakeSlackWebApi | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeSlackWebApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`);
    return fake;
  }

  script(method: string, ...answers: ScriptedAnswer[]): void {
    this.scripted.set(method, [...(this.scripted.get(method) ?? []), ...answers]);
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The first call (already made or still to come) of `method` that matches. */
  waitFor(method: string, predicate: (call: RecordedCall) => boolean = () => true): Promise<RecordedCall> {
    const done = this.calls.find((c) => c.method === method && predicate(c));
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ method, predicate, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Resolves once a call of `method` has been swallowed while hanging. */
  waitForSwallowed(method: string): Promise<void> {
    if (this.swallowed.includes(method)) return Promise.resolve();
    return new Promise((resolve) => this.swallowWaiters.push({ method, resolve }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const upload = /^\/upload\/v1\/(F\w+)$/.exec(req.url ?? '');
    if (upload) {
      // The upload URL takes the raw bytes (or a form); Slack answers 200 with a plain "OK - <length>".
      const pending = this.uploads.get(upload[1] ?? '');
      if (!pending) return void res.writeHead(404).end();
      pending.bytes = await uploadedBytes(req.headers['content-type'], Buffer.concat(chunks));
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${pending.bytes.length}`);
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    if (this.hang) {
      this.swallowed.push(method);
      for (const waiter of this.swallowWaiters.filter((w) => w.method === method)) {
        this.swallowWaiters.splice(this.swallowWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return;
    }
    const body = parseBody(req.headers['content-type'], Buffer.concat(chunks).toString());
    const scripted = this.scripted.get(method)?.shift();
    const answer = scripted ? (scripted.body ?? { ok: false, error: 'scripted' }) : this.answer(method, body);
    const call: RecordedCall = { method, body, token: bearer(req), answer, status: scripted?.status ?? 200 };
    this.calls.push(call);
    for (const waiter of [...this.waiters]) {
      if (waiter.method === method && waiter.predicate(call)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(call);
      }
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (scripted?.retryAfter !== undefined) headers['retry-after'] = String(scripted.retryAfter);
    res.writeHead(call.status, headers).end(JSON.stringify(answer));
  }

  private answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const channel = body.channel;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake',
          user: 'lotus-chatops',
          team_id: 'T0FAKE',
          user_id: 'UBOT',
          bot_id: 'BBOT',
        };
      case 'apps.connections.open':
        return { ok: true, url: this.socketUrl };
      case 'chat.postMessage':
        return { ok: true, channel, ts: this.nextTs(), message: { text: body.text, blocks: body.blocks } };
      case 'chat.update':
        return { ok: true, channel, ts: body.ts, text: body.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
        return { ok: true, view: { id: `V${++this.sequence}` } };
      case 'usergroups.list':
        return { ok: true, usergroups: this.userGroups };
      case 'files.getUploadURLExternal': {
        const length = Number(body.length);
        if (typeof body.filename !== 'string' || !Number.isInteger(length) || length < 0)
          return { ok: false, error: 'invalid_arguments' };
        const id = `F${String(++this.sequence).padStart(8, '0')}`;
        this.uploads.set(id, { filename: body.filename, length });
        return { ok: true, upload_url: this.url.replace(/\/api\/$/, `/upload/v1/${id}`), file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = Array.isArray(body.files) ? (body.files as Array<{ id?: string; title?: string }>) : [];
        if (files.length === 0) return { ok: false, error: 'invalid_arguments' };
        const done = [];
        for (const f of files) {
          const pending = this.uploads.get(f.id ?? '');
          // Only a file whose bytes arrived, all of them, can be completed.
          if (!pending?.bytes || pending.bytes.length !== pending.length) return { ok: false, error: 'file_not_found' };
          const title = f.title ?? pending.filename;
          this.sharedFiles.push({
            id: f.id as string,
            filename: pending.filename,
            title,
            text: pending.bytes.toString('utf8'),
            channel: body.channel_id,
            threadTs: body.thread_ts,
          });
          done.push({ id: f.id, name: pending.filename, title });
        }
        return { ok: true, files: done };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    return `1764500000.${String(++this.sequence).padStart(6, '0')}`;
  }
}

function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> {
  if ((contentType ?? '').includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) out[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  return out;
}

/** The file's bytes: the whole body, or the one file of a multipart form (what web-api sends). */
async function uploadedBytes(contentType: string | undefined, raw: Buffer): Promise<Buffer> {
  if (!(contentType ?? '').startsWith('multipart/form-data')) return raw;
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType ?? '' } }).formData();
  const file = [...form.values()].find((v): v is File => typeof v !== 'string');
  return file ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

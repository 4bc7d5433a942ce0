import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the bot made, with its JSON body parsed. */
export interface RecordedRequest {
  method: string;
  /** Decoded: `/api/v10/webhooks/APP/TOKEN/messages/@original`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Files sent with the request (multipart `files[n]`), in order, as text. */
  files: Array<{ field: string; filename: string; text: string }>;
  /** The status the fake answered with. */
  status: number;
}

export interface FakeDiscordRestOptions {
  applicationId: string;
  /** The bot token the fake accepts as `Authorization: Bot <token>`. */
  token: string;
}

interface Waiter {
  predicate: (request: RecordedRequest) => boolean;
  resolve: (request: RecordedRequest) => void;
}

interface Failure {
  predicate: (request: RecordedRequest) => boolean;
  status: number;
  body: { message: string; code: number };
}

/**
 * Discord's REST API as the bot uses it, on loopback: the gateway URL, command registration, interaction callbacks,
 * webhook edits and follow-ups, and channel messages. Every request is recorded with its parsed body; a test awaits
 * the request it expects instead of sleeping. Callbacks and deletes are answered 204 with no content type, as Discord
 * does (@discordjs/rest parses any body labelled JSON).
 */
export class FakeDiscordRest {
  readonly requests: RecordedRequest[] = [];
  /** Where `GET /gateway/bot` sends the client: set to the fake gateway's URL. */
  gatewayUrl = 'ws://127.0.0.1:1';
  /** While true, requests are taken and never answered: Discord behind a network that swallows them. */
  hang = false;
  /** Requests taken while hanging, as "METHOD path". */
  readonly swallowed: string[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly failures: Failure[] = [];
  private readonly channelOfToken = new Map<string, string>();
  private readonly originalOfToken = new Map<string, string>();
  private readonly messages = new Map<string, Record<string, unknown>>();
  private nextId = 1_300_000_000_000_000_000n;

  private constructor(
    private readonly server: Server,
    readonly options: FakeDiscordRestOptions,
  ) {}

  static async start(options: FakeDiscordRestOptions): Promise<FakeDiscordRest> {
    let fake: FakeDiscordRest | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    fake = new FakeDiscordRest(server, options);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  /** The REST base URL to give discord.js (`rest.api`, config `discord.apiUrl`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  /** Tells the fake which channel an interaction happened in, and for a click, which message @original is. */
  trackInteraction(token: string, channelId: string, originalMessageId?: string): void {
    this.channelOfToken.set(token, channelId);
    if (originalMessageId !== undefined) this.originalOfToken.set(token, originalMessageId);
  }

  /** The message an interaction's @original is now, as Discord would send it inside a later button click. */
  /** A message as the fake holds it now (posted to a channel by the bot, then edited). */
  messageById(id: string): Record<string, unknown> | undefined {
    return this.messages.get(id);
  }

  originalMessage(token: string): Record<string, unknown> {
    const id = this.originalOfToken.get(token);
    const message = id === undefined ? undefined : this.messages.get(id);
    if (!message) throw new Error(`no @original message for interaction token ${token}`);
    return message;
  }

  /** The next request matching `predicate` gets this Discord error instead of its normal answer. */
  failNext(
    predicate: (request: RecordedRequest) => boolean,
    status: number,
    body: { message: string; code: number },
  ): void {
    this.failures.push({ predicate, status, body });
  }

  /** The first recorded request matching `predicate`, now or when it arrives. */
  waitFor(predicate: (request: RecordedRequest) => boolean): Promise<RecordedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  find(predicate: (request: RecordedRequest) => boolean): RecordedRequest[] {
    return this.requests.filter(predicate);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (this.hang) {
      this.swallowed.push(`${req.method ?? 'GET'} ${decodeURIComponent(url.pathname)}`);
      return;
    }
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      ...(await requestBody(req.headers['content-type'], Buffer.concat(chunks), text)),
      status: 0,
    };
    const failure = this.failures.findIndex((f) => f.predicate(request));
    const answer = failure >= 0 ? this.failures.splice(failure, 1)[0] : this.route(request);
    request.status = answer?.status ?? 500;
    this.requests.push(request);
    if (answer === undefined || answer.body === undefined) {
      res.writeHead(answer?.status ?? 500).end();
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    }
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(request)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(request);
    }
  }

  private route(request: RecordedRequest): { status: number; body?: unknown } {
    const { method, path } = request;
    const app = this.options.applicationId;
    const authorised = request.headers.authorization === `Bot ${this.options.token}`;
    const unauthorised = { status: 401, body: { message: '401: Unauthorized', code: 0 } };
    let match: RegExpExecArray | null;

    if (method === 'GET' && path === '/api/v10/users/@me') {
      if (!authorised) return unauthorised;
      return {
        status: 200,
        body: { id: app, username: 'lotus-chatops', discriminator: '0', global_name: null, avatar: null, bot: true },
      };
    }
    if (method === 'GET' && path === '/api/v10/gateway/bot') {
      if (!authorised) return unauthorised;
      return {
        status: 200,
        body: {
          url: this.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        },
      };
    }
    if (method === 'PUT' && (match = /^\/api\/v10\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/.exec(path))) {
      if (!authorised) return unauthorised;
      if (match[1] !== app) return { status: 403, body: { message: 'Missing Access', code: 50001 } };
      const commands = Array.isArray(request.body) ? (request.body as Array<Record<string, unknown>>) : [];
      return {
        status: 200,
        body: commands.map((c) => ({
          ...c,
          id: this.snowflake(),
          application_id: app,
          version: this.snowflake(),
          ...(match?.[2] ? { guild_id: match[2] } : {}),
        })),
      };
    }
    if (method === 'POST' && /^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      // Discord answers a callback without with_response as 204 and no body.
      return { status: 204 };
    }
    if ((match = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path))) {
      const token = match[2] as string;
      if (match[1] !== app || !this.channelOfToken.has(token))
        return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      if (method === 'DELETE') return { status: 204 };
      if (method === 'PATCH') {
        const id = this.originalOfToken.get(token) ?? this.snowflake();
        this.originalOfToken.set(token, id);
        return {
          status: 200,
          body: this.message(this.channelOfToken.get(token) as string, request.body, id, request.files),
        };
      }
    }
    if (method === 'POST' && (match = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/.exec(path))) {
      const token = match[2] as string;
      if (match[1] !== app || !this.channelOfToken.has(token))
        return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      return {
        status: 200,
        body: this.message(this.channelOfToken.get(token) as string, request.body, undefined, request.files),
      };
    }
    if ((match = /^\/api\/v10\/channels\/(\d+)\/messages(?:\/(\d+))?$/.exec(path))) {
      if (!authorised) return unauthorised;
      if (method === 'POST' && match[2] === undefined)
        return { status: 200, body: this.message(match[1] as string, request.body, undefined, request.files) };
      if (method === 'PATCH' && match[2] !== undefined)
        return { status: 200, body: this.message(match[1] as string, request.body, match[2]) };
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  }

  /** A message object as Discord returns it for a post or an edit. */
  private message(
    channelId: string,
    body: unknown,
    id = this.snowflake(),
    files: RecordedRequest['files'] = [],
  ): Record<string, unknown> {
    const sent = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const app = this.options.applicationId;
    const previous = this.messages.get(id) ?? {};
    const message: Record<string, unknown> = {
      ...previous,
      id,
      channel_id: channelId,
      type: 0,
      content: sent.content ?? previous.content ?? '',
      embeds: sent.embeds ?? previous.embeds ?? [],
      components: sent.components ?? previous.components ?? [],
      attachments: attachmentsOf(sent, files, id),
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: '2026-11-30T12:00:00.000000+00:00',
      edited_timestamp: null,
      flags: sent.flags ?? 0,
      author: { id: app, username: 'lotus-chatops', discriminator: '0', global_name: null, avatar: null, bot: true },
      application_id: app,
      webhook_id: app,
    };
    this.messages.set(id, message);
    return message;
  }

  private snowflake(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }
}

/**
 * A JSON body, or a multipart one as Discord takes files: the message in `payload_json`, each file in `files[n]`.
 */
async function requestBody(
  contentType: string | undefined,
  raw: Buffer,
  text: string,
): Promise<Pick<RecordedRequest, 'body' | 'files'>> {
  if (!(contentType ?? '').startsWith('multipart/form-data'))
    return { body: text === '' ? undefined : (JSON.parse(text) as unknown), files: [] };
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType ?? '' } }).formData();
  const payload = form.get('payload_json');
  const files: RecordedRequest['files'] = [];
  for (const [field, value] of form.entries())
    if (typeof value !== 'string' && /^files\[\d+\]$/.test(field))
      files.push({ field, filename: value.name, text: Buffer.from(await value.arrayBuffer()).toString('utf8') });
  return { body: typeof payload === 'string' ? (JSON.parse(payload) as unknown) : undefined, files };
}

/** The message's attachments as Discord returns them: each file the payload's `attachments` names by its index. */
function attachmentsOf(
  sent: Record<string, unknown>,
  files: RecordedRequest['files'],
  messageId: string,
): Array<Record<string, unknown>> {
  const named = Array.isArray(sent.attachments) ? (sent.attachments as Array<{ id?: unknown; filename?: string }>) : [];
  return files.map((file, index) => {
    const entry = named.find((a) => String(a.id) === file.field.slice(6, -1));
    const filename = entry?.filename ?? file.filename;
    return {
      id: `${messageId}${index}`,
      filename,
      size: Buffer.byteLength(file.text),
      url: `https://cdn.discordapp.test/attachments/${messageId}/${filename}`,
      proxy_url: `https://media.discordapp.test/attachments/${messageId}/${filename}`,
      content_type: 'text/plain; charset=utf-8',
    };
  });
}

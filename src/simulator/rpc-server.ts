import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LotusPermission } from '../lotus/permissions.js';
import { listen } from './listen.js';

/** An error a method returns; lotus sends it as a JSON-RPC error with HTTP 200 (code 1 unless typed). */
export class RpcMethodError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** A param that does not decode into its Go type: go-jsonrpc answers -32700. */
export class RpcParamError extends Error {}

export interface ServedMethod {
  /** Go type names of the positional params: the count is enforced exactly, the types decoded. */
  params: readonly string[];
  perm: LotusPermission;
  handler: (params: unknown[]) => unknown;
}

export interface CallInterception {
  error?: { code: number; message: string };
  result?: unknown;
}

export interface RpcServerOptions {
  name: string;
  /** URL paths that serve JSON-RPC (/rpc/v1, /rpc/v0). */
  paths: readonly string[];
  methods: ReadonlyMap<string, ServedMethod>;
  verifyToken: (token: string) => LotusPermission[] | undefined;
  latencyMs: () => number;
  /** Injected failures and overrides, checked after auth, arity and permission, as if the method ran. */
  intercept?: (method: string) => CallInterception | undefined;
  /** A raw HTTP answer instead of JSON-RPC (malformed bodies for client tests). */
  rawResponse?: () => { status: number; body: string } | undefined;
  onCall?: (method: string) => void;
  /** Run the calls, then drop the connection without answering (a reply lost after the work was done). */
  dropResponse?: () => boolean;
  /** Non-RPC GET routes (health checks). */
  routes?: (pathname: string) => { status: number; body: string } | undefined;
}

const NAMESPACE = 'Filecoin.';
const MAX_BODY = 100 << 20;

interface RpcReply {
  status: number;
  body: string | undefined;
}

type JsonRpcError = { code: number; message: string };

/** What go-jsonrpc would write for one request object, or undefined for a notification. */
interface ItemReply {
  httpStatus: number;
  json: string | undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Zero values Go's encoding/json leaves in place when a param is JSON null. */
const zeroValues: Record<string, unknown> = {
  bool: false,
  uint64: 0,
  'abi.SectorNumber': 0,
  'abi.SectorSize': 0,
  'abi.ChainEpoch': 0,
  string: '',
  'storiface.ID': '',
  'miner.SectorPreCommitInfo': {},
};

/** Decodes one positional param as lotus's Go type would, or throws RpcParamError. */
function decodeParam(goType: string, value: unknown): unknown {
  if (value === null && goType in zeroValues) return zeroValues[goType];
  const fail = (what: string) =>
    new RpcParamError(`json: cannot unmarshal ${jsonType(value)} into Go value of type ${what}`);
  switch (goType) {
    case 'address.Address':
      if (typeof value !== 'string') throw fail('string');
      if (!/^[ft][0-4]\w+$/.test(value)) throw new RpcParamError(`invalid address payload: ${JSON.stringify(value)}`);
      return value;
    case 'types.TipSetKey':
      if (value === null) return [];
      const isCid = (c: unknown) =>
        typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>)['/'] === 'string';
      if (!Array.isArray(value) || !value.every(isCid)) {
        throw fail('[]cid.Cid');
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw fail('bool');
      return value;
    case 'uint64':
    case 'abi.SectorNumber':
    case 'abi.SectorSize':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw fail('uint64');
      return value;
    case 'abi.ChainEpoch':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw fail('abi.ChainEpoch');
      return value;
    case 'string':
    case 'storiface.ID':
      if (typeof value !== 'string') throw fail('string');
      return value;
    case '[]SectorState':
      if (value === null) return [];
      if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw fail('[]api.SectorState');
      return value;
    case 'miner.SectorPreCommitInfo':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('miner.SectorPreCommitInfo');
      return value;
    default:
      return value;
  }
}

/**
 * A go-jsonrpc look-alike over node:http: bearer or ?token= auth (none = read, bad = 401 with an empty body),
 * exact positional arity, lotus's error codes and HTTP statuses, and HTTP batches answered in order.
 */
export class RpcServer {
  private readonly options: RpcServerOptions;
  private server: Server | undefined;
  private boundPort = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: RpcServerOptions) {
    this.options = options;
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Listens on host:port (0 = any free port the first time, the same port on a restart). */
  async start(host: string, port = this.boundPort): Promise<number> {
    if (this.server?.listening) return this.boundPort;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
    server.keepAliveTimeout = 5_000;
    this.boundPort = await listen(server, port, host);
    this.server = server;
    return this.boundPort;
  }

  /** Stops listening and drops every open connection: clients then see "connection refused". */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const latency = this.options.latencyMs();
    const route = this.options.routes?.(url.pathname);
    if (route) {
      await this.delay(latency);
      res.writeHead(route.status, { 'content-type': 'text/plain' }).end(route.body);
      return;
    }
    if (!this.options.paths.includes(url.pathname)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'POST') {
      const text = 'JSON-RPC over HTTP takes POST (WebSocket is not simulated)\n';
      res.writeHead(405, { 'content-type': 'text/plain' }).end(text);
      return;
    }
    let perms: LotusPermission[] = ['read'];
    const header = req.headers.authorization;
    const token = header !== undefined ? header : url.searchParams.get('token');
    if (token !== null && token !== undefined) {
      const bearer = header !== undefined ? (header.startsWith('Bearer ') ? header.slice(7) : undefined) : token;
      const granted = bearer === undefined ? undefined : this.options.verifyToken(bearer);
      if (!granted) {
        req.resume();
        await this.delay(latency);
        res.writeHead(401).end();
        return;
      }
      perms = granted;
    }
    const body = await readBody(req);
    await this.delay(latency);
    if (!this.server) return;
    const raw = this.options.rawResponse?.();
    const reply: RpcReply = raw ?? (body === undefined ? tooLarge() : await this.dispatch(body, perms));
    if (this.options.dropResponse?.()) {
      req.socket.destroy();
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status).end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
  }

  private async dispatch(text: string, perms: LotusPermission[]): Promise<RpcReply> {
    const trimmed = text.trim();
    if (trimmed === '') {
      return { status: 400, body: errorJson(null, { code: -32600, message: 'Invalid request' }) };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      const message = `unmarshaling request: ${(error as Error).message}`;
      return { status: 500, body: errorJson(null, { code: -32700, message }) };
    }
    if (trimmed.startsWith('[')) {
      const items = parsed as unknown[];
      if (items.length === 0) {
        return { status: 500, body: errorJson(null, { code: -32600, message: 'Invalid request' }) };
      }
      // Served in order, one at a time. A notification writes nothing but keeps its comma (go-jsonrpc's quirk).
      const parts: string[] = [];
      for (const item of items) parts.push((await this.one(item, perms)).json ?? '');
      return { status: 200, body: `[${parts.join(',')}]` };
    }
    const reply = await this.one(parsed, perms);
    return { status: reply.json === undefined ? 200 : reply.httpStatus, body: reply.json ?? '' };
  }

  private async one(request: unknown, perms: LotusPermission[]): Promise<ItemReply> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return { httpStatus: 500, json: errorJson(null, { code: -32600, message: 'Invalid request' }) };
    }
    const req = request as { id?: unknown; method?: unknown; params?: unknown };
    const id = req.id === undefined ? undefined : (req.id as string | number | null);
    const respond = (status: number, payload: { result: unknown } | { error: JsonRpcError }): ItemReply => {
      if (id === undefined) return { httpStatus: 200, json: undefined };
      const json = 'error' in payload ? errorJson(id, payload.error) : resultJson(id, payload.result);
      return { httpStatus: status, json };
    };
    if (typeof req.method !== 'string') return respond(500, { error: { code: -32600, message: 'Invalid request' } });
    const full = req.method === 'rpc.discover' ? `${NAMESPACE}Discover` : req.method;
    const name = full.startsWith(NAMESPACE) ? full.slice(NAMESPACE.length) : undefined;
    const method = name === undefined ? undefined : this.options.methods.get(name);
    if (name !== undefined) this.options.onCall?.(name);
    if (!method || name === undefined) {
      return respond(500, { error: { code: -32601, message: `method '${full}' not found` } });
    }
    const params = req.params === undefined || req.params === null ? [] : req.params;
    if (!Array.isArray(params)) {
      const message =
        `unmarshaling param array: json: cannot unmarshal ${jsonType(params)} ` +
        'into Go value of type []jsonrpc.param';
      return respond(500, { error: { code: -32700, message } });
    }
    if (params.length !== method.params.length) {
      const message = `wrong param count (method '${full}'): ${params.length} != ${method.params.length}`;
      return respond(500, { error: { code: -32602, message } });
    }
    const decoded: unknown[] = [];
    for (let i = 0; i < params.length; i++) {
      const goType = method.params[i] as string;
      try {
        decoded.push(decodeParam(goType, params[i]));
      } catch (error) {
        const message = `unmarshaling params for '${full}' (param: *${goType}): ${(error as Error).message}`;
        return respond(500, { error: { code: -32700, message } });
      }
    }
    if (!perms.includes(method.perm)) {
      const message = `missing permission to invoke '${name}' (need '${method.perm}')`;
      return respond(200, { error: { code: 1, message } });
    }
    const interception = this.options.intercept?.(name);
    if (interception?.error) return respond(200, { error: interception.error });
    if (interception && 'result' in interception) return respond(200, { result: interception.result });
    try {
      const result = await method.handler(decoded);
      // Since lotus v1.27.1 an error-only method answers "result": null.
      return respond(200, { result: result === undefined ? null : result });
    } catch (error) {
      if (error instanceof RpcMethodError) return respond(200, { error: { code: error.code, message: error.message } });
      return respond(200, { error: { code: 1, message: (error as Error).message ?? String(error) } });
    }
  }
}

function tooLarge(): RpcReply {
  const message = 'request bigger than maximum 104857600 allowed';
  return { status: 500, body: errorJson(null, { code: -32700, message }) };
}

function resultJson(id: string | number | null, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result)}}`;
}

function errorJson(id: string | number | null, error: JsonRpcError): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":${JSON.stringify(error)}}`;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

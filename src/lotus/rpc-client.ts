import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { z } from 'zod';
import { firstLine, isOpsError, OpsError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type Metrics, noMetrics, outcomeOfCode } from '../core/metrics.js';
import type { LotusApiKind, LotusEndpoint } from './api-info.js';
import { type LotusPermission, requiredPermission, tokenCli } from './permissions.js';

/** One JSON-RPC call, ready to send alone or in a batch. */
export interface RpcRequest<T> {
  /** Method name without the `Filecoin.` namespace. */
  method: string;
  params: readonly unknown[];
  schema: z.ZodType<T>;
  /** Changes state (PledgeSector): never retried, never sent to a second endpoint once it may have arrived. */
  write?: boolean;
}

export interface CallOptions {
  write?: boolean;
  /** Per-call timeout; the client's default otherwise. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type BatchResult<T> = { ok: true; value: T } | { ok: false; error: OpsError };
type ResultOf<R> = R extends RpcRequest<infer T> ? T : never;
export type BatchResults<R extends readonly RpcRequest<unknown>[]> = {
  -readonly [K in keyof R]: BatchResult<ResultOf<R[K]>>;
};

export interface RpcClientOptions {
  /** From parseApiInfo; more than one = fail-over, in order, for connection-level failures. */
  endpoints: readonly LotusEndpoint[];
  api: LotusApiKind;
  timeoutMs?: number;
  /** Extra attempts for reads after every endpoint failed at the connection level. */
  retries?: number;
  /** First backoff delay; doubles for each further attempt. */
  backoffMs?: number;
  /** In-flight HTTP requests per client. */
  maxConcurrent?: number;
  logger?: Logger;
  /** The permission the configured token should carry, for the 401 hint; else the method's own. */
  tokenPermission?: LotusPermission;
  fetch?: typeof globalThis.fetch;
  /** Waits between retries; tests replace it so that nothing sleeps. */
  sleep?: (ms: number) => Promise<void>;
  /** Each method call's outcome and latency, retries and fail-overs included (/metrics). */
  metrics?: Metrics;
}

/** What went over the wire, for the bench and tests. */
export interface RpcCounters {
  /** HTTP POSTs, retries and fail-overs included. */
  requests: number;
  /** Calls sent per method (a batch of 48 partitions counts 48), retries included. */
  byMethod: Record<string, number>;
  /** Batches sent (each is also one request). */
  batches: number;
}

const NAMESPACE = 'Filecoin.';

const envelopeSchema = z.looseObject({
  jsonrpc: z.string().optional(),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
  result: z.unknown().optional(),
  error: z.looseObject({ code: z.number(), message: z.string(), data: z.unknown().optional() }).nullable().optional(),
});
type Envelope = z.infer<typeof envelopeSchema>;

/** Connection-level failure kinds, by how safe it is to send the request elsewhere. */
type FailureKind = 'not-delivered' | 'network' | 'timeout' | 'unavailable';

class TransportFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly endpoint: LotusEndpoint,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** Errors a fetch throws before the request could have reached the server. */
const notDeliveredCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const describeCode: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
};

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A thin JSON-RPC 2.0 client for lotus over HTTP POST (what go-jsonrpc serves beside WebSocket on the same URL).
 * Handles lotus's quirks: JSON-RPC errors arrive with HTTP 500, a bad token is a 401 with an empty body, missing
 * permission is code 1 with a fixed text; batches are HTTP-only and answered in order.
 */
export class RpcClient {
  readonly api: LotusApiKind;
  private readonly endpointList: readonly LotusEndpoint[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly logger: Logger;
  private readonly tokenPermission: LotusPermission | undefined;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly metrics: Metrics;
  private nextId = 1;
  private preferred = 0;
  private stats: RpcCounters = { requests: 0, byMethod: {}, batches: 0 };

  constructor(options: RpcClientOptions) {
    if (options.endpoints.length === 0) throw new RangeError('an RpcClient needs at least one endpoint');
    this.api = options.api;
    this.endpointList = options.endpoints;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 250;
    this.logger = options.logger ?? silentLogger();
    this.tokenPermission = options.tokenPermission;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.limit = pLimit(options.maxConcurrent ?? 16);
    this.metrics = options.metrics ?? noMetrics;
  }

  /** host:port of every endpoint, for messages. */
  get endpoints(): string[] {
    return this.endpointList.map((e) => e.display);
  }

  counters(): RpcCounters {
    return { requests: this.stats.requests, byMethod: { ...this.stats.byMethod }, batches: this.stats.batches };
  }

  resetCounters(): void {
    this.stats = { requests: 0, byMethod: {}, batches: 0 };
  }

  /** Calls one method and validates its result; throws OpsError (LOTUS_*). */
  async call<T>(
    method: string,
    params: readonly unknown[],
    schema: z.ZodType<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const started = performance.now();
    try {
      const value = await this.callOnce(method, params, schema, options);
      this.metrics.lotusCall(this.api, method, 'ok', (performance.now() - started) / 1000);
      return value;
    } catch (error) {
      this.metrics.lotusCall(this.api, method, callOutcome(error), (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async callOnce<T>(
    method: string,
    params: readonly unknown[],
    schema: z.ZodType<T>,
    options: CallOptions,
  ): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: NAMESPACE + method, params });
    const { endpoint, status, text } = await this.send(body, [method], method, options);
    const envelope = this.parseEnvelope(method, endpoint, status, text);
    if (Array.isArray(envelope)) {
      const detail = 'a batch reply to a single call';
      throw new OpsError('LOTUS_BAD_RESPONSE', { method, endpoint: endpoint.display, detail });
    }
    // go-jsonrpc answers a request it could not read with id null; its error is still the one to report.
    if (envelope.error && envelope.id === null) throw this.rpcError(method, endpoint, envelope.error);
    if (envelope.id !== id) {
      throw new OpsError('LOTUS_BAD_RESPONSE', {
        method,
        endpoint: endpoint.display,
        detail: `reply id ${JSON.stringify(envelope.id)} does not match request id ${id}`,
      });
    }
    return this.resultOf(method, endpoint, envelope, schema);
  }

  /** A request object for `batch`. */
  request<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>, write = false): RpcRequest<T> {
    return { method, params, schema, write };
  }

  /**
   * Sends several calls in one HTTP POST (lotus runs them one after another, in order). Each item gets its own
   * result or error; transport, 401 and whole-batch parse errors throw.
   */
  async batch<const R extends readonly RpcRequest<unknown>[]>(
    requests: R,
    options: CallOptions = {},
  ): Promise<BatchResults<R>> {
    if (requests.length === 0) return [] as unknown as BatchResults<R>;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let results: BatchResults<R>;
    try {
      results = await this.batchOnce(requests, options);
    } catch (error) {
      for (const r of requests) this.metrics.lotusCall(this.api, r.method, callOutcome(error), seconds());
      throw error;
    }
    const each = results as readonly BatchResult<unknown>[];
    requests.forEach((r, i) => {
      const result = each[i];
      this.metrics.lotusCall(this.api, r.method, result?.ok ? 'ok' : callOutcome(result?.error), seconds());
    });
    return results;
  }

  private async batchOnce<const R extends readonly RpcRequest<unknown>[]>(
    requests: R,
    options: CallOptions,
  ): Promise<BatchResults<R>> {
    // go-jsonrpc writes nothing for a notification inside a batch but still writes its comma: every item needs an id.
    const ids = requests.map(() => this.nextId++);
    const body = JSON.stringify(
      requests.map((r, i) => ({ jsonrpc: '2.0', id: ids[i], method: NAMESPACE + r.method, params: r.params })),
    );
    const methods = requests.map((r) => r.method);
    const label = batchLabel(methods);
    const write = options.write === true || requests.some((r) => r.write === true);
    this.stats.batches++;
    const { endpoint, status, text } = await this.send(body, methods, label, { ...options, write });
    const parsed = this.parseEnvelope(label, endpoint, status, text);
    if (!Array.isArray(parsed)) {
      // A batch go-jsonrpc cannot parse gets one error object instead of an array.
      if (parsed.error) throw this.rpcError(label, endpoint, parsed.error);
      const detail = 'expected an array of replies';
      throw new OpsError('LOTUS_BAD_RESPONSE', { method: label, endpoint: endpoint.display, detail });
    }
    const byId = new Map<unknown, Envelope>();
    for (const item of parsed) byId.set(item.id, item);
    return requests.map((r, i): BatchResult<unknown> => {
      const reply = byId.get(ids[i]);
      if (!reply) {
        const error = new OpsError('LOTUS_BAD_RESPONSE', {
          method: r.method,
          endpoint: endpoint.display,
          detail: `the batch reply has no item with id ${ids[i]}`,
        });
        return { ok: false, error };
      }
      try {
        return { ok: true, value: this.resultOf(r.method, endpoint, reply, r.schema) };
      } catch (error) {
        if (error instanceof OpsError) return { ok: false, error };
        throw error;
      }
    }) as unknown as BatchResults<R>;
  }

  private parseEnvelope(method: string, endpoint: LotusEndpoint, status: number, text: string): Envelope | Envelope[] {
    if (status === 401) {
      throw new OpsError('LOTUS_UNAUTHORIZED', {
        endpoint: endpoint.display,
        cli: tokenCli(this.api),
        perm: this.tokenPermission ?? this.permissionFor(method),
      });
    }
    const bad = (detail: string, cause?: unknown) =>
      new OpsError('LOTUS_BAD_RESPONSE', { method, endpoint: endpoint.display, detail }, { cause });
    if (status === 404) {
      throw bad(`HTTP 404: nothing serves ${endpoint.url}; the full node answers on /rpc/v1, a miner on /rpc/v0`);
    }
    if (text.trim() === '') throw bad(`HTTP ${status} with an empty body`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw bad(`HTTP ${status}: the body is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`, error);
    }
    const shape = Array.isArray(json) ? z.array(envelopeSchema) : envelopeSchema;
    const parsed = shape.safeParse(json);
    if (!parsed.success) throw bad(`not a JSON-RPC reply: ${describeIssues(parsed.error, 'reply')}`);
    return parsed.data;
  }

  private resultOf<T>(method: string, endpoint: LotusEndpoint, envelope: Envelope, schema: z.ZodType<T>): T {
    if (envelope.error) throw this.rpcError(method, endpoint, envelope.error);
    // Before lotus v1.27.1 an error-only method omitted `result`; since then it sends null. Read both as null.
    const raw = 'result' in envelope ? envelope.result : null;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new OpsError('LOTUS_BAD_RESPONSE', {
        method,
        endpoint: endpoint.display,
        detail: describeIssues(parsed.error, 'result'),
      });
    }
    return parsed.data;
  }

  private rpcError(method: string, endpoint: LotusEndpoint, error: { code: number; message: string }): OpsError {
    const permission = /missing permission to invoke '([^']+)' \(need '(\w+)'\)/.exec(error.message);
    if (error.code === 1 && permission) {
      return new OpsError('LOTUS_PERMISSION', {
        endpoint: endpoint.display,
        method: permission[1]?.replace(NAMESPACE, '') ?? method,
        perm: permission[2],
        cli: tokenCli(this.api),
      });
    }
    if (error.code === -32601) {
      return new OpsError('LOTUS_METHOD_UNKNOWN', { endpoint: endpoint.display, method: NAMESPACE + method });
    }
    return new OpsError('LOTUS_ERROR', {
      method,
      endpoint: endpoint.display,
      detail: firstLine(error.message),
      rpcCode: error.code,
    });
  }

  private permissionFor(label: string): LotusPermission {
    const method = label.split(/[ ,×]/).find((part) => requiredPermission(this.api, part) !== undefined);
    return (method && requiredPermission(this.api, method)) || 'read';
  }

  /**
   * POSTs a body, failing over between endpoints and retrying reads with backoff. Returns the first HTTP answer
   * that is not a connection-level failure, whatever its status.
   */
  private async send(
    body: string,
    methods: readonly string[],
    label: string,
    options: CallOptions,
  ): Promise<{ endpoint: LotusEndpoint; status: number; text: string }> {
    const write = options.write === true;
    const attempts = write ? 1 : 1 + this.retries;
    const failures: TransportFailure[] = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const delay = this.backoffMs * 2 ** (attempt - 1);
        this.logger.debug({ method: label, attempt, delay }, 'lotus call: retrying after connection failures');
        await this.sleep(delay);
      }
      for (let k = 0; k < this.endpointList.length; k++) {
        const index = (this.preferred + k) % this.endpointList.length;
        const endpoint = this.endpointList[index] as LotusEndpoint;
        try {
          const answer = await this.limit(() => this.post(endpoint, body, methods, options));
          this.preferred = index;
          return { endpoint, ...answer };
        } catch (error) {
          if (!(error instanceof TransportFailure)) throw error;
          failures.push(error);
          this.logger.debug({ method: label, endpoint: endpoint.display, detail: error.detail }, 'lotus call failed');
          // A write that may have reached the server must not be sent again, here or elsewhere.
          if (write && error.kind !== 'not-delivered') throw this.transportError(label, [error], options);
        }
      }
    }
    throw this.transportError(label, failures, options);
  }

  private async post(
    endpoint: LotusEndpoint,
    body: string,
    methods: readonly string[],
    options: CallOptions,
  ): Promise<{ status: number; text: string }> {
    this.stats.requests++;
    for (const m of methods) this.stats.byMethod[m] = (this.stats.byMethod[m] ?? 0) + 1;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (endpoint.token !== undefined) headers.authorization = `Bearer ${endpoint.token}`;
    try {
      const response = await this.fetchImpl(endpoint.url, { method: 'POST', headers, body, signal });
      const text = await response.text();
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        throw new TransportFailure('unavailable', endpoint, `HTTP ${response.status} from a proxy or a starting node`);
      }
      return { status: response.status, text };
    } catch (error) {
      if (error instanceof TransportFailure) throw error;
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) {
        throw new TransportFailure('timeout', endpoint, `no answer within ${timeoutMs} ms`, { cause: error });
      }
      const code = errorCode(error);
      const kind: FailureKind = code !== undefined && notDeliveredCodes.has(code) ? 'not-delivered' : 'network';
      const detail = code ? (describeCode[code] ?? code) : error instanceof Error ? error.message : String(error);
      throw new TransportFailure(kind, endpoint, detail, { cause: error });
    }
  }

  private transportError(label: string, failures: readonly TransportFailure[], options: CallOptions): OpsError {
    const last = failures[failures.length - 1];
    const cause = last?.cause ?? last;
    const endpoints = [...new Set(failures.map((f) => f.endpoint.display))];
    if (failures.length > 0 && failures.every((f) => f.kind === 'timeout')) {
      return new OpsError(
        'LOTUS_TIMEOUT',
        { endpoint: endpoints.join(', '), method: label, ms: options.timeoutMs ?? this.timeoutMs },
        { cause },
      );
    }
    const perEndpoint = new Map<string, string>();
    for (const f of failures) perEndpoint.set(f.endpoint.display, f.detail);
    const detail =
      perEndpoint.size === 1
        ? (last?.detail ?? 'unknown error')
        : [...perEndpoint].map(([where, what]) => `${where}: ${what}`).join('; ');
    return new OpsError('LOTUS_UNREACHABLE', { endpoint: endpoints.join(', '), detail, method: label }, { cause });
  }
}

/** A failed call as a metrics outcome: `timeout`, `unreachable`, `error` … (the LOTUS_ code's tail). */
function callOutcome(error: unknown): string {
  if (isOpsError(error)) return outcomeOfCode(error.code, 'LOTUS_');
  return error instanceof Error && error.name === 'AbortError' ? 'aborted' : 'internal';
}

function batchLabel(methods: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const m of methods) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([m, n]) => (n > 1 ? `${n} × ${m}` : m)).join(', ');
}

/** "result[3].LiveSectors: Invalid input: expected array, received string" (+ how many more). */
export function describeIssues(error: z.ZodError, root: string): string {
  const [first, ...rest] = error.issues;
  if (!first) return 'invalid';
  let where = root;
  for (const part of first.path) where += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  return `field ${where}: ${first.message}${more}`;
}

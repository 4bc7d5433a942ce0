/**
 * Where on the way to a chat platform a connection failed. The operator fixes each differently: a name that does not
 * resolve (DNS), a proxy that cannot be reached, refuses the CONNECT or wants credentials, a TLS handshake that fails
 * (often a TLS-inspecting proxy whose CA this host does not trust), or no answer in time.
 */
export type HopKind = 'dns' | 'connect' | 'proxy-connect' | 'proxy-auth' | 'proxy-refused' | 'tls' | 'timeout';

/** A failed hop, with the target asked for and the proxy in between (described without credentials), if any. */
export class HopError extends Error {
  constructor(
    readonly kind: HopKind,
    /** host:port the bot wanted to reach. */
    readonly target: string,
    /** The proxy in between, as `describeProxy` shows it; undefined when the target was dialled directly. */
    readonly via: string | undefined,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HopError';
    this.status = options.status;
  }

  /** The proxy's HTTP status for a refused CONNECT. */
  readonly status: number | undefined;
}

const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const connectCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const timeoutCodes = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The hop a low-level error belongs to: our own HopError anywhere in the cause chain first, then Node's and undici's
 * error codes (a TLS failure is any ERR_TLS_*, ERR_SSL_* or certificate code). Undefined when nothing says.
 */
export function hopOf(error: unknown): { kind: HopKind; message: string; hop?: HopError } | undefined {
  const chain = causeChain(error);
  const hop = chain.find((e): e is HopError => e instanceof HopError);
  if (hop) return { kind: hop.kind, message: hop.message, hop };
  for (const e of chain) {
    const code = codeOf(e);
    const message = e instanceof Error ? e.message : String(e);
    if (code === undefined) {
      if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
        return { kind: 'timeout', message: 'no answer within the timeout' };
      continue;
    }
    if (dnsCodes.has(code)) return { kind: 'dns', message: `${message} (${code})` };
    if (timeoutCodes.has(code)) return { kind: 'timeout', message: `${message} (${code})` };
    if (connectCodes.has(code)) return { kind: 'connect', message: `${message} (${code})` };
    if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code))
      return { kind: 'tls', message: `${message} (${code})` };
  }
  return undefined;
}

/**
 * The error and its causes, outermost first (bounded, in case of a cycle). Slack's web-api keeps the underlying error
 * as `original` rather than `cause`; both are followed.
 */
export function causeChain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && out.length < 8 && !out.includes(current)) {
    out.push(current);
    current =
      current instanceof Error ? (current.cause ?? ('original' in current ? current.original : undefined)) : undefined;
  }
  return out;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

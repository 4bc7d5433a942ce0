import { isOpsError, OpsError } from '../core/errors.js';
import { hopOf } from './hop-error.js';

const unreachableCodes = new Set([
  'PLATFORM_UNREACHABLE',
  'PLATFORM_DNS_FAILED',
  'PLATFORM_TLS_FAILED',
  'PROXY_UNREACHABLE',
  'PROXY_REFUSED',
  'PROXY_AUTH_FAILED',
]);

/**
 * A network failure on the way to a platform as the operator should read it: the platform, the call (`call`, e.g.
 * "Web API chat.postMessage" or "gateway"), and the hop that failed: the name (DNS), the proxy (unreachable, refused,
 * wanting credentials), TLS, or no answer in time. Undefined when the error is not a network failure (a refusal by the
 * platform itself, say), so that callers keep their own mapping for those.
 */
export function platformNetworkError(platform: string, call: string, error: unknown): OpsError | undefined {
  if (isOpsError(error) && unreachableCodes.has(error.code)) return error;
  const found = hopOf(error);
  if (!found) return undefined;
  const hop = found.hop;
  const params = { platform, hop: call };
  switch (found.kind) {
    case 'dns':
      return new OpsError(
        'PLATFORM_DNS_FAILED',
        { ...params, host: hostIn(found.message) ?? hop?.target ?? 'the host', detail: found.message },
        { cause: error },
      );
    case 'tls':
      return new OpsError(
        'PLATFORM_TLS_FAILED',
        { ...params, target: hop?.target ?? 'the platform', detail: found.message },
        { cause: error },
      );
    case 'proxy-connect':
      return new OpsError(
        'PROXY_UNREACHABLE',
        { ...params, proxy: hop?.via ?? 'the proxy', detail: stripProxyPrefix(found.message) },
        { cause: error },
      );
    case 'proxy-refused':
      return new OpsError(
        'PROXY_REFUSED',
        {
          ...params,
          proxy: hop?.via ?? 'the proxy',
          target: hop?.target ?? 'the platform',
          detail: statusOf(hop?.status, found.message),
        },
        { cause: error },
      );
    case 'proxy-auth':
      return new OpsError(
        'PROXY_AUTH_FAILED',
        { ...params, proxy: hop?.via ?? 'the proxy', detail: statusOf(hop?.status, found.message) },
        { cause: error },
      );
    case 'timeout':
    case 'connect':
      return new OpsError('PLATFORM_UNREACHABLE', { ...params, detail: found.message }, { cause: error });
  }
}

/** Whether posting may work later: the platform could not be reached, as opposed to refusing what was sent. */
export function isUnreachable(error: unknown): boolean {
  if (isOpsError(error))
    return unreachableCodes.has(error.code) && (error.code !== 'PLATFORM_UNREACHABLE' || !refusedByPlatform(error));
  return hopOf(error) !== undefined || serverError(error);
}

/** A PLATFORM_UNREACHABLE that wraps a 4xx answer of the platform itself is a refusal, not an outage. */
function refusedByPlatform(error: OpsError): boolean {
  return /HTTP 4\d\d/.test(String(error.params.detail ?? '')) && hopOf(error) === undefined;
}

function serverError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('status' in error)) return false;
  return typeof error.status === 'number' && error.status >= 500;
}

function statusOf(status: number | undefined, message: string): string {
  return status === undefined ? message : `HTTP ${status}`;
}

function hostIn(message: string): string | undefined {
  return /(?:name |getaddrinfo \w+ )([A-Za-z0-9.-]+)/.exec(message)?.[1];
}

function stripProxyPrefix(message: string): string {
  return message.replace(/^cannot reach the proxy \S+( as \S+)?: /, '');
}

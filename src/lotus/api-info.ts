import { isIP } from 'node:net';
import { OpsError } from '../core/errors.js';

/** One lotus JSON-RPC endpoint: where to POST, with which token. */
export interface LotusEndpoint {
  /** http(s)://host:port/rpc/v1 (full node) or /rpc/v0 (miner). */
  url: string;
  token?: string;
  /** host:port, safe to show and log: never carries the token. */
  display: string;
}

export type LotusApiKind = 'full' | 'miner';

const rpcPath: Record<LotusApiKind, string> = { full: '/rpc/v1', miner: '/rpc/v0' };

/**
 * Endpoints from a lotus API info string (`FULLNODE_API_INFO`, `MINER_API_INFO`, or the same in the config), read
 * with lotus's rules: `TOKEN:MULTIADDR`, a bare multiaddr (no token), or a URL (`http(s)://`, `ws(s)://`, with or
 * without `TOKEN:` before it); several endpoints separated by commas for fail-over. The bot speaks HTTP POST, so
 * ws:// becomes http:// and wss:// https:// (same port, same path: go-jsonrpc serves both on one URL).
 */
export function parseApiInfo(value: string, kind: LotusApiKind): LotusEndpoint[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) {
    throw invalid(value, 'it is empty; expected TOKEN:/ip4/<host>/tcp/<port>/http');
  }
  return items.map((item, i) => {
    if (item === '') throw invalid(value, `endpoint ${i + 1} of the comma-separated list is empty`);
    return parseOne(item, kind, value);
  });
}

/** The value with every token replaced, so that it can appear in an error message. */
function masked(value: string): string {
  return value
    .split(',')
    .map((item) => {
      const { token, address } = splitToken(item.trim());
      return token === undefined ? address : `<token>:${address}`;
    })
    .join(',');
}

function invalid(value: string, detail: string): OpsError {
  return new OpsError('LOTUS_ENDPOINT_INVALID', { value: masked(value), detail });
}

/** Lotus's split: no token when the value starts with "/" or the text after the first ":" starts with "//". */
function splitToken(item: string): { token: string | undefined; address: string } {
  if (item.startsWith('/')) return { token: undefined, address: item };
  const colon = item.indexOf(':');
  if (colon < 0) return { token: undefined, address: item };
  const rest = item.slice(colon + 1);
  if (rest.startsWith('//')) return { token: undefined, address: item };
  return { token: item.slice(0, colon).trim(), address: rest.trim() };
}

function parseOne(item: string, kind: LotusApiKind, whole: string): LotusEndpoint {
  const { token, address } = splitToken(item);
  if (token === '') throw invalid(whole, 'the token before ":" is empty');
  if (token !== undefined && /\s/.test(token)) throw invalid(whole, 'the token contains whitespace');
  let endpoint: Omit<LotusEndpoint, 'token'>;
  if (address.startsWith('/')) endpoint = fromMultiaddr(address, kind, whole);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) endpoint = fromUrl(address, kind, whole);
  else if (token === undefined) {
    throw invalid(whole, 'expected TOKEN:MULTIADDR (e.g. eyJ…:/ip4/10.0.0.5/tcp/1234/http), a multiaddr or a URL');
  } else {
    throw invalid(whole, `"${address}" after the token is neither a multiaddr (/ip4/…) nor a URL (http://…)`);
  }
  return token === undefined ? endpoint : { ...endpoint, token };
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const dnsName = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

function fromMultiaddr(address: string, kind: LotusApiKind, whole: string): Omit<LotusEndpoint, 'token'> {
  const parts = address.split('/').slice(1);
  if (parts[parts.length - 1] === '') parts.pop();
  const [proto, host, tcp, port, ...transport] = parts;
  if (proto === undefined || host === undefined || host === '') {
    throw invalid(whole, `multiaddr "${address}" has no host; expected /ip4/<address>/tcp/<port>/http`);
  }
  switch (proto) {
    case 'ip4':
      if (isIP(host) !== 4) throw invalid(whole, `"${host}" in ${address} is not an IPv4 address`);
      break;
    case 'ip6':
      if (isIP(host) !== 6) throw invalid(whole, `"${host}" in ${address} is not an IPv6 address`);
      break;
    case 'dns':
    case 'dns4':
    case 'dns6':
      if (!dnsName.test(host)) throw invalid(whole, `"${host}" in ${address} is not a DNS name`);
      break;
    default:
      throw invalid(whole, `multiaddr "${address}" must start with /ip4, /ip6, /dns, /dns4 or /dns6, not /${proto}`);
  }
  if (tcp !== 'tcp' || port === undefined) {
    throw invalid(whole, `multiaddr "${address}" has no /tcp/<port> after the host (lotus APIs listen on TCP)`);
  }
  const portNumber = parsePort(port, whole);
  let secure = false;
  for (const t of transport) {
    if (t === 'https' || t === 'tls' || t === 'wss') secure = true;
    else if (t !== 'http' && t !== 'ws') {
      throw invalid(
        whole,
        `multiaddr "${address}": /${t} is not a transport the lotus API uses (http, https, ws, wss, tls)`,
      );
    }
  }
  const display = hostPort(host, portNumber);
  return { url: `${secure ? 'https' : 'http'}://${display}${rpcPath[kind]}`, display };
}

function parsePort(port: string, whole: string): number {
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw invalid(whole, `"${port}" is not a TCP port (1-65535)`);
  return n;
}

function fromUrl(address: string, kind: LotusApiKind, whole: string): Omit<LotusEndpoint, 'token'> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalid(whole, `"${address}" is not a valid URL`);
  }
  const scheme = { 'http:': 'http', 'ws:': 'http', 'https:': 'https', 'wss:': 'https' }[url.protocol];
  if (scheme === undefined) throw invalid(whole, `URL scheme ${url.protocol} is not http, https, ws or wss`);
  if (url.username !== '' || url.password !== '') {
    throw invalid(whole, 'put the token before the URL (TOKEN:http://…), not in it');
  }
  if (url.search !== '' || url.hash !== '') throw invalid(whole, 'the URL must not carry a query or fragment');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const display = hostPort(host, port);
  // Lotus joins rpc/<v> onto the URL; accept a URL that already ends in it, as operators often paste the full one.
  const path = url.pathname.replace(/\/+$/, '');
  const base = /\/rpc\/v\d+$/.test(path) ? path : `${path}${rpcPath[kind]}`;
  return { url: `${scheme}://${display}${base}`, display };
}

import { isIP } from 'node:net';
import { OpsError } from '../core/errors.js';
import { registerSecret } from '../core/logger.js';

/** The `network` section's proxy options, as the config schema hands them over. */
export interface ProxyConfig {
  proxy?: string | undefined;
  noProxy?: readonly string[] | undefined;
}

/** How chat-platform traffic leaves this host. */
export interface ProxySettings {
  /** The CONNECT proxy (http: or https:), credentials included; undefined: every platform is dialled directly. */
  proxy?: URL;
  /** Hosts reached directly even when a proxy is set (NO_PROXY rules). */
  noProxy: readonly string[];
  /** Where `proxy` came from, for the log and check-config. */
  source: 'config' | 'environment' | 'none';
}

/**
 * The proxy for chat-platform traffic: `network.proxy` when the configuration sets one, else HTTPS_PROXY (or
 * https_proxy) from the environment; NO_PROXY likewise. Only HTTPS_PROXY is read, because every platform endpoint is
 * HTTPS or WSS. The password, wherever it came from, is registered as a secret so that no log line shows it.
 */
export function proxySettings(config: ProxyConfig | undefined, env: NodeJS.ProcessEnv): ProxySettings {
  const fromConfig = config?.proxy !== undefined && config.proxy !== '';
  const raw = fromConfig ? config.proxy : (env.https_proxy ?? env.HTTPS_PROXY);
  const noProxy =
    config?.noProxy ??
    (env.no_proxy ?? env.NO_PROXY ?? '')
      .split(/[\s,]+/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  if (raw === undefined || raw === '') return { noProxy, source: 'none' };
  let proxy: URL;
  try {
    proxy = parseProxyUrl(raw, fromConfig ? 'network.proxy' : 'HTTPS_PROXY');
  } catch (error) {
    throw new OpsError('CONFIG_INVALID', { count: 1, detail: error instanceof Error ? error.message : String(error) });
  }
  if (proxy.password) registerSecret(decodeURIComponent(proxy.password));
  return { proxy, noProxy, source: fromConfig ? 'config' : 'environment' };
}

/** An http:// or https:// proxy URL; a bare host:port (as some HTTPS_PROXY values are written) means http://. */
export function parseProxyUrl(raw: string, where: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`${where} is not a URL: expected http://HOST:PORT or https://HOST:PORT`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RangeError(`${where} must be an http:// or https:// CONNECT proxy, not ${url.protocol}//`);
  if (url.pathname !== '/' && url.pathname !== '')
    throw new RangeError(`${where} must be the proxy's address only (http://HOST:PORT), without a path`);
  return url;
}

/** The proxy that carries a request to `target`, or undefined when it goes directly. */
export function proxyFor(settings: ProxySettings, target: string | URL): URL | undefined {
  if (!settings.proxy) return undefined;
  const url = typeof target === 'string' ? new URL(target) : target;
  return bypassesProxy(settings.noProxy, url) ? undefined : settings.proxy;
}

/**
 * NO_PROXY as curl reads it: `*` for every host; `example.com` or `.example.com` for the domain and its subdomains;
 * an optional `:port`; IP addresses exactly, and IPv4 ranges in CIDR form (`10.0.0.0/8`).
 */
export function bypassesProxy(rules: readonly string[], target: URL): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' || target.protocol === 'wss:' ? '443' : '80');
  return rules.some((entry) => {
    const rule = entry.trim().toLowerCase();
    if (rule === '*') return true;
    const { ruleHost, rulePort } = splitRule(rule);
    if (rulePort !== undefined && rulePort !== port) return false;
    if (ruleHost.includes('/')) return inCidr(host, ruleHost);
    if (isIP(ruleHost) || isIP(host)) return ruleHost === host;
    const domain = ruleHost.replace(/^\*?\./, '');
    return host === domain || host.endsWith(`.${domain}`);
  });
}

function splitRule(rule: string): { ruleHost: string; rulePort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rule);
  if (bracketed) return { ruleHost: bracketed[1] as string, ...(bracketed[2] ? { rulePort: bracketed[2] } : {}) };
  const withPort = /^([^:]+):(\d+)$/.exec(rule);
  if (withPort) return { ruleHost: withPort[1] as string, rulePort: withPort[2] as string };
  return { ruleHost: rule };
}

function inCidr(host: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  if (isIP(host) !== 4 || isIP(base) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4(host) & mask) >>> 0 === (ipv4(base) & mask) >>> 0;
}

function ipv4(address: string): number {
  return address.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}

/** The proxy as a log line or a reply may show it: scheme, host and port, and the user name, never the password. */
export function describeProxy(proxy: URL): string {
  const user = proxy.username ? ` as ${decodeURIComponent(proxy.username)}` : '';
  return `${proxy.protocol}//${proxy.host}${user}`;
}

/** host:port of a URL with its scheme's default port filled in: what a CONNECT asks for. */
export function authorityOf(url: URL): { host: string; port: number } {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (secure ? 443 : 80)) };
}

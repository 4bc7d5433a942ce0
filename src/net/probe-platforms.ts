import { lookup } from 'node:dns/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { HopError, type HopKind, hopOf } from './hop-error.js';
import { openTunnel } from './open-tunnel.js';
import { authorityOf, describeProxy, type ProxySettings, proxyFor } from './proxy-settings.js';

/** The hops check-config names, in the order a connection passes them. */
export type ProbeHop =
  | 'DNS'
  | 'proxy'
  | 'proxy unreachable'
  | 'proxy refused'
  | 'proxy auth'
  | 'connect'
  | 'TLS'
  | 'timeout'
  | 'platform auth';

export interface ProbeStep {
  hop: ProbeHop;
  ok: boolean;
  detail: string;
}

/** One endpoint, with every hop tried until the first that failed. */
export interface EndpointProbe {
  /** e.g. "Slack Web API", "Discord gateway". */
  name: string;
  url: string;
  /** "direct" or "via http://proxy:3128 as user". */
  route: string;
  steps: ProbeStep[];
  ok: boolean;
}

/**
 * The platform's own check once the path is open: a call that needs the bot's credentials. Resolves with what the
 * platform said (the bot's name) and, where the platform names one, the next endpoint to probe (the WebSocket's URL).
 */
export type PlatformCheck = () => Promise<{
  detail: string;
  next?: { name: string; url: string; check?: PlatformCheck };
}>;

export interface ProbeTarget {
  name: string;
  url: string;
  check?: PlatformCheck;
}

/**
 * Walks each endpoint the way the bot's traffic goes, one hop at a time, and stops at the first that fails: the name
 * (of the proxy, or of the platform when dialled directly), the proxy's CONNECT (refused, or wanting credentials),
 * TLS to the platform, then the platform's own answer to the bot's credentials. A platform check may name a further
 * endpoint (Socket Mode's WebSocket URL, Discord's gateway), which is probed the same way.
 */
export async function probeEndpoints(
  settings: ProxySettings,
  targets: readonly ProbeTarget[],
  timeoutMs: number,
): Promise<EndpointProbe[]> {
  const out: EndpointProbe[] = [];
  const queue = [...targets];
  while (queue.length > 0) {
    const target = queue.shift() as ProbeTarget;
    const result = await probeOne(settings, target, timeoutMs);
    out.push(result.probe);
    if (result.next) queue.push(result.next);
  }
  return out;
}

async function probeOne(
  settings: ProxySettings,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<{ probe: EndpointProbe; next?: ProbeTarget }> {
  const url = new URL(target.url);
  const proxy = proxyFor(settings, url);
  const steps: ProbeStep[] = [];
  const probe: EndpointProbe = {
    name: target.name,
    url: target.url,
    route: proxy ? `via ${describeProxy(proxy)}` : 'direct',
    steps,
    ok: false,
  };
  const { host, port } = authorityOf(url);
  let socket: Socket | undefined;
  try {
    const named = proxy ? proxy.hostname.replace(/^\[|\]$/g, '') : host;
    try {
      const address = await lookup(named);
      steps.push({ hop: 'DNS', ok: true, detail: `${named} is ${address.address}` });
    } catch (error) {
      steps.push({
        hop: 'DNS',
        ok: false,
        detail: `${named} does not resolve: ${hopOf(error)?.message ?? String(error)}`,
      });
      return { probe };
    }
    try {
      if (proxy) {
        socket = await openTunnel(proxy, { host, port }, { timeoutMs });
        steps.push({ hop: 'proxy', ok: true, detail: `${describeProxy(proxy)} opened a tunnel to ${host}:${port}` });
      } else {
        socket = await dial(host, port, timeoutMs);
        steps.push({ hop: 'connect', ok: true, detail: `connected to ${host}:${port}` });
      }
    } catch (error) {
      steps.push(failedStep(error));
      return { probe };
    }
    if (url.protocol === 'https:' || url.protocol === 'wss:') {
      try {
        const secure = await handshake(socket, url.hostname, timeoutMs);
        socket = secure;
        const peer = secure.getPeerCertificate();
        steps.push({
          hop: 'TLS',
          ok: true,
          detail: `${secure.getProtocol() ?? 'TLS'}, certificate for ${peer.subject?.CN ?? url.hostname} verified`,
        });
      } catch (error) {
        steps.push({
          hop: 'TLS',
          ok: false,
          detail: `TLS to ${host}:${port} failed: ${hopOf(error)?.message ?? String(error)}`,
        });
        return { probe };
      }
    }
  } finally {
    socket?.destroy();
  }
  if (!target.check) {
    probe.ok = true;
    return { probe };
  }
  try {
    const checked = await target.check();
    steps.push({ hop: 'platform auth', ok: true, detail: checked.detail });
    probe.ok = true;
    return { probe, ...(checked.next ? { next: checked.next } : {}) };
  } catch (error) {
    const found = hopOf(error);
    steps.push(
      found
        ? failedStep(found.hop ?? new HopError(found.kind, `${host}:${port}`, undefined, found.message))
        : { hop: 'platform auth', ok: false, detail: error instanceof Error ? error.message : String(error) },
    );
    return { probe };
  }
}

const hopNames: Record<HopKind, ProbeHop> = {
  dns: 'DNS',
  connect: 'connect',
  'proxy-connect': 'proxy unreachable',
  'proxy-auth': 'proxy auth',
  'proxy-refused': 'proxy refused',
  tls: 'TLS',
  timeout: 'timeout',
};

function failedStep(error: unknown): ProbeStep {
  const found = error instanceof HopError ? { kind: error.kind, message: error.message } : hopOf(error);
  if (!found) return { hop: 'connect', ok: false, detail: error instanceof Error ? error.message : String(error) };
  return { hop: hopNames[found.kind], ok: false, detail: found.message };
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(
        new HopError(
          'timeout',
          `${host}:${port}`,
          undefined,
          `no connection to ${host}:${port} within ${timeoutMs} ms`,
        ),
      ),
    );
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function handshake(socket: Socket, servername: string, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket, servername, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => secure.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(secure);
    });
    secure.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** The probe as check-config prints it: one line per endpoint, each hop passed, and the one that failed. */
export function formatProbe(probes: readonly EndpointProbe[]): string {
  return probes
    .map((p) => {
      const failed = p.steps.find((s) => !s.ok);
      const head = `  ${p.name} ${p.url} (${p.route}): ${p.ok ? 'ok' : `FAILED at ${failed?.hop ?? 'an unknown hop'}`}`;
      const lines = p.steps.map((s) => `      ${s.ok ? 'ok  ' : 'FAIL'} ${s.hop}: ${s.detail}`);
      return [head, ...lines].join('\n');
    })
    .join('\n');
}

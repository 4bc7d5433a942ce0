import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../../../src/core/logger.js';
import { hopOf } from '../../../src/net/hop-error.js';
import { createPlatformTransport, type PlatformTransport } from '../../../src/net/platform-transport.js';
import { proxySettings } from '../../../src/net/proxy-settings.js';
import { startUntrustedTlsServer, TestProxy } from '../../helpers/proxy-server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function httpServer(): Promise<{ server: Server; port: number; hits: number[] }> {
  const hits: number[] = [];
  const server = createServer((req, res) => {
    hits.push(1);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.url}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

function network(proxy: string | undefined, noProxy?: string[]): PlatformTransport {
  const settings = proxySettings({ ...(proxy ? { proxy } : {}), ...(noProxy ? { noProxy } : {}) }, {});
  const net = createPlatformTransport(settings, {
    log: silentLogger(),
    connectTimeoutMs: 2_000,
    bridgeBackoff: { firstMs: 10, maxMs: 50 },
  });
  cleanups.push(() => net.close());
  return net;
}

async function proxy(options: Parameters<typeof TestProxy.start>[0] = {}): Promise<TestProxy> {
  const p = await TestProxy.start(options);
  cleanups.push(() => p.close());
  return p;
}

describe('the platform network', () => {
  it('given a proxy, when a platform is fetched, then the request goes through a CONNECT tunnel to that host', async () => {
    const { port } = await httpServer();
    const p = await proxy();
    const net = network(p.url());
    const response = await net.fetch(`http://slack-api.test:${port}/api/auth.test`);
    expect(await response.text()).toBe('hello /api/auth.test');
    expect(p.tunnelsTo(`slack-api.test:${port}`)).toBe(1);
    expect(net.route(`https://slack.com/api/`)).toBe(`via http://127.0.0.1:${p.port}`);
  });

  it('given no proxy, when a name only the proxy knows is fetched, then the failure is the DNS hop', async () => {
    const { port } = await httpServer();
    const net = network(undefined);
    const error = await net.fetch(`http://slack-api.test:${port}/`).catch((e: unknown) => e);
    expect(hopOf(error)?.kind).toBe('dns');
  });

  it('given a host under noProxy, when it is fetched, then it is dialled directly', async () => {
    const { port, hits } = await httpServer();
    const p = await proxy();
    const net = network(p.url(), ['127.0.0.1']);
    await (await net.fetch(`http://127.0.0.1:${port}/`)).text();
    expect(hits).toHaveLength(1);
    expect(p.requests).toHaveLength(0);
  });

  it('given a proxy that refuses, when a platform is fetched, then the error names the proxy-refused hop and the status', async () => {
    const { port } = await httpServer();
    const p = await proxy({ mode: 'refuse' });
    const error = await network(p.url())
      .fetch(`http://slack-api.test:${port}/`)
      .catch((e: unknown) => e);
    expect(hopOf(error)).toMatchObject({ kind: 'proxy-refused' });
    expect(hopOf(error)?.message).toContain('HTTP 403');
  });

  it('given a proxy that wants credentials, when none or wrong ones are sent, then the hop is proxy-auth; with them it works', async () => {
    const { port } = await httpServer();
    const credentials = { username: 'bot', password: 's3cret-pass' };
    const p = await proxy({ credentials });
    const missing = await network(p.url())
      .fetch(`http://slack-api.test:${port}/`)
      .catch((e: unknown) => e);
    expect(hopOf(missing)?.kind).toBe('proxy-auth');
    const wrong = await network(p.url({ username: 'bot', password: 'nope' }))
      .fetch(`http://slack-api.test:${port}/`)
      .catch((e: unknown) => e);
    expect(hopOf(wrong)?.kind).toBe('proxy-auth');
    const ok = await network(p.url(credentials)).fetch(`http://slack-api.test:${port}/x`);
    expect(await ok.text()).toBe('hello /x');
    expect(p.requests.at(-1)).toMatchObject({ username: 'bot', outcome: 'tunnelled' });
  });

  it('given a proxy that is not running, when a platform is fetched, then the hop is reaching the proxy', async () => {
    const { port } = await httpServer();
    const p = await proxy();
    const url = p.url();
    await p.kill();
    const error = await network(url)
      .fetch(`http://slack-api.test:${port}/`)
      .catch((e: unknown) => e);
    expect(hopOf(error)?.kind).toBe('proxy-connect');
  });

  it('given an https platform behind the proxy, when its certificate is not trusted, then the failure is the TLS hop inside the tunnel', async () => {
    const tls = await startUntrustedTlsServer('slack-api.test');
    cleanups.push(() => tls.close());
    const p = await proxy();
    const error = await network(p.url())
      .fetch(`https://slack-api.test:${tls.port}/api/auth.test`)
      .catch((e: unknown) => e);
    expect(hopOf(error)).toMatchObject({ kind: 'tls' });
    expect(hopOf(error)?.message).toContain('self-signed certificate');
    expect(p.tunnelsTo(`slack-api.test:${tls.port}`)).toBe(1);
  });

  it('given a proxy, when a WebSocket goes through the gateway bridge, then frames and close codes pass end to end', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    const hosts: string[] = [];
    wss.on('connection', (socket, req) => {
      hosts.push(`${req.headers.host} ${req.url}`);
      socket.on('message', (data) => {
        if (String(data) === 'bye') socket.close(4004, 'Authentication failed.');
        else socket.send(`echo ${String(data)}`);
      });
    });
    const port = (wss.address() as AddressInfo).port;
    const p = await proxy();
    const net = network(p.url());
    const url = await net.gatewayUrl(`ws://discord-gateway.test:${port}`);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[\w-]+$/);
    const client = new WebSocket(`${url}?v=10&encoding=json`);
    await once(client, 'open');
    client.send('hi');
    const [echo] = (await once(client, 'message')) as [Buffer];
    expect(String(echo)).toBe('echo hi');
    client.send('bye');
    const [code] = (await once(client, 'close')) as [number];
    expect(code).toBe(4004);
    expect(hosts).toEqual([`discord-gateway.test:${port} /?v=10&encoding=json`]);
    expect(p.tunnelsTo(`discord-gateway.test:${port}`)).toBe(1);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { probeConfigFile } from '../../../src/cli/check-config.js';
import { FakeDiscordRest } from '../../helpers/discord-fake-rest.js';
import { discordIds, discordToken } from '../../helpers/discord-interactions.js';
import { renamed, startUntrustedTlsServer, TestProxy } from '../../helpers/proxy-server.js';
import { FakeSocketModeServer } from '../../helpers/slack-fake-socket-mode.js';
import { FakeSlackWebApi } from '../../helpers/slack-fake-web-api.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Fakes {
  slackApi: FakeSlackWebApi;
  socket: FakeSocketModeServer;
  discord: FakeDiscordRest;
}

async function fakes(): Promise<Fakes> {
  const [slackApi, socket, discord] = await Promise.all([
    FakeSlackWebApi.start(),
    FakeSocketModeServer.start(),
    FakeDiscordRest.start({ applicationId: discordIds.application, token: discordToken }),
  ]);
  slackApi.socketUrl = renamed(socket.url, 'slack-link.test');
  discord.gatewayUrl = renamed(socket.url, 'discord-gateway.test').replace(/\/link$/, '');
  cleanups.push(() => Promise.all([slackApi.close(), socket.close(), discord.close()]));
  return { slackApi, socket, discord };
}

async function proxy(options: Parameters<typeof TestProxy.start>[0] = {}): Promise<TestProxy> {
  const p = await TestProxy.start(options);
  cleanups.push(() => p.close());
  return p;
}

/** Runs `check-config --probe` on a file naming the fakes as `*.test` hosts; resolves with the exit code and output. */
async function probe(
  f: Fakes,
  network: string,
  env: NodeJS.ProcessEnv = {},
  slackApiUrl = renamed(f.slackApi.url, 'slack-api.test'),
): Promise<{ code: number; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lcops-probe-'));
  const path = join(dir, 'bot.yaml');
  writeFileSync(
    path,
    `
cluster:
  daemons: [{ name: d1, api: /ip4/127.0.0.1/tcp/1/http }]
  miners: [{ name: seal, actor: f01234, api: /ip4/127.0.0.1/tcp/1/http, roles: [seal] }]
store: { path: ${join(dir, 'store.db')} }
slack:
  botToken: xoxb-test-bot-token
  appToken: xapp-test-app-token
  apiUrl: ${slackApiUrl}
discord:
  token: ${discordToken}
  applicationId: '${discordIds.application}'
  apiUrl: ${renamed(f.discord.apiUrl, 'discord-api.test')}
network:
${network}
`,
  );
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const code = await probeConfigFile(path, out, env);
  return { code, text };
}

describe('check-config --probe', () => {
  it('given a working proxy, when the platforms are probed, then every endpoint and hop is ok and nothing is probed without it', async () => {
    const f = await fakes();
    const p = await proxy();
    const { code, text } = await probe(f, `  proxy: ${p.url()}\n  timeout: 2s`);
    expect(text).toContain(
      `Probing the chat platforms through the proxy http://127.0.0.1:${p.port} (from network.proxy)`,
    );
    expect(text).toMatch(/Slack Web API http:\/\/slack-api\.test:\d+\/api\/ \(via http:\/\/127\.0\.0\.1:\d+\): ok/);
    expect(text).toContain('ok   platform auth: bot token accepted: @lotus-chatops in Fake');
    expect(text).toMatch(/Slack Socket Mode WebSocket ws:\/\/slack-link\.test:\d+\/ \(via .*\): ok/);
    expect(text).toContain('ok   platform auth: bot token accepted: lotus-chatops');
    expect(text).toMatch(/Discord gateway WebSocket ws:\/\/discord-gateway\.test:\d+\/ \(via .*\): ok/);
    expect(text).toContain('Every endpoint answered.');
    expect(code).toBe(0);
    // The socket link's ticket is never printed.
    expect(text).not.toContain('/link');
  });

  it('given HTTPS_PROXY and no network.proxy, when probed, then the environment proxy is used and named', async () => {
    const f = await fakes();
    const p = await proxy();
    const { code, text } = await probe(f, '  timeout: 2s', { HTTPS_PROXY: p.url() });
    expect(text).toContain(`through the proxy http://127.0.0.1:${p.port} (from HTTPS_PROXY)`);
    expect(code).toBe(0);
  });

  it('given a proxy that refuses, when probed, then each endpoint fails at "proxy refused" with the status', async () => {
    const f = await fakes();
    const p = await proxy({ mode: 'refuse' });
    const { code, text } = await probe(f, `  proxy: ${p.url()}\n  timeout: 2s`);
    expect(code).toBe(1);
    expect(text).toMatch(/Slack Web API .*: FAILED at proxy refused/);
    expect(text).toMatch(
      /FAIL proxy refused: the proxy http:\/\/127\.0\.0\.1:\d+ refused the tunnel to slack-api\.test:\d+ \(HTTP 403/,
    );
    expect(text).toMatch(/Discord REST API .*: FAILED at proxy refused/);
  });

  it('given a proxy that wants credentials, when probed without them, then the hop is "proxy auth"; the password never shows', async () => {
    const f = await fakes();
    const p = await proxy({ credentials: { username: 'chatops', password: 'right-one' } });
    const { text } = await probe(f, `  proxy: http://chatops:wrong-password-99@127.0.0.1:${p.port}\n  timeout: 2s`);
    expect(text).toMatch(/Slack Web API .*\(via http:\/\/127\.0\.0\.1:\d+ as chatops\): FAILED at proxy auth/);
    expect(text).toContain('wants valid credentials (HTTP 407');
    expect(text).not.toContain('wrong-password-99');
  });

  it('given a proxy whose name does not resolve, when probed, then the hop is DNS', async () => {
    const f = await fakes();
    const { text } = await probe(f, '  proxy: http://proxy.invalid:3128\n  timeout: 2s');
    expect(text).toMatch(/Slack Web API .*: FAILED at DNS/);
    expect(text).toContain('FAIL DNS: proxy.invalid does not resolve');
  });

  it('given no proxy, when a platform name only resolves behind the proxy, then the hop is DNS', async () => {
    const f = await fakes();
    const { text } = await probe(f, '  timeout: 2s');
    expect(text).toContain('Probing the chat platforms directly (no proxy set)');
    expect(text).toContain('FAIL DNS: slack-api.test does not resolve');
  });

  it('given a bot token the platform refuses, when probed, then the hop is "platform auth" with the platform\'s answer', async () => {
    const f = await fakes();
    const p = await proxy();
    f.slackApi.script('auth.test', { body: { ok: false, error: 'invalid_auth' } });
    const { code, text } = await probe(f, `  proxy: ${p.url()}\n  timeout: 2s`);
    expect(code).toBe(1);
    expect(text).toMatch(/Slack Web API .*: FAILED at platform auth/);
    expect(text).toContain('FAIL platform auth: Slack refused the bot token: invalid_auth.');
  });

  it('given an endpoint whose certificate this host does not trust, when probed, then the hop is TLS', async () => {
    const tls = await startUntrustedTlsServer('slack-api.test');
    cleanups.push(() => tls.close());
    const f = await fakes();
    const p = await proxy();
    const apiUrl = `https://slack-api.test:${tls.port}/api/`;
    const result = await probe(f, `  proxy: ${p.url()}\n  timeout: 2s`, {}, apiUrl);
    expect(result.text).toMatch(/Slack Web API https:\/\/slack-api\.test:\d+\/api\/ .*: FAILED at TLS/);
    expect(result.text).toContain('self-signed certificate');
  });
});

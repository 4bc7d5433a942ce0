import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { OpsError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { LinkState, PlatformHealth } from '../../../src/core/platform-health.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { createPlatformTransport, type PlatformTransport } from '../../../src/net/platform-transport.js';
import { proxySettings } from '../../../src/net/proxy-settings.js';
import { slashCommand as discordSlash, discordUsers } from '../../helpers/discord-interactions.js';
import { type DiscordTestBot, is, routes, startDiscordTestBot } from '../../helpers/discord-test-bot.js';
import { TestProxy } from '../../helpers/proxy-server.js';
import { slashCommand } from '../../helpers/slack-payload-builders.js';
import { type SlackTestBed, startSlackTestBed } from '../../helpers/slack-test-bed.js';

const slackNames = { api: 'slack-api.test', socket: 'slack-link.test', responses: 'slack-hooks.test' };
const discordNames = { rest: 'discord-api.test', gateway: 'discord-gateway.test' };
const credentials = { username: 'chatops', password: 'pr0xy-pa55word' };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxy(options: Parameters<typeof TestProxy.start>[0] = {}): Promise<TestProxy> {
  const p = await TestProxy.start(options);
  cleanups.push(() => p.close());
  return p;
}

function transportVia(proxyUrl: string): PlatformTransport {
  const transport = createPlatformTransport(proxySettings({ proxy: proxyUrl }, {}), {
    log: silentLogger(),
    connectTimeoutMs: 2_000,
    bridgeBackoff: { firstMs: 20, maxMs: 200 },
  });
  cleanups.push(() => transport.close());
  return transport;
}

function healthRegistry(): ConnectionHealth {
  return new ConnectionHealth({ clock: new FakeClock(), log: silentLogger() });
}

/** Resolves with the platform's health the next time it reaches `state`. */
function nextState(health: ConnectionHealth, platform: string, state: LinkState): Promise<PlatformHealth> {
  return new Promise((resolve) => {
    const off = health.onChange((h) => {
      if (h.platform !== platform || h.state !== state) return;
      off();
      resolve(h);
    });
  });
}

/** Resolves once the platform reports a problem whose detail contains `text` (or already has). */
function problem(health: ConnectionHealth, platform: string, text: string): Promise<void> {
  if (health.snapshot(platform).lastProblem?.detail.includes(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const off = health.onProblem((where, reported) => {
      if (where !== platform || !reported.detail.includes(text)) return;
      off();
      resolve();
    });
  });
}

const portOf = (url: string): string => new URL(url).port;

async function slackBed(options: Parameters<typeof startSlackTestBed>[0]): Promise<SlackTestBed> {
  const bed = await startSlackTestBed(options);
  cleanups.push(() => bed.close());
  return bed;
}

async function discordBot(options: Parameters<typeof startDiscordTestBot>[1]): Promise<DiscordTestBot> {
  const bot = await startDiscordTestBot({}, options);
  cleanups.push(() => bot.close());
  return bot;
}

/** Slack's answer to /help as it reaches response_url. */
async function helpOverSlack(bed: SlackTestBed, id: string): Promise<void> {
  await bed.socket.send(
    'slash_commands',
    slashCommand({ command: '/help', user: 'UALICE', responseUrl: bed.responses.url(id) }),
  );
  await bed.responses.waitFor(id);
}

/** Every proxy request as `host:port → outcome`, for readable failures. */
const seen = (p: TestProxy): string[] => p.requests.map((r) => `${r.kind} ${r.target} ${r.outcome}`);

describe('Slack through a CONNECT proxy', () => {
  it('given a proxy, when the real Bolt app runs, then the Web API, both Socket Mode links and response_url all go through it', async () => {
    const p = await proxy({ credentials });
    const health = healthRegistry();
    const bed = await slackBed({
      hostNames: slackNames,
      adapter: { transport: transportVia(p.url(credentials)), health: health.reporter('slack'), socketLinks: 2 },
    });
    await bed.socket.waitForConnections(2);
    await helpOverSlack(bed, 'help');
    await bed.adapter.poster.post({ platform: 'slack', id: 'C0ALERTS' }, { title: 'Fault recovered', blocks: [] });

    const api = `${slackNames.api}:${portOf(bed.api.url)}`;
    const link = `${slackNames.socket}:${portOf(bed.socket.url)}`;
    const hooks = `${slackNames.responses}:${portOf(bed.responses.url('x'))}`;
    expect(bed.api.callsOf('auth.test')).toHaveLength(1);
    expect(bed.api.callsOf('apps.connections.open')).toHaveLength(2);
    expect(p.tunnelsTo(api), seen(p).join('\n')).toBeGreaterThanOrEqual(1);
    expect(p.tunnelsTo(link), seen(p).join('\n')).toBe(2);
    expect(p.tunnelsTo(hooks), seen(p).join('\n')).toBeGreaterThanOrEqual(1);
    // Nothing else was asked of the proxy, and every request carried the credentials.
    expect([...p.targets()].sort()).toEqual([api, hooks, link].sort());
    expect(p.requests.every((r) => r.kind === 'connect' && r.username === credentials.username)).toBe(true);
    expect(health.snapshot('slack')).toMatchObject({ state: 'connected', links: { open: 2, kept: 2 } });
    // The proxy password never reaches the log.
    expect(bed.logLines.join('')).not.toContain(credentials.password);
  });

  it('given a proxy that refuses the tunnel, when the adapter starts, then it fails naming the proxy, the target and the hop', async () => {
    const p = await proxy({ mode: 'refuse' });
    const error = await startSlackTestBed({
      hostNames: slackNames,
      adapter: { transport: transportVia(p.url()) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).code).toBe('PROXY_REFUSED');
    expect((error as OpsError).message).toMatch(
      new RegExp(
        `^Slack is unreachable \\(Web API auth\\.test\\): the proxy http://127\\.0\\.0\\.1:${p.port} refused the tunnel to slack-api\\.test:\\d+ \\(HTTP 403\\)\\.$`,
      ),
    );
    expect((error as OpsError).hint).toContain('network.noProxy');
  });

  it('given a proxy that wants credentials, when none are configured, then the adapter fails saying so and how to give them', async () => {
    const p = await proxy({ credentials });
    const error = await startSlackTestBed({
      hostNames: slackNames,
      adapter: { transport: transportVia(p.url()) },
    }).catch((e: unknown) => e);
    expect((error as OpsError).code).toBe('PROXY_AUTH_FAILED');
    expect((error as OpsError).message).toContain('wants valid credentials (HTTP 407)');
    expect((error as OpsError).hint).toContain('network.proxy');
  });

  it('given a running bot, when the proxy dies and comes back, then the links report the lost hop, reconnect and take commands again', async () => {
    const p = await proxy();
    const health = healthRegistry();
    const bed = await slackBed({
      hostNames: slackNames,
      adapter: {
        transport: transportVia(p.url()),
        health: health.reporter('slack'),
        socketLinks: 2,
        socketPingTimeoutMs: 2_000,
        linkRetryConfig: { forever: true, factor: 1.5, minTimeout: 20, maxTimeout: 100 },
      },
    });
    await bed.socket.waitForConnections(2);
    const lost = nextState(health, 'slack', 'reconnecting');
    await p.kill();
    expect((await lost).state).toBe('reconnecting');
    const back = nextState(health, 'slack', 'connected');
    // The links keep asking for a new URL while the proxy is gone; each failure names the proxy.
    await problem(health, 'slack', `cannot reach the proxy http://127.0.0.1:${p.port}`);
    await p.revive();
    await back;
    await bed.socket.waitForConnections(4);
    await helpOverSlack(bed, 'after');
    expect(health.snapshot('slack')).toMatchObject({ state: 'connected', reconnects24h: 1 });
    expect(health.snapshot('slack').gaps?.count24h).toBe(1);
    expect(bed.logLines.some((l) => l.includes('link is back') && l.includes('gapMs'))).toBe(true);
  });
});

describe('Discord through a CONNECT proxy', () => {
  it('given a proxy, when the real discord.js client runs, then REST and the gateway WebSocket go through it', async () => {
    const p = await proxy({ credentials });
    const health = healthRegistry();
    const bot = await discordBot({
      hostNames: discordNames,
      adapter: { transport: transportVia(p.url(credentials)), health: health.reporter('discord') },
    });
    const ask = discordSlash({ user: discordUsers.rita, command: 'help' });
    bot.send(ask);
    await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    await bot.adapter.poster.post(
      { platform: 'discord', id: '1180000000000000003' },
      { title: 'Fault recovered', blocks: [] },
    );

    const rest = `${discordNames.rest}:${portOf(bot.rest.apiUrl)}`;
    const gateway = `${discordNames.gateway}:${portOf(bot.gateway.url)}`;
    expect(p.tunnelsTo(rest), seen(p).join('\n')).toBeGreaterThanOrEqual(1);
    expect(p.tunnelsTo(gateway), seen(p).join('\n')).toBe(1);
    expect([...p.targets()].sort()).toEqual([rest, gateway].sort());
    expect(p.requests.every((r) => r.kind === 'connect' && r.username === credentials.username)).toBe(true);
    expect(bot.rest.find(is('GET', '/api/v10/gateway/bot'))).toHaveLength(1);
    expect(health.snapshot('discord').state).toBe('connected');
  });

  it('given a proxy that refuses, when the adapter starts, then it fails naming the proxy and the refused tunnel', async () => {
    const p = await proxy({ mode: 'refuse' });
    const error = await startDiscordTestBot(
      {},
      { hostNames: discordNames, adapter: { transport: transportVia(p.url()) } },
    ).catch((e: unknown) => e);
    expect((error as OpsError).code).toBe('PROXY_REFUSED');
    expect((error as OpsError).message).toContain(
      `the proxy http://127.0.0.1:${p.port} refused the tunnel to discord-api.test:`,
    );
  });

  it('given a proxy that lets REST through but refuses the gateway host, when the adapter starts, then it says the gateway tunnel was refused', async () => {
    const p = await proxy();
    const refuseGateway = p.refuse((target) => target.startsWith(`${discordNames.gateway}:`));
    const error = await startDiscordTestBot(
      {},
      { hostNames: discordNames, adapter: { transport: transportVia(p.url()), gateway: { startTimeoutMs: 1_500 } } },
    ).catch((e: unknown) => e);
    refuseGateway();
    expect((error as OpsError).code).toBe('PLATFORM_UNREACHABLE');
    expect((error as OpsError).message).toMatch(
      /^Discord is unreachable \(gateway\): not READY within 1500 ms; the proxy .* refused the tunnel to discord-gateway\.test:\d+ \(HTTP 403/,
    );
  });

  it('given a running bot, when the proxy dies and comes back, then the gateway reports the lost hop and connects again', async () => {
    const p = await proxy();
    const health = healthRegistry();
    const bot = await discordBot({
      hostNames: discordNames,
      adapter: { transport: transportVia(p.url()), health: health.reporter('discord') },
    });
    const lost = nextState(health, 'discord', 'reconnecting');
    const hop = problem(health, 'discord', `cannot reach the proxy http://127.0.0.1:${p.port}`);
    await p.kill();
    await lost;
    await hop;
    const back = nextState(health, 'discord', 'connected');
    await p.revive();
    await back;
    await bot.gateway.identified(2);
    const ask = discordSlash({ user: discordUsers.rita, command: 'help' });
    bot.send(ask);
    await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    expect(health.snapshot('discord')).toMatchObject({ state: 'connected', reconnects24h: 1 });
    expect(p.tunnelsTo(`${discordNames.gateway}:${portOf(bot.gateway.url)}`)).toBeGreaterThanOrEqual(2);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type ChatPlatforms, startChatPlatforms } from '../../../src/cli/start-chat-platforms.js';
import { parseConfigText } from '../../../src/config/load-config.js';
import { FakeClock } from '../../../src/core/clock.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { FakeDiscordGateway } from '../../helpers/discord-fake-gateway.js';
import { FakeDiscordRest, type RecordedRequest } from '../../helpers/discord-fake-rest.js';
import {
  discordIds,
  slashCommand as discordSlash,
  discordToken,
  discordUsers,
  opsGuild,
} from '../../helpers/discord-interactions.js';
import { is, routes } from '../../helpers/discord-test-bot.js';
import { eventually } from '../../helpers/eventually.js';
import { captureLog, createHarness, type Harness } from '../../helpers/runtime-harness.js';
import { FakeResponseUrls } from '../../helpers/slack-fake-response-url.js';
import { FakeSocketModeServer } from '../../helpers/slack-fake-socket-mode.js';
import { FakeSlackWebApi, type RecordedCall } from '../../helpers/slack-fake-web-api.js';
import { slashCommand } from '../../helpers/slack-payload-builders.js';

/** Both platforms on one runtime, started as `run` starts them, against loopback fakes that can stop answering. */
interface Bed {
  h: Harness;
  chat: ChatPlatforms;
  health: ConnectionHealth;
  slackApi: FakeSlackWebApi;
  slackSocket: FakeSocketModeServer;
  responses: FakeResponseUrls;
  discordRest: FakeDiscordRest;
  gateway: FakeDiscordGateway;
  logLines: string[];
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBed(): Promise<Bed> {
  const clock = new FakeClock();
  const { log, lines } = captureLog();
  const health = new ConnectionHealth({ clock, log });
  const h = await createHarness({ clock, health });
  const [slackApi, slackSocket, responses] = await Promise.all([
    FakeSlackWebApi.start(),
    FakeSocketModeServer.start(),
    FakeResponseUrls.start(),
  ]);
  slackApi.socketUrl = slackSocket.url;
  const discordRest = await FakeDiscordRest.start({ applicationId: discordIds.application, token: discordToken });
  const gateway = await FakeDiscordGateway.start({
    applicationId: discordIds.application,
    token: discordToken,
    guilds: [opsGuild()],
  });
  discordRest.gatewayUrl = gateway.url;
  cleanups.push(() =>
    Promise.all([
      slackApi.close(),
      slackSocket.close(),
      responses.close(),
      discordRest.close(),
      gateway.close(),
      h.close(),
    ]),
  );
  const config = parseConfigText(
    `
cluster:
  daemons: [{ name: daemon, api: 'http://127.0.0.1:1/rpc/v1' }]
  miners: [{ name: seal, actor: f01234, api: 'http://127.0.0.1:1/rpc/v0', roles: [seal] }]
slack:
  botToken: xoxb-test-bot-token
  appToken: xapp-test-app-token
  apiUrl: ${slackApi.url}
discord:
  token: ${discordToken}
  applicationId: '${discordIds.application}'
  guildId: '${discordIds.guild}'
  apiUrl: ${discordRest.apiUrl}
network:
  timeout: 300ms
  retries: 0
  health:
    downAfter: 2m
    announce: [slack:C0OPS, 'discord:${discordIds.channel}']
`,
    {},
  );
  const chat = await startChatPlatforms({
    config,
    app: { runtime: h.runtime, posters: h.posters },
    health,
    log,
    env: {},
    clock: h.clock,
    slackSocketLinks: 1,
    tuning: {
      slack: {
        socketPingTimeoutMs: 2_000,
        linkRetryConfig: { forever: true, factor: 1.5, minTimeout: 20, maxTimeout: 100 },
      },
    },
  });
  cleanups.push(() => chat.stop());
  await slackSocket.waitForConnections(1);
  await gateway.ready();
  return { h, chat, health, slackApi, slackSocket, responses, discordRest, gateway, logLines: lines };
}

const withButtons = (call: RecordedCall): boolean =>
  JSON.stringify(call.body.blocks ?? []).includes('/approvals approve ');

/** Alice asks in Slack for /destroy; resolves with the approval request's id. */
async function requestInSlack(bed: Bed): Promise<string> {
  await bed.slackSocket.send(
    'slash_commands',
    slashCommand({ command: '/destroy', text: 'disk-1', user: 'UALICE', responseUrl: bed.responses.url('destroy') }),
  );
  const posted = await bed.slackApi.waitFor('chat.postMessage', withButtons);
  const id = /\/approvals approve (\w+)/.exec(JSON.stringify(posted.body.blocks))?.[1] ?? '';
  await eventually(async () => (await bed.h.store.messageRefs(`approval:${id}`)).length > 0);
  return id;
}

/** Runs a slash command on Discord; resolves with the answer edited into the deferred reply once it has `text`. */
async function askOnDiscord(bed: Bed, command: Parameters<typeof discordSlash>[0], text: string): Promise<string> {
  const ask = discordSlash(command);
  bed.discordRest.trackInteraction(ask.token, discordIds.channel);
  bed.gateway.dispatch('INTERACTION_CREATE', ask);
  const edited = is('PATCH', routes.original(ask));
  const edit = await bed.discordRest.waitFor((r) => edited(r) && JSON.stringify(r.body).includes(text));
  return JSON.stringify(edit.body);
}

const toDiscordChannel = (r: RecordedRequest): boolean =>
  r.method === 'POST' && r.path === routes.channelMessages(discordIds.channel);

describe('a chat platform that stops answering', () => {
  it('given Slack swallows every call, when a Discord operator approves a Slack request, then Discord gets the outcome, the log names Slack and the hop, and the Slack post waits until Slack is back', async () => {
    const bed = await startBed();
    const id = await requestInSlack(bed);
    bed.slackApi.hang = true;

    const answer = await askOnDiscord(
      bed,
      { user: discordUsers.rita, command: 'approvals', subcommand: 'approve', options: { id } },
      'Destroyed',
    );
    expect(answer).toContain('Destroyed disk-1');
    expect(bed.h.state.executions).toBe(1);
    // The Discord answer did not wait for Slack; the request message's update gives up in the background.
    await bed.slackApi.waitForSwallowed('chat.update');
    await bed.h.settled();
    const log = bed.logLines.join('');
    expect(log).toContain('Slack is unreachable (Web API chat.update): no answer within the timeout');
    expect(log).toContain('the message waits in the outbox');
    const waiting = bed.chat.outboxes.get('slack')?.waiting ?? 0;
    expect(waiting).toBeGreaterThanOrEqual(1);

    // /health on Discord shows it too.
    const health = await askOnDiscord(bed, { user: discordUsers.rita, command: 'health' }, 'Bot health');
    expect(health).toContain(`${waiting} message(s) waiting to be posted`);
    expect(health).toMatch(/Slack: last problem .*HTTP to 127\.0\.0\.1/);

    bed.slackApi.hang = false;
    await bed.chat.outboxes.get('slack')?.flush();
    const updated = await bed.slackApi.waitFor(
      'chat.update',
      (c) => c.body.channel === 'C0OPS' && JSON.stringify(c.body.blocks).includes('Done: Destroyed disk-1'),
    );
    expect(updated.status).toBe(200);
    const answered = await bed.slackApi.waitFor(
      'chat.postMessage',
      (c) => c.body.thread_ts !== undefined && JSON.stringify(c.body.blocks).includes('Destroyed disk-1'),
    );
    expect(answered.status).toBe(200);
    expect(bed.chat.outboxes.get('slack')?.waiting).toBe(0);
  });

  it('given Discord swallows every call, when a Slack user runs a command, then Slack answers at once and the Discord post waits in the outbox', async () => {
    const bed = await startBed();
    bed.discordRest.hang = true;
    await bed.h.posters.post({ platform: 'discord', id: discordIds.channel }, { title: 'Fault recovered', blocks: [] });
    expect(bed.logLines.join('')).toContain('Discord is unreachable');
    expect(bed.chat.outboxes.get('discord')?.waiting).toBe(1);

    await bed.slackSocket.send(
      'slash_commands',
      slashCommand({ command: '/help', user: 'UALICE', responseUrl: bed.responses.url('help') }),
    );
    const [post] = await bed.responses.waitFor('help');
    expect(post?.body.text).toContain('Commands you may run');
  });

  it('given Slack stays unreachable past the threshold, when the announcer checks, then Discord is told once, and again when Slack is back', async () => {
    const bed = await startBed();
    const lost = new Promise<void>((resolve) => {
      const off = bed.health.onChange((h) => {
        if (h.platform === 'slack' && h.state === 'reconnecting') {
          off();
          resolve();
        }
      });
    });
    // The Socket Mode server goes away; the link cannot come back while apps.connections.open names it.
    await bed.slackSocket.close();
    await lost;
    await bed.chat.announcer.check();
    expect(bed.discordRest.find(toDiscordChannel)).toHaveLength(0);

    bed.h.clock.advance(3 * 60_000);
    await bed.chat.announcer.check();
    await bed.chat.announcer.check();
    const outage = bed.discordRest.find(toDiscordChannel);
    expect(outage).toHaveLength(1);
    expect(JSON.stringify(outage[0]?.body)).toContain('Slack is unreachable');

    const replacement = await FakeSocketModeServer.start();
    cleanups.push(() => replacement.close());
    const back = new Promise<void>((resolve) => {
      const off = bed.health.onChange((h) => {
        if (h.platform === 'slack' && h.state === 'connected') {
          off();
          resolve();
        }
      });
    });
    bed.slackApi.socketUrl = replacement.url;
    await back;
    await bed.chat.announcer.check();
    const messages = bed.discordRest.find(toDiscordChannel);
    expect(messages).toHaveLength(2);
    expect(JSON.stringify(messages[1]?.body)).toContain('Slack is back');
    expect(JSON.stringify(messages[1]?.body)).toContain('(3 min)');
  });
});

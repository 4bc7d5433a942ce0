import type { APIMessage } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { buttonClick as discordClick, discordIds, discordUsers } from '../../helpers/discord-interactions.js';
import { type DiscordTestBot, is, routes, startDiscordTestBot } from '../../helpers/discord-test-bot.js';
import { harnessOf, type SimApp, startSimApp } from '../../helpers/sim-app.js';
import type { RecordedCall } from '../../helpers/slack-fake-web-api.js';
import { buttonClick } from '../../helpers/slack-payload-builders.js';
import { blocksOf, buttonsOf, type SlackTestBed, startSlackTestBed } from '../../helpers/slack-test-bed.js';

const ALERTS = 'C0ALERTS';
const ONCALL_ROLE = '888';

let slack: SlackTestBed | undefined;
let discord: DiscordTestBot | undefined;
let sim: SimApp | undefined;
afterEach(async () => {
  await slack?.close();
  await discord?.close();
  slack = discord = sim = undefined;
});

/** The bot on the simulated cluster with alerts on, routed to a Slack and a Discord channel, both adapters real. */
async function start(options: { stormThreshold?: number; scenario?: string } = {}) {
  sim = await startSimApp({
    scenario: options.scenario ?? 'small',
    configure(config) {
      config.alerts = {
        ...config.alerts,
        enabled: true,
        ...(options.stormThreshold ? { stormThreshold: options.stormThreshold } : {}),
        routes: [
          {
            channels: [`slack:${ALERTS}`, `discord:${discordIds.channel}`],
            mention: ['slack-group:S0ONCALL', `discord-role:${ONCALL_ROLE}`],
          },
        ],
      };
      config.rbac.roles = {
        admin: [],
        operator: ['slack:UALICE', `discord-role:${discordIds.operatorsRole}`],
        viewer: ['slack:*', 'discord:*'],
      };
    },
  });
  const h = harnessOf(sim);
  slack = await startSlackTestBed({ use: h });
  discord = await startDiscordTestBot({}, { use: h });
  sim.app.startBackgroundWork({ timer: false });
  return { s: sim, slack, discord };
}

/** One tick of the jobs after `ms` on the test clock, and the chat brought in step. */
async function pass(s: SimApp, ms = 0): Promise<void> {
  s.clock.advance(ms);
  await s.app.jobs.tick();
  await s.app.settled();
}

const text = (call: RecordedCall) => JSON.stringify(call.body);
const slackPosts = (b: SlackTestBed) =>
  b.api.callsOf('chat.postMessage').filter((c) => c.body.channel === ALERTS && c.body.thread_ts === undefined);
const slackThread = (b: SlackTestBed, ts: string) =>
  b.api.callsOf('chat.postMessage').filter((c) => c.body.thread_ts === ts);
const slackUpdates = (b: SlackTestBed, ts: string) => b.api.callsOf('chat.update').filter((c) => c.body.ts === ts);
const discordPosts = (b: DiscordTestBot) =>
  b.rest
    .find(is('POST', routes.channelMessages(discordIds.channel)))
    .filter((r) => (r.body as { message_reference?: unknown }).message_reference === undefined);

describe('alerts pushed to Slack and Discord', () => {
  it('tells a condition once, keeps a repeat quiet, updates it in place when it turns critical (paging on-call), resolves it, and damps its return', async () => {
    const { s, slack, discord } = await start();
    await pass(s);
    expect(slackPosts(slack)).toEqual([]);

    s.sim.controls.setDaemonLag('daemon-internal', 3);
    await pass(s, 30_000);
    const [post] = slackPosts(slack);
    expect(post && text(post)).toContain('Warning A1: daemon-internal is slow');
    expect(post && text(post)).not.toContain('subteam');
    expect(buttonsOf(blocksOf(post as RecordedCall)).map((b) => b.value)).toEqual([
      '/alerts ack A1',
      '/alerts silence A1 for=1h',
      '/alerts silence A1 for=24h',
    ]);
    expect(discordPosts(discord)).toHaveLength(1);
    const ts = String(post?.answer.ts);

    await pass(s, 30_000);
    expect(slackPosts(slack)).toHaveLength(1);
    expect(slackUpdates(slack, ts)).toEqual([]);

    s.sim.controls.setDaemonLag('daemon-internal', 10);
    await pass(s, 30_000);
    expect(slackPosts(slack)).toHaveLength(1);
    expect(text(slackUpdates(slack, ts).at(-1) as RecordedCall)).toContain(
      'CRITICAL A1: daemon-internal is behind the chain',
    );
    const [turned] = slackThread(slack, ts);
    expect(turned && text(turned)).toContain('<!subteam^S0ONCALL>');
    expect(turned && text(turned)).toContain('warning → critical');
    const discordReplies = discord.rest
      .find(is('POST', routes.channelMessages(discordIds.channel)))
      .filter((r) => (r.body as { message_reference?: unknown }).message_reference !== undefined);
    expect(discordReplies.at(-1)?.body).toMatchObject({
      content: `<@&${ONCALL_ROLE}>`,
      allowed_mentions: { roles: [ONCALL_ROLE] },
    });

    s.sim.controls.setDaemonLag('daemon-internal', 0);
    await pass(s, 30_000);
    const resolved = slackUpdates(slack, ts).at(-1) as RecordedCall;
    expect(text(resolved)).toContain('Resolved A1');
    expect(buttonsOf(blocksOf(resolved))).toEqual([]);
    expect(text(slackThread(slack, ts).at(-1) as RecordedCall)).toContain('A1 resolved');

    s.sim.controls.setDaemonLag('daemon-internal', 3);
    await pass(s, 60_000);
    expect(slackPosts(slack)).toHaveLength(1);
    expect(text(slackUpdates(slack, ts).at(-1) as RecordedCall)).toContain('Came back');
    expect(text(slackThread(slack, ts).at(-1) as RecordedCall)).toContain('A1 is back');
    expect(discordPosts(discord)).toHaveLength(1);
  });

  it('re-notifies an unacked critical alert, checks the clicking person’s role on Ack, and stops re-notifying once acked', async () => {
    const { s, slack } = await start();
    await pass(s);
    s.sim.controls.setBalances({ wallets: { f01002: '0' } });
    await pass(s, 5 * 60_000);
    const [post] = slackPosts(slack);
    expect(post && text(post)).toContain('CRITICAL A1: f01000 worker address f01002 holds 0 FIL');
    expect(post && text(post)).toContain('<!subteam^S0ONCALL>');
    const ts = String(post?.answer.ts);
    const ack = buttonsOf(blocksOf(post as RecordedCall)).find((b) => b.value === '/alerts ack A1');

    // A viewer's click is refused, privately; nothing changes.
    await slack.socket.send(
      'interactive',
      buttonClick({
        actionId: ack?.action_id ?? '',
        value: ack?.value ?? '',
        label: 'Ack',
        user: 'UVIEW',
        messageTs: ts,
        blocks: blocksOf(post as RecordedCall),
        responseUrl: slack.responses.url('viewer-ack'),
      }),
    );
    const [refused] = await slack.responses.waitFor('viewer-ack');
    expect(JSON.stringify(refused)).toContain('operator');
    expect((await s.app.store.getAlert('A1'))?.ackedBy).toBeNull();

    await pass(s, 31 * 60_000);
    const again = slackThread(slack, ts);
    expect(again.map(text).join()).toContain('A1 still firing');
    expect(again.map(text).join()).toContain('<!subteam^S0ONCALL>');

    await slack.socket.send(
      'interactive',
      buttonClick({
        actionId: ack?.action_id ?? '',
        value: ack?.value ?? '',
        label: 'Ack',
        user: 'UALICE',
        messageTs: ts,
        blocks: blocksOf(post as RecordedCall),
        responseUrl: slack.responses.url('alice-ack'),
      }),
    );
    await slack.responses.waitFor('alice-ack');
    await s.app.settled();
    const acked = slackUpdates(slack, ts).at(-1) as RecordedCall;
    expect(text(acked)).toContain('*Acked*\\nby <@UALICE>');
    expect(buttonsOf(blocksOf(acked)).map((b) => b.value)).not.toContain('/alerts ack A1');
    const threadBefore = slackThread(slack, ts).length;
    await pass(s, 31 * 60_000);
    await pass(s, 31 * 60_000);
    expect(slackThread(slack, ts).slice(threadBefore).map(text).join()).not.toContain('still firing');
  });

  it('silences an alert from a Discord button for an hour, and re-notifies once the silence has expired', async () => {
    const { s, slack, discord } = await start();
    await pass(s);
    s.sim.controls.setBalances({ wallets: { f01002: '0' } });
    await pass(s, 5 * 60_000);
    const [ref] = (await s.app.store.messageRefs('alert:A1')).filter((r) => r.platform === 'discord');
    const message = discord.rest.messageById(ref?.messageIds[0] ?? '') as unknown as APIMessage;
    expect(message.embeds[0]?.title).toContain('CRITICAL A1');
    const silence = discordClick({ user: discordUsers.nadia, customId: 'run:/alerts silence A1 for=1h', message });
    discord.send(silence);
    const refused = await discord.rest.waitFor(is('POST', routes.followUp(silence)));
    expect(JSON.stringify(refused.body)).toContain('needs the operator role');
    await s.app.settled();
    expect((await s.app.store.getAlert('A1'))?.silencedUntil).toBeNull();

    const click = discordClick({ user: discordUsers.rita, customId: 'run:/alerts silence A1 for=1h', message });
    discord.send(click);
    // The clicker's private answer comes once the command has run.
    const answer = await discord.rest.waitFor(is('POST', routes.followUp(click)));
    expect(JSON.stringify(answer.body)).toContain('Silenced A1 until 2026-11-30 13:05 UTC');
    await s.app.settled();
    expect((await s.app.store.getAlert('A1'))?.silencedBy).toBe(`discord:${discordUsers.rita.id}`);
    const ts = String(slackPosts(slack)[0]?.answer.ts);
    expect(text(slackUpdates(slack, ts).at(-1) as RecordedCall)).toContain('Silenced');

    const before = slackThread(slack, ts).length;
    await pass(s, 35 * 60_000);
    expect(slackThread(slack, ts).slice(before).map(text).join()).not.toContain('still firing');
    await pass(s, 30 * 60_000);
    expect(slackThread(slack, ts).slice(before).map(text).join()).toContain('still firing');
  });

  it('shows an outage and the checks it blinds as one alert, and says "cannot check" for what it cannot see', async () => {
    const { s, slack, discord } = await start();
    await pass(s);
    await s.sim.controls.stopNode('daemon-internal');
    await pass(s, 30_000);
    const posts = slackPosts(slack);
    expect(posts).toHaveLength(1);
    expect(text(posts[0] as RecordedCall)).toContain('daemon-internal does not answer');
    expect(text(posts[0] as RecordedCall)).toContain('Cannot check f01000');
    expect(discordPosts(discord)).toHaveLength(1);
    const firing = await s.app.store.listAlerts({ status: 'firing', limit: 50 });
    expect(firing.filter((a) => a.groupId === null).map((a) => a.key)).toEqual(['daemons:daemon-internal']);
    expect(firing.some((a) => a.summary.startsWith('Cannot check'))).toBe(true);
  });

  it('turns a storm of new alerts into one summary message per channel', async () => {
    const { s, slack, discord } = await start({ stormThreshold: 3 });
    await pass(s);
    for (const worker of ['sealer-01', 'sealer-02', 'sealer-03', 'pc2-01'])
      s.sim.controls.removeWorker('seal-miner', worker);
    await pass(s, 60_000);
    const posts = slackPosts(slack);
    expect(posts).toHaveLength(1);
    expect(text(posts[0] as RecordedCall)).toContain('4 alerts at once: 4 from the workers check');
    for (const worker of ['sealer-01', 'sealer-02', 'sealer-03', 'pc2-01'])
      expect(text(posts[0] as RecordedCall)).toContain(`${worker} is not connected to seal-miner`);
    expect(discordPosts(discord)).toHaveLength(1);
  });
});

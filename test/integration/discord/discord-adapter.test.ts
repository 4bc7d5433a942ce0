import { type APIEmbed, ButtonStyle, ComponentType, GatewayIntentBits, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { block } from '../../../src/core/reply.js';
import type { RecordedRequest } from '../../helpers/discord-fake-rest.js';
import { discordIds, discordToken, discordUsers, slashCommand } from '../../helpers/discord-interactions.js';
import {
  clickButton,
  type DiscordTestBot,
  is,
  messagePath,
  openRequest,
  routes,
  startDiscordTestBot,
} from '../../helpers/discord-test-bot.js';
import { envFileText, newGate } from '../../helpers/discord-test-commands.js';
import { people } from '../../helpers/runtime-harness.js';

interface MessageBody {
  content?: string;
  embeds: APIEmbed[];
  components?: Array<{
    type: number;
    components: Array<{ type: number; style: number; label: string; custom_id: string }>;
  }>;
  flags?: number;
}

const bodyOf = (request: RecordedRequest): MessageBody => request.body as MessageBody;
/** Everything a user reads in a message: titles, descriptions, fields and footers. */
const textOf = (body: MessageBody): string =>
  body.embeds
    .flatMap((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value]), e.footer?.text])
    .filter((t) => t !== undefined)
    .join('\n');
const indexOf = (bot: DiscordTestBot, request: RecordedRequest): number => bot.rest.requests.indexOf(request);

let bot: DiscordTestBot;
beforeAll(async () => {
  bot = await startDiscordTestBot();
});
afterAll(async () => {
  await bot?.close();
});

describe('the Discord adapter on the gateway', () => {
  it('given a realistic bot token, when it starts, then it identifies with that token and the Guilds intent only', () => {
    const gatewayInfo = bot.rest.find(is('GET', '/api/v10/gateway/bot'))[0];
    expect(gatewayInfo?.headers.authorization).toBe(`Bot ${discordToken}`);
    expect(bot.gateway.identifies).toHaveLength(1);
    expect(bot.gateway.identifies[0]?.token).toBe(discordToken);
    expect(bot.gateway.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
  });

  it('given an operator by role, when they run /help, then the interaction is deferred and the reply edited with the embed', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'help' });
    bot.send(ask);
    const edit = await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    const [callback] = bot.rest.find(is('POST', routes.callback(ask)));
    expect(callback?.body).toEqual({ type: 5, data: { flags: 0 } });
    expect(callback?.status).toBe(204);
    expect(indexOf(bot, callback as RecordedRequest)).toBeLessThan(indexOf(bot, edit));
    const body = bodyOf(edit);
    expect(body.embeds[0]?.title).toBe('Commands you may run');
    expect(body.embeds[0]?.description).toContain('```\ncommand');
    expect(textOf(body)).toContain(`You are discord:${discordUsers.rita.id} with the operator role.`);
    // The table takes as many embeds as it needs; the reference is in the footer of the last.
    expect(body.embeds.at(-1)?.footer?.text).toMatch(/^ref [0-9a-f]{10}$/);
    expect(body.flags).toBeUndefined();
  });

  it('given a guild the client has not cached, when a member runs /help, then their roles come from the raw member', async () => {
    const ask = slashCommand({
      user: discordUsers.rita,
      command: 'help',
      guildId: discordIds.uncachedGuild,
      channelId: discordIds.uncachedChannel,
    });
    bot.send(ask);
    const edit = await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    expect(textOf(bodyOf(edit))).toContain(`You are discord:${discordUsers.rita.id} with the operator role.`);
  });

  it('given a long command, when it reports progress, then the deferred reply shows it and the final answer replaces it', async () => {
    bot.slow.current = newGate();
    const ask = slashCommand({ user: discordUsers.rita, command: 'slow' });
    bot.send(ask);
    const progress = await bot.rest.waitFor(
      (r) => is('PATCH', routes.original(ask))(r) && textOf(bodyOf(r)).includes('step 1 of 2'),
    );
    expect(bodyOf(progress).embeds[0]?.title).toBe('/slow');
    expect(bodyOf(progress).embeds[0]?.description).toBe('⏳ step 1 of 2: reading the deadlines');
    bot.slow.current.release();
    const final = await bot.rest.waitFor(
      (r) => is('PATCH', routes.original(ask))(r) && textOf(bodyOf(r)).includes('Slow work done'),
    );
    const edits = bot.rest.find(is('PATCH', routes.original(ask)));
    expect(edits).toEqual([progress, final]);
    expect(bodyOf(final).embeds[0]?.description).toBe('Both steps finished.');
    expect(bot.rest.find(is('POST', routes.followUp(ask)))).toEqual([]);
  });

  it('given a usage error, when it is answered, then only the asker sees it (ephemeral, flags 64)', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'audit', options: { limit: 500 } });
    bot.send(ask);
    const followUp = await bot.rest.waitFor(is('POST', routes.followUp(ask)));
    expect(bodyOf(followUp).flags).toBe(MessageFlags.Ephemeral);
    expect(bodyOf(followUp).embeds[0]?.title).toBe('Usage: /audit');
    expect(textOf(bodyOf(followUp))).toContain('limit');
    const [deleted] = bot.rest.find(is('DELETE', routes.original(ask)));
    expect(deleted).toBeDefined();
    expect(indexOf(bot, deleted as RecordedRequest)).toBeLessThan(indexOf(bot, followUp));
    expect(bot.rest.find(is('PATCH', routes.original(ask)))).toEqual([]);
  });

  it('given the destructive destroy command, when an operator runs it, then a visible message carries Approve and Deny buttons', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'destroy', options: { target: 'disk-1' } });
    bot.send(ask);
    const edit = await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    const body = bodyOf(edit);
    const pending = await bot.h.store.listApprovals({ statuses: ['pending'], limit: 10 });
    const id = pending.find((a) => a.argsJson.includes('disk-1'))?.id as string;
    expect(body.embeds[0]?.title).toBe('Plan: destroy disk-1');
    expect(body.components).toEqual([
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.Button,
            style: ButtonStyle.Primary,
            label: 'Approve',
            custom_id: `run:/approvals approve ${id}`,
          },
          {
            type: ComponentType.Button,
            style: ButtonStyle.Danger,
            label: 'Deny',
            custom_id: `ask:/approvals deny ${id}`,
          },
        ],
      },
    ]);
    expect(body.flags).toBeUndefined();
    expect(bot.rest.find(is('DELETE', routes.original(ask)))).toEqual([]);
    expect(bot.h.state.executions).toBe(0);
  });

  it('given a request, when another operator (by role) clicks Approve, then it runs once, the message loses its buttons and names the approver, and the outcome answers it', async () => {
    const before = bot.h.state.executions;
    const request = await openRequest(bot, 'disk-2');
    const { id, message } = request;
    const { click } = await clickButton(bot, { user: discordUsers.omar, request, decision: 'approve' });
    const edit = await bot.rest.waitFor(
      (r) => is('PATCH', messagePath(message))(r) && textOf(bodyOf(r)).includes('Done'),
    );
    expect(bot.rest.find(is('POST', routes.callback(click)))[0]?.body).toEqual({ type: 6 });
    const body = bodyOf(edit);
    expect(body.components).toEqual([]);
    expect(body.embeds[0]?.title).toBe('Plan: destroy disk-2');
    expect(textOf(body)).toContain(`Approved by discord:${discordUsers.omar.id}`);
    expect(textOf(body)).toContain('Done: Destroyed disk-2');
    // The outcome answers the request's message; the clicker hears it privately too.
    const answer = await bot.rest.waitFor(
      (r) =>
        is('POST', routes.channelMessages(discordIds.channel))(r) &&
        (r.body as { message_reference?: { message_id: string } }).message_reference?.message_id === message.id,
    );
    expect(textOf(bodyOf(answer))).toContain('Destroyed disk-2');
    const told = await bot.rest.waitFor(is('POST', routes.followUp(click)));
    expect(bodyOf(told).flags).toBe(MessageFlags.Ephemeral);
    expect(bot.h.state.executions).toBe(before + 1);
    expect((await bot.h.store.getApproval(id))?.status).toBe('approved');
  });

  it('given a request, when the requester clicks Approve, then only they are told no and the buttons stay', async () => {
    const before = bot.h.state.executions;
    const request = await openRequest(bot, 'disk-3');
    const { id, message } = request;
    const { click } = await clickButton(bot, { user: discordUsers.rita, request, decision: 'approve' });
    const answer = await bot.rest.waitFor(is('POST', routes.followUp(click)));
    expect(bot.rest.find(is('POST', routes.callback(click)))[0]?.body).toEqual({ type: 6 });
    expect(bodyOf(answer).flags).toBe(MessageFlags.Ephemeral);
    expect(textOf(bodyOf(answer))).toContain(`You requested ${id}; another person must approve it.`);
    await bot.h.settled();
    expect(bot.rest.find(is('PATCH', messagePath(message)))).toEqual([]);
    expect(bot.h.state.executions).toBe(before);
    expect((await bot.h.store.getApproval(id))?.status).toBe('pending');
  });

  it('given a request, when someone in no role clicks Approve, then they are refused with the role they lack', async () => {
    const request = await openRequest(bot, 'disk-4');
    const { id } = request;
    const { click } = await clickButton(bot, { user: discordUsers.nadia, request, decision: 'approve' });
    const answer = await bot.rest.waitFor(is('POST', routes.followUp(click)));
    expect(bodyOf(answer).flags).toBe(MessageFlags.Ephemeral);
    // A button runs its command as if typed: someone in no role may not run /approvals at all.
    expect(textOf(bodyOf(answer))).toContain(
      `/approvals approve needs the viewer role; you (discord:${discordUsers.nadia.id}) have none`,
    );
    expect((await bot.h.store.getApproval(id))?.status).toBe('pending');
  });

  it('given a request, when an operator clicks Deny and submits a reason, then the request is denied with that reason', async () => {
    const request = await openRequest(bot, 'disk-5');
    const { id, message } = request;
    const { click, submit } = await clickButton(bot, {
      user: discordUsers.omar,
      request,
      decision: 'deny',
      reason: 'wrong disk, use disk-6',
    });
    const modal = bot.rest.find(is('POST', routes.callback(click)))[0];
    expect(modal?.body).toMatchObject({
      type: 9,
      data: {
        custom_id: `ask:/approvals deny ${id}`,
        components: [
          {
            type: ComponentType.Label,
            // The form asks in the command's own words.
            description: 'Why (shown to the requester)',
            component: { type: ComponentType.TextInput, custom_id: 'answer', required: true },
          },
        ],
      },
    });
    const edit = await bot.rest.waitFor(
      (r) => is('PATCH', messagePath(message))(r) && textOf(bodyOf(r)).includes('Denied'),
    );
    expect(bot.rest.find(is('POST', routes.callback(submit as never)))[0]?.body).toEqual({ type: 6 });
    expect(bodyOf(edit).components).toEqual([]);
    expect(textOf(bodyOf(edit))).toContain(`Denied by discord:${discordUsers.omar.id}: wrong disk, use disk-6`);
    const approval = await bot.h.store.getApproval(id);
    expect(approval?.status).toBe('denied');
    expect(approval?.denyReason).toBe('wrong disk, use disk-6');
  });

  it('given a Discord request approved from Slack, when it runs, then the outcome answers the request in the Discord channel', async () => {
    const { id } = await openRequest(bot, 'disk-7');
    const reply = await bot.h.run(people.bob, `/approvals approve ${id}`);
    expect(reply.title).toBe('Destroyed disk-7');
    const post = await bot.rest.waitFor(
      (r) =>
        is('POST', routes.channelMessages(discordIds.channel))(r) && textOf(bodyOf(r)).includes('Destroyed disk-7'),
    );
    expect(post.headers.authorization).toBe(`Bot ${discordToken}`);
  });

  it('given an alert-style post, when the core posts to a Discord channel, then the embed lands in that channel', async () => {
    const posted = await bot.h.posters.post(
      { platform: 'discord', id: discordIds.channel },
      {
        title: 'Funds low on f01234',
        severity: 'warning',
        blocks: [block.text('Available balance 3.2 FIL, below the 5 FIL threshold.')],
      },
    );
    expect(posted?.platform).toBe('discord');
    const post = await bot.rest.waitFor(
      (r) => is('POST', routes.channelMessages(discordIds.channel))(r) && textOf(bodyOf(r)).includes('Funds low'),
    );
    expect(bodyOf(post).embeds[0]).toMatchObject({ title: 'Funds low on f01234', color: 0xf59e0b });
    expect(post.body).toMatchObject({ allowed_mentions: { parse: [] } });
  });

  it('given an answer with a file, when it is answered, then the file is attached to the reply as Discord takes files', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'envfile' });
    bot.send(ask);
    const edit = await bot.rest.waitFor(
      (r) => is('PATCH', routes.original(ask))(r) && textOf(bodyOf(r)).includes('One env file'),
    );
    expect(edit.files).toEqual([{ field: 'files[0]', filename: 'pc1-0.env', text: envFileText }]);
    expect(edit.body).toMatchObject({ attachments: [{ id: '0' }] });
    expect(textOf(bodyOf(edit))).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1');
  });

  it('given a very long table, when it is answered, then it is split over several messages with no row lost', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'report', options: { rows: 600 } });
    bot.send(ask);
    const edit = await bot.rest.waitFor(is('PATCH', routes.original(ask)));
    const lastPart = await bot.rest.waitFor(
      (r) => is('POST', routes.followUp(ask))(r) && /part (\d+)\/\1$/.test(bodyOf(r).embeds.at(-1)?.footer?.text ?? ''),
    );
    const messages = [edit, ...bot.rest.find(is('POST', routes.followUp(ask)))].map(bodyOf);
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.at(-1)).toBe(bodyOf(lastPart));
    const text = messages.map(textOf).join('\n');
    for (let i = 0; i < 600; i++) expect(text.split(`sector-${String(i).padStart(5, '0')} `).length - 1).toBe(1);
    for (const message of messages) {
      const chars = message.embeds.reduce(
        (sum, e) => sum + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0),
        0,
      );
      expect(chars).toBeLessThanOrEqual(6000);
      expect(message.embeds.length).toBeLessThanOrEqual(10);
      for (const embed of message.embeds) expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
    }
  });

  it('given a command still running near the end of the 15-minute token, when it finishes, then the answer is posted in the channel', async () => {
    bot.slow.current = newGate();
    const ask = slashCommand({ user: discordUsers.rita, command: 'slow' });
    bot.send(ask);
    await bot.rest.waitFor((r) => is('PATCH', routes.original(ask))(r) && textOf(bodyOf(r)).includes('step 1 of 2'));
    bot.h.clock.advance(14.5 * 60_000);
    bot.slow.current.release();
    const post = await bot.rest.waitFor(
      (r) => is('POST', routes.channelMessages(discordIds.channel))(r) && textOf(bodyOf(r)).includes('Slow work done'),
    );
    expect(bodyOf(post).content).toBe(`<@${discordUsers.rita.id}>`);
    expect(post.body).toMatchObject({ allowed_mentions: { parse: [], users: [discordUsers.rita.id] } });
    expect(bot.rest.find(is('PATCH', routes.original(ask)))).toHaveLength(1);
  });

  it('given Discord says the interaction token is gone, when the answer is ready, then it is posted in the channel instead', async () => {
    const ask = slashCommand({ user: discordUsers.rita, command: 'report', options: { rows: 2 } });
    bot.rest.failNext(is('PATCH', routes.original(ask)), 401, { message: 'Invalid Webhook Token', code: 50027 });
    bot.send(ask);
    const post = await bot.rest.waitFor(
      (r) =>
        is('POST', routes.channelMessages(discordIds.channel))(r) && textOf(bodyOf(r)).includes('Report with 2 rows'),
    );
    expect(bodyOf(post).content).toBe(`<@${discordUsers.rita.id}>`);
    expect(bot.rest.find(is('PATCH', routes.original(ask)))[0]?.status).toBe(401);
  });
});

import type { APIEmbed, APIMessage } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../helpers/discord-fake-rest.js';
import { buttonClick, discordUsers, slashCommand } from '../../helpers/discord-interactions.js';
import { type DiscordTestBot, is, routes, startDiscordTestBot } from '../../helpers/discord-test-bot.js';

interface MessageBody {
  embeds: APIEmbed[];
  components?: unknown[];
  flags?: number;
}
const bodyOf = (request: RecordedRequest): MessageBody => request.body as MessageBody;
const textOf = (request: RecordedRequest): string =>
  bodyOf(request)
    .embeds.flatMap((e) => [e.title, e.description])
    .filter((t) => t !== undefined)
    .join('\n');

let bot: DiscordTestBot;
beforeAll(async () => {
  bot = await startDiscordTestBot({ approvals: { destroy: { approvals: 2, approverRole: 'operator', ttl: '30m' } } });
});
afterAll(async () => {
  await bot?.close();
});

async function openRequest(target: string): Promise<{ id: string; message: APIMessage; token: string }> {
  const ask = slashCommand({ user: discordUsers.rita, command: 'destroy', options: { target } });
  bot.send(ask);
  await bot.rest.waitFor(is('PATCH', routes.original(ask)));
  const id = (await bot.h.store.listApprovals({ statuses: ['pending'], limit: 50 })).find((a) =>
    a.argsJson.includes(`"${target}"`),
  )?.id as string;
  return { id, message: bot.rest.originalMessage(ask.token) as unknown as APIMessage, token: ask.token };
}

describe('approval buttons on Discord', () => {
  it('given a request needing two approvals, when the first approver clicks, then the buttons stay; the second click runs it', async () => {
    const { id, message, token } = await openRequest('disk-1');
    const first = buttonClick({ user: discordUsers.omar, customId: `approve:${id}`, message });
    bot.send(first);
    const partial = await bot.rest.waitFor(is('PATCH', routes.original(first)));
    expect(bodyOf(partial).components).toBeUndefined();
    expect(textOf(partial)).toContain(`Approved by <@${discordUsers.omar.id}>`);
    expect(textOf(partial)).toContain('needs 1 more approval(s) from others');
    expect(bot.h.state.executions).toBe(0);

    const second = buttonClick({
      user: discordUsers.ivan,
      customId: `approve:${id}`,
      message: bot.rest.originalMessage(token) as unknown as APIMessage,
    });
    bot.send(second);
    const decided = await bot.rest.waitFor(is('PATCH', routes.original(second)));
    expect(bodyOf(decided).components).toEqual([]);
    expect(textOf(decided)).toContain(`Approved by <@${discordUsers.ivan.id}>`);
    expect(textOf(decided)).toContain('Destroyed disk-1');
    expect(bot.h.state.executions).toBe(1);
  });

  it('given an approved request whose execution fails, when it is clicked, then the message shows the failure and the buttons go', async () => {
    const { id, message } = await openRequest('disk-2');
    bot.h.state.fail = true;
    try {
      for (const user of [discordUsers.omar, discordUsers.ivan]) {
        const click = buttonClick({ user, customId: `approve:${id}`, message });
        bot.send(click);
        await bot.rest.waitFor(is('PATCH', routes.original(click)));
        if (user === discordUsers.ivan) {
          const decided = bot.rest.find(is('PATCH', routes.original(click)))[0] as RecordedRequest;
          expect(bodyOf(decided).components).toEqual([]);
          expect(textOf(decided)).toContain(`/destroy (${id}) failed`);
          expect(bodyOf(decided).flags).toBeUndefined();
        }
      }
    } finally {
      bot.h.state.fail = false;
    }
    expect((await bot.h.store.getApproval(id))?.status).toBe('approved');
  });

  it('given a button this bot did not make, when it is clicked, then the clicker alone is told so', async () => {
    const { message } = await openRequest('disk-3');
    const click = buttonClick({ user: discordUsers.omar, customId: 'poll:vote-1', message });
    bot.send(click);
    const callback = await bot.rest.waitFor(is('POST', routes.callback(click)));
    expect(callback.body).toMatchObject({
      type: 4,
      data: { flags: 64, content: 'This button is not handled by this bot.' },
    });
  });

  it('given a request past its time, when an operator clicks Approve, then they alone hear it expired and nothing runs', async () => {
    const { id, message } = await openRequest('disk-4');
    const before = bot.h.state.executions;
    bot.h.clock.advance(31 * 60_000);
    const click = buttonClick({ user: discordUsers.omar, customId: `approve:${id}`, message });
    bot.send(click);
    const answer = await bot.rest.waitFor(is('POST', routes.followUp(click)));
    expect(bodyOf(answer).flags).toBe(64);
    expect(textOf(answer)).toContain(`Approval request ${id} expired`);
    expect(bot.h.state.executions).toBe(before);
  });
});

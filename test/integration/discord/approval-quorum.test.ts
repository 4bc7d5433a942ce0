import type { APIEmbed, APIMessage } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../helpers/discord-fake-rest.js';
import { buttonClick, discordUsers } from '../../helpers/discord-interactions.js';
import {
  clickButton,
  customIdsOf,
  type DiscordTestBot,
  is,
  messagePath,
  openRequest,
  routes,
  startDiscordTestBot,
} from '../../helpers/discord-test-bot.js';

interface MessageBody {
  embeds: APIEmbed[];
  components?: unknown[];
  flags?: number;
}
const bodyOf = (request: RecordedRequest): MessageBody => request.body as MessageBody;
const textOf = (request: RecordedRequest): string =>
  bodyOf(request)
    .embeds.flatMap((e) => [e.title, e.description, ...(e.fields ?? []).map((f) => `${f.name} ${f.value}`)])
    .filter((t) => t !== undefined)
    .join('\n');

let bot: DiscordTestBot;
beforeAll(async () => {
  bot = await startDiscordTestBot({ approvals: { destroy: { approvals: 2, approverRole: 'operator', ttl: '30m' } } });
});
afterAll(async () => {
  await bot?.close();
});

const edited = (message: APIMessage, text: string) =>
  bot.rest.waitFor((r) => is('PATCH', messagePath(message))(r) && textOf(r).includes(text));

describe('approval buttons on Discord', () => {
  it('given a request needing two approvals, when the first approver clicks, then the buttons stay; the second click runs it', async () => {
    const request = await openRequest(bot, 'disk-1');
    const { message } = request;
    const { click: first } = await clickButton(bot, { user: discordUsers.omar, request, decision: 'approve' });
    const partial = await edited(message, 'Approved so far by');
    expect(customIdsOf(bodyOf(partial))).toHaveLength(2);
    expect(textOf(partial)).toContain(`Approved so far by discord:${discordUsers.omar.id}`);
    const told = await bot.rest.waitFor(is('POST', routes.followUp(first)));
    expect(textOf(told)).toContain('needs 1 more approval(s) from others');
    expect(bot.h.state.executions).toBe(0);

    await clickButton(bot, { user: discordUsers.ivan, request, decision: 'approve' });
    const decided = await edited(message, 'Done');
    expect(bodyOf(decided).components).toEqual([]);
    expect(textOf(decided)).toContain(`discord:${discordUsers.omar.id}, discord:${discordUsers.ivan.id}`);
    expect(textOf(decided)).toContain('Destroyed disk-1');
    expect(bot.h.state.executions).toBe(1);
  });

  it('given an approved request whose execution fails, when it is clicked, then the message shows the failure and the buttons go', async () => {
    const request = await openRequest(bot, 'disk-2');
    const { id, message } = request;
    bot.h.state.fail = true;
    try {
      await clickButton(bot, { user: discordUsers.omar, request, decision: 'approve' });
      await edited(message, 'Approved so far by');
      await clickButton(bot, { user: discordUsers.ivan, request, decision: 'approve' });
      const decided = await edited(message, 'Failed');
      expect(bodyOf(decided).components).toEqual([]);
      expect(textOf(decided)).toContain(`Failed: /destroy (${id}) failed`);
      expect(bodyOf(decided).flags).toBeUndefined();
    } finally {
      bot.h.state.fail = false;
    }
    expect((await bot.h.store.getApproval(id))?.status).toBe('approved');
    expect((await bot.h.store.getExecution(id))?.status).toBe('failed');
  });

  it('given a button this bot did not make, when it is clicked, then the clicker alone is told so', async () => {
    const { message } = await openRequest(bot, 'disk-3');
    const click = buttonClick({ user: discordUsers.omar, customId: 'poll:vote-1', message });
    bot.send(click);
    const callback = await bot.rest.waitFor(is('POST', routes.callback(click)));
    expect(callback.body).toMatchObject({
      type: 4,
      data: { flags: 64, content: 'This button is not handled by this bot.' },
    });
  });

  it('given a request past its time, when an operator clicks Approve, then they alone hear it expired and nothing runs', async () => {
    const request = await openRequest(bot, 'disk-4');
    const { id } = request;
    const before = bot.h.state.executions;
    bot.h.clock.advance(31 * 60_000);
    const { click } = await clickButton(bot, { user: discordUsers.omar, request, decision: 'approve' });
    const answer = await bot.rest.waitFor(is('POST', routes.followUp(click)));
    expect(bodyOf(answer).flags).toBe(64);
    expect(textOf(answer)).toContain(`Approval request ${id} expired`);
    expect(bot.h.state.executions).toBe(before);
  });
});

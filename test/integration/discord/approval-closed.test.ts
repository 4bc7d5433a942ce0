import type { APIEmbed, APIMessage } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../helpers/discord-fake-rest.js';
import { buttonClick, discordIds, discordUsers, slashCommand } from '../../helpers/discord-interactions.js';
import { type DiscordTestBot, is, routes, startDiscordTestBot } from '../../helpers/discord-test-bot.js';
import { people } from '../../helpers/runtime-harness.js';

interface MessageBody {
  embeds: APIEmbed[];
  components?: unknown[];
}
const bodyOf = (request: RecordedRequest): MessageBody => request.body as MessageBody;
const textOf = (request: RecordedRequest): string =>
  bodyOf(request)
    .embeds.flatMap((e) => [e.title, e.description, ...(e.fields ?? []).map((f) => `${f.name} ${f.value}`)])
    .filter((t) => t !== undefined)
    .join('\n');

let bot: DiscordTestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

/** Rita asks for /destroy; resolves with the request id and the message that carries its buttons. */
async function openRequest(b: DiscordTestBot, target = 'disk-1'): Promise<{ id: string; message: APIMessage }> {
  const ask = slashCommand({ user: discordUsers.rita, command: 'destroy', options: { target } });
  b.send(ask);
  await b.rest.waitFor(is('PATCH', routes.original(ask)));
  const [approval] = await b.h.store.listApprovals({ statuses: ['pending'], limit: 10 });
  return { id: approval?.id as string, message: b.rest.originalMessage(ask.token) as unknown as APIMessage };
}

const messagePath = (message: APIMessage): string => `${routes.channelMessages(discordIds.channel)}/${message.id}`;
const terminal = { platform: 'terminal', id: 'tty' };

describe('a Discord approval request decided other than by its buttons', () => {
  it('given a posted request, when someone types /approvals approve ID elsewhere, then the request message is edited without buttons, showing the approval and outcome', async () => {
    bot = await startDiscordTestBot();
    const { id, message } = await openRequest(bot);
    expect(message.components).not.toEqual([]);
    const reply = await bot.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `approve ${id}`,
    });
    expect(reply.outcome).toBe('ok');
    const edit = await bot.rest.waitFor(is('PATCH', messagePath(message)));
    expect(bodyOf(edit).components).toEqual([]);
    expect(textOf(edit)).toContain('Plan: destroy disk-1');
    expect(textOf(edit)).toContain('Destroyed disk-1');
    expect(textOf(edit)).toContain('approved by terminal:root');
  });

  it('given a posted request past its time, when the runtime sweeps expired requests, then the request message says it expired and loses its buttons', async () => {
    bot = await startDiscordTestBot();
    const { id, message } = await openRequest(bot);
    bot.h.clock.advance(31 * 60_000);
    await bot.h.runtime.sweepExpired();
    const edit = await bot.rest.waitFor(is('PATCH', messagePath(message)));
    expect(bodyOf(edit).components).toEqual([]);
    expect(textOf(edit)).toContain(`Approval request ${id} expired`);
  });

  it('given a posted request, when an operator clicks Approve, then the request message is edited exactly once', async () => {
    bot = await startDiscordTestBot();
    const { id, message } = await openRequest(bot);
    const click = buttonClick({ user: discordUsers.omar, customId: `approve:${id}`, message });
    bot.send(click);
    await bot.rest.waitFor(is('PATCH', routes.original(click)));
    await bot.adapter.stop();
    const edits = bot.rest.find(
      (r) => r.method === 'PATCH' && (r.path === routes.original(click) || r.path === messagePath(message)),
    );
    expect(edits).toHaveLength(1);
    expect(textOf(edits[0] as RecordedRequest)).toContain(`Approved by <@${discordUsers.omar.id}>`);
    expect(bot.h.state.executions).toBe(1);
  });
});

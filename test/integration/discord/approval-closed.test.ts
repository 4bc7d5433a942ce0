import type { APIEmbed, APIMessage } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../helpers/discord-fake-rest.js';
import { discordUsers } from '../../helpers/discord-interactions.js';
import {
  clickButton,
  type DiscordTestBot,
  is,
  messagePath,
  openRequest,
  startDiscordTestBot,
} from '../../helpers/discord-test-bot.js';
import { createHarness, type Harness, people } from '../../helpers/runtime-harness.js';

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
let other: Harness | undefined;
afterEach(async () => {
  await other?.close();
  await bot?.close();
  bot = undefined;
  other = undefined;
});

const terminal = { platform: 'terminal', id: 'tty' };
const edited = (b: DiscordTestBot, message: APIMessage, text: string) =>
  b.rest.waitFor((r) => is('PATCH', messagePath(message))(r) && textOf(r).includes(text));

describe('a Discord approval request decided other than by its buttons', () => {
  it('given a posted request, when someone types /approvals approve ID elsewhere, then the request message is edited without buttons, showing the approval and outcome', async () => {
    const b = (bot = await startDiscordTestBot());
    const { id, message } = await openRequest(b);
    expect(message.components).not.toEqual([]);
    const reply = await b.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `approve ${id}`,
    });
    expect(reply.outcome).toBe('ok');
    const edit = await edited(b, message, 'Done');
    expect(bodyOf(edit).components).toEqual([]);
    expect(textOf(edit)).toContain('Plan: destroy disk-1');
    expect(textOf(edit)).toContain('Done: Destroyed disk-1');
    expect(textOf(edit)).toContain('Approved by terminal:root');
  });

  it('given a posted request past its time, when the expiry job runs, then the request message says it expired and loses its buttons', async () => {
    const b = (bot = await startDiscordTestBot());
    const { message } = await openRequest(b);
    b.h.clock.advance(31 * 60_000);
    await b.h.jobs.tick();
    const edit = await edited(b, message, 'Expired');
    expect(bodyOf(edit).components).toEqual([]);
  });

  it('given a posted request, when exec in another process approves it, then the long-lived bot finds the change in the store and removes the buttons', async () => {
    const b = (bot = await startDiscordTestBot());
    const { id, message } = await openRequest(b);
    other = await createHarness({ dbPath: b.h.dbPath, clock: b.h.clock, state: b.h.state, longLived: false });
    expect((await other.run(people.bob, `/approvals approve ${id}`, terminal)).title).toBe('Destroyed disk-1');
    expect(b.rest.find(is('PATCH', messagePath(message)))).toEqual([]);
    // The long-lived bot's chat-updates job runs every 2 s and reads the store's events.
    b.h.clock.advance(2_000);
    await b.h.jobs.tick();
    const edit = await edited(b, message, 'Done');
    expect(bodyOf(edit).components).toEqual([]);
    expect(textOf(edit)).toContain('Approved by slack:UBOB');
  });

  it('given a posted request, when an operator clicks Approve, then the message ends without buttons and never gets them back', async () => {
    const b = (bot = await startDiscordTestBot());
    const request = await openRequest(b);
    await clickButton(b, { user: discordUsers.omar, request, decision: 'approve' });
    await edited(b, request.message, 'Done');
    await b.h.settled();
    await b.adapter.stop();
    const edits = b.rest.find(is('PATCH', messagePath(request.message)));
    expect(edits.every((e) => (bodyOf(e).components ?? []).length === 0)).toBe(true);
    expect(textOf(edits.at(-1) as RecordedRequest)).toContain(`Approved by discord:${discordUsers.omar.id}`);
    expect(b.h.state.executions).toBe(1);
  });
});

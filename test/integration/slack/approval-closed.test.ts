import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, people } from '../../helpers/runtime-harness.js';
import type { RecordedCall } from '../../helpers/slack-fake-web-api.js';
import {
  actionIds,
  blocksOf,
  clickButton,
  requestDestroy,
  type SlackTestBed,
  startSlackTestBed,
} from '../../helpers/slack-test-bed.js';

let bed: SlackTestBed | undefined;
let other: Harness | undefined;
afterEach(async () => {
  await other?.close();
  await bed?.close();
  bed = undefined;
  other = undefined;
});

const terminal = { platform: 'terminal', id: 'tty' };
const shown = (call: RecordedCall): string => JSON.stringify(blocksOf(call));
const finalUpdate = (b: SlackTestBed, ts: string, text: string) =>
  b.api.waitFor('chat.update', (c) => c.body.ts === ts && shown(c).includes(text));

describe('a Slack approval request decided other than by its buttons', () => {
  it('given a posted request, when someone types /approvals approve ID elsewhere, then the request message loses its buttons and shows the approval, and the outcome is in its thread', async () => {
    const b = (bed = await startSlackTestBed());
    const { id, ts } = await requestDestroy(b);
    const reply = await b.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `approve ${id}`,
    });
    expect(reply.outcome).toBe('ok');
    const update = await finalUpdate(b, ts, 'Done');
    expect(update.body.channel).toBe('C0OPS');
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(shown(update)).toContain('Plan: destroy disk-1');
    expect(shown(update)).toContain('Done: Destroyed disk-1');
    expect(shown(update)).toContain('Approved by terminal:root');
    const thread = await b.api.waitFor('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(JSON.stringify(thread.body.blocks)).toContain('Destroyed disk-1');
    expect(b.h.state.executions).toBe(1);
  });

  it('given a posted request, when someone types /approvals deny ID REASON, then the request message shows the denial and its reason without buttons', async () => {
    const b = (bed = await startSlackTestBed());
    const { id, ts } = await requestDestroy(b);
    await b.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `deny ${id} not during the proving window`,
    });
    const update = await finalUpdate(b, ts, 'Denied');
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(shown(update)).toContain('Denied by terminal:root: not during the proving window');
    // The requester is told in the thread, where Slack notifies them.
    const thread = await b.api.waitFor('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(JSON.stringify(thread.body.blocks)).toContain('<@UALICE>: terminal:root denied your request');
    expect(b.h.state.executions).toBe(0);
  });

  it('given a posted request past its time, when the expiry job runs, then the request message says it expired and loses its buttons', async () => {
    const b = (bed = await startSlackTestBed());
    const { id, ts } = await requestDestroy(b);
    b.h.clock.advance(31 * 60_000);
    await b.h.jobs.tick();
    await b.h.settled();
    const update = await finalUpdate(b, ts, 'Expired');
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect((await b.h.store.getApproval(id))?.status).toBe('expired');
    const thread = await b.api.waitFor('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(JSON.stringify(thread.body.blocks)).toContain(`Approval request ${id} expired`);
  });

  it('given a posted request, when exec in another process approves it, then the long-lived bot finds the change in the store and removes the buttons', async () => {
    const b = (bed = await startSlackTestBed());
    const { id, ts } = await requestDestroy(b);
    // `exec` on the same store: no adapters, no background work; its decision only reaches the store.
    other = await createHarness({ dbPath: b.h.dbPath, clock: b.h.clock, state: b.h.state, longLived: false });
    const reply = await other.run(people.bob, `/approvals approve ${id}`, terminal);
    expect(reply.title).toBe('Destroyed disk-1');
    expect(b.api.callsOf('chat.update')).toEqual([]);
    // The long-lived bot's chat-updates job runs every 2 s and reads the store's events.
    b.h.clock.advance(2_000);
    await b.h.jobs.tick();
    const update = await finalUpdate(b, ts, 'Done');
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(shown(update)).toContain('Approved by <@UBOB>');
    const thread = await b.api.waitFor('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(JSON.stringify(thread.body.blocks)).toContain('Destroyed disk-1');
  });

  it('given a posted request, when an operator clicks Approve, then the message ends without buttons and is never given them back', async () => {
    const b = (bed = await startSlackTestBed());
    const request = await requestDestroy(b);
    const { ts } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UBOB', answerAs: 'bob' });
    await finalUpdate(b, ts, 'Done');
    await b.h.settled();
    await b.adapter.stop();
    const updates = b.api.callsOf('chat.update').filter((c) => c.body.ts === ts);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((u) => actionIds(blocksOf(u)).length === 0)).toBe(true);
    expect(shown(updates.at(-1) as RecordedCall)).toContain('Approved by <@UBOB>');
    expect(b.h.state.executions).toBe(1);
  });
});

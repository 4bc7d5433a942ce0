import { afterEach, describe, expect, it } from 'vitest';
import { people } from '../../helpers/runtime-harness.js';
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
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

/** The adapter, with its poster registered with the runtime as the running bot has it. */
async function start(): Promise<SlackTestBed> {
  bed = await startSlackTestBed();
  bed.h.posters.register(bed.adapter.poster);
  return bed;
}

const terminal = { platform: 'terminal', id: 'tty' };

describe('a Slack approval request decided other than by its buttons', () => {
  it('given a posted request, when someone types /approvals approve ID elsewhere, then the request message loses its buttons and shows the approval and outcome', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id, ts } = request;
    const reply = await b.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `approve ${id}`,
    });
    expect(reply.outcome).toBe('ok');
    const update = await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    expect(update.body.channel).toBe('C0OPS');
    expect(actionIds(blocksOf(update))).toEqual([]);
    const shown = JSON.stringify(blocksOf(update));
    expect(shown).toContain('Plan: destroy disk-1');
    expect(shown).toContain('Destroyed disk-1');
    expect(shown).toContain('approved by terminal:root');
    expect(b.h.state.executions).toBe(1);
  });

  it('given a posted request, when someone types /approvals deny ID REASON, then the request message shows the denial and its reason without buttons', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id, ts } = request;
    await b.h.runtime.dispatch({
      principal: people.admin,
      channel: terminal,
      command: 'approvals',
      text: `deny ${id} not during the proving window`,
    });
    const update = await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(JSON.stringify(blocksOf(update))).toContain('Denied by terminal:root: not during the proving window');
    expect(b.h.state.executions).toBe(0);
  });

  it('given a posted request past its time, when the runtime sweeps expired requests, then the request message says it expired and loses its buttons', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id, ts } = request;
    b.h.clock.advance(31 * 60_000);
    await b.h.runtime.sweepExpired();
    const update = await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(JSON.stringify(blocksOf(update))).toContain(`Approval request ${id} expired`);
    expect((await b.h.store.getApproval(id))?.status).toBe('expired');
  });

  it('given a posted request, when an operator clicks Approve, then the request message is updated exactly once', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { ts } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UBOB', answerAs: 'bob' });
    await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    await b.adapter.stop();
    const updates = b.api.callsOf('chat.update').filter((c) => c.body.ts === ts);
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(blocksOf(updates[0] as RecordedCall))).toContain('Approved by <@UBOB>');
    expect(b.h.state.executions).toBe(1);
  });
});

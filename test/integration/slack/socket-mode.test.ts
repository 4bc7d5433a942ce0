import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CommandDefinition, defineReadCommand } from '../../../src/core/command.js';
import { block } from '../../../src/core/reply.js';
import { envFileCommand, envFileText } from '../../helpers/discord-test-commands.js';
import type { RecordedCall } from '../../helpers/slack-fake-web-api.js';
import { slashCommand } from '../../helpers/slack-payload-builders.js';
import {
  actionIds,
  type Blocks,
  blocksOf,
  clickButton,
  requestDestroy,
  type SlackTestBed,
  type SlackTestBedOptions,
  startSlackTestBed,
} from '../../helpers/slack-test-bed.js';

let bed: SlackTestBed | undefined;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

async function start(options: SlackTestBedOptions = {}): Promise<SlackTestBed> {
  bed = await startSlackTestBed(options);
  return bed;
}

/** A read command that reports progress, then waits for the test before answering. */
function slowCommand(gate: Promise<void>): CommandDefinition {
  return defineReadCommand({
    name: 'slow',
    description: 'Test-only long command',
    options: [],
    args: z.object({}),
    role: 'viewer',
    destructive: false,
    async run(ctx) {
      await ctx.progress('counting sectors');
      await gate;
      return { title: 'Counted 42 sectors', severity: 'success', blocks: [block.text('All 42 are proving.')] };
    },
  });
}

const rowCount = 500;
const bigCommand = defineReadCommand({
  name: 'big',
  description: 'Test-only command with a long answer',
  options: [],
  args: z.object({}),
  role: 'viewer',
  destructive: false,
  run: async () => ({
    title: 'Every sector',
    severity: 'info',
    blocks: [
      block.table(
        ['sector', 'state', 'note'],
        Array.from({ length: rowCount }, (_, i) => [`row-${String(i).padStart(4, '0')}`, 'Proving', 'x'.repeat(40)]),
      ),
    ],
  }),
});

const crashCommand = defineReadCommand({
  name: 'crash',
  description: 'Test-only command that throws',
  options: [],
  args: z.object({}),
  role: 'viewer',
  destructive: false,
  run: async () => {
    throw new Error('boom');
  },
});

describe('the Slack adapter in Socket Mode', () => {
  it('given /help, when Slack sends it, then it is acked at once and the Block Kit answer goes to response_url', async () => {
    const b = await start();
    const ack = await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/help', user: 'UALICE', responseUrl: b.responses.url('help') }),
    );
    expect(ack).toEqual({});
    const [post] = await b.responses.waitFor('help');
    expect(post?.body.response_type).toBe('in_channel');
    const blocks = post?.body.blocks ?? [];
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':information_source: Commands you may run', emoji: true },
    });
    expect(blocks[1]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
    expect(JSON.stringify(blocks[1])).toContain('```\\ncommand');
    expect(JSON.stringify(blocks[1])).toContain('/approvals approve id');
    // The table takes as many sections as it needs; the caller's role and the reference follow it.
    expect(blocks.at(-2)).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: 'You are <@UALICE> with the operator role.' },
    });
    expect(blocks.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: expect.stringMatching(/^ref `[0-9a-f]{10}`$/) }],
    });
    // No rule names a slack-group:, so user groups are never asked for.
    expect(b.api.callsOf('usergroups.list')).toEqual([]);
  });

  it('given an unknown command, when it is sent, then it is acked and answered only to the asker', async () => {
    const b = await start();
    expect(
      await b.socket.send(
        'slash_commands',
        slashCommand({ command: '/nosuch', user: 'UALICE', responseUrl: b.responses.url('nosuch') }),
      ),
    ).toEqual({});
    const [post] = await b.responses.waitFor('nosuch');
    expect(post?.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(post?.body.blocks)).toContain('Unknown command /nosuch.');
  });

  it('given a usage error, when it is sent, then it is acked and the usage is shown only to the asker', async () => {
    const b = await start();
    expect(
      await b.socket.send(
        'slash_commands',
        slashCommand({ command: '/destroy', user: 'UALICE', responseUrl: b.responses.url('usage') }),
      ),
    ).toEqual({});
    const [post] = await b.responses.waitFor('usage');
    expect(post?.body.response_type).toBe('ephemeral');
    expect(post?.body.text).toContain('Usage: /destroy');
    expect(JSON.stringify(post?.body.blocks)).toContain('Usage: /destroy target');
  });

  it('given an answer with a file, when it is sent, then the answer is posted and the file shared in the same channel through files.uploadV2', async () => {
    const b = await start({ harness: { extraCommands: [envFileCommand()] } });
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/envfile', user: 'UALICE', channel: 'C0SEAL', responseUrl: b.responses.url('file') }),
    );
    const [post] = await b.responses.waitFor('file');
    expect(JSON.stringify(post?.body.blocks)).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1');
    await b.api.waitFor('files.completeUploadExternal');
    expect(b.api.sharedFiles).toEqual([
      expect.objectContaining({ filename: 'pc1-0.env', title: 'pc1-0.env', text: envFileText, channel: 'C0SEAL' }),
    ]);
  });

  it('given an answer with a file and a token without files:write, then the asker is told the file was not attached and the answer still stands', async () => {
    const b = await start({ harness: { extraCommands: [envFileCommand()] } });
    b.api.script('files.getUploadURLExternal', { body: { ok: false, error: 'missing_scope', needed: 'files:write' } });
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/envfile', user: 'UALICE', responseUrl: b.responses.url('nofile') }),
    );
    const [answer, told] = await b.responses.waitFor('nofile', 2);
    expect(JSON.stringify(answer?.body.blocks)).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1');
    expect(told?.body.response_type).toBe('ephemeral');
    expect(told?.body.text).toMatch(
      /^pc1-0\.env could not be attached \(.*files:write.*\); the same text is in the answer above\.$/,
    );
    expect(b.api.sharedFiles).toEqual([]);
  });

  it('given a command that crashes, when it is sent, then it is still acked and the asker gets a reference', async () => {
    const b = await start({ harness: { extraCommands: [crashCommand] } });
    expect(
      await b.socket.send(
        'slash_commands',
        slashCommand({ command: '/crash', user: 'UALICE', responseUrl: b.responses.url('crash') }),
      ),
    ).toEqual({});
    const [post] = await b.responses.waitFor('crash');
    expect(post?.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(post?.body.blocks)).toMatch(/reference [0-9a-f]{10}/);
    expect(b.socket.unacknowledged).toBe(0);
  });

  it('given a destructive command, when an operator runs it, then a channel message with Approve and Deny buttons is posted', async () => {
    const b = await start();
    const { id, blocks } = await requestDestroy(b);
    const posted = b.api.callsOf('chat.postMessage')[0];
    expect(posted?.body.channel).toBe('C0OPS');
    expect(posted?.token).toBe('xoxb-test-bot-token');
    const actions = blocks.find((x) => x.type === 'actions');
    expect(actions).toMatchObject({
      block_id: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'run:0',
          value: `/approvals approve ${id}`,
          style: 'primary',
          confirm: { confirm: { text: 'Approve' }, deny: { text: 'Cancel' } },
        },
        { type: 'button', action_id: 'ask:1', value: `/approvals deny ${id}`, style: 'danger' },
      ],
    });
    expect(JSON.stringify(blocks)).toContain('Requested by <@UALICE>.');
    await b.adapter.stop();
    // The request went to the channel, not through the asker's response_url, and nothing ran.
    expect(b.responses.postsTo('destroy-disk-1')).toEqual([]);
    expect(b.h.state.executions).toBe(0);
  });

  it('given a request, when another operator clicks Approve, then it runs once, the message loses its buttons and names the approver, and the outcome is in its thread', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { ts } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UBOB', answerAs: 'bob-click' });
    const update = await b.api.waitFor(
      'chat.update',
      (c) => c.body.ts === ts && JSON.stringify(c.body.blocks).includes('Done'),
    );
    expect(update.body.channel).toBe('C0OPS');
    const updated = blocksOf(update);
    expect(actionIds(updated)).toEqual([]);
    expect(JSON.stringify(updated)).toContain('Approved by <@UBOB>');
    expect(JSON.stringify(updated)).toContain('Done: Destroyed disk-1');
    // The plan stays readable above the outcome.
    expect(JSON.stringify(updated)).toContain('Plan: destroy disk-1');
    const thread = await b.api.waitFor('chat.postMessage', (c) => c.body.thread_ts === ts);
    expect(JSON.stringify(thread.body.blocks)).toContain('Destroyed disk-1');
    // The clicker hears the outcome privately.
    const [told] = await b.responses.waitFor('bob-click');
    expect(told?.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(told?.body.blocks)).toContain('Destroyed disk-1');
    expect(b.h.state.executions).toBe(1);

    // A second click on a stale copy of the message runs nothing again.
    await clickButton(b, { decision: 'approve', request, user: 'UBOB', answerAs: 'bob-again' });
    const [again] = await b.responses.waitFor('bob-again');
    expect(again?.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(again?.body.blocks)).toContain('already approved');
    expect(b.h.state.executions).toBe(1);
  });

  it('given a request, when the requester clicks Approve, then only they are told no and the buttons stay', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UALICE', answerAs: 'alice-click' });
    const [answer] = await b.responses.waitFor('alice-click');
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer?.body.blocks)).toContain(`You requested ${id}; another person must approve it.`);
    await b.h.settled();
    await b.adapter.stop();
    expect(b.api.callsOf('chat.update')).toEqual([]);
    expect((await b.h.store.getApproval(id))?.status).toBe('pending');
    expect(b.h.state.executions).toBe(0);
  });

  it('given a request, when a viewer clicks Approve, then they are refused and the request stays pending', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UVIEW', answerAs: 'viewer-click' });
    const [answer] = await b.responses.waitFor('viewer-click');
    expect(JSON.stringify(answer?.body.blocks)).toContain(`Approving ${id} needs the operator role`);
    expect((await b.h.store.getApproval(id))?.status).toBe('pending');
  });

  it('given a request, when an operator clicks Deny and gives a reason, then the reason is recorded and the message shows the denial', async () => {
    const b = await start();
    const request = await requestDestroy(b);
    const { id, ts } = request;
    await clickButton(b, {
      decision: 'deny',
      request,
      user: 'UBOB',
      answerAs: 'bob-deny',
      reason: 'not during the proving window',
    });
    const opened = b.api.callsOf('views.open')[0];
    expect(opened?.body.trigger_id).toBe('trigger-click-UBOB');
    const view = opened?.body.view as { callback_id: string; private_metadata: string; blocks: Blocks };
    expect(view.callback_id).toBe('lotus-ask');
    expect(JSON.parse(view.private_metadata)).toMatchObject({ command: `/approvals deny ${id}`, channelId: 'C0OPS' });
    // The form asks in the command's own words.
    expect(JSON.stringify(view.blocks)).toContain('Why (shown to the requester)');

    const update = await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    const updated = JSON.stringify(blocksOf(update));
    expect(actionIds(blocksOf(update))).toEqual([]);
    expect(updated).toContain('Denied by <@UBOB>: not during the proving window');
    const approval = await b.h.store.getApproval(id);
    expect(approval).toMatchObject({
      status: 'denied',
      denyReason: 'not during the proving window',
      decidedBy: 'slack:UBOB',
    });
    expect(b.h.state.executions).toBe(0);
  });

  it('given a request that needs two approvals, when the first operator approves, then the vote is noted and the buttons stay for the second', async () => {
    const b = await start({
      harness: {
        extraOperators: ['slack:UCAROL'],
        approvals: { destroy: { approvals: 2, approverRole: 'operator', ttl: '30m' } },
      },
    });
    const request = await requestDestroy(b);
    const { ts } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UBOB', answerAs: 'bob' });
    const noted = await b.api.waitFor('chat.update', (c) => c.body.ts === ts);
    expect(actionIds(blocksOf(noted))).toEqual(['run:0', 'ask:1']);
    expect(JSON.stringify(blocksOf(noted))).toContain('Approved so far by <@UBOB>');
    const [told] = await b.responses.waitFor('bob');
    expect(told?.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(told?.body.blocks)).toContain('needs 1 more approval(s)');
    expect(b.h.state.executions).toBe(0);

    // Slack echoes the message as it is now, with the note.
    await clickButton(b, {
      decision: 'approve',
      request: { ...request, blocks: blocksOf(noted) },
      user: 'UCAROL',
      answerAs: 'carol',
    });
    const closed = await b.api.waitFor(
      'chat.update',
      (c) => c.body.ts === ts && JSON.stringify(c.body.blocks).includes('Done'),
    );
    expect(actionIds(blocksOf(closed))).toEqual([]);
    expect(JSON.stringify(blocksOf(closed))).toContain('Approved by <@UBOB>, <@UCAROL>');
    expect(JSON.stringify(blocksOf(closed))).toContain('Destroyed disk-1');
    expect(b.h.state.executions).toBe(1);
  });

  it('given an interaction the bot has no listener for, when Slack sends it, then it is still acknowledged', async () => {
    const b = await start();
    const shortcut = {
      type: 'shortcut',
      callback_id: 'unknown',
      trigger_id: 't',
      user: { id: 'UALICE', team_id: 'T0FAKE' },
      team: { id: 'T0FAKE' },
      token: 'x',
    };
    expect(await b.socket.send('interactive', shortcut)).toEqual({});
  });

  it('given a long command, when it reports progress, then a progress message is posted and replaced in place by the answer', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const b = await start({ harness: { extraCommands: [slowCommand(gate)] } });
    // Acked while the command is still running.
    expect(
      await b.socket.send(
        'slash_commands',
        slashCommand({ command: '/slow', user: 'UALICE', responseUrl: b.responses.url('slow') }),
      ),
    ).toEqual({});
    const progress = await b.api.waitFor('chat.postMessage', (c) =>
      JSON.stringify(c.body.blocks).includes('counting sectors'),
    );
    expect(JSON.stringify(blocksOf(progress))).toContain(':hourglass_flowing_sand: /slow: counting sectors');
    release();
    const final = await b.api.waitFor('chat.update', (c) =>
      JSON.stringify(c.body.blocks).includes('Counted 42 sectors'),
    );
    expect(final.body.ts).toBe(progress.answer.ts);
    expect(blocksOf(final)[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':white_check_mark: Counted 42 sectors', emoji: true },
    });
    await b.adapter.stop();
    expect(b.responses.postsTo('slow')).toEqual([]);
  });

  it('given an answer too long for one message, when it is sent, then it is split into parts that each fit and lose no row', async () => {
    const b = await start({ harness: { extraCommands: [bigCommand] } });
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/big', user: 'UALICE', responseUrl: b.responses.url('big') }),
    );
    await b.adapter.stop();
    const posts = b.responses.postsTo('big');
    expect(posts.length).toBeGreaterThan(1);
    const rows = new Set<string>();
    posts.forEach((post, i) => {
      expect(post.body.text).toContain(`(part ${i + 1} of ${posts.length})`);
      expect(JSON.stringify(post.body.blocks).length).toBeLessThan(12_000);
      for (const b2 of post.body.blocks ?? []) {
        const text = (b2.text as { text?: string } | undefined)?.text ?? '';
        expect(text.length).toBeLessThan(3_000);
        for (const m of text.matchAll(/row-\d{4}/g)) rows.add(m[0]);
      }
    });
    expect(rows.size).toBe(rowCount);
  });

  it('given an alert-style post, when the poster posts to a Slack channel, then the message lands in that channel', async () => {
    const b = await start();
    await b.adapter.poster.post(
      { platform: 'slack', id: 'C0ALERTS' },
      { title: 'Deadline 12 at risk', severity: 'warning', blocks: [block.text('3 faulty sectors')] },
    );
    const [post] = b.api.callsOf('chat.postMessage');
    expect(post?.body).toMatchObject({ channel: 'C0ALERTS', text: ':warning: Deadline 12 at risk' });
    expect(blocksOf(post as RecordedCall)[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':warning: Deadline 12 at risk', emoji: true },
    });
  });

  it('given Slack rate-limits a post, when the poster posts, then it waits as told and the message still lands', async () => {
    const b = await start();
    b.api.script('chat.postMessage', { status: 429, retryAfter: 0, body: { ok: false, error: 'ratelimited' } });
    await b.adapter.poster.post({ platform: 'slack', id: 'C0ALERTS' }, { title: 'Fault recovered', blocks: [] });
    expect(b.api.callsOf('chat.postMessage').map((c) => c.body.channel)).toEqual(['C0ALERTS', 'C0ALERTS']);
    expect(b.logLines.some((l) => l.includes('Slack rate-limited a call'))).toBe(true);
  });

  it('given the Web API keeps failing, when an approval request is posted, then the adapter gives up after its retries and answers through response_url', async () => {
    const b = await start();
    b.api.script('chat.postMessage', { status: 500 }, { status: 500 });
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/destroy', text: 'disk-9', user: 'UALICE', responseUrl: b.responses.url('fallback') }),
    );
    const [post] = await b.responses.waitFor('fallback');
    // retries: 1 means two attempts, not socket-mode's hundred.
    expect(b.api.callsOf('chat.postMessage')).toHaveLength(2);
    expect(post?.body.response_type).toBe('in_channel');
    expect(actionIds((post?.body.blocks ?? []) as Blocks)).toHaveLength(2);
  });

  it('given a user in a Slack user group granted operator, when they approve, then the group role lets the request run', async () => {
    const b = await start({
      harness: { extraOperators: ['slack-group:S0OPS'] },
      userGroups: [{ id: 'S0OPS', handle: 'ops', users: ['UCAROL'] }],
    });
    const request = await requestDestroy(b);
    const { id, ts } = request;
    await clickButton(b, { decision: 'approve', request, user: 'UCAROL', answerAs: 'carol' });
    const update = await b.api.waitFor(
      'chat.update',
      (c) => c.body.ts === ts && JSON.stringify(c.body.blocks).includes('Done'),
    );
    expect(JSON.stringify(blocksOf(update))).toContain('Approved by <@UCAROL>');
    expect(b.h.state.executions).toBe(1);
    expect((await b.h.store.getApproval(id))?.approvedBy).toEqual(['slack:UCAROL']);
    // One fetch, with members, served both the requester and the approver from the cache.
    expect(b.api.callsOf('usergroups.list').map((c) => c.body.include_users)).toEqual(['true']);
  });

  it('given Slack recycles the link, when it asks for a refresh, then the adapter reconnects, logs the gap and takes commands again', async () => {
    const b = await start({ adapter: { socketPingTimeoutMs: 2_000 } });
    expect(b.adapter.connection()).toMatchObject({ state: 'connected', reconnects: 0 });
    b.socket.requestRefresh();
    await b.socket.waitForConnections(2);
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/help', user: 'UALICE', responseUrl: b.responses.url('after') }),
    );
    await b.responses.waitFor('after');
    expect(b.adapter.connection()).toMatchObject({ state: 'connected', reconnects: 1 });
    expect(b.api.callsOf('apps.connections.open')).toHaveLength(2);
    expect(b.logLines.some((l) => l.includes('Socket Mode link closed'))).toBe(true);
    expect(b.logLines.some((l) => l.includes('link is back') && l.includes('gapMs'))).toBe(true);
  });

  it('given the single-command setting, when /lotus help is sent, then it runs /help', async () => {
    const b = await start({ singleCommand: 'lotus' });
    await b.socket.send(
      'slash_commands',
      slashCommand({ command: '/lotus', text: 'help', user: 'UALICE', responseUrl: b.responses.url('lotus') }),
    );
    const [post] = await b.responses.waitFor('lotus');
    expect(post?.body.text).toBe(':information_source: Commands you may run');
  });
});

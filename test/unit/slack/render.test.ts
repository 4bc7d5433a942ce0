import { describe, expect, it } from 'vitest';
import { renderReply, slackLimits } from '../../../src/adapters/slack/render.js';
import { block, type Reply } from '../../../src/core/reply.js';
import { expectSlackGolden } from '../../helpers/slack-golden.js';

const deadlinesTable: Reply = {
  title: 'Proving deadlines of f01234',
  severity: 'warning',
  correlationId: '0a1b2c3d4e',
  blocks: [
    block.fields([
      { label: 'Miner', value: 'f01234 (seal-1)' },
      { label: 'Current deadline', value: '12 (closes in 18 min)' },
      { label: 'Faulty sectors', value: '3' },
    ]),
    block.table(
      [
        'deadline',
        { header: 'partitions', align: 'right' },
        { header: 'sectors', align: 'right' },
        { header: 'faults', align: 'right' },
        'opens',
      ],
      [
        ['11', '2', '4096', '0', 'proven'],
        ['12', '1', '2349', '3', 'now'],
        ['13', '1', '1200', '0', 'in 12 min'],
      ],
      'Deadlines with sectors',
    ),
    block.notice('warning', 'Deadline 12 has 3 faulty sectors: declare recoveries before it closes.'),
  ],
};

const pledgePlan: Reply = {
  title: 'Plan: pledge 3 sectors on seal-1',
  severity: 'warning',
  outcome: 'pending-approval',
  correlationId: 'f0e1d2c3b4',
  blocks: [
    block.fields([
      { label: 'Mode', value: 'single' },
      { label: 'Sectors', value: '3' },
    ]),
    block.checks([
      { status: 'pass', label: 'Funds', detail: '12.3 FIL available, 0.6 FIL needed' },
      { status: 'warn', label: 'Sealing load', detail: '14 of 16 MaxSealingSectors in use' },
      { status: 'fail', label: 'Deadline 12', detail: 'closes in 18 min' },
      { status: 'info', label: 'Workers', detail: '2 AP workers idle' },
    ]),
    block.list(['run lotus-miner sectors pledge 3 times', 'watch the sectors reach PreCommit1']),
    block.notice(
      'info',
      'Approval request K7M2Q9: needs 1 approval(s) from another operator; expires 2026-11-30 12:30 UTC.',
    ),
    block.text('Requested by slack:UALICE.'),
  ],
  actions: [
    {
      label: 'Approve',
      command: '/approvals approve K7M2Q9',
      style: 'primary',
      confirm: 'You approve request K7M2Q9: Plan: pledge 3 sectors on seal-1. It runs once enough approvals are in.',
    },
    { label: 'Deny', command: '/approvals deny K7M2Q9', style: 'danger', ask: true },
  ],
};

const usageError: Reply = {
  title: 'Usage: /pledge start',
  severity: 'error',
  outcome: 'usage',
  ephemeral: true,
  correlationId: '9f8e7d6c5b',
  blocks: [
    block.text('count: must be at most 64 <!channel> & co\nUsage: /pledge start [count] [mode=single|per-worker|fill]'),
  ],
};

describe('the Block Kit renderer: golden files', () => {
  it('renders a table with fields, a caption and a notice', () => {
    expectSlackGolden('deadlines-table', renderReply(deadlinesTable));
  });

  it('renders a plan with checks and Approve/Deny buttons', () => {
    expectSlackGolden('pledge-plan', renderReply(pledgePlan));
  });

  it('renders a usage error', () => {
    expectSlackGolden('usage-error', renderReply(usageError));
  });
});

describe('the Block Kit renderer', () => {
  it('given text with Slack control characters, when rendered, then they are escaped and cannot ping or link', () => {
    const [message] = renderReply(usageError);
    const text = JSON.stringify(message?.blocks);
    expect(text).toContain('&lt;!channel&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
    const [titled] = renderReply({ title: 'Plan: destroy <!here>', blocks: [] });
    expect(titled?.text).toBe('Plan: destroy &lt;!here&gt;');
  });

  it('given a Slack principal in prose, when rendered, then it is a mention, but not inside a table', () => {
    const [message] = renderReply({
      title: 't',
      blocks: [block.text('Denied by slack:UBOB.'), block.table(['who'], [['slack:UBOB']])],
    });
    const text = JSON.stringify(message?.blocks);
    expect(text).toContain('Denied by <@UBOB>.');
    expect(text).toContain('slack:UBOB\\n```');
  });

  it('given the same action twice, when rendered, then every action_id is unique (Slack refuses a message otherwise)', () => {
    const [message] = renderReply({
      ...pledgePlan,
      actions: [...(pledgePlan.actions ?? []), ...(pledgePlan.actions ?? [])],
    });
    const ids = (message?.blocks ?? [])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => ('action_id' in e ? e.action_id : '')) : []));
    expect(ids).toEqual(['run:0', 'ask:1', 'run:2', 'ask:3']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('given more than ten fields, when rendered, then they are spread over sections of at most ten', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ label: `f${i}`, value: String(i) }));
    const [message] = renderReply({ title: 'many', blocks: [block.fields(fields)] });
    const sizes = (message?.blocks ?? []).flatMap((b) => (b.type === 'section' && b.fields ? [b.fields.length] : []));
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('given a huge table, when rendered, then every message and text stays within the limits and every row is kept once', () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => [
      `s${String(i).padStart(5, '0')}`,
      'Proving',
      'a'.repeat(i % 90),
    ]);
    const messages = renderReply({
      title: 'All sectors',
      correlationId: 'abc',
      blocks: [block.table(['sector', 'state', 'note'], rows)],
      actions: pledgePlan.actions ?? [],
    });
    expect(messages.length).toBeGreaterThan(5);
    const seen: string[] = [];
    for (const [i, message] of messages.entries()) {
      expect(JSON.stringify(message.blocks).length).toBeLessThanOrEqual(slackLimits.messageChars);
      expect(message.blocks.length).toBeLessThanOrEqual(slackLimits.blocksPerMessage);
      expect(message.text).toContain(`part ${i + 1} of ${messages.length}`);
      for (const b of message.blocks) {
        if (b.type !== 'section' || !b.text) continue;
        expect(b.text.text.length).toBeLessThanOrEqual(slackLimits.textChars);
        // Each part repeats the column headers.
        if (b.text.text.startsWith('```')) expect(b.text.text).toMatch(/^```\nsector +state +note\n-+/);
        seen.push(...[...b.text.text.matchAll(/s\d{5}/g)].map((m) => m[0]));
      }
    }
    expect(seen).toHaveLength(2_000);
    expect(new Set(seen).size).toBe(2_000);
    // The buttons and the reference close the last part.
    const last = messages[messages.length - 1]?.blocks ?? [];
    expect(last[last.length - 1]?.type).toBe('actions');
    expect(messages.slice(0, -1).every((m) => m.blocks.every((b) => b.type !== 'actions'))).toBe(true);
  });

  it('given one very long line of text, when rendered, then it is cut into sections without breaking an entity', () => {
    const text = `${'word & '.repeat(1_500)}end`;
    const messages = renderReply({ title: 'long', blocks: [block.text(text)] });
    const sections = messages
      .flatMap((m) => m.blocks)
      .flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) {
      expect(s.length).toBeLessThanOrEqual(slackLimits.textChars);
      expect(s).not.toMatch(/&(a|am|amp)?$/);
    }
    expect(sections.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/&/g, '&amp;').replace(/\s+/g, ' '));
  });

  it('given a title longer than a header holds, when rendered, then it is shown whole in bold', () => {
    const title = `Plan: ${'x'.repeat(200)}`;
    const [message] = renderReply({ title, blocks: [] });
    expect(message?.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } });
  });
});

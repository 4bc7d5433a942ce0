import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type DiscordMessage, embedChars, renderEmbeds } from '../../../src/adapters/discord/render.js';
import { type Block, block, type Reply } from '../../../src/core/reply.js';
import { expectGolden } from '../../helpers/discord-golden.js';

const descriptions = (messages: DiscordMessage[]): string[] =>
  messages.flatMap((m) => m.embeds.map((e) => e.description ?? ''));
const withinLimits = (messages: DiscordMessage[]): void => {
  for (const message of messages) {
    expect(message.embeds.length).toBeLessThanOrEqual(10);
    expect(embedChars(message.embeds)).toBeLessThanOrEqual(6000);
    for (const embed of message.embeds) {
      expect(embed.title?.length ?? 0).toBeLessThanOrEqual(256);
      expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4096);
      expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(25);
      for (const field of embed.fields ?? []) {
        expect(field.name.length).toBeLessThanOrEqual(256);
        expect(field.value.length).toBeLessThanOrEqual(1024);
      }
    }
  }
};

describe('the Discord renderer: golden files', () => {
  it('renders a table reply: caption, aligned code block, fields and the correlation id in the footer', () => {
    const reply: Reply = {
      title: 'WindowPoSt deadlines of f01234',
      severity: 'info',
      correlationId: '3f9a0c12de',
      blocks: [
        block.text('Current deadline 17 of 48, proving period ends in 9 min.'),
        block.table(
          ['deadline', 'opens', { header: 'sectors', align: 'right' }, { header: 'faulty', align: 'right' }],
          [
            ['17 (now)', '12:00 UTC', '2349', '0'],
            ['18', '12:30 UTC', '1201', '3'],
            ['19', '13:00 UTC', '0', '0'],
          ],
          'Next three deadlines',
        ),
        block.fields([
          { label: 'Miner', value: 'f01234' },
          { label: 'Chain height', value: '4123456' },
        ]),
      ],
    };
    expectGolden('table', renderEmbeds(reply));
  });

  it('renders a plan: checks as pass/warn/fail lines, a notice, the colour of the worst check and Approve/Deny buttons', () => {
    const reply: Reply = {
      title: 'Plan: pledge 3 sectors on seal-1',
      severity: 'warning',
      outcome: 'pending-approval',
      correlationId: '0b1c2d3e4f',
      blocks: [
        block.fields([
          { label: 'Mode', value: 'single (3 × PledgeSector)' },
          { label: 'Miner', value: 'seal-1 (f01234)' },
        ]),
        block.checks([
          { status: 'pass', label: 'Funds', detail: '12.3 FIL available, 0.6 FIL needed' },
          { status: 'warn', label: 'PC1 slots', detail: '2 of 8 free: the third sector waits' },
          { status: 'fail', label: 'Sector counter', detail: 'not reachable at 192.168.1.50:1357' },
          { status: 'info', label: 'Deadline', detail: 'next WindowPoSt in 22 min' },
        ]),
        block.notice('info', 'Approval request K7M2Q9: needs 1 approval(s) from another operator.'),
      ],
      actions: [
        { label: 'Approve', command: '/approvals approve K7M2Q9', style: 'primary' },
        { label: 'Deny', command: '/approvals deny K7M2Q9', style: 'danger', ask: true },
      ],
    };
    expectGolden('plan-with-checks', renderEmbeds(reply));
  });

  it('renders an error for the asker: red, with the next step', () => {
    const reply: Reply = {
      title: 'Usage: /audit',
      severity: 'error',
      outcome: 'usage',
      ephemeral: true,
      correlationId: 'aa11bb22cc',
      blocks: [
        block.text(
          'limit: Too big: expected number to be <=200\nUsage: /audit [user=USER] [command=COMMAND] [limit=LIMIT]',
        ),
      ],
    };
    expectGolden('usage-error', renderEmbeds(reply));
  });

  it('renders lists, code and notices of every severity', () => {
    const reply: Reply = {
      title: 'Worker environment of pc1-host-3',
      correlationId: '9988776655',
      blocks: [
        block.list(['FIL_PROOFS_USE_MULTICORE_SDR=1', 'FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1']),
        block.code('[Unit]\nEnvironment=FIL_PROOFS_MAXIMIZE_CACHING=1\n```not a fence```'),
        block.notice('success', 'The environment file parses.'),
        block.notice('warning', 'BELLMAN_NO_GPU=0 still disables the GPU on this bellperson.'),
        block.notice('error', 'FIL_PROOFS_PARAMETER_CACHE points to a missing directory.'),
      ],
    };
    expectGolden('lists-code-notices', renderEmbeds(reply));
  });
});

describe('the Discord renderer within Discord limits', () => {
  it('given a table longer than one message, then it continues over messages, header repeated, every row once', () => {
    const rows = Array.from({ length: 900 }, (_, i) => [`row-${String(i).padStart(4, '0')}`, 'x'.repeat(20)]);
    const messages = renderEmbeds({
      title: 'Big',
      blocks: [block.table(['name', 'value'], rows)],
      correlationId: 'c0ffee0000',
    });
    expect(messages.length).toBeGreaterThan(1);
    withinLimits(messages);
    const blocks = descriptions(messages);
    for (const description of blocks) expect(description).toMatch(/^```\nname {6}value\n-{8} {2}-{20}\n[\s\S]*\n```$/);
    const text = blocks.join('\n');
    for (const [name] of rows) expect(text.split(`${name as string} `).length - 1).toBe(1);
    expect(messages.map((m) => m.embeds.at(-1)?.footer?.text)).toEqual(
      messages.map((_, i) => `ref c0ffee0000 · part ${i + 1}/${messages.length}`),
    );
    expect(messages[0]?.embeds[0]?.title).toBe('Big');
  });

  it('given approval buttons and a split reply, then the buttons are under the last message only', () => {
    const messages = renderEmbeds({
      title: 'Plan',
      blocks: [block.text('a'.repeat(3000)), block.text('b'.repeat(3000)), block.text('c'.repeat(3000))],
      actions: [{ label: 'Approve', command: '/approvals approve ABC234' }],
    });
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.slice(0, -1).every((m) => m.components.length === 0)).toBe(true);
    expect(messages.at(-1)?.components[0]?.components[0]?.custom_id).toBe('run:/approvals approve ABC234');
  });

  it('given more than 25 fields, then they continue in another embed', () => {
    const fields = Array.from({ length: 40 }, (_, i) => ({ label: `host-${i}`, value: `${i} workers` }));
    const messages = renderEmbeds({ title: 'Hosts', blocks: [block.fields(fields)] });
    withinLimits(messages);
    const shown = messages.flatMap((m) => m.embeds.flatMap((e) => e.fields ?? []));
    expect(shown.map((f) => f.name)).toEqual(fields.map((f) => f.label));
  });

  it('given a field value longer than 1024 characters, then it is shown in full as text', () => {
    const value = 'long value '.repeat(150).trim();
    const messages = renderEmbeds({ title: 'Env', blocks: [block.fields([{ label: 'LD_LIBRARY_PATH', value }])] });
    withinLimits(messages);
    expect(messages[0]?.embeds[0]?.fields).toBeUndefined();
    expect(messages[0]?.embeds[0]?.description).toBe(`**LD_LIBRARY_PATH**\n${value}`);
  });

  it('given a title longer than 256 characters, then the full title starts the description', () => {
    const title = `Sectors ${'1234, '.repeat(60)}`.trim();
    const [message] = renderEmbeds({ title, blocks: [] });
    expect(message?.embeds[0]?.title).toHaveLength(256);
    expect(message?.embeds[0]?.description).toBe(`**${title}**`);
  });

  it('given text after fields, then it starts a new embed so the order stays as written', () => {
    const [message] = renderEmbeds({
      title: 'T',
      blocks: [block.text('first'), block.fields([{ label: 'a', value: 'b' }]), block.text('last')],
    });
    expect(message?.embeds.map((e) => [e.description, e.fields?.length])).toEqual([
      ['first', 1],
      ['last', undefined],
    ]);
  });

  const line = fc.stringMatching(/^[a-z0-9 ,.]{0,300}$/);
  const textBlock = fc.array(line, { minLength: 1, maxLength: 40 }).map((lines): Block => block.text(lines.join('\n')));
  const longWord = fc.integer({ min: 1, max: 9000 }).map((n): Block => block.text('w'.repeat(n)));
  test.prop([fc.array(fc.oneof(textBlock, longWord), { minLength: 1, maxLength: 12 })], { numRuns: 60 })(
    'given any text, then every message is within the limits and no character is lost',
    (blocks) => {
      const messages = renderEmbeds({ title: 'Prop', blocks, correlationId: 'abcdef0123' });
      withinLimits(messages);
      const squash = (s: string): string => s.replace(/\s+/g, '');
      const input = blocks.map((b) => (b.kind === 'text' ? b.text : '')).join('');
      expect(squash(descriptions(messages).join(''))).toBe(squash(input));
    },
  );
});

import type { Block, Reply } from '../../core/reply.js';

/** One robot message, platform-neutral: what each wire puts in its own body. */
export interface RobotMessage {
  /** One line, plain text: the title (DingTalk's notification preview, Feishu's card header). */
  title: string;
  /** The body in the markdown the three platforms share (bold, lists, quotes), title excluded. */
  markdown: string;
  severity: NonNullable<Reply['severity']>;
  /** The robot users paged, without their platform prefix. */
  mentions: string[];
}

/**
 * A reply as a robot message. Robots have no buttons and cannot be answered: actions are left out (the texts name the
 * command to type instead). Text from outside (an alert's summary) is kept from pinging anyone: `<` (WeCom's <@user>,
 * Feishu's <at>) is written as a full-width ＜, and DingTalk pages only whom its `at` field names.
 */
export function robotMessage(reply: Reply, platform: string): RobotMessage {
  return {
    title: oneLine(reply.title),
    markdown: reply.blocks.map(blockMarkdown).filter(Boolean).join('\n'),
    severity: reply.severity ?? 'info',
    mentions: (reply.mentions ?? [])
      .filter((m) => m.startsWith(`${platform}:`))
      .map((m) => m.slice(platform.length + 1)),
  };
}

function blockMarkdown(block: Block): string {
  switch (block.kind) {
    case 'text':
      return safe(block.text);
    case 'fields':
      return block.fields.map((f) => `**${safe(f.label)}:** ${safe(f.value)}`).join('\n');
    case 'list':
      return block.items.map((item) => `- ${safe(item)}`).join('\n');
    case 'code':
      return block.text
        .split('\n')
        .map((line) => `> ${safe(line)}`)
        .join('\n');
    case 'notice':
      return `> ${safe(block.text)}`;
    case 'table':
      return [block.columns.map((c) => c.header).join(' | '), ...block.rows.map((r) => r.join(' | '))]
        .map((line) => `- ${safe(line)}`)
        .join('\n');
    case 'checks':
      return block.checks.map((c) => `- ${c.status}: ${safe(c.label)}: ${safe(c.detail)}`).join('\n');
  }
}

export function safe(text: string): string {
  return text.replace(/</g, '＜');
}

function oneLine(text: string): string {
  return safe(text.replace(/\s+/g, ' ').trim());
}

/**
 * The longest prefix of `text` that fits in `maxBytes` of UTF-8, cut on a character boundary, marked with "…" when it
 * was cut. Platforms count bytes, and a Chinese character is three of them.
 */
export function fitBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const mark = '\n…';
  let end = Math.max(0, maxBytes - Buffer.byteLength(mark));
  // Step back over continuation bytes (10xxxxxx) so that no character is split.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')}${mark}`;
}

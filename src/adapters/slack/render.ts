import type { types } from '@slack/bolt';
import {
  type Action,
  type Block,
  type CheckLine,
  mentionsOf,
  type Reply,
  type Severity,
  type TableColumn,
} from '../../core/reply.js';

export type SlackBlock = types.KnownBlock;

/** One chat message: `text` is the notification and screen-reader fallback, `blocks` what is shown. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/**
 * Slack documents 3,000 characters per section text and 50 blocks per message, but refuses messages well before its
 * documented 40,000 characters (`msg_too_long` near 4,000 characters of text, `msg_blocks_too_long` near 13,000
 * characters of blocks), so every limit here keeps a wide margin.
 */
export const slackLimits = {
  textChars: 2_500,
  fieldChars: 1_900,
  fieldsPerSection: 10,
  headerChars: 150,
  messageChars: 10_000,
  blocksPerMessage: 45,
  confirmChars: 280,
} as const;

const severityEmoji: Record<Severity, string> = {
  info: ':information_source:',
  success: ':white_check_mark:',
  warning: ':warning:',
  error: ':x:',
};

const checkEmoji: Record<CheckLine['status'], string> = {
  pass: ':white_check_mark:',
  warn: ':warning:',
  fail: ':x:',
  info: ':information_source:',
};

/** Room kept in every continuation message for its "part i of n" line. */
const continuationReserve = { chars: 400, blocks: 1 };

/**
 * A Reply as Block Kit messages: a header with the severity as an emoji, the body, then the correlation id and the
 * approval buttons. A reply too long for one message becomes several; nothing is cut.
 */
export function renderReply(reply: Reply): SlackMessage[] {
  const page = pageLine(reply);
  const head = [...titleBlocks(reply.title, reply.severity), ...(page ? [section(page)] : [])];
  const body = reply.blocks.flatMap(renderBlock);
  const tail: SlackBlock[] = [
    ...(reply.correlationId ? [contextBlock(`ref \`${escapeMrkdwn(reply.correlationId)}\``)] : []),
    ...actionBlocks(reply.actions ?? []),
  ];
  const pages = pack([...head, ...body], tail);
  // The fallback text is mrkdwn too (it makes the notification), so it is escaped like the blocks.
  const fallback = `${page ? `${page} ` : ''}${reply.severity ? `${severityEmoji[reply.severity]} ` : ''}${escapeMrkdwn(reply.title)}`;
  if (pages.length === 1) return [{ text: fallback, blocks: pages[0] ?? [] }];
  return pages.map((blocks, i) => {
    const part = `part ${i + 1} of ${pages.length}`;
    if (i === 0) return { text: `${fallback} (${part})`, blocks };
    return {
      text: `${fallback} (${part})`,
      blocks: [contextBlock(`*${escapeMrkdwn(short(reply.title, 150))}* (${part})`), ...blocks],
    };
  });
}

/** A one-line message for work in progress, later replaced by the answer. */
export function renderProgress(what: string, text: string): SlackMessage {
  const line = `:hourglass_flowing_sand: ${escapeMrkdwn(what)}: ${mentions(escapeMrkdwn(text))}`;
  return { text: escapeMrkdwn(`${what}: ${text}`), blocks: [section(short(line, slackLimits.textChars))] };
}

/** `&`, `<` and `>` are Slack's control characters: escaped, no reply can ping @channel or forge a link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The people and user groups a reply pages, as Slack mentions (`<@U…>`, `<!subteam^S…>`), or '' for none. */
function pageLine(reply: Reply): string {
  const ids = (kind: string) => mentionsOf(reply, kind).filter((id) => /^[A-Z0-9]+$/.test(id));
  return [...ids('slack').map((u) => `<@${u}>`), ...ids('slack-group').map((g) => `<!subteam^${g}>`)].join(' ');
}

/** Slack principals in prose become mentions (`slack:U0123` → @name); never in code, where they would show raw. */
function mentions(escaped: string): string {
  return escaped.replace(/\bslack:([UW][A-Z0-9]{2,})\b/g, '<@$1>');
}

function prose(text: string): string {
  return mentions(escapeMrkdwn(text));
}

function titleBlocks(title: string, severity: Severity | undefined): SlackBlock[] {
  const text = `${severity ? `${severityEmoji[severity]} ` : ''}${title}`;
  if (text.length <= slackLimits.headerChars)
    return [{ type: 'header', text: { type: 'plain_text', text, emoji: true } }];
  // A header holds 150 characters; a longer title is shown whole, in bold, instead.
  return chunkLines([`*${prose(text)}*`], slackLimits.textChars).map(section);
}

function renderBlock(block: Block): SlackBlock[] {
  switch (block.kind) {
    case 'text':
      return textSections(prose(block.text));
    case 'notice':
      return textSections(`${severityEmoji[block.severity]} ${prose(block.text)}`);
    case 'list':
      return chunkLines(
        block.items.map((item) => `• ${prose(item)}`),
        slackLimits.textChars,
      ).map(section);
    case 'checks':
      return chunkLines(
        block.checks.map(
          (c) => `${checkEmoji[c.status]} *${prose(c.label)}*${c.detail ? ` — ${prose(c.detail)}` : ''}`,
        ),
        slackLimits.textChars,
      ).map(section);
    case 'code':
      return codeSections(block.text.split('\n'), []);
    case 'fields':
      return fieldSections(block.fields);
    case 'table':
      return tableSections(block.columns, block.rows, block.caption);
  }
}

function textSections(mrkdwn: string): SlackBlock[] {
  if (mrkdwn.trim() === '') return [];
  return chunkLines(mrkdwn.split('\n'), slackLimits.textChars).map(section);
}

/** Ten fields per section; a field too long for one is shown as text of its own. */
function fieldSections(fields: Array<{ label: string; value: string }>): SlackBlock[] {
  const out: SlackBlock[] = [];
  let group: types.MrkdwnElement[] = [];
  const flush = (): void => {
    if (group.length) out.push({ type: 'section', fields: group });
    group = [];
  };
  for (const field of fields) {
    const text = `*${prose(field.label)}*\n${prose(field.value === '' ? ' ' : field.value)}`;
    if (text.length > slackLimits.fieldChars) {
      flush();
      out.push(...textSections(text));
      continue;
    }
    group.push({ type: 'mrkdwn', text });
    if (group.length === slackLimits.fieldsPerSection) flush();
  }
  flush();
  return out;
}

/** A table as aligned monospace text, split by rows, each part repeating the column headers. */
function tableSections(columns: TableColumn[], rows: string[][], caption: string | undefined): SlackBlock[] {
  const headers = columns.map((c) => c.header);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (columns[i]?.align === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const head = [line(headers), line(widths.map((w) => '-'.repeat(w)))];
  const body = rows.length ? rows.map((r) => line(headers.map((_, i) => r[i] ?? ''))) : ['(no rows)'];
  const blocks = codeSections(body, head);
  if (caption === undefined || caption === '') return blocks;
  return [...textSections(`*${prose(caption)}*`), ...blocks];
}

/** Fenced code, split at line ends; `repeat` (a table's headers) opens every part. */
function codeSections(lines: string[], repeat: string[]): SlackBlock[] {
  const fence = '```';
  const safe = (l: string): string => escapeMrkdwn(l.replace(/```/g, '`\u200b`\u200b`'));
  const plain = slackLimits.textChars - 2 * (fence.length + 1);
  let header = repeat.map(safe);
  let body = lines.map(safe);
  const headerChars = header.reduce((n, l) => n + l.length + 1, 0);
  if (headerChars > plain / 2) {
    // Headers too wide to repeat in every part are shown once, at the top.
    body = [...header, ...body];
    header = [];
  }
  const room = plain - header.reduce((n, l) => n + l.length + 1, 0);
  return chunkLines(body, room).map((chunk) => section(`${fence}\n${[...header, chunk].join('\n')}\n${fence}`));
}

/**
 * Buttons run command lines: the line travels in the button's value and the click comes back with it, so no state is
 * kept anywhere for a button. `run:N` runs it as it is; `ask:N` first asks for the text the command line needs.
 */
function actionBlocks(actions: Action[]): SlackBlock[] {
  if (actions.length === 0) return [];
  const elements = actions.map((action, index) => button(action, index));
  return [{ type: 'actions', block_id: actionsBlockId, elements }];
}

/** The one block of buttons a message of ours carries. */
export const actionsBlockId = 'actions';

function button(action: Action, index: number): types.Button {
  return {
    type: 'button',
    action_id: `${action.ask ? 'ask' : 'run'}:${index}`,
    value: action.command,
    text: { type: 'plain_text', text: short(action.label, 75) },
    ...(action.style ? { style: action.style } : {}),
    ...(action.confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: short(`${action.label}?`, 100) },
            text: { type: 'mrkdwn', text: short(prose(action.confirm), slackLimits.confirmChars) },
            confirm: { type: 'plain_text', text: short(action.label, 30) },
            deny: { type: 'plain_text', text: 'Cancel' },
            ...(action.style ? { style: action.style } : {}),
          },
        }
      : {}),
  };
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function contextBlock(text: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** Greedy packing of blocks into messages within the size limits; the tail (ref, buttons) closes the last one. */
function pack(blocks: SlackBlock[], tail: SlackBlock[]): SlackBlock[][] {
  const pages: SlackBlock[][] = [[]];
  let chars = 0;
  const limits = (first: boolean) => ({
    chars: slackLimits.messageChars - (first ? 0 : continuationReserve.chars),
    blocks: slackLimits.blocksPerMessage - (first ? 0 : continuationReserve.blocks),
  });
  const add = (group: SlackBlock[]): void => {
    const size = group.reduce((n, b) => n + JSON.stringify(b).length, 0);
    let page = pages[pages.length - 1] as SlackBlock[];
    const limit = limits(pages.length === 1);
    if (page.length > 0 && (chars + size > limit.chars || page.length + group.length > limit.blocks)) {
      page = [];
      pages.push(page);
      chars = 0;
    }
    page.push(...group);
    chars += size;
  };
  for (const block of blocks) add([block]);
  if (tail.length) add(tail);
  return pages;
}

/** Lines joined into chunks of at most `max` characters; a line longer than that is cut where it does least harm. */
export function chunkLines(lines: string[], max: number): string[] {
  const chunks: string[] = [];
  let current: string | undefined;
  for (const line of lines.flatMap((l) => hardSplit(l, max))) {
    if (current === undefined) current = line;
    else if (current.length + 1 + line.length <= max) current = `${current}\n${line}`;
    else {
      chunks.push(current);
      current = line;
    }
  }
  if (current !== undefined) chunks.push(current);
  return chunks;
}

/** Cuts at a space where one is near, and never inside an entity (`&amp;`) or a mention (`<@U0123>`). */
function hardSplit(line: string, max: number): string[] {
  const parts: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    const amp = rest.lastIndexOf('&', cut - 1);
    if (amp > 0 && amp > cut - 6 && !rest.slice(amp, cut).includes(';')) cut = amp;
    const lt = rest.lastIndexOf('<', cut - 1);
    if (lt > 0 && !rest.slice(lt, cut).includes('>')) cut = lt;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  parts.push(rest);
  return parts;
}

function short(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

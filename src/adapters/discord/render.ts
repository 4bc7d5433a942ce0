import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
import type { Action, Block, CheckLine, Reply, Severity } from '../../core/reply.js';
import { customIds } from './custom-ids.js';
import { discordLimits as limits } from './discord-limits.js';
import { formatTable } from './format-table.js';

/** One Discord message as the REST API takes it: what `editReply`, `followUp` and channel posts send. */
export interface DiscordMessage {
  embeds: APIEmbed[];
  components: Array<APIActionRowComponent<APIButtonComponentWithCustomId>>;
  /** The reply's files, on its last message (discord.js and the REST client send them as multipart). */
  files?: Array<{ name: string; attachment: Buffer }>;
}

export const severityColours: Record<Severity | 'none', number> = {
  info: 0x3b82f6,
  success: 0x22c55e,
  warning: 0xf59e0b,
  error: 0xef4444,
  none: 0x5865f2,
};

const noticeIcons: Record<Severity, string> = { info: 'ℹ️', success: '✅', warning: '⚠️', error: '⛔' };
const checkIcons: Record<CheckLine['status'], string> = { pass: '✅', warn: '⚠️', fail: '❌', info: 'ℹ️' };

/** Room kept in every message for the footer ("ref 0123456789 · part 12/12"). */
const footerReserve = 64;
/** The most one piece of text or one code block may take, so that it fits an embed beside a full-length title. */
const partMax = 4000;
const codeFence = '```';

type Part = { kind: 'text'; text: string } | { kind: 'field'; field: APIEmbedField };

/**
 * A Reply as Discord messages: one embed per stretch of content, coloured by severity, the correlation id in the
 * footer, approval actions as buttons under the last message. Content that does not fit Discord's limits is split
 * over several embeds and messages, never cut: a table continues in the next code block with its header repeated.
 */
export function renderEmbeds(reply: Reply): DiscordMessage[] {
  const colour = severityColours[reply.severity ?? 'none'];
  const title = fitTitle(reply.title);
  const parts: Part[] = [
    ...(title.lead ? [{ kind: 'text' as const, text: title.lead }] : []),
    ...reply.blocks.flatMap(partsOf),
  ];

  const messages: Array<{ embeds: APIEmbed[]; chars: number }> = [];
  const budget = limits.messageEmbedChars - footerReserve;
  let message = { embeds: [] as APIEmbed[], chars: 0 };
  messages.push(message);
  const first: APIEmbed = { title: title.text, color: colour };
  message.embeds.push(first);
  message.chars += title.text.length;
  let embed = first;

  const startEmbed = (cost: number): void => {
    if (message.embeds.length >= limits.embedsPerMessage || message.chars + cost > budget) {
      message = { embeds: [], chars: 0 };
      messages.push(message);
    }
    embed = { color: colour };
    message.embeds.push(embed);
  };

  for (const part of parts) {
    if (part.kind === 'text') {
      const joined = embed.description === undefined ? part.text : `${embed.description}\n\n${part.text}`;
      const added = joined.length - (embed.description?.length ?? 0);
      // Text after fields would show above them; a new embed keeps the reply's order.
      const same =
        embed.fields === undefined && joined.length <= limits.embedDescription && message.chars + added <= budget;
      if (same) {
        embed.description = joined;
        message.chars += added;
      } else {
        startEmbed(part.text.length);
        embed.description = part.text;
        message.chars += part.text.length;
      }
    } else {
      const cost = part.field.name.length + part.field.value.length;
      if ((embed.fields?.length ?? 0) >= limits.embedFields || message.chars + cost > budget) startEmbed(cost);
      embed.fields = [...(embed.fields ?? []), part.field];
      message.chars += cost;
    }
  }

  const rows = actionRows(reply.actions ?? []);
  const files = (reply.attachments ?? []).map((a) => ({ name: a.filename, attachment: Buffer.from(a.text) }));
  return messages.map((m, i) => {
    const footer = [
      ...(reply.correlationId ? [`ref ${reply.correlationId}`] : []),
      ...(messages.length > 1 ? [`part ${i + 1}/${messages.length}`] : []),
    ].join(' · ');
    const last = m.embeds[m.embeds.length - 1];
    if (footer !== '' && last) last.footer = { text: footer };
    const isLast = i === messages.length - 1;
    return {
      embeds: m.embeds,
      components: isLast ? rows : [],
      ...(isLast && files.length > 0 ? { files } : {}),
    };
  });
}

/** The characters Discord counts against the 6000 of a message, for callers that add embeds to a message. */
export function embedChars(embeds: readonly APIEmbed[]): number {
  return embeds.reduce(
    (sum, e) =>
      sum +
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.footer?.text.length ?? 0) +
      (e.author?.name.length ?? 0) +
      (e.fields ?? []).reduce((f, field) => f + field.name.length + field.value.length, 0),
    0,
  );
}

function fitTitle(title: string): { text: string; lead?: string } {
  const oneLine = title.replace(/\s*\n\s*/g, ' ').trim() || '\u200b';
  if (oneLine.length <= limits.embedTitle) return { text: oneLine };
  // The whole title stays readable at the top of the description.
  return { text: `${oneLine.slice(0, limits.embedTitle - 1)}…`, lead: `**${oneLine}**` };
}

function partsOf(b: Block): Part[] {
  switch (b.kind) {
    case 'text':
      return textParts(b.text);
    case 'fields':
      return b.fields.flatMap((f): Part[] => {
        const name = f.label.trim() || '\u200b';
        const value = f.value.trim() || '\u200b';
        if (name.length > limits.fieldName || value.length > limits.fieldValue)
          return textParts(`**${name}**\n${value}`);
        return [
          {
            kind: 'field',
            field: { name, value, inline: value.length <= 40 && name.length <= 40 && !value.includes('\n') },
          },
        ];
      });
    case 'table': {
      const table = formatTable(b.columns, b.rows);
      const rows = table.rows.length > 0 ? table.rows : ['(no rows)'];
      return [...(b.caption ? textParts(`**${b.caption}**`) : []), ...codeParts(table.header, rows)];
    }
    case 'list':
      return textParts(b.items.map((item) => `• ${item}`).join('\n'));
    case 'code':
      return codeParts([], b.text.split('\n'));
    case 'notice':
      return textParts(`${noticeIcons[b.severity]} ${b.text}`);
    case 'checks':
      return textParts(
        b.checks.map((c) => `${checkIcons[c.status]} \`${c.status.padEnd(4)}\` **${c.label}**: ${c.detail}`).join('\n'),
      );
  }
}

/** Text in pieces of at most `partMax`, broken at line ends, then at spaces, and only as a last resort mid-word. */
function textParts(text: string): Part[] {
  if (text.trim() === '') return [];
  return packLines(text.split('\n'), partMax, '\n').map((piece) => ({ kind: 'text', text: piece }));
}

/** Code blocks of at most `partMax`, each with the header lines repeated, so a split table reads on in every part. */
function codeParts(header: string[], lines: string[]): Part[] {
  const safe = (line: string): string => line.replaceAll(codeFence, '`\u200b`\u200b`');
  const head = header.map(safe);
  const fixed = codeFence.length * 2 + 2 + head.reduce((sum, h) => sum + h.length + 1, 0);
  return packLines(lines.map(safe), partMax - fixed, '\n').map((body) => ({
    kind: 'text',
    text: `${codeFence}\n${[...head, body].join('\n')}\n${codeFence}`,
  }));
}

function packLines(lines: string[], max: number, separator: string): string[] {
  const pieces: string[] = [];
  let current: string | undefined;
  for (const line of lines.flatMap((l) => breakLong(l, max))) {
    const joined = current === undefined ? line : `${current}${separator}${line}`;
    if (joined.length <= max) {
      current = joined;
      continue;
    }
    if (current !== undefined) pieces.push(current);
    current = line;
  }
  if (current !== undefined) pieces.push(current);
  return pieces;
}

function breakLong(line: string, max: number): string[] {
  if (line.length <= max) return [line];
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    const space = rest.lastIndexOf(' ', max);
    const cut = space > max / 2 ? space : max;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

function actionRows(actions: readonly Action[]): DiscordMessage['components'] {
  const max = limits.buttonsPerRow * limits.rowsPerMessage;
  if (actions.length > max)
    throw new RangeError(`a Discord message holds at most ${max} buttons, the reply has ${actions.length}`);
  const buttons: APIButtonComponentWithCustomId[] = actions.map((action) => ({
    type: ComponentType.Button,
    style:
      action.style === 'danger'
        ? ButtonStyle.Danger
        : action.style === 'primary'
          ? ButtonStyle.Primary
          : ButtonStyle.Secondary,
    label:
      action.label.length > limits.buttonLabel ? `${action.label.slice(0, limits.buttonLabel - 1)}…` : action.label,
    custom_id: customIds.encode(action.ask ? 'ask' : 'run', action.command),
  }));
  const rows: DiscordMessage['components'] = [];
  for (let i = 0; i < buttons.length; i += limits.buttonsPerRow) {
    rows.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + limits.buttonsPerRow) });
  }
  return rows;
}

import type { Block, CheckLine, Reply, Severity } from '../../core/reply.js';

const marks: Record<Severity, string> = { info: 'i', success: '✓', warning: '!', error: '✗' };
const checkMarks: Record<CheckLine['status'], string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL', info: 'info' };

/** A Reply as plain terminal text: aligned tables, no colour codes (output is also piped into files and scripts). */
export function renderText(reply: Reply): string {
  const lines: string[] = [];
  lines.push(`${reply.severity ? `[${marks[reply.severity]}] ` : ''}${reply.title}`);
  for (const b of reply.blocks) {
    const text = renderBlock(b);
    if (text !== '') lines.push('', text);
  }
  if (reply.actions?.length) {
    // A terminal has no buttons: each action is shown as the command line it runs.
    lines.push(
      '',
      `Actions: ${reply.actions.map((a) => `${a.label} (${a.command}${a.ask ? ' TEXT' : ''})`).join(', ')}`,
    );
  }
  if (reply.correlationId) lines.push('', `ref ${reply.correlationId}`);
  return lines.join('\n');
}

function renderBlock(b: Block): string {
  switch (b.kind) {
    case 'text':
      return b.text;
    case 'fields': {
      const width = Math.max(...b.fields.map((f) => f.label.length));
      return b.fields.map((f) => `${`${f.label}:`.padEnd(width + 2)}${f.value}`).join('\n');
    }
    case 'table':
      return [
        b.caption,
        alignTable(
          b.columns.map((c) => c.header),
          b.rows,
          b.columns.map((c) => c.align ?? 'left'),
        ),
      ]
        .filter((x) => x !== undefined)
        .join('\n');
    case 'list':
      return b.items.map((i) => `  • ${i}`).join('\n');
    case 'code':
      return b.text
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n');
    case 'notice':
      return `[${marks[b.severity]}] ${b.text}`;
    case 'checks': {
      const width = Math.max(...b.checks.map((c) => c.label.length));
      return b.checks
        .map((c) => `  ${checkMarks[c.status].padEnd(4)}  ${c.label.padEnd(width)}  ${c.detail}`)
        .join('\n');
    }
  }
}

/** Column widths from the longest cell; numbers right-aligned where the column says so. */
export function alignTable(headers: string[], rows: string[][], align: Array<'left' | 'right'>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(headers.map((_, i) => r[i] ?? ''))),
  ].join('\n');
}

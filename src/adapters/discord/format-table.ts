import type { TableColumn } from '../../core/reply.js';

/**
 * A table as aligned monospace lines, for a code block. The header comes apart from the rows because a long table is
 * split over several code blocks and each part repeats it, so every part can be read alone.
 */
export function formatTable(
  columns: readonly TableColumn[],
  rows: readonly string[][],
): { header: string[]; rows: string[] } {
  const clean = (cell: string | undefined): string => (cell ?? '').replace(/\s*\n\s*/g, ' ');
  const cells = rows.map((row) => columns.map((_, i) => clean(row[i])));
  const headers = columns.map((c) => clean(c.header));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: string[]): string =>
    values
      .map((value, i) =>
        columns[i]?.align === 'right' ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return {
    header: [line(headers), line(widths.map((w) => '-'.repeat(w)))],
    rows: cells.map(line),
  };
}

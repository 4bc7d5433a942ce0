import { cpus, release, totalmem } from 'node:os';

/** One line of the printed table: a figure of ours against one baseline. Ratio = ours / baseline. */
export interface Row {
  /** e.g. "1. /deadlines vs CLI". */
  figure: string;
  ours: Measure;
  baseline: Measure & { name: string };
  ratio: number;
  notes: string;
}

export interface Measure {
  value: number;
  unit: string;
  /** As printed. */
  text: string;
}

export interface FigureResult {
  id: FigureId;
  title: string;
  rows: Row[];
  /** Set when the figure could not run here (e.g. no sshd); the reason is printed in its place. */
  skipped?: string;
  /** Every number behind the rows (samples, counts, settings), for results.json. */
  details: Record<string, unknown>;
  durationMs: number;
}

export const figureIds = ['deadlines', 'ssh', 'slack', 'alerts', 'memory', 'exec', 'approvals'] as const;
export type FigureId = (typeof figureIds)[number];

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  kernel: string;
  date: string;
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    date: new Date().toISOString(),
  };
}

/** A Markdown table (readable as plain text too), so that bench/README.md can carry it as printed. */
export function renderTable(figures: readonly FigureResult[]): string {
  const header = ['figure', 'ours', 'baseline', 'ratio (ours / baseline)', 'notes'];
  const lines: string[][] = [];
  for (const f of figures) {
    if (f.skipped !== undefined) {
      lines.push([f.title, '—', '—', '—', `skipped: ${f.skipped}`]);
      continue;
    }
    for (const r of f.rows) {
      lines.push([r.figure, r.ours.text, `${r.baseline.text} (${r.baseline.name})`, formatRatioCell(r.ratio), r.notes]);
    }
  }
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => escape(l[i] ?? '').length)));
  // The notes column is left ragged: padding it would only make long lines longer.
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === cells.length - 1 ? escape(c) : escape(c).padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? 3 : w + 2)).join('|')}|`;
  return [row(header), rule, ...lines.map(row)].join('\n');
}

function formatRatioCell(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  if (ratio >= 100) return `${ratio.toFixed(0)}×`;
  if (ratio >= 10) return `${ratio.toFixed(1)}×`;
  if (ratio >= 0.1) return `${ratio.toFixed(2)}×`;
  return `${ratio.toFixed(3)}×`;
}

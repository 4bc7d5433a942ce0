/**
 * `npm run bench`: the project's speed and cost, each against a baseline measured in the same run (issue 12).
 *
 *   npm run bench                          every figure (a few minutes on 2 cores)
 *   npm run bench -- --only=deadlines,poll  some figures: deadlines, ssh, slack, alerts, memory, exec, approvals
 *   npm run bench -- --runs=3              fewer (or more) runs per figure than its default
 *
 * Prints a table (figure, ours, baseline, ratio, notes) and writes bench/results.json. With --only, the figures
 * that ran replace theirs in results.json and the others are kept, each with the machine and date it was measured on.
 * Nothing here asserts a time: the numbers are for people to read and compare.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { alertsFigure } from './figures/alerts.js';
import { approvalsFigure } from './figures/approvals.js';
import { deadlinesFigure } from './figures/deadlines.js';
import { execFigure } from './figures/exec-help.js';
import { memoryFigure } from './figures/memory.js';
import { slackFigure } from './figures/slack-ack.js';
import { sshFigure } from './figures/ssh-fanout.js';
import { type FigureId, type FigureResult, figureIds, type Machine, machine, renderTable } from './lib/report.js';
import { projectRoot } from './support/processes.js';

const usage = `Usage: npm run bench [-- --only=${figureIds.join(',')}] [--runs=N] [--passes=N (alert engine passes for the heap figure, default 10000)]`;

interface Stored extends FigureResult {
  machine: Machine;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      passes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const only =
    values.only === undefined
      ? [...figureIds]
      : values.only
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const unknown = only.filter((id) => !(figureIds as readonly string[]).includes(id));
  if (unknown.length > 0) {
    process.stderr.write(`unknown figure(s): ${unknown.join(', ')}\n${usage}\n`);
    return 2;
  }
  const passes = values.passes === undefined ? undefined : Number(values.passes);
  if (passes !== undefined && (!Number.isInteger(passes) || passes < 100)) {
    process.stderr.write(`--passes must be a whole number of at least 100\n${usage}\n`);
    return 2;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) {
    process.stderr.write(`--runs must be a positive whole number\n${usage}\n`);
    return 2;
  }

  const figures: Record<FigureId, () => Promise<FigureResult>> = {
    deadlines: () => deadlinesFigure({ runs: runs ?? 9 }),
    ssh: () => sshFigure({ runs: runs ?? 3 }),
    slack: () => slackFigure({ runs: runs ?? 5 }),
    alerts: () => alertsFigure({ runs: runs ?? 5, passes: passes ?? 10_000 }),
    memory: () => memoryFigure({ runs: Math.min(runs ?? 1, 3) }),
    exec: () => execFigure({ runs: runs ?? 21 }),
    approvals: () => approvalsFigure({ runs: runs ?? 5 }),
  };

  const here = machine();
  process.stdout.write(
    `lotus-chatops bench on ${here.cores} cores (${here.cpuModel}), ${here.memoryGiB} GiB, node ${here.node}\n`,
  );
  const started = performance.now();
  const results: FigureResult[] = [];
  let failed = false;
  for (const id of figureIds.filter((f) => only.includes(f))) {
    process.stdout.write(`… ${id}\n`);
    try {
      const result = await figures[id]();
      results.push(result);
      process.stdout.write(`  ${id} done in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    } catch (error) {
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`  ${id} failed: ${error instanceof Error ? (error.stack ?? reason) : reason}\n`);
      const skipped = `FAILED: ${reason.split('\n')[0]}`;
      results.push({ id, title: id, rows: [], skipped, details: {}, durationMs: 0 });
    }
  }
  const totalMs = performance.now() - started;

  process.stdout.write(`\n${renderTable(results)}\n\n`);
  const seconds = (totalMs / 1000).toFixed(1);
  process.stdout.write(`Total bench time: ${seconds} s. Ratio = ours / baseline (lower is better).\n`);

  const path = join(projectRoot(), 'bench', 'results.json');
  const previous = readPrevious(path);
  const merged = new Map<string, Stored>(previous.map((f) => [f.id, f]));
  for (const r of results) merged.set(r.id, { ...r, machine: here });
  const ordered = figureIds.map((id) => merged.get(id)).filter((f): f is Stored => f !== undefined);
  const document = {
    description:
      'lotus-chatops `npm run bench`: each figure against a baseline measured in the same run; ratio = ours / baseline',
    machine: here,
    lastRun: { figures: results.map((r) => r.id), totalSeconds: Math.round(totalMs / 100) / 10 },
    table: renderTable(ordered),
    figures: ordered,
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`Wrote ${path}\n`);
  // A full run also refreshes the table in bench/README.md, so that the README always shows a real run's numbers.
  if (values.only === undefined && !failed) {
    const readme = join(projectRoot(), 'bench', 'README.md');
    if (updateReadme(readme, renderTable(results), here, totalMs)) {
      process.stdout.write(`Updated the table in ${readme}\n`);
    }
  }
  return failed ? 1 : 0;
}

const tableStart = '<!-- bench:table:start -->';
const tableEnd = '<!-- bench:table:end -->';

function updateReadme(path: string, table: string, here: Machine, totalMs: number): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(tableStart);
  const end = text.indexOf(tableEnd);
  if (start < 0 || end < start) return false;
  const when = `${here.date.slice(0, 16).replace('T', ' ')} UTC`;
  const header =
    `Measured ${when} on ${here.cores} cores (${here.cpuModel}), ${here.memoryGiB} GiB, node ${here.node}, ` +
    `${here.platform}; the whole bench took ${(totalMs / 1000).toFixed(0)} s.`;
  const block = `${tableStart}\n${header}\n\n${table}\n${tableEnd}`;
  writeFileSync(path, text.slice(0, start) + block + text.slice(end + tableEnd.length));
  return true;
}

function readPrevious(path: string): Stored[] {
  if (!existsSync(path)) return [];
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { figures?: Stored[] };
    return Array.isArray(doc.figures) ? doc.figures : [];
  } catch {
    return [];
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);

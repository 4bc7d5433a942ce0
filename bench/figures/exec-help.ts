import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FigureResult } from '../lib/report.js';
import { formatMs, median, round, spread } from '../lib/stats.js';
import { projectRoot } from '../support/processes.js';

/** A configuration that needs no network: /help reaches no lotus and no host. */
const config = (storePath: string): string => `cluster:
  name: bench
  daemons:
    - name: daemon
      api: "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl:/ip4/127.0.0.1/tcp/1234/http"
  miners:
    - name: miner
      actor: f01000
      api: "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl:/ip4/127.0.0.1/tcp/2345/http"
      roles: [seal]
rbac:
  roles:
    viewer: [terminal:bench]
store:
  path: ${storePath}
`;

/**
 * Figure 6: `lotus-chatops exec /help` as a whole process (start, config, store, commands, answer, exit) against
 * `node -e 0`, the floor of any Node.js process on this machine. Runs alternate, so that drift hits both alike.
 * The goal is 3× the floor: a cron job or a shell script calling exec should not notice it.
 */
export async function execFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'lcops-bench-exec-'));
  const configPath = join(dir, 'bot.yaml');
  writeFileSync(configPath, config(join(dir, 'store.db')));
  const main = join(projectRoot(), 'dist', 'src', 'main.js');
  const time = (args: string[]): number => {
    const begun = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - begun;
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return ms;
  };
  const exec = [main, 'exec', '--config', configPath, '--as', 'bench', '/help'];
  try {
    // Warm-up: the store file is created by the first run, and the OS caches the modules.
    time(exec);
    time(['-e', '0']);
    const ours: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      ours.push(time(exec));
      floor.push(time(['-e', '0']));
    }
    const o = median(ours);
    const f = median(floor);
    const oursSpread = spread(ours);
    return {
      id: 'exec',
      title: '6. exec /help',
      rows: [
        {
          figure: '6. exec /help (whole process)',
          ours: { value: round(o), unit: 'ms', text: formatMs(o) },
          baseline: { value: round(f), unit: 'ms', text: formatMs(f), name: 'node -e 0' },
          ratio: o / f,
          notes: `median of ${options.runs}, runs alternating; ours ${formatMs(oursSpread.min)}–${formatMs(oursSpread.max)}; goal ≤ 3× and ≤ 300 ms`,
        },
      ],
      details: { runs: options.runs, oursMs: ours.map((v) => round(v)), nodeMs: floor.map((v) => round(v)) },
      durationMs: performance.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FigureResult } from '../lib/report.js';
import { formatMs, median, round } from '../lib/stats.js';
import { type BotProcess, startBot } from '../support/bot-process.js';
import { HeapProbe } from '../support/heap-probe.js';
import { exited, projectRoot, rssKiB, type SimulatorProcess, startSimulatorProcess } from '../support/processes.js';
import { seedPledges } from '../support/seed.js';

const COMMANDS = 1_000;
/** Thousands fed in all: the figure is about the first two; the rest show where growth goes. */
const THOUSANDS = 4;
const PROMPT = 'terminal:alice> ';
const mix = ['/help', '/deadlines', '/approvals', '/pledge status'] as const;
/** Pause before reading RSS, so that what was allocated for the last command can be collected. */
const SETTLE_MS = 2_000;

/**
 * Watches the bot's standard output: counts prompts (one after each command) and error replies (the line after a
 * prompt starting with the error marker), keeping only a short tail so that a long run costs the bench nothing.
 */
class PromptWatcher {
  prompts = 0;
  errors = 0;
  private tail = '';
  private waiter: { count: number; resolve: () => void } | undefined;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      const text = this.tail + chunk.toString('utf8');
      // A match that lies wholly inside the previous tail was counted with the previous chunk.
      const fresh = (pattern: string) => {
        let n = 0;
        for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) {
          if (at + pattern.length > this.tail.length) n++;
        }
        return n;
      };
      this.prompts += fresh(PROMPT);
      this.errors += fresh(`${PROMPT}[✗]`);
      this.tail = text.slice(-32);
      if (this.waiter && this.prompts >= this.waiter.count) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve();
      }
    });
  }

  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.prompts >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no prompt ${count} within ${timeoutMs} ms (have ${this.prompts})`)),
        timeoutMs,
      );
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }
}

/** Median of a few VmRSS readings, in MiB. */
async function rssMiB(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssKiB(pid) / 1024);
    await sleep(100);
  }
  return median(readings);
}

interface Drive<T> {
  /** The reading when idle (after start and the first prompt), then after each 1,000 commands. */
  idle: T;
  after: T[];
  /** Wall time of each 1,000. */
  ms: number[];
  errors: number;
}

/**
 * Starts the built CLI's `run` on config/demo.yaml, waits for its prompt, then feeds THOUSANDS × 1,000 commands one at
 * a time (each waits for the prompt that follows its reply), taking `read` when idle and after each 1,000.
 */
async function drive<T>(
  config: string,
  env: NodeJS.ProcessEnv,
  read: (bot: BotProcess) => Promise<T>,
  options: { nodeArgs?: string[]; before?: (bot: BotProcess) => Promise<void> } = {},
): Promise<Drive<T>> {
  const bot = startBot(config, env, options.nodeArgs);
  try {
    const watcher = new PromptWatcher(bot.child.stdout as Readable);
    await watcher.waitFor(1, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; the bot said: ${bot.stderrTail()}`);
    });
    await options.before?.(bot);
    await sleep(SETTLE_MS);
    const idle = await read(bot);
    const after: T[] = [];
    const ms: number[] = [];
    for (let k = 0; k < THOUSANDS; k++) {
      const t0 = performance.now();
      for (let i = 0; i < COMMANDS; i++) {
        const expected = watcher.prompts + 1;
        bot.child.stdin?.write(`${mix[i % mix.length]}\n`);
        await watcher.waitFor(expected, 60_000);
      }
      ms.push(performance.now() - t0);
      await sleep(SETTLE_MS);
      after.push(await read(bot));
    }
    bot.child.stdin?.write('exit\n');
    bot.child.stdin?.end();
    await Promise.race([exited(bot.child), sleep(10_000)]);
    return { idle, after, ms, errors: watcher.errors };
  } finally {
    await bot.stop();
  }
}

/**
 * Figure 5: resident set size of `lotus-chatops run` (built CLI, config/demo.yaml, terminal adapter on stdin) idle,
 * after 1,000 commands and after 1,000 more. RSS alone cannot tell a leak from V8 growing its heap lazily, so a
 * second process, run the same way, is read over the inspector for its live heap after a full collection.
 */
export async function memoryFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'lcops-bench-memory-'));
  const config = join(projectRoot(), 'config', 'demo.yaml');
  let sim: SimulatorProcess | undefined;
  try {
    sim = await startSimulatorProcess({ scenario: 'healthy', storePath: join(dir, 'memory.db') });
    const env = { ...process.env, ...sim.env, LOG_LEVEL: 'error' };
    await seedPledges(config, env);

    const rssRuns: Array<Drive<number>> = [];
    for (let r = 0; r < options.runs; r++) rssRuns.push(await drive(config, env, (bot) => rssMiB(bot.pid)));
    let probe: HeapProbe | undefined;
    // After a full collection: the live heap, and the RSS that is left.
    const collected = async (bot: BotProcess) => {
      const heapMiB = await (probe as HeapProbe).liveHeapMiB();
      await sleep(500);
      return { heapMiB, rssMiB: await rssMiB(bot.pid) };
    };
    const gc = await drive(config, env, collected, {
      nodeArgs: ['--inspect-port=0'],
      before: async (bot) => {
        probe = await HeapProbe.attach(bot);
      },
    }).finally(() => probe?.close());

    const at = (k: number) => median(rssRuns.map((x) => x.after[k] as number));
    const idle = median(rssRuns.map((x) => x.idle));
    const curve = Array.from({ length: THOUSANDS }, (_, k) => at(k));
    const after1 = curve[0] as number;
    const after2 = curve[1] as number;
    const perCommand = median(rssRuns.map((x) => x.ms.reduce((a, b) => a + b, 0) / (THOUSANDS * COMMANDS)));
    const errors = [...rssRuns, gc].reduce((n, x) => n + x.errors, 0);
    const heap = { idle: gc.idle.heapMiB, after: gc.after.map((x) => x.heapMiB) };
    const gcRss = { idle: gc.idle.rssMiB, after: gc.after.map((x) => x.rssMiB) };
    const growth = after2 - after1;
    const growthPct = (growth / after1) * 100;
    const heap1 = heap.after[0] as number;
    const heap2 = heap.after[1] as number;
    const heapGrowth = heap2 - heap1;
    const heapFlat = Math.abs(heapGrowth) < Math.max(1, heap1 * 0.02);
    const rssVerdict =
      Math.abs(growthPct) < 5
        ? `RSS does not grow across the second 1,000 (${signed(growth)} MiB)`
        : `RSS grows across the second 1,000 (${signed(growth)} MiB, ${signed(growthPct)}%)`;
    const heapVerdict = heapFlat
      ? `no growth once collected (live heap ${signed(heapGrowth)} MiB across the second 1,000): ` +
        'the RSS growth above is garbage V8 had not collected yet, not a leak'
      : `the live heap GROWS ${signed(heapGrowth)} MiB across the second 1,000: a leak to look into`;
    const mib = (v: number) => `${v.toFixed(1)} MiB`;
    const runsNote = options.runs === 1 ? '1 run' : `median of ${options.runs} runs`;
    const list = (values: number[]) => values.map((v) => v.toFixed(0)).join('/');
    return {
      id: 'memory',
      title: '5. memory of `run`',
      rows: [
        {
          figure: '5. RSS after 1,000 commands',
          ours: { value: round(after1, 1), unit: 'MiB', text: mib(after1) },
          baseline: { value: round(idle, 1), unit: 'MiB', text: mib(idle), name: 'idle, same process' },
          ratio: after1 / idle,
          notes:
            `${runsNote}; built CLI \`run\` on config/demo.yaml, stdin one command at a time (${mix.join(', ')}), ` +
            `${formatMs(perCommand)} per command; ${errors === 0 ? 'no error replies' : `${errors} ERROR replies`}; ` +
            `VmRSS from /proc/PID/status, median of 5 readings after ${SETTLE_MS / 1000} s idle`,
        },
        {
          figure: '5. RSS after 2,000 commands',
          ours: { value: round(after2, 1), unit: 'MiB', text: mib(after2) },
          baseline: { value: round(after1, 1), unit: 'MiB', text: mib(after1), name: 'after the first 1,000' },
          ratio: after2 / after1,
          notes: `${rssVerdict}; RSS after 1k–${THOUSANDS}k: ${list(curve)} MiB`,
        },
        {
          figure: '5. after a full GC, 2,000 vs 1,000',
          ours: {
            value: round(gcRss.after[1] as number, 1),
            unit: 'MiB',
            text: `RSS ${mib(gcRss.after[1] as number)}, heap ${mib(heap2)}`,
          },
          baseline: {
            value: round(gcRss.after[0] as number, 1),
            unit: 'MiB',
            text: `RSS ${mib(gcRss.after[0] as number)}, heap ${mib(heap1)}`,
            name: 'after the first 1,000',
          },
          ratio: (gcRss.after[1] as number) / (gcRss.after[0] as number),
          notes:
            `${heapVerdict}; live heap idle/1k–${THOUSANDS}k: ${list([heap.idle, ...heap.after])} MiB, ` +
            `RSS after GC ${list([gcRss.idle, ...gcRss.after])} MiB; ` +
            'a second `run` process driven the same way, collected through the V8 inspector before each reading',
        },
      ],
      details: {
        commandsPerThousand: COMMANDS,
        thousands: THOUSANDS,
        mix,
        rssRuns,
        gcRun: gc,
        medianRssMiB: { idle: round(idle, 1), after1000: round(after1, 1), after2000: round(after2, 1) },
        rssCurveMiB: curve.map((v) => round(v, 1)),
        liveHeapMiB: { idle: round(heap.idle, 1), after: heap.after.map((v) => round(v, 1)) },
        rssAfterGcMiB: { idle: round(gcRss.idle, 1), after: gcRss.after.map((v) => round(v, 1)) },
        rssGrowthSecondThousandMiB: round(growth, 1),
        heapGrowthSecondThousandMiB: round(heapGrowth, 2),
        msPerCommand: round(perCommand, 2),
        errorReplies: errors,
      },
      durationMs: performance.now() - started,
    };
  } finally {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

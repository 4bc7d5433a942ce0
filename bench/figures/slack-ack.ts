import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse, stringify } from 'yaml';
import type { FigureResult } from '../lib/report.js';
import { formatMs, median, percentile, round } from '../lib/stats.js';
import { type BotProcess, startBot } from '../support/bot-process.js';
import { projectRoot, type SimulatorProcess, startSimulatorProcess } from '../support/processes.js';
import { seedPledges } from '../support/seed.js';
import { FakeSlack } from '../support/slack-fake.js';

const IN_FLIGHT = 50;
const SLACK_LIMIT_MS = 3_000;
/** The same simulated lotus network as figure 1: each /deadlines costs lotus two 20 ms round trips and its work. */
const LATENCY_MS = 20;

/** What 50 operators might type at once: 20 /deadlines, 10 each of /help, /approvals and /pledge status. */
function commandFor(i: number): { command: string; text: string } {
  switch (i % 5) {
    case 0:
    case 1:
      return { command: '/deadlines', text: '' };
    case 2:
      return { command: '/help', text: '' };
    case 3:
      return { command: '/approvals', text: '' };
    default:
      return { command: '/pledge', text: 'status' };
  }
}

/**
 * config/demo.yaml with a Slack section (Socket Mode, its Web API at the fake) and every Slack user a viewer; the
 * terminal off. Written to a temporary file: the demo config stays the one source for the cluster.
 */
function slackConfig(dir: string, apiUrl: string): string {
  // The parts touched here; the loader validates the whole file when the bot starts.
  type DemoYaml = { rbac: { roles: { viewer?: string[] } } } & Record<string, unknown>;
  const demo = parse(readFileSync(join(projectRoot(), 'config', 'demo.yaml'), 'utf8')) as DemoYaml;
  demo.rbac.roles.viewer = [...(demo.rbac.roles.viewer ?? []), 'slack:*'];
  demo.terminal = { enabled: false };
  demo.slack = {
    enabled: true,
    botToken: 'xoxb-bench-bot-token',
    appToken: 'xapp-bench-app-token',
    mode: 'socket',
    apiUrl,
  };
  const path = join(dir, 'slack-bench.yaml');
  writeFileSync(path, stringify(demo));
  return path;
}

/**
 * Figure 3: how fast the Slack adapter acknowledges slash commands while 50 are in flight. The bot is the built CLI
 * (`run` with a Slack section) in its own process, the simulator in another, Slack's fake in the bench process, so
 * that each acknowledgement is timed by a clock the bot's work cannot hold up. Latency = envelope written to the
 * Socket Mode link → its ack read back.
 */
export async function slackFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'lcops-bench-slack-'));
  let sim: SimulatorProcess | undefined;
  let bot: BotProcess | undefined;
  const fake = await FakeSlack.start();
  try {
    sim = await startSimulatorProcess({ scenario: 'healthy', latencyMs: LATENCY_MS, storePath: join(dir, 'slack.db') });
    const env = { ...process.env, ...sim.env, LOG_LEVEL: 'error' };
    // An open request for /approvals and two pledged sectors for /pledge status to show.
    await seedPledges(join(projectRoot(), 'config', 'demo.yaml'), env);
    bot = startBot(slackConfig(dir, fake.apiUrl), env);
    bot.child.stdout?.resume();
    const exitedEarly = new Promise<never>((_, reject) =>
      bot?.child.once('exit', (code) => reject(new Error(`the bot exited (${code}): ${bot?.stderrTail()}`))),
    );
    exitedEarly.catch(() => undefined);
    await Promise.race([fake.connected, exitedEarly, rejectAfter(30_000, 'the bot did not open the Socket Mode link')]);

    let round = 0;
    const burst = async () => {
      const keys = Array.from({ length: IN_FLIGHT }, (_, i) => `R${round}N${i}`);
      round++;
      keys.forEach((key, i) => {
        const { command, text } = commandFor(i);
        fake.sendCommand(key, command, text, `U${String(i).padStart(4, '0')}`);
      });
      await Promise.race([fake.waitForAll(keys, 60_000), exitedEarly]);
      return keys.map((key) => {
        const t = fake.timing(key);
        if (!t || t.ackedAt === undefined || t.answeredAt === undefined) throw new Error(`no timing for ${key}`);
        return { ack: t.ackedAt - t.sentAt, answer: t.answeredAt - t.sentAt, failed: t.failed === true };
      });
    };

    await burst(); // warm-up
    const rounds: Array<Array<{ ack: number; answer: number; failed: boolean }>> = [];
    for (let i = 0; i < options.runs; i++) rounds.push(await burst());

    const p = (list: Array<{ ack: number; answer: number }>, field: 'ack' | 'answer', q: number) =>
      percentile(
        list.map((s) => s[field]),
        q,
      );
    const ackP50 = median(rounds.map((r) => p(r, 'ack', 50)));
    const ackP99 = median(rounds.map((r) => p(r, 'ack', 99)));
    const answerP50 = median(rounds.map((r) => p(r, 'answer', 50)));
    const answerP99 = median(rounds.map((r) => p(r, 'answer', 99)));
    const all = rounds.flat();
    const worstAck = Math.max(...all.map((s) => s.ack));
    const failed = all.filter((s) => s.failed).length;
    return {
      id: 'slack',
      title: '3. Slack acknowledgement, 50 in flight',
      rows: [
        {
          figure: `3. Slack ack, ${IN_FLIGHT} commands in flight`,
          ours: { value: round2(ackP99), unit: 'ms', text: `p50 ${formatMs(ackP50)}, p99 ${formatMs(ackP99)}` },
          baseline: { value: SLACK_LIMIT_MS, unit: 'ms', text: formatMs(SLACK_LIMIT_MS), name: "Slack's limit" },
          ratio: ackP99 / SLACK_LIMIT_MS,
          notes:
            `ratio = p99 / 3 s; median over ${options.runs} bursts of ${IN_FLIGHT} ` +
            '(20 /deadlines, 10 /help, 10 /approvals, 10 /pledge status), ' +
            `worst ack of ${all.length}: ${formatMs(worstAck)}; ` +
            `answered p50 ${formatMs(answerP50)}, p99 ${formatMs(answerP99)}; ` +
            `${failed === 0 ? 'every answer a real reply' : `${failed} answers were ERRORS`}; ` +
            `built CLI \`run\`, Socket Mode, lotus at ${LATENCY_MS} ms`,
        },
      ],
      details: {
        inFlight: IN_FLIGHT,
        bursts: options.runs,
        latencyMs: LATENCY_MS,
        ackMs: {
          p50: round2(ackP50),
          p99: round2(ackP99),
          worst: round2(worstAck),
          pooledP99: round2(
            percentile(
              all.map((s) => s.ack),
              99,
            ),
          ),
        },
        answerMs: { p50: round2(answerP50), p99: round2(answerP99) },
        failedAnswers: failed,
        perBurst: rounds.map((r) => ({
          ackP50: round2(p(r, 'ack', 50)),
          ackP99: round2(p(r, 'ack', 99)),
          answerP50: round2(p(r, 'answer', 50)),
          answerP99: round2(p(r, 'answer', 99)),
        })),
      },
      durationMs: performance.now() - started,
    };
  } finally {
    await bot?.stop();
    await sim?.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round2(ms: number): number {
  return round(ms, 2);
}

function rejectAfter(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
}

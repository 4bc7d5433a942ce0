import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type AppOptions, createApp } from '../../src/app.js';
import { demoEnvironment } from '../../src/cli/demo.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { FakeClock } from '../../src/core/clock.js';
import type { Principal } from '../../src/core/command.js';
import type { Logger } from '../../src/core/logger.js';
import type { Metrics } from '../../src/core/metrics.js';
import { packageRoot } from '../../src/core/package-root.js';
import type { Reply } from '../../src/core/reply.js';
import type { Scenario } from '../../src/simulator/scenario.js';
import { type SimulatedCluster, startSimulator } from '../../src/simulator/start-simulator.js';
import { captureLog, type Harness } from './runtime-harness.js';

/** 2026-11-30 12:00 UTC: epoch 6591120, deadline 23 open (the default scenario leaves 23 empty). */
export const NOON = Date.UTC(2026, 10, 30, 12, 0, 0);

export interface SimApp {
  sim: SimulatedCluster;
  app: App;
  clock: FakeClock;
  config: Config;
  logLines: string[];
  /** Replies the bot posted to the test channel on its own (approval outcomes, schedule notices). */
  posted: Reply[];
  run(who: string, line: string): Promise<Reply>;
  close(): Promise<void>;
}

/**
 * The bot on config/demo.yaml against a simulated cluster, both on one fake clock: what `lotus-chatops demo` runs,
 * with a hook to change the configuration (e.g. add SSH hosts) before the app starts.
 */
export async function startSimApp(
  options: {
    scenario?: Scenario | string;
    now?: number;
    configure?: (config: Config, sim: SimulatedCluster) => void;
    /** More of createApp's options, made once the configuration and the log exist (PagerDuty, say). */
    appOptions?: (config: Config, log: Logger, clock: FakeClock) => Partial<AppOptions>;
    /** Where the app counts what it does (/metrics); nowhere by default. */
    metrics?: Metrics;
  } = {},
): Promise<SimApp> {
  const clock = new FakeClock(options.now ?? NOON);
  const sim = await startSimulator({
    ...(options.scenario === undefined ? {} : { scenario: options.scenario }),
    clock,
  });
  const dir = mkdtempSync(join(tmpdir(), 'lcops-sim-'));
  const { config } = loadConfigFile(
    join(packageRoot(), 'config', 'demo.yaml'),
    demoEnvironment(sim, join(dir, 'store.db')),
  );
  options.configure?.(config, sim);
  const { log, lines } = captureLog();
  const app = await createApp(config, {
    log,
    clock,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...options.appOptions?.(config, log, clock),
  });
  const posted: Reply[] = [];
  app.posters.register({
    platform: 'terminal',
    post: async (channel, reply) => {
      posted.push(reply);
      return { platform: 'terminal', channelId: channel.id, messageIds: [String(posted.length)] };
    },
    update: async () => undefined,
    replyInThread: async (_ref, reply) => void posted.push(reply),
  });
  return {
    posted,
    sim,
    app,
    clock,
    config,
    logLines: lines,
    run(who, line) {
      const principal: Principal = { id: who.includes(':') ? who : `terminal:${who}`, groups: [] };
      const [command = '', ...rest] = line.replace(/^\//, '').split(' ');
      return app.runtime.dispatch({
        principal,
        channel: { platform: 'terminal', id: 'test' },
        command,
        text: rest.join(' '),
      });
    },
    async close() {
      await app.close();
      await sim.close();
    },
  };
}

/**
 * The sim app in the shape the Slack and Discord test beds drive: its runtime, posters, store and jobs, so that the
 * real adapters run over the whole bot (config, lotus, alerts) and not the harness's test commands. Closing it closes
 * the app and the simulator.
 */
export function harnessOf(s: SimApp): Harness {
  const none = () => {
    throw new Error('not available on the sim app');
  };
  let closing: Promise<void> | undefined;
  return {
    runtime: s.app.runtime as unknown as Harness['runtime'],
    store: s.app.store as Harness['store'],
    clock: s.clock,
    state: { executions: 0 },
    posted: [],
    updates: [],
    threads: [],
    jobs: s.app.jobs,
    leadership: s.app.leadership,
    settled: () => s.app.settled(),
    posters: s.app.posters,
    rbac: s.config.rbac,
    logLines: s.logLines,
    dbPath: s.config.store.path,
    run: none,
    reopen: none,
    // Both test beds may close it: the app and the simulator close once.
    close: () => {
      closing ??= s.close();
      return closing;
    },
  };
}

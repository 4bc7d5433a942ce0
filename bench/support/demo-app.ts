import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, createApp } from '../../src/app.js';
import { demoEnvironment } from '../../src/cli/demo.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import type { SimulatedCluster } from '../../src/simulator/start-simulator.js';
import { projectRoot } from './processes.js';

export interface DemoApp {
  app: App;
  config: Config;
  close(): Promise<void>;
}

/**
 * The bot as `lotus-chatops demo` builds it: config/demo.yaml read with the simulator's SIM_* variables, createApp
 * with a fresh SQLite store in a temporary folder. Log level "error", so that the bench's output stays a table.
 */
export async function startDemoApp(sim: SimulatedCluster): Promise<DemoApp> {
  const dir = mkdtempSync(join(tmpdir(), 'lcops-bench-'));
  try {
    const env = { ...process.env, ...demoEnvironment(sim, join(dir, 'bench.db')) };
    const { config } = loadConfigFile(join(projectRoot(), 'config', 'demo.yaml'), env);
    const app = await createApp(config, { log: createLogger({ level: 'error' }) });
    return {
      app,
      config,
      async close() {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { terminalPrincipal } from '../adapters/terminal/identity.js';
import { TerminalAdapter } from '../adapters/terminal/terminal-adapter.js';
import { createApp } from '../app.js';
import { loadConfigFile } from '../config/load-config.js';
import { createLogger } from '../core/logger.js';
import { packageRoot } from '../core/package-root.js';
import { type SimulatedCluster, startSimulator } from '../simulator/start-simulator.js';

export interface DemoOptions {
  as: string | undefined;
  input: Readable;
  output: Writable;
  /** A simulator started by the caller (tests pass one on a fake clock). */
  simulator?: SimulatedCluster;
}

/** The environment config/demo.yaml reads: the simulator's endpoints, with admin tokens, and a fresh store. */
export function demoEnvironment(sim: SimulatedCluster, storePath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { SIM_ACTOR: sim.actor, SIM_STORE_PATH: storePath };
  for (const node of [...sim.fullNodes, ...sim.miners]) {
    env[`SIM_${node.name.toUpperCase().replace(/-/g, '_')}_API_INFO`] = node.apiInfo;
  }
  env.SIM_SECTOR_COUNTER = `${sim.sectorCounter.host}:${sim.sectorCounter.port}`;
  return env;
}

const banner = (clusterName: string) => `
lotus-chatops demo: ${clusterName}, simulated on loopback (lotus JSON-RPC, ~150,000 sectors).
You are terminal:alice (operator). Try:
  /help                      what you may run
  /deadlines                 WindowPoSt deadlines and what is at risk now
  /deadlines deadline=3      one deadline's partitions
  /pledge 2                  a pledge plan with pre-checks; it needs another operator's approval
  as bob                     switch user (demo only), then /approvals approve ID
  /pledge status             where the bot's sectors are now
  /status                    every health check now, one verdict first
  break funds                a fault in the simulated cluster (also: daemon, wallet, worker, counter);
                             its alert arrives here within the check's interval, with Ack and Silence
  fix                        ends the faults: the alert is resolved
  /alerts                    what fires, who acked it
  /rollback-plan single      the runbook back to one miner: safe windows, steps, checks, undo
  /audit                     who did what
exit to leave.`;

/** The demo's `break` words: a fault each, switched on in the simulator. `fix` switches them all off. */
function faultWords(sim: SimulatedCluster): Record<string, (args: string[]) => Promise<string>> {
  const c = sim.controls;
  const faults: Record<string, { what: string; on(): Promise<void> | void; off(): Promise<void> | void }> = {
    funds: {
      what: 'the worker wallet f01002 is empty',
      on: () => c.setBalances({ wallets: { f01002: '0' } }),
      off: () => c.setBalances({ wallets: { f01002: sim.scenario.balances.wallets.f01002 ?? '0' } }),
    },
    daemon: {
      what: 'daemon-internal is 10 epochs (5 minutes) behind',
      on: () => c.setDaemonLag('daemon-internal', 10),
      off: () => c.setDaemonLag('daemon-internal', 0),
    },
    wallet: {
      what: 'daemon-public holds a wallet key',
      on: () =>
        c.setWalletKeys('daemon-public', [
          'f3q7ynwxwr7qfmqmb5bn5fjojlkdxrnagqeffw5ypq3n6b5qw3vlhbwcqxqk2ajm3vwnfzuhdlz6acjvzfokxa',
        ]),
      off: () => c.setWalletKeys('daemon-public', []),
    },
    worker: {
      what: 'the C2 worker c2-01-gpu0 sees no GPU',
      on: () => void c.setWorker('seal-miner', 'c2-01-gpu0', { gpus: [] }),
      off: () => void c.setWorker('seal-miner', 'c2-01-gpu0', { gpus: ['NVIDIA GeForce RTX 3090'] }),
    },
    counter: { what: 'the sector counter is down', on: () => c.stopSectorCounter(), off: () => c.startSectorCounter() },
  };
  const broken = new Set<string>();
  return {
    async break([name = '']) {
      const fault = faults[name];
      if (!fault) return `break what? ${Object.keys(faults).join(', ')}`;
      await fault.on();
      broken.add(name);
      return `Simulator: ${fault.what}. The alert arrives within its check's interval (10–30 s here).`;
    },
    async fix() {
      for (const name of broken) await faults[name]?.off();
      const fixed = [...broken];
      broken.clear();
      return fixed.length > 0 ? `Simulator: fixed ${fixed.join(', ')}.` : 'Nothing is broken.';
    },
  };
}

/** `lotus-chatops demo`: the simulator, then the terminal adapter on config/demo.yaml. No tokens, no network. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const sim = options.simulator ?? (await startSimulator());
  const dir = mkdtempSync(join(tmpdir(), 'lotus-chatops-demo-'));
  try {
    const env = { ...process.env, ...demoEnvironment(sim, join(dir, 'demo.db')) };
    const { config } = loadConfigFile(join(packageRoot(), 'config', 'demo.yaml'), env);
    const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level });
    const app = await createApp(config, { log });
    const terminal = new TerminalAdapter({
      runtime: app.runtime,
      principal: terminalPrincipal(options.as ?? config.terminal.as),
      input: options.input,
      output: options.output,
      banner: banner(config.cluster.name),
      allowSwitchUser: true,
      localWords: faultWords(sim),
    });
    app.posters.register(terminal);
    app.startBackgroundWork();
    await terminal.start();
    await app.close();
    return 0;
  } finally {
    if (!options.simulator) await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lotus simulator in a process of its own, for the figures that run the built bot as a child process: lotus is
 * another process in real life too, and this keeps its work (serialising 150,000 sectors' bitfields) out of the
 * process that takes the measurements.
 *
 *   node dist/bench/support/simulator-process.js '{"scenario":"healthy","latencyMs":20,"storePath":"/tmp/x.db"}'
 *
 * Prints one JSON line, {"env": {...}}: the SIM_* variables config/demo.yaml reads (demoEnvironment). Stops when its
 * standard input closes, so it never outlives the bench.
 */
import { demoEnvironment } from '../../src/cli/demo.js';
import { startSimulator } from '../../src/simulator/start-simulator.js';

interface Args {
  scenario?: string;
  latencyMs?: number;
  storePath: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const sim = await startSimulator({
  scenario: args.scenario ?? 'healthy',
  ...(args.latencyMs === undefined ? {} : { latencyMs: args.latencyMs }),
});
process.stdout.write(`${JSON.stringify({ env: demoEnvironment(sim, args.storePath) })}\n`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await sim.close();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());

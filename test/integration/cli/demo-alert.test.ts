import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { runDemo } from '../../../src/cli/demo.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { eventually } from '../../helpers/eventually.js';

let sim: SimulatedCluster | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

it('given the demo, when a fault is switched on with break, then its alert arrives in the terminal with Ack and Silence, and fix ends it', async () => {
  sim = await startSimulator({ scenario: 'small' });
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const done = runDemo({ as: undefined, input, output, simulator: sim });
  input.write('break wallet\n');
  await eventually(async () => printed.includes('Simulator: daemon-public holds a wallet key'));
  // The daemons check runs every 10 s in the demo: the alert is printed within that.
  await eventually(
    async () => printed.includes('CRITICAL A1: daemon-public, the public daemon, holds 1 wallet key(s)'),
    15_000,
  );
  expect(printed).toContain('Actions: Ack (/alerts ack A1), Silence 1h (/alerts silence A1 for=1h)');
  input.write('fix\n');
  await eventually(async () => printed.includes('Simulator: fixed wallet.'));
  input.write('exit\n');
  expect(await done).toBe(0);
}, 30_000);

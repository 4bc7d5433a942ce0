import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnvironment } from '../../../src/cli/demo.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { FakeAlertmanager } from '../../helpers/alertmanager-fake.js';
import { ensureBuilt } from '../../helpers/cli.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';

const TOKEN = 'run-test-webhook-token-0123456789';
let sim: SimulatedCluster;
let am: FakeAlertmanager;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  sim = await startSimulator({ scenario: 'small' });
  am = await FakeAlertmanager.start();
  dir = mkdtempSync(join(tmpdir(), 'lcops-run-http-'));
  env = { ...demoEnvironment(sim, join(dir, 'store.db')), AM_TOKEN: TOKEN };
});
afterAll(async () => {
  await am?.close();
  await sim?.close();
});

/** A port nothing listens on now, for the bot's listener. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('lotus-chatops run with metrics and the Alertmanager receiver on', () => {
  it('serves /metrics on loopback with commands counted as they run, and posts what Alertmanager sends with the token, refusing it without', async () => {
    const port = await freePort();
    const config = join(dir, 'bot.yaml');
    writeFileSync(
      config,
      `${readFileSync('config/demo.yaml', 'utf8')}\nhttp:\n  port: ${port}\nmetrics:\n  enabled: true\nalertmanager:\n  enabled: true\n  token: \${AM_TOKEN}\n`,
    );
    const child = spawn(process.execPath, ['dist/src/main.js', 'run', '--config', config], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve) => {
        const look = () => out.includes(text) && resolve();
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          look();
        });
        look();
      });
    await waitFor('Type /help.');
    const url = `http://127.0.0.1:${port}`;
    const scrape = async () => parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(
      sampleValue(await scrape(), 'lotus_chatops_commands_total', { command: 'deadlines', outcome: 'ok' }),
    ).toBeUndefined();
    child.stdin.write('/deadlines\n');
    await waitFor('WindowPoSt deadlines of');
    expect(sampleValue(await scrape(), 'lotus_chatops_commands_total', { command: 'deadlines', outcome: 'ok' })).toBe(
      1,
    );

    const fp = am.fire({ alertname: 'DiskFull', severity: 'critical' }, { summary: 'scratch on seal-01 is full' });
    const body = am.notification({ key: '{}:{alertname="DiskFull"}', labels: { alertname: 'DiskFull' } }, [fp]);
    expect((await am.send(`${url}/alertmanager`, body)).status).toBe(401);
    expect((await am.send(`${url}/alertmanager`, body, { bearer: `${TOKEN}-forged` })).status).toBe(401);
    expect(out).not.toContain('DiskFull');
    expect((await am.send(`${url}/alertmanager`, body, { bearer: TOKEN })).status).toBe(200);
    await waitFor('DiskFull: scratch on seal-01 is full');

    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end();
    expect(await exited).toBe(0);
  });
});

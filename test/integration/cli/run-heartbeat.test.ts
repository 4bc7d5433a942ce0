import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnvironment } from '../../../src/cli/demo.js';
import { checkHeartbeat, heartbeatPath, startHeartbeat } from '../../../src/cli/heartbeat.js';
import { FakeClock } from '../../../src/core/clock.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { ensureBuilt, runCli } from '../../helpers/cli.js';
import { captureLog } from '../../helpers/runtime-harness.js';

let sim: SimulatedCluster;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  sim = await startSimulator({ scenario: 'small' });
  dir = mkdtempSync(join(tmpdir(), 'lcops-run-'));
  env = demoEnvironment(sim, join(dir, 'store.db'));
});
afterAll(async () => {
  await sim?.close();
});

describe('lotus-chatops run and its healthcheck', () => {
  it('given a running bot, then healthcheck passes, commands on stdin are answered, and it exits when stdin ends', async () => {
    const child = spawn(process.execPath, ['dist/src/main.js', 'run', '--config', 'config/demo.yaml'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const banner = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Type /help.')) resolve();
      }),
    );
    await banner;
    const check = await runCli(['healthcheck', '--config', 'config/demo.yaml'], { env });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^alive \(pid \d+, \d+ s ago\)/);
    const answered = new Promise<void>((resolve) =>
      child.stdout.on('data', () => out.includes('WindowPoSt deadlines of') && resolve()),
    );
    child.stdin.write('/deadlines\n');
    await answered;
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end();
    expect(await exited).toBe(0);
  });

  it('given no heartbeat, or a stale one, or a platform down for long, then the check fails and says why', () => {
    const path = heartbeatPath(join(dir, 'other', 'store.db'));
    expect(checkHeartbeat(path, 1_000_000)).toEqual({
      ok: false,
      message: `no heartbeat at ${path}: is lotus-chatops run started, with this configuration?`,
    });
    const file = join(dir, 'beat.json');
    writeFileSync(
      file,
      JSON.stringify({ at: 1_000_000, pid: 42, platforms: [{ platform: 'slack', state: 'connected', since: 0 }] }),
    );
    expect(checkHeartbeat(file, 1_030_000)).toEqual({ ok: true, message: 'alive (pid 42, 30 s ago); slack connected' });
    expect(checkHeartbeat(file, 1_120_000)).toEqual({ ok: false, message: 'the last heartbeat is 120 s old (pid 42)' });
    writeFileSync(
      file,
      JSON.stringify({ at: 2_000_000, pid: 42, platforms: [{ platform: 'discord', state: 'down', since: 1_000_000 }] }),
    );
    expect(checkHeartbeat(file, 2_000_000)).toEqual({ ok: false, message: 'down for over 10 min: discord' });
  });

  it('given a DingTalk robot that cannot be reached for an hour, then the heartbeat leaves it out and the check passes', () => {
    const clock = new FakeClock(3_000_000);
    const health = new ConnectionHealth({ clock, log: captureLog().log });
    health.reporter('slack').state('connected');
    health.reporter('dingtalk:ops-cn', { kind: 'webhook' }).state('down', { hop: 'webhook', detail: 'HTTP 502' });
    clock.advance(60 * 60_000);
    const file = join(dir, 'beat-robots.json');
    const stop = startHeartbeat(file, { clock, health });
    stop();
    expect(checkHeartbeat(file, clock.now())).toEqual({
      ok: true,
      message: 'alive (pid ' + process.pid + ', 0 s ago); slack connected',
    });
  });
});

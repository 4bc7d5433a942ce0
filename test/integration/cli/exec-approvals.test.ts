import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEnvironment } from '../../../src/cli/demo.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/start-simulator.js';
import { ensureBuilt, runCli } from '../../helpers/cli.js';
import { closedPort } from '../../helpers/sshd.js';

let sim: SimulatedCluster;
let configPath: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ensureBuilt();
  sim = await startSimulator({ scenario: 'small' });
  const dir = mkdtempSync(join(tmpdir(), 'lcops-exec-'));
  env = demoEnvironment(sim, join(dir, 'store.db'));
  configPath = join(dir, 'bot.yaml');
  // The demo configuration, with every terminal user an operator so that many people can vote.
  writeFileSync(
    configPath,
    readFileSync('config/demo.yaml', 'utf8').replace(
      'operator: [terminal:alice, terminal:bob]',
      "operator: ['terminal:*']",
    ),
  );
});

afterAll(async () => {
  await sim?.close();
});

const exec = (as: string, line: string) => runCli(['exec', '--config', configPath, '--as', as, line], { env });

function requestId(output: string): string {
  const match = /Approval request (\w{6}):/.exec(output);
  if (!match) throw new Error(`no request id in:\n${output}`);
  return match[1] as string;
}

describe('approvals across separate exec runs', () => {
  it('given a pledge requested in one run, then the requester cannot approve it in another, and a second person can', async () => {
    const requested = await exec('alice', '/pledge 1');
    expect(requested.code).toBe(0);
    const id = requestId(requested.stdout);

    const self = await exec('alice', `/approvals approve ${id}`);
    expect(self.code).toBe(1);
    expect(self.stdout).toContain(`You requested ${id}; another person must approve it.`);

    const listed = await exec('bob', '/approvals');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+/pledge start\\s+terminal:alice`));

    const approved = await exec('bob', `/approvals approve ${id}`);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('Pledged 1 sector(s) on seal-miner');
  });

  it('given six people approving in six processes at once, then the pledge runs exactly once', async () => {
    const id = requestId((await exec('alice', '/pledge 1')).stdout);
    sim.controls.resetRequestCounts();
    const votes = await Promise.all(
      ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'].map((who) => exec(who, `/approvals approve ${id}`)),
    );
    const ran = votes.filter((v) => v.stdout.includes('Pledged 1 sector(s)'));
    expect(ran).toHaveLength(1);
    expect(votes.filter((v) => v.stdout.includes(`Approval request ${id} is already approved.`))).toHaveLength(5);
    expect(sim.controls.requestCounts('seal-miner').PledgeSector).toBe(1);
  });
});

describe('zero-config, like the lotus CLI', () => {
  it('given only FULLNODE_API_INFO and MINER_API_INFO, then /deadlines works and the local user is admin', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lcops-home-'));
    const result = await runCli(['exec', '/deadlines'], {
      env: {
        FULLNODE_API_INFO: sim.apiInfo('daemon-internal', 'read'),
        MINER_API_INFO: sim.apiInfo('seal-miner', 'admin'),
        HOME: home,
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`WindowPoSt deadlines of ${sim.actor}`);
    const audit = await runCli(['exec', '--as', 'someone', '/audit'], {
      env: {
        FULLNODE_API_INFO: sim.apiInfo('daemon-internal', 'read'),
        MINER_API_INFO: sim.apiInfo('seal-miner', 'admin'),
        HOME: home,
      },
    });
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('/deadlines');
  });

  it('given a miner that does not answer, then /help still works and /deadlines says which endpoint failed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lcops-home-'));
    const silent = await closedPort();
    const zero = {
      FULLNODE_API_INFO: sim.apiInfo('daemon-internal', 'read'),
      MINER_API_INFO: `eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl:/ip4/127.0.0.1/tcp/${silent}/http`,
      HOME: home,
    };
    const help = await runCli(['exec', '/help'], { env: zero });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Commands you may run');
    const deadlines = await runCli(['exec', '/deadlines'], { env: zero });
    expect(deadlines.code).toBe(1);
    expect(deadlines.stdout).toContain('The miner from MINER_API_INFO did not say its actor when the bot started');
    expect(deadlines.stdout).toContain(`127.0.0.1:${silent}`);
    expect(deadlines.stdout).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });
});

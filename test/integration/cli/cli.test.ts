import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../../helpers/cli.js';

const secretToken = 'eyJhbGciOiJIUzI1NiJ9.eyJBbGxvdyI6WyJhZG1pbiJdfQ.very-secret-signature-123';
let dir: string;
let configPath: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'lcops-cli-'));
  configPath = join(dir, 'bot.yaml');
  writeFileSync(
    configPath,
    `
cluster:
  name: cli-test
  daemons:
    - name: d1
      api: \${TEST_DAEMON_API}
  miners:
    - name: seal
      actor: f01234
      api: /ip4/127.0.0.1/tcp/1/http
      roles: [seal]
rbac:
  roles:
    admin: [terminal:root]
    operator: [terminal:alice, terminal:bob]
    viewer: [terminal:victor]
store:
  path: ${join(dir, 'store.db')}
log:
  level: debug
`,
  );
});

const env = () => ({ TEST_DAEMON_API: `${secretToken}:/ip4/127.0.0.1/tcp/1/http` });

describe('lotus-chatops check-config', () => {
  it('given a valid file, then it exits 0 and summarises the cluster', async () => {
    const result = await runCli(['check-config', '--config', configPath], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('cluster cli-test: 1 daemon(s), 1 miner(s)');
    expect(result.stdout + result.stderr).not.toContain(secretToken);
  });

  it('given a wrong role name, then it exits 2 and names the path and line', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'cluster:\n  daemons: [{ name: d, api: /ip4/1.2.3.4/tcp/1/http }]\n  miners:\n    - { name: m, actor: f01, api: x, roles: [windowpost] }\n',
    );
    const result = await runCli(['check-config', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'line 4: cluster.miners[0].roles[0]: unknown value "windowpost"; expected one of "winning-post"',
    );
  });

  it('given a missing file, then it exits 2 and says so', async () => {
    const result = await runCli(['check-config', '--config', join(dir, 'nope.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('cannot be read: ENOENT');
  });

  it.each([
    ['an alias bomb', () => aliasBomb(), 'too many aliases'],
    ['a device', () => '/dev/zero', 'it is a device'],
    ['a file over 1 MiB', () => big(), 'larger than 1024 KiB'],
    ['bytes that are not UTF-8', () => notUtf8(), 'is not UTF-8'],
  ])(
    'given %s, then check-config, exec and run exit 2 with one clear line and no stack trace',
    async (_what, make, says) => {
      const path = make();
      for (const args of [
        ['check-config', '--config', path],
        ['exec', '--config', path, '/help'],
        ['run', '--config', path],
      ]) {
        const result = await runCli(args, { env: env() });
        expect(result.code).toBe(2);
        const output = result.stdout + result.stderr;
        expect(output).toContain(says);
        expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(output).not.toContain('internal error');
      }
    },
  );
});

function aliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  lines.push('cluster: *a9');
  const path = join(dir, 'bomb.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function big(): string {
  const path = join(dir, 'big.yaml');
  writeFileSync(path, `cluster:\n  name: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
  return path;
}

function notUtf8(): string {
  const path = join(dir, 'latin1.yaml');
  writeFileSync(path, Buffer.concat([Buffer.from('cluster:\n  name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  return path;
}

describe('lotus-chatops exec', () => {
  it('given /help as a viewer, then it prints only what a viewer may run and exits 0', async () => {
    const result = await runCli(['exec', '--config', configPath, '--as', 'terminal:victor', '/help'], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Commands you may run');
    expect(result.stdout).toContain('/approvals list');
    expect(result.stdout).not.toContain('/audit');
  });

  it('given a command the principal may not run, then it exits 1 with the reason', async () => {
    const result = await runCli(['exec', '--config', configPath, '--as', 'terminal:victor', '/audit'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('/audit needs the operator role; you (terminal:victor) have viewer');
  });

  it('given an unknown command or bad arguments, then it exits 2 with usage', async () => {
    const unknown = await runCli(['exec', '--config', configPath, '--as', 'alice', '/frobnicate'], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain('Unknown command /frobnicate.');
    const doubled = await runCli(['exec', '--config', configPath, '--as', 'alice', '//help'], { env: env() });
    expect(doubled.code).toBe(2);
    expect(doubled.stdout).toContain('Unknown command //help. Did you mean /help?');
    const typo = await runCli(['exec', '--config', configPath, '--as', 'alice', '/deadlnes'], { env: env() });
    expect(typo.stdout).toContain('Did you mean /deadlines?');
    // Command names are matched whatever their case, as a terminal user types them.
    const shouted = await runCli(['exec', '--config', configPath, '--as', 'alice', '/HELP'], { env: env() });
    expect(shouted.code).toBe(0);
    expect(shouted.stdout).toContain('Commands you may run');
    const bad = await runCli(['exec', '--config', configPath, '--as', 'alice', '/audit limit=abc'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('Usage: /audit [user=USER] [command=COMMAND] [limit=LIMIT]');
  });

  it('given no config and no lotus environment, then it exits 2 and explains both ways to configure', async () => {
    const result = await runCli(['exec', '/help']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('FULLNODE_API_INFO');
  });

  it('never shows a secret from the config in output or log, even at debug level', async () => {
    const result = await runCli(['exec', '--config', configPath, '--as', 'root', '/audit'], {
      env: { ...env(), LOG_LEVEL: 'debug' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(secretToken);
    expect(result.stdout + result.stderr).not.toContain('very-secret-signature');
  });
});

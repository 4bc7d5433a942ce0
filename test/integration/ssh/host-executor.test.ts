import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import { SshPool } from '../../../src/ssh/ssh-pool.js';
import { describeWithSshd, processGone, startSshd, type TestSshd } from '../../helpers/sshd.js';

/** The OpsError a promise rejects with; fails the test if it resolves or rejects with something else. */
async function opsError(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected an OpsError, got ${JSON.stringify(value)}`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OpsError);
  return error as OpsError;
}

const nastyArgs = [
  'two words',
  '; rm -rf /',
  '$(touch /tmp/lcops-pwned)',
  '`id`',
  "single ' quote",
  'double " quote',
  'new\nline',
  'tab\there',
  'ünïcödé ✓ 🚀',
  '',
  '-n',
  '--help',
  '*',
  '$HOME',
  '\\backslash\\',
  'a=b',
];

describeWithSshd('HostExecutor against a real sshd', () => {
  let sshd: TestSshd;
  let pool: SshPool;
  let executor: HostExecutor;

  beforeAll(async () => {
    sshd = await startSshd();
    pool = new SshPool({ credentials: { privateKeyPath: sshd.clientKeyPath } });
    executor = new HostExecutor(pool);
    // A stand-in that prints its argv NUL-separated, as a remote lotus-miner stand-in would record it.
    await sshd.program('argv-dump', '#!/bin/sh\nprintf \'%s\\0\' "$@"\n');
    // Records its pid, then becomes a long sleep: the process the timeout must kill.
    await sshd.program('sleeper', '#!/bin/sh\necho $$ > "$1"\nexec sleep 30\n');
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
  });

  test('arguments with spaces and shell metacharacters arrive intact', async () => {
    const result = await executor.run(sshd.host(), ['argv-dump', ...nastyArgs]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(nastyArgs);
    expect(result.stderr).toBe('');
  });

  test('arbitrary Unicode arguments arrive intact through the real login shell', async () => {
    // Sampled rather than a property run: the samples go over the connection at once, not one after another.
    const nonAscii = fc.integer({ min: 0x80, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
    const codePoint = fc.oneof(fc.integer({ min: 1, max: 0x7f }), nonAscii).map((c) => String.fromCodePoint(c));
    const arg = fc.string({ unit: codePoint, maxLength: 20 });
    const samples = fc.sample(fc.array(arg, { maxLength: 6 }), 24);
    const results = await Promise.all(
      samples.map((args) => executor.run(sshd.host(), ['/usr/bin/printf', '%s\\0', ...args, 'end'])),
    );
    results.forEach((result, index) => {
      expect(result.stdout.split('\0').slice(0, -1)).toEqual([...(samples[index] ?? []), 'end']);
    });
  });

  test('a stand-in program on binDir is found first on PATH', async () => {
    const record = `${sshd.scratchDir}/lotus-miner.argv`;
    await sshd.program('lotus-miner', `#!/bin/sh\nprintf '%s\\n' "$@" > ${record}\necho pledged\n`);
    const result = await executor.runChecked(sshd.host(), ['lotus-miner', 'sectors', 'mypledge']);
    expect(result.stdout).toBe('pledged\n');
    expect(await readFile(join(sshd.scratchDir, 'lotus-miner.argv'), 'utf8')).toBe('sectors\nmypledge\n');
  });

  test('stdin passes through and output is not trimmed', async () => {
    const stdin = '  LOTUS_WORKER_PATH=/data/worker\nFIL_PROOFS_USE_GPU_COLUMN_BUILDER=1\n\n';
    const result = await executor.run(sshd.host(), ['cat'], { stdin });
    expect(result.stdout).toBe(stdin);
    const big = 'x'.repeat(1_000_000);
    expect((await executor.run(sshd.host(), ['wc', '-c'], { stdin: big })).stdout.trim()).toBe('1000000');
  });

  test('the environment is empty of our variables by default, and env values are passed literally', async () => {
    process.env.LCOPS_SHOULD_NOT_LEAK = 'leak';
    const without = await executor.run(sshd.host(), ['printenv', 'LCOPS_SHOULD_NOT_LEAK']);
    expect(without.code).toBe(1);
    const value = "a b'$(id)`id`\nline2";
    const withEnv = await executor.run(sshd.host(), ['printenv', 'FOO'], { env: { FOO: value, BAR: '1' } });
    expect(withEnv.stdout).toBe(`${value}\n`);
    const badName = executor.run(sshd.host(), ['true'], { env: { 'BAD NAME': 'x' } });
    await expect(badName).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  test('cwd runs the command there, and a missing directory fails instead of running in $HOME', async () => {
    const dir = join(sshd.scratchDir, "dir with 'quotes' and $x");
    await mkdir(dir, { mode: 0o755 });
    expect((await executor.run(sshd.host(), ['pwd'], { cwd: dir })).stdout).toBe(`${dir}\n`);
    const missing = await executor.run(sshd.host(), ['pwd'], { cwd: '/nonexistent/dir' });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('/nonexistent/dir');
  });

  test('a non-zero exit resolves from run and throws SSH_EXIT with the last stderr lines from runChecked', async () => {
    const argv = ['sh', '-c', 'for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; exit 3'];
    const result = await executor.run(sshd.host(), argv);
    expect(result.code).toBe(3);
    const error = await opsError(executor.runChecked(sshd.host(), argv));
    expect(error.code).toBe('SSH_EXIT');
    expect(error.params).toMatchObject({ host: 'host-0', code: 3 });
    expect(error.params.stderr).toBe('line 3\nline 4\nline 5\nline 6\nline 7');
  });

  test('a program that does not exist is SSH_COMMAND_NOT_FOUND, also behind env', async () => {
    const plain = await opsError(executor.run(sshd.host(), ['lcops-no-such-program', 'x']));
    expect(plain.code).toBe('SSH_COMMAND_NOT_FOUND');
    expect(plain.params.command).toBe('lcops-no-such-program');
    const withEnv = await opsError(executor.run(sshd.host(), ['lcops-no-such-program'], { env: { A: '1' } }));
    expect(withEnv.code).toBe('SSH_COMMAND_NOT_FOUND');
    // A program that itself exits 127 for its own reasons is just an exit status.
    expect((await executor.run(sshd.host(), ['sh', '-c', 'exit 127'])).code).toBe(127);
  });

  test('a command that outlives its timeout is killed on the host and reported as SSH_TIMEOUT', async () => {
    const pidFile = join(sshd.scratchDir, 'sleeper.pid');
    const error = await opsError(executor.run(sshd.host(), ['sleeper', pidFile], { timeoutMs: 300 }));
    expect(error.code).toBe('SSH_TIMEOUT');
    expect(error.params).toMatchObject({ host: 'host-0', ms: 300, phase: 'command' });
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    expect(await processGone(pid)).toBe(true);
  });

  test('output beyond maxOutputBytes is cut off and reported', async () => {
    const tooMuch = executor.run(sshd.host(), ['head', '-c', '200000', '/dev/zero'], { maxOutputBytes: 10_000 });
    const error = await opsError(tooMuch);
    expect(error.code).toBe('SSH_OUTPUT_TOO_LARGE');
    expect(error.params).toMatchObject({ limit: 10_000 });
    const fits = await executor.run(sshd.host(), ['head', '-c', '10000', '/dev/zero'], { maxOutputBytes: 10_000 });
    expect(fits.stdout.length).toBe(10_000);
  });

  test('multi-byte characters split across packets decode intact', async () => {
    const text = 'é🚀'.repeat(30_000);
    expect((await executor.run(sshd.host(), ['cat'], { stdin: text })).stdout).toBe(text);
  });

  test('a host that stops answering is given up on by the client-side deadline', async () => {
    // A separate pool, so that the frozen connection is not shared with the other tests.
    const frozenPool = new SshPool({ credentials: { privateKeyPath: sshd.clientKeyPath } });
    const frozenExecutor = new HostExecutor(frozenPool, { graceMs: 200 });
    try {
      await frozenExecutor.run(sshd.host(), ['true']);
      await sshd.signalConnections('SIGSTOP');
      const error = await opsError(frozenExecutor.run(sshd.host(), ['true'], { timeoutMs: 200 }));
      expect(error.code).toBe('SSH_TIMEOUT');
      expect(error.params).toMatchObject({ ms: 200, phase: 'command' });
    } finally {
      await sshd.signalConnections('SIGKILL');
      await frozenPool.close();
    }
  });
});

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import type { SshCredentials, SshHost } from '../../../src/ssh/ssh-host.js';
import { SshPool } from '../../../src/ssh/ssh-pool.js';
import { closedPort, describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

const run = promisify(execFile);

describeWithSshd('SSH login: host keys, user keys and unreachable hosts', () => {
  let sshd: TestSshd;
  const pools: SshPool[] = [];

  /** Runs `id -un` on `host` with a fresh pool; resolves with the OpsError it fails with, or the output. */
  async function login(host: SshHost, credentials?: SshCredentials, connectTimeoutMs?: number) {
    const pool = new SshPool({
      credentials: credentials ?? { privateKeyPath: sshd.clientKeyPath },
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    });
    pools.push(pool);
    try {
      return (await new HostExecutor(pool).runChecked(host, ['id', '-un'])).stdout.trim();
    } catch (error) {
      if (error instanceof OpsError) return error;
      throw error;
    }
  }

  /** Writes a known_hosts file and returns its path. */
  async function knownHosts(name: string, lines: string[]): Promise<string> {
    const path = join(sshd.scratchDir, name);
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  }

  beforeAll(async () => {
    sshd = await startSshd();
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await sshd?.stop();
  });

  test('the pinned fingerprint, bare or as the whole ssh-keygen -lf line, lets the bot in', async () => {
    expect(await login(sshd.host())).toBe(sshd.user);
    expect(await login(sshd.host(0, { hostKey: sshd.hostKeyLine }))).toBe(sshd.user);
  });

  test('a changed host key is refused, saying what was expected and what was offered', async () => {
    const pinned = 'SHA256:olwj7/PT2/N8Jd0yZOmodIE2lLByqG78WTc3JmvXXLM';
    const error = await login(sshd.host(0, { hostKey: pinned }));
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).code).toBe('SSH_HOSTKEY_MISMATCH');
    expect((error as OpsError).params).toMatchObject({ expected: pinned, offered: sshd.hostKeyFingerprint });
    expect((error as OpsError).message).toContain(sshd.hostKeyFingerprint);
  });

  test('an unpinned host is refused with the offered fingerprint and how to pin it', async () => {
    const { hostKey: _, ...unpinned } = sshd.host();
    const error = (await login(unpinned)) as OpsError;
    expect(error.code).toBe('SSH_HOSTKEY_UNKNOWN');
    expect(error.message).toContain(sshd.hostKeyFingerprint);
    expect(error.hint).toContain(`hostKey: "${sshd.hostKeyFingerprint}"`);
  });

  test('a known_hosts file from ssh-keyscan is accepted, plain and hashed with ssh-keygen -H', async () => {
    const { hostKey: _, ...unpinned } = sshd.host();
    const scanned = (await run('ssh-keyscan', ['-p', String(sshd.port), '-t', 'ed25519', '127.0.0.1'])).stdout;
    const plain = await knownHosts('known_hosts_plain', [scanned.trim()]);
    expect(await login({ ...unpinned, knownHostsFile: plain })).toBe(sshd.user);
    const hashed = await knownHosts('known_hosts_hashed', [scanned.trim()]);
    await run('ssh-keygen', ['-H', '-f', hashed]);
    expect(await login({ ...unpinned, knownHostsFile: hashed })).toBe(sshd.user);
  });

  test('a known_hosts file with another key for the host is a mismatch; one without the host is unknown', async () => {
    const { hostKey: _, ...unpinned } = sshd.host();
    const otherKey = 'AAAAC3NzaC1lZDI1NTE5AAAAIAQKH61IIYKlv2/T5eRQ8SRu413iFpKjws8IKTJostZt';
    const wrong = await knownHosts('known_hosts_wrong', [`[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherKey}`]);
    expect(((await login({ ...unpinned, knownHostsFile: wrong })) as OpsError).code).toBe('SSH_HOSTKEY_MISMATCH');
    const elsewhere = await knownHosts('known_hosts_elsewhere', [`[127.0.0.1]:1 ${sshd.hostPublicKey}`]);
    expect(((await login({ ...unpinned, knownHostsFile: elsewhere })) as OpsError).code).toBe('SSH_HOSTKEY_UNKNOWN');
    const missing = (await login({ ...unpinned, knownHostsFile: '/nonexistent/known_hosts' })) as OpsError;
    expect(missing.code).toBe('SSH_ERROR');
    expect(missing.message).toContain('/nonexistent/known_hosts');
  });

  test('a user key the host does not know is refused with SSH_AUTH_FAILED', async () => {
    const stranger = await sshd.makeClientKey({ authorize: false });
    const error = (await login(sshd.host(), { privateKey: stranger.privateKey })) as OpsError;
    expect(error.code).toBe('SSH_AUTH_FAILED');
    expect(error.params).toMatchObject({ host: 'host-0', user: sshd.user });
  });

  test('a passphrase-protected key works with its passphrase and fails clearly without it', async () => {
    const passphrase = 'correct horse battery staple';
    const key = await sshd.makeClientKey({ passphrase });
    expect(await login(sshd.host(), { privateKeyPath: key.path, passphrase })).toBe(sshd.user);
    const error = (await login(sshd.host(), { privateKeyPath: key.path })) as OpsError;
    expect(error.code).toBe('SSH_ERROR');
    expect(error.message).toContain('private key cannot be used');
    const wrong = (await login(sshd.host(), { privateKeyPath: key.path, passphrase: 'wrong passphrase' })) as OpsError;
    expect(wrong.code).toBe('SSH_ERROR');
    expect(wrong.message).not.toContain('wrong passphrase');
  });

  test('a closed port is SSH_CONNECT_REFUSED', async () => {
    const port = await closedPort();
    const error = (await login(sshd.host(0, { port }))) as OpsError;
    expect(error.code).toBe('SSH_CONNECT_REFUSED');
    expect(error.params).toMatchObject({ address: '127.0.0.1', port });
  });

  test('a server that accepts TCP but never speaks SSH is SSH_TIMEOUT in the connect phase', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const error = (await login(sshd.host(0, { port }), undefined, 300)) as OpsError;
      expect(error.code).toBe('SSH_TIMEOUT');
      expect(error.params).toMatchObject({ ms: 300, phase: 'connect' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('missing or doubled key configuration is explained', async () => {
    expect(((await login(sshd.host(), {})) as OpsError).message).toContain('no private key');
    const doubled = { privateKey: sshd.clientKey, privateKeyPath: sshd.clientKeyPath };
    const both = (await login(sshd.host(), doubled)) as OpsError;
    expect(both.message).toContain('keep one');
    const absent = (await login(sshd.host(), { privateKeyPath: '/nonexistent/id_ed25519' })) as OpsError;
    expect(absent.message).toContain('/nonexistent/id_ed25519 (ENOENT)');
  });
});

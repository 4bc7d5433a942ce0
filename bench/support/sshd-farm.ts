import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild } from './processes.js';

/**
 * Many SSH "hosts" on one machine: real OpenSSH sshd processes on loopback, each listening on up to 16 ports (sshd's
 * MAX_LISTEN_SOCKS), each port standing for one host. A throwaway host key and client key are made for the run; when
 * the bench runs as root it logs in as the unprivileged test account `lcops-test` (the one the SSH tests use).
 *
 * This is the bench's own small launcher, not test/helpers/sshd.ts: bench/ is compiled by the project's tsconfig
 * (and by the Dockerfile, which has no test/), so it cannot import from test/.
 */

const run = promisify(execFile);
const sshdPath = '/usr/sbin/sshd';
const keygenPath = '/usr/bin/ssh-keygen';
const portsPerProcess = 16;
const testUser = 'lcops-test';

export interface SshdFarm {
  user: string;
  ports: number[];
  /** SHA256:… of the host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  clientKeyPath: string;
  dir: string;
  processes: number;
  stop(): Promise<void>;
}

/** Why the SSH figure cannot run here, or undefined when it can. */
export function sshdMissing(): string | undefined {
  const missing = [sshdPath, keygenPath, '/usr/bin/ssh'].filter((p) => !existsSync(p));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not found (apt-get install openssh-server openssh-client)`;
}

export async function startSshdFarm(hosts: number): Promise<SshdFarm> {
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? await ensureTestUser() : userInfo().username;
  const dir = await mkdtemp(join(tmpdir(), 'lcops-bench-sshd-'));
  const children: ChildProcess[] = [];
  try {
    await chmod(dir, 0o755);
    if (isRoot) await run('mkdir', ['-p', '-m', '755', '/run/sshd']);
    const hostKey = join(dir, 'host_ed25519');
    const clientKeyPath = join(dir, 'client_ed25519');
    await run(keygenPath, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lcops-bench-host', '-f', hostKey]);
    await run(keygenPath, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lcops-bench-client', '-f', clientKeyPath]);
    const hostKeyFingerprint = /SHA256:\S+/.exec((await run(keygenPath, ['-lf', `${hostKey}.pub`])).stdout)?.[0] ?? '';
    const authorizedKeys = join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(`${clientKeyPath}.pub`, 'utf8'), { mode: 0o644 });

    const common = [
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The keys live under /tmp, which StrictModes would refuse.
      'StrictModes no',
      `AllowUsers ${user}`,
      'LogLevel INFO',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      // 16 logins at once from one address: the default 10:30:100 would start refusing some.
      'MaxStartups 200',
      ...((await sshdVersion()) >= 9.8 ? ['PerSourcePenalties no'] : []),
    ];

    let ports: number[] = [];
    for (let attempt = 1; ; attempt++) {
      ports = await freePorts(hosts);
      try {
        for (let first = 0; first < ports.length; first += portsPerProcess) {
          const group = ports.slice(first, first + portsPerProcess);
          const config = join(dir, `sshd_config_${first / portsPerProcess}`);
          await writeFile(config, [...group.map((p) => `ListenAddress 127.0.0.1:${p}`), ...common, ''].join('\n'), {
            mode: 0o600,
          });
          children.push(await spawnSshd(config, group));
        }
        break;
      } catch (error) {
        await Promise.all(children.splice(0).map((c) => stopChild(c)));
        // Another process may have taken a port between freePorts() and sshd's bind.
        if (attempt >= 3 || !/could not bind/.test(String(error))) throw error;
      }
    }
    return {
      user,
      ports,
      hostKeyFingerprint,
      clientKeyPath,
      dir,
      processes: children.length,
      async stop() {
        await Promise.all(children.map((c) => stopChild(c)));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(children.map((c) => stopChild(c)));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function spawnSshd(config: string, ports: number[]): Promise<ChildProcess> {
  // sshd re-executes itself for each connection, so it must be started by its absolute path.
  const child = spawn(sshdPath, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const listening = new Set<number>();
    const onData = (chunk: Buffer) => {
      if (log.length < 64_000) log += chunk.toString('utf8');
      for (const m of log.matchAll(/Server listening on 127\.0\.0\.1 port (\d+)\./g)) listening.add(Number(m[1]));
      if (/Bind to port \d+ on 127\.0\.0\.1 failed/.test(log)) {
        child.kill('SIGTERM');
        reject(new Error(`sshd could not bind: ${log.trim()}`));
      } else if (ports.every((p) => listening.has(p))) {
        child.off('exit', onExit);
        // From here on its log (a few lines per login) is read and dropped, so that sshd never blocks on the pipe.
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`sshd exited (${code}) before listening: ${log.trim()}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

async function freePorts(count: number): Promise<number[]> {
  // Held open together, so that they are distinct.
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function sshdVersion(): Promise<number> {
  const out = await run(sshdPath, ['-V']).then(
    (r) => `${r.stdout}${r.stderr}`,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
  );
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(out);
  return m ? Number(m[1]) + Number(m[2]) / 10 : 0;
}

/**
 * The unprivileged account to log in as when running as root: created if missing (`useradd -m -s /bin/sh`), with an
 * unusable but unlocked password, because sshd without PAM refuses a locked account even for key logins.
 */
async function ensureTestUser(): Promise<string> {
  const exists = await run('id', ['-u', testUser]).then(
    () => true,
    () => false,
  );
  if (!exists) await run('useradd', ['-m', '-s', '/bin/sh', testUser]);
  const shadow = (await run('getent', ['shadow', testUser])).stdout;
  if (shadow.split(':')[1]?.startsWith('!')) await run('usermod', ['-p', '*', testUser]);
  return testUser;
}

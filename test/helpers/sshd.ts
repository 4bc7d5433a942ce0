import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'vitest';
import type { SshHost } from '../../src/ssh/ssh-host.js';

/**
 * A real OpenSSH server on loopback for the SSH tests: throwaway host key, a client key made for the run, a
 * `bin` directory put first on the sessions' PATH for stand-in programs, and sshd's own log to count
 * logins and sessions in.
 */

const run = promisify(execFile);

// LCOPS_TEST_SSHD points at another sshd binary (or at nothing, to check the missing-sshd path).
const sshdPath = process.env.LCOPS_TEST_SSHD ?? '/usr/sbin/sshd';
const keygenPath = '/usr/bin/ssh-keygen';
const installHint = 'apt-get install -y openssh-server';
/** The unprivileged account the tests log in as when they run as root (CI does). Its shell is /bin/sh. */
export const testUser = 'lcops-test';
// sshd.c: MAX_LISTEN_SOCKS. More ports than this need another sshd process.
const portsPerProcess = 16;

const isRoot = process.getuid?.() === 0;

const missingTools = [sshdPath, keygenPath].filter((path) => !existsSync(path));
export const sshdAvailability: { available: boolean; reason: string } =
  missingTools.length === 0
    ? { available: true, reason: '' }
    : { available: false, reason: `${missingTools.join(' and ')} not found; install with \`${installHint}\`` };

/**
 * `describe` for suites that need sshd. Without sshd a developer gets a loud warning and skipped tests;
 * under CI (`CI=true`) a missing sshd is a failing test, so the SSH suite can never silently not run.
 */
export function describeWithSshd(name: string, body: () => void): void {
  if (sshdAvailability.available) {
    describe(name, body);
    return;
  }
  const message = `SSH integration tests cannot run: ${sshdAvailability.reason}.`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs a real sshd (CI=true, so this is a failure, not a skip)', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n!!! ${message} SKIPPING "${name}". !!!\n`);
  describe.skip(name, body);
}

export interface StartSshdOptions {
  /** Loopback ports to listen on, each standing for one host. Default 1. */
  ports?: number;
  /** More sshd_config lines. */
  config?: string[];
}

export interface ClientKey {
  path: string;
  privateKey: string;
  publicKey: string;
}

export interface TestSshd {
  user: string;
  address: string;
  /** The first port; `ports` has all of them. */
  port: number;
  ports: number[];
  /** `SHA256:…` as `ssh-keygen -lf` prints it for the host key. */
  hostKeyFingerprint: string;
  /** The whole `ssh-keygen -lf` line: `256 SHA256:… comment (ED25519)`. */
  hostKeyLine: string;
  /** `ssh-ed25519 AAAA…`, to write known_hosts files with. */
  hostPublicKey: string;
  clientKeyPath: string;
  clientKey: string;
  /** First on PATH for every session; readable by the test user. Fill it with program(). */
  binDir: string;
  /** A directory the test user may write to, for stand-in programs to leave traces in. */
  scratchDir: string;
  /** An SshHost for port `index`, pinned to the host key, with overrides. */
  host(index?: number, overrides?: Partial<SshHost>): SshHost;
  /** Writes an executable stand-in program into binDir. */
  program(name: string, script: string): Promise<string>;
  /** Makes another client key; authorized for the test user unless `authorize` is false. */
  makeClientKey(options?: { passphrase?: string; authorize?: boolean }): Promise<ClientKey>;
  log(): string;
  count(pattern: RegExp): number;
  /** Resolves once the log has `count` lines matching `pattern`. */
  waitForLog(pattern: RegExp, count?: number): Promise<void>;
  /** Kills the per-connection sshd processes, as a host reboot or a cut cable would; returns how many. */
  dropConnections(): Promise<number>;
  /** Sends a signal to the per-connection sshd processes and what they run (SIGSTOP: a host that hangs). */
  signalConnections(signal: NodeJS.Signals): Promise<number>;
  stop(): Promise<void>;
}

/** Starts sshd (several processes when there are more than 16 ports) and resolves once every port listens. */
export async function startSshd(options: StartSshdOptions = {}): Promise<TestSshd> {
  if (!sshdAvailability.available) throw new Error(sshdAvailability.reason);
  const user = isRoot ? await ensureTestUser() : userInfo().username;
  const dir = await mkdtemp(join(tmpdir(), 'lcops-sshd-'));
  // Traversable by the test user, who reads authorized_keys and runs the programs in bin/.
  await chmod(dir, 0o755);
  const binDir = join(dir, 'bin');
  const scratchDir = join(dir, 'scratch');
  await mkdir(binDir, { mode: 0o755 });
  await mkdir(scratchDir, { mode: 0o755 });
  if (isRoot) await chownToUser(scratchDir, user);
  if (isRoot) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  await run(keygenPath, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lcops-test-host', '-f', join(dir, 'host_ed25519')]);
  const hostKeyLine = (await run(keygenPath, ['-lf', join(dir, 'host_ed25519.pub')])).stdout.trim();
  const hostKeyFingerprint = /SHA256:\S+/.exec(hostKeyLine)?.[0] ?? '';
  const hostPublicKey = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, '', { mode: 0o644 });

  let keyCounter = 0;
  const makeClientKey = async (keyOptions: { passphrase?: string; authorize?: boolean } = {}): Promise<ClientKey> => {
    const path = join(dir, `client_${keyCounter++}`);
    // Few KDF rounds: ssh2 decrypts a protected key in JavaScript, and the default 16 rounds take ~0.2 s.
    const passphrase = keyOptions.passphrase ?? '';
    await run(keygenPath, ['-q', '-t', 'ed25519', '-a', '2', '-N', passphrase, '-C', 'lcops-test-client', '-f', path]);
    const publicKey = await readFile(`${path}.pub`, 'utf8');
    if (keyOptions.authorize !== false) await writeFile(authorizedKeys, publicKey, { flag: 'a' });
    return { path, privateKey: await readFile(path, 'utf8'), publicKey };
  };
  const client = await makeClientKey();

  const configLines = [
    `HostKey ${join(dir, 'host_ed25519')}`,
    'PidFile none',
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The key files live under /tmp, which StrictModes would refuse; they are owned as they should be anyway.
    'StrictModes no',
    `AllowUsers ${user}`,
    'LogLevel VERBOSE',
    'UseDNS no',
    'PrintMotd no',
    `SetEnv PATH=${binDir}:/usr/local/bin:/usr/bin:/bin`,
    // The fan-out test opens dozens of connections at once; the default 10:30:100 starts dropping them.
    'MaxStartups 200',
    'MaxSessions 10',
    ...((await sshdVersion()) >= 9.8 ? ['PerSourcePenalties no'] : []),
    ...(options.config ?? []),
  ];

  const wanted = options.ports ?? 1;
  const processes: ChildProcess[] = [];
  let logText = '';
  const waiters = new Set<() => void>();
  const onLog = (chunk: Buffer) => {
    logText += chunk.toString('utf8');
    for (const check of waiters) check();
  };
  const count = (pattern: RegExp) => logText.split('\n').filter((line) => pattern.test(line)).length;

  const stopProcesses = async (list: ChildProcess[]) => {
    await Promise.all(
      list.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  };

  let ports: number[] = [];
  try {
    for (let attempt = 1; ; attempt += 1) {
      ports = await freePorts(wanted);
      const started: ChildProcess[] = [];
      try {
        for (let first = 0; first < ports.length; first += portsPerProcess) {
          const group = ports.slice(first, first + portsPerProcess);
          const configPath = join(dir, `sshd_config_${first / portsPerProcess}`);
          const listen = group.map((port) => `ListenAddress 127.0.0.1:${port}`);
          await writeFile(configPath, `${[...listen, ...configLines].join('\n')}\n`, { mode: 0o600 });
          started.push(await spawnSshd(configPath, group, onLog));
        }
        processes.push(...started);
        break;
      } catch (error) {
        await stopProcesses(started);
        // Another process may take a port between freePorts() and sshd's bind; pick new ones.
        if (attempt >= 3 || !/Address already in use|Cannot bind/.test(String(error))) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const signalConnections = async (signal: NodeJS.Signals): Promise<number> => {
    const victims = await descendants(processes.map((child) => child.pid ?? -1));
    for (const pid of victims) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    return victims.length;
  };

  return {
    user,
    address: '127.0.0.1',
    port: ports[0] as number,
    ports,
    hostKeyFingerprint,
    hostKeyLine,
    hostPublicKey,
    clientKeyPath: client.path,
    clientKey: client.privateKey,
    binDir,
    scratchDir,
    host(index = 0, overrides = {}) {
      const port = ports[index];
      if (port === undefined) throw new Error(`the test sshd has ${ports.length} port(s), not ${index + 1}`);
      return { name: `host-${index}`, address: '127.0.0.1', port, user, hostKey: hostKeyFingerprint, ...overrides };
    },
    async program(name, script) {
      const path = join(binDir, name);
      await writeFile(path, script, { mode: 0o755 });
      await chmod(path, 0o755);
      return path;
    },
    makeClientKey,
    log: () => logText,
    count,
    waitForLog(pattern, wantedCount = 1) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (count(pattern) < wantedCount) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    dropConnections() {
      return signalConnections('SIGKILL');
    },
    signalConnections,
    async stop() {
      const leftovers = await descendants(processes.map((child) => child.pid ?? -1));
      await stopProcesses(processes);
      for (const pid of leftovers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback port with nothing listening on it: a host that is down. */
export async function closedPort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** Whether a process is gone; a zombie counts as gone (this sandbox's PID 1 does not reap orphans). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function spawnSshd(configPath: string, ports: number[], onLog: (chunk: Buffer) => void): Promise<ChildProcess> {
  // sshd re-executes itself, so it must be started by its absolute path.
  const child = spawn(sshdPath, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let own = '';
    const listening = new Set<number>();
    const onData = (chunk: Buffer) => {
      own += chunk.toString('utf8');
      onLog(chunk);
      for (const match of own.matchAll(/Server listening on 127\.0\.0\.1 port (\d+)\./g)) {
        listening.add(Number(match[1]));
      }
      if (/Bind to port \d+ on 127\.0\.0\.1 failed/.test(own)) {
        child.kill('SIGTERM');
        reject(new Error(`sshd could not bind: ${own.trim()}`));
      } else if (ports.every((port) => listening.has(port))) {
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => {
      reject(new Error(`sshd exited with ${code} before listening:\n${own.trim()}`));
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

async function freePorts(count: number): Promise<number[]> {
  // Held open together, so that the ports are distinct.
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function sshdVersion(): Promise<number> {
  const { stdout, stderr } = await run(sshdPath, ['-V']).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? '',
  }));
  const match = /OpenSSH_(\d+)\.(\d+)/.exec(`${stdout}${stderr}`);
  return match ? Number(match[1]) + Number(match[2]) / 10 : 0;
}

/**
 * Creates the test account if needed: `useradd -m -s /bin/sh`, then `usermod -p '*'`, because sshd refuses
 * a locked (`!`) account even for key logins when PAM is off. Several test files may race to do this.
 */
async function ensureTestUser(): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (!(await userExists())) await run('useradd', ['-m', '-s', '/bin/sh', testUser]);
      const shadow = (await run('getent', ['shadow', testUser])).stdout;
      if (shadow.split(':')[1]?.startsWith('!')) await run('usermod', ['-p', '*', testUser]);
      return testUser;
    } catch (error) {
      // Another worker holds the passwd lock or created the user first; look again.
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function userExists(): Promise<boolean> {
  try {
    await run('id', ['-u', testUser]);
    return true;
  } catch {
    return false;
  }
}

async function chownToUser(path: string, user: string): Promise<void> {
  const uid = Number((await run('id', ['-u', user])).stdout.trim());
  const gid = Number((await run('id', ['-g', user])).stdout.trim());
  await chown(path, uid, gid);
}

/** Every live process below the given ones, read from /proc. */
async function descendants(roots: number[]): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

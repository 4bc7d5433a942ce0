import { readFile } from 'node:fs/promises';
import { type Config, NodeSSH } from 'node-ssh';
import pLimit, { type LimitFunction } from 'p-limit';
import { isOpsError, OpsError } from '../core/errors.js';
import { type Logger, redactSecrets, silentLogger } from '../core/logger.js';
import { hostKeyAlgorithms, verifyHostKey } from './host-key.js';
import { KnownHosts } from './known-hosts.js';
import type { SshCredentials, SshHost } from './ssh-host.js';

/** What happened to a pooled connection; for metrics and for tests that wait on the pool. */
export interface SshPoolEvent {
  type: 'connect' | 'drop' | 'idle-close';
  host: string;
}

export interface SshPoolOptions {
  /** The bot's key, or a function choosing one per host. */
  credentials: SshCredentials | ((host: SshHost) => SshCredentials);
  logger?: Logger;
  /** Limit for TCP connect plus SSH handshake and authentication. Default 10 s. */
  connectTimeoutMs?: number;
  /** An unused connection is closed after this long. Default 60 s. */
  idleTimeoutMs?: number;
  /** SSH keepalive, so that a dead peer is noticed and the next call reconnects. Default 15 s, 3 misses. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /**
   * Commands running at once on one host, 1 to 8. Default 5, which keeps within sshd's default MaxSessions (10)
   * even when channels close and reopen in bursts; raise it only on hosts with a higher MaxSessions.
   */
  maxChannelsPerHost?: number;
  onEvent?: (event: SshPoolEvent) => void;
}

// OpenSSH's MaxSessions defaults to 10 sessions per connection, and sshd frees a finished session only after
// it has read the whole batch of packets that closed it. A client that closes c channels and opens c new ones
// in one burst can therefore hold 2c sessions for a moment: measured here, a cap of 8 had sshd refuse 27 of
// 300 commands ("no more sessions"), 5 refused none. 5 keeps 2c within the default; 8 is the hard ceiling.
const defaultChannelsPerHost = 5;
const maxChannelsLimit = 8;

interface Slot {
  key: string;
  limit: LimitFunction;
  ssh: NodeSSH | undefined;
  connecting: Promise<NodeSSH> | undefined;
  /** Resolves when the current connection's socket has closed. */
  closed: Promise<void> | undefined;
  active: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * One SSH connection per host, opened on first use and shared by every command for that host: commands
 * run as channels multiplexed over it. Concurrent first callers share one connect; a connection that drops
 * (its 'close', 'end' or 'error') is forgotten and the next caller reconnects; an unused one is closed after
 * `idleTimeoutMs`. Each host has its own cap on concurrent channels, so a busy host never blocks the others.
 */
export class SshPool {
  private readonly slots = new Map<string, Slot>();
  private readonly logger: Logger;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;
  private readonly keepaliveCountMax: number;
  private readonly maxChannelsPerHost: number;
  private connects = 0;
  private isClosed = false;

  constructor(private readonly options: SshPoolOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'ssh-pool' });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.keepaliveCountMax = options.keepaliveCountMax ?? 3;
    this.maxChannelsPerHost = options.maxChannelsPerHost ?? defaultChannelsPerHost;
    const channels = this.maxChannelsPerHost;
    if (!Number.isInteger(channels) || channels < 1 || channels > maxChannelsLimit) {
      throw new RangeError(`maxChannelsPerHost must be an integer from 1 to ${maxChannelsLimit}`);
    }
  }

  /**
   * Runs `fn` with a connected client for `host`, once one of the host's channel slots is free. The
   * connection stays open for later calls.
   */
  async withConnection<T>(host: SshHost, fn: (ssh: NodeSSH) => Promise<T>): Promise<T> {
    if (this.isClosed) throw closedError(host);
    const slot = this.slotFor(host);
    // Counted from the moment a caller arrives, so that a connection is never closed as idle under a queue.
    slot.active += 1;
    clearTimeout(slot.idleTimer);
    try {
      // Connecting outside the channel limit lets every caller that arrives while a connect is under way share
      // it, and share its failure: twenty commands for a dead host cost one connect attempt, not three.
      await this.connection(slot, host);
      // A caller that waited for a channel may find the connection gone by then; connection() makes a new one.
      return await slot.limit(async () => fn(await this.connection(slot, host)));
    } finally {
      slot.active -= 1;
      if (slot.active === 0) this.scheduleIdleClose(slot, host);
    }
  }

  /** Connections made so far and connections open now. */
  stats(): { connects: number; open: number } {
    let open = 0;
    for (const slot of this.slots.values()) if (slot.ssh?.isConnected()) open += 1;
    return { connects: this.connects, open };
  }

  /** Closes every connection and waits for their sockets to close. The pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.isClosed = true;
    const closing: Promise<unknown>[] = [];
    for (const slot of this.slots.values()) {
      clearTimeout(slot.idleTimer);
      // Callers still queued for a channel fail in connection(); a connect still in flight is ended by connect()
      // when it completes, because the pool is closed.
      if (slot.connecting) closing.push(slot.connecting.catch(() => undefined));
      if (slot.closed) closing.push(slot.closed);
      slot.ssh?.dispose();
      slot.ssh = undefined;
    }
    await Promise.all(closing);
    // Connections that finished connecting during the wait were disposed there; wait for their sockets too.
    await Promise.all([...this.slots.values()].map((slot) => slot.closed));
    this.slots.clear();
  }

  private slotFor(host: SshHost): Slot {
    // Two configured names for the same account and endpoint share a connection; the pin is part of the key
    // so that a host whose pin changed is verified again instead of reusing a connection made under the old one.
    const key = `${host.user}@${host.address}:${host.port} ${host.hostKey ?? host.knownHostsFile ?? ''}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = {
        key,
        limit: pLimit(this.maxChannelsPerHost),
        ssh: undefined,
        connecting: undefined,
        closed: undefined,
        active: 0,
        idleTimer: undefined,
      };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private connection(slot: Slot, host: SshHost): Promise<NodeSSH> {
    if (this.isClosed) return Promise.reject(closedError(host));
    if (slot.ssh?.isConnected()) return Promise.resolve(slot.ssh);
    slot.connecting ??= this.connect(slot, host).finally(() => {
      slot.connecting = undefined;
    });
    return slot.connecting;
  }

  private async connect(slot: Slot, host: SshHost): Promise<NodeSSH> {
    const log = this.logger.child({ host: host.name });
    const { config, knownHosts } = await this.connectConfig(host);
    let refusal: OpsError | undefined;
    const ssh = new NodeSSH();
    log.debug({ address: host.address, port: host.port, user: host.user }, 'ssh connecting');
    try {
      await ssh.connect({
        ...config,
        hostVerifier: (offered: Buffer) => {
          const decision = verifyHostKey(host, offered, knownHosts);
          if (!decision.ok) refusal = decision.error;
          return decision.ok;
        },
      });
    } catch (error) {
      ssh.dispose();
      const mapped = refusal ?? this.connectError(host, error);
      log.warn({ code: mapped.code }, mapped.message);
      throw mapped;
    }
    const connection = ssh.connection;
    if (connection === null) {
      throw new OpsError('SSH_ERROR', { host: host.name, detail: 'the connection closed during login.' });
    }
    this.connects += 1;
    slot.closed = new Promise((resolve) => connection.once('close', () => resolve()));
    const dropped = (reason: string) => () => {
      if (slot.ssh !== ssh) return;
      slot.ssh = undefined;
      clearTimeout(slot.idleTimer);
      log.info({ reason }, 'ssh connection dropped');
      this.options.onEvent?.({ type: 'drop', host: host.name });
    };
    connection.on('end', dropped('end'));
    connection.on('close', dropped('close'));
    // Without a listener an 'error' after login would crash the process; 'close' follows it.
    connection.on('error', (error: Error) => {
      log.warn({ detail: redactSecrets(error.message) }, 'ssh connection error');
      dropped('error')();
    });
    if (this.isClosed) {
      ssh.dispose();
      throw closedError(host);
    }
    slot.ssh = ssh;
    log.debug('ssh connected');
    this.options.onEvent?.({ type: 'connect', host: host.name });
    return ssh;
  }

  private async connectConfig(host: SshHost): Promise<{ config: Config; knownHosts: KnownHosts | undefined }> {
    const credentials =
      typeof this.options.credentials === 'function' ? this.options.credentials(host) : this.options.credentials;
    const privateKey = await this.privateKey(host, credentials);
    // Read at every connect, so that an edited known_hosts takes effect at the next reconnect.
    let knownHosts: KnownHosts | undefined;
    if (host.hostKey === undefined && host.knownHostsFile !== undefined) {
      try {
        knownHosts = await KnownHosts.load(host.knownHostsFile);
      } catch (error) {
        const detail = `cannot read the known_hosts file ${host.knownHostsFile} (${errorCode(error)}).`;
        throw new OpsError('SSH_ERROR', { host: host.name, detail }, { cause: error });
      }
    }
    const serverHostKey = hostKeyAlgorithms(host, knownHosts);
    const config: Config = {
      host: host.address,
      port: host.port,
      username: host.user,
      privateKey,
      ...(credentials.passphrase === undefined ? {} : { passphrase: credentials.passphrase }),
      readyTimeout: this.connectTimeoutMs,
      keepaliveInterval: this.keepaliveIntervalMs,
      keepaliveCountMax: this.keepaliveCountMax,
      ...(serverHostKey === undefined ? {} : { algorithms: { serverHostKey } }),
    };
    return { config, knownHosts };
  }

  private async privateKey(host: SshHost, credentials: SshCredentials): Promise<string> {
    if (credentials.privateKey !== undefined && credentials.privateKeyPath !== undefined) {
      const detail = 'both an inline private key and a private key path are configured; keep one.';
      throw new OpsError('SSH_ERROR', { host: host.name, detail });
    }
    if (credentials.privateKey !== undefined) return credentials.privateKey;
    if (credentials.privateKeyPath === undefined) {
      throw new OpsError('SSH_ERROR', { host: host.name, detail: 'no private key is configured for the bot.' });
    }
    try {
      return await readFile(credentials.privateKeyPath, 'utf8');
    } catch (error) {
      const detail = `cannot read the private key file ${credentials.privateKeyPath} (${errorCode(error)}).`;
      throw new OpsError('SSH_ERROR', { host: host.name, detail }, { cause: error });
    }
  }

  private connectError(host: SshHost, error: unknown): OpsError {
    if (isOpsError(error)) return error;
    const { code, level, message } = describeError(error);
    const cause = { cause: error };
    if (code === 'ECONNREFUSED') {
      return new OpsError('SSH_CONNECT_REFUSED', { host: host.name, address: host.address, port: host.port }, cause);
    }
    if (level === 'client-timeout' || code === 'ETIMEDOUT') {
      return new OpsError('SSH_TIMEOUT', { host: host.name, ms: this.connectTimeoutMs, phase: 'connect' }, cause);
    }
    if (level === 'client-authentication') {
      return new OpsError('SSH_AUTH_FAILED', { host: host.name, user: host.user }, cause);
    }
    let detail: string;
    if (message.startsWith('Cannot parse privateKey')) {
      const reason = message.replace(/^Cannot parse privateKey:\s*/, '');
      detail = `the bot's private key cannot be used (${reason}); check the key and its passphrase.`;
    } else if (level === 'client-dns' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      detail = `cannot resolve the address ${host.address}.`;
    } else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      detail = `${host.address} is unreachable (${code}).`;
    } else if (message === 'No response from server') {
      // node-ssh reports a socket that closed before login this way; it is not a timeout.
      detail = 'the server closed the connection during the handshake (is it an SSH server accepting connections?).';
    } else {
      detail = redactSecrets(message);
    }
    return new OpsError('SSH_ERROR', { host: host.name, detail }, cause);
  }

  private scheduleIdleClose(slot: Slot, host: SshHost): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      const ssh = slot.ssh;
      if (slot.active > 0 || ssh === undefined) return;
      slot.ssh = undefined;
      ssh.dispose();
      this.logger.debug({ host: host.name }, 'ssh connection closed after idling');
      this.options.onEvent?.({ type: 'idle-close', host: host.name });
    }, this.idleTimeoutMs);
  }
}

function closedError(host: SshHost): OpsError {
  return new OpsError('SSH_ERROR', { host: host.name, detail: 'the SSH pool is closed.' });
}

function describeError(error: unknown): { code: string | undefined; level: string | undefined; message: string } {
  if (!(error instanceof Error)) return { code: undefined, level: undefined, message: String(error) };
  const fields = error as Error & { code?: unknown; level?: unknown };
  return {
    code: typeof fields.code === 'string' ? fields.code : undefined,
    level: typeof fields.level === 'string' ? fields.level : undefined,
    message: error.message,
  };
}

function errorCode(error: unknown): string {
  return describeError(error).code ?? describeError(error).message;
}

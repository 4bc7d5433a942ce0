import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { OpsError } from '../core/errors.js';
import { type Logger, redactSecrets, silentLogger } from '../core/logger.js';
import { type Metrics, noMetrics, outcomeOfCode } from '../core/metrics.js';
import { quoteArgv } from './quote-argv.js';
import type { SshHost } from './ssh-host.js';
import type { SshPool } from './ssh-pool.js';

export interface RunOptions {
  /** How long the command may run; it is killed on the host after this. Default: the executor's (60 s). */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. Without it stdin is empty. */
  stdin?: string;
  /** Variables for this command only. Nothing else is passed: the command sees sshd's login environment. */
  env?: Record<string, string>;
  /** stdout and stderr together may not exceed this; the command is cut off and SSH_OUTPUT_TOO_LARGE thrown. */
  maxOutputBytes?: number;
  /** Directory to run in. A directory that does not exist fails the command (exit 2) instead of running elsewhere. */
  cwd?: string;
  /** Stops waiting and closes the channel; the host-side timeout still bounds the remote process. */
  signal?: AbortSignal;
  /**
   * Each complete line of output (stdout and stderr alike) as soon as it arrives, e.g. to record what a long command
   * has done so far; the last line without a newline comes when the command ends. Decoded as UTF-8, line by line.
   */
  onOutputLine?: (line: string) => void;
}

export interface RunResult {
  /** Exit status; a command killed by a signal reports 128 + the signal number, as a shell would. */
  code: number;
  /** Set when the remote process was killed by a signal and no shell turned that into an exit status. */
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface HostExecutorOptions {
  logger?: Logger;
  /** Default 60 s. */
  defaultTimeoutMs?: number;
  /** Default 16 MiB. */
  maxOutputBytes?: number;
  /**
   * How long after the timeout the client gives up on its own, for a host that stopped answering and so
   * cannot report the kill. Default 5 s.
   */
  graceMs?: number;
  /** Each command's outcome and duration, by host (/metrics). */
  metrics?: Metrics;
}

/** A channel that never opened: the command did not start, so running it again is safe. */
class NotStarted extends Error {
  /** sshd answered the channel open with a refusal, as it does when MaxSessions is reached. */
  readonly refused: boolean;

  constructor(
    readonly connectionLost: boolean,
    cause: unknown,
  ) {
    super('the command channel did not open', { cause });
    this.refused = typeof (cause as { reason?: unknown } | undefined)?.reason === 'number';
  }
}

// Waits before asking again for a channel sshd refused; its sessions free up as other commands end.
const refusedRetryDelaysMs = [25, 100, 400];

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs programs on hosts over the pooled SSH connections. A command is an argv array; the command line the
 * remote shell sees is built by quoteArgv only, so no argument is ever interpreted by that shell.
 *
 * The remote command runs under coreutils `timeout -s KILL`, because closing an SSH channel does not stop a
 * process that has no terminal; a client-side deadline covers a host that stops answering altogether.
 */
export class HostExecutor {
  private readonly logger: Logger;
  private readonly defaultTimeoutMs: number;
  private readonly maxOutputBytes: number;
  private readonly graceMs: number;
  private readonly metrics: Metrics;

  constructor(
    private readonly pool: SshPool,
    options: HostExecutorOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'ssh' });
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
    this.maxOutputBytes = options.maxOutputBytes ?? 16 * 1024 * 1024;
    this.graceMs = options.graceMs ?? 5_000;
    this.metrics = options.metrics ?? noMetrics;
  }

  /**
   * Runs `argv` on `host` and resolves with its exit status and output whatever the status is. Throws an
   * OpsError when the command cannot be run or finish: connection refused, connect or command timeout,
   * authentication failure, host key refused, command not found (exit 127), output too large, connection lost.
   */
  async run(host: SshHost, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    try {
      const result = await this.runOnce(host, argv, options);
      const outcome = result.code === 0 ? 'ok' : 'exit-nonzero';
      this.metrics.sshCommand(host.name, outcome, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const outcome = error instanceof OpsError ? outcomeOfCode(error.code, 'SSH_') : 'internal';
      this.metrics.sshCommand(host.name, outcome, (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async runOnce(host: SshHost, argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      const detail = `timeoutMs must be a positive number of milliseconds, not ${timeoutMs}.`;
      throw new OpsError('INVALID_ARGUMENT', { detail });
    }
    const command = remoteCommand(argv, Math.ceil(timeoutMs), options);
    const log = this.logger.child({ host: host.name, command: argv[0] });
    log.debug({ args: argv.length - 1 }, 'ssh run');
    // Retries only while the channel never opened, so the command cannot have started and cannot run twice:
    // once right away when the connection had just dropped (the pool reconnects), and a few times after a
    // pause when sshd refused the channel.
    let reconnected = false;
    for (let refusals = 0; ; ) {
      try {
        const result = await this.pool.withConnection(host, (ssh) =>
          this.exec(ssh, host, argv, command, timeoutMs, options),
        );
        log.debug({ code: result.code, durationMs: Math.round(result.durationMs) }, 'ssh done');
        return result;
      } catch (error) {
        if (error instanceof NotStarted && error.connectionLost && !reconnected) {
          reconnected = true;
          log.debug('ssh connection was gone before the command started; reconnecting');
          continue;
        }
        const delay = refusedRetryDelaysMs[refusals];
        if (error instanceof NotStarted && error.refused && !error.connectionLost && delay !== undefined) {
          refusals += 1;
          log.debug({ delay }, 'sshd refused a session channel; trying again');
          await sleep(delay, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
          continue;
        }
        const mapped = error instanceof NotStarted ? notStartedError(host, argv, error) : error;
        log.debug({ code: mapped instanceof OpsError ? mapped.code : 'INTERNAL' }, 'ssh run failed');
        throw mapped;
      }
    }
  }

  /** Like run, but a non-zero exit status throws SSH_EXIT with the last lines of stderr. */
  async runChecked(host: SshHost, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(host, argv, options);
    if (result.code !== 0) {
      const stderr = lastLines(result.stderr);
      throw new OpsError('SSH_EXIT', { host: host.name, command: displayCommand(argv), code: result.code, stderr });
    }
    return result;
  }

  private exec(
    ssh: NodeSSH,
    host: SshHost,
    argv: readonly string[],
    command: string,
    timeoutMs: number,
    options: RunOptions,
  ): Promise<RunResult> {
    const maxBytes = options.maxOutputBytes ?? this.maxOutputBytes;
    const { signal } = options;
    return new Promise<RunResult>((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let bytes = 0;
      let channel: ClientChannel | undefined;
      let settled = false;
      const started = performance.now();

      const settle = (action: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        action();
      };
      // Gives up without waiting for the host; closing the channel stops the output and frees the session.
      const abandon = (error: OpsError) =>
        settle(() => {
          channel?.close();
          reject(error);
        });
      const onAbort = () => abandon(abortError(host, argv, signal?.reason));
      const deadline = setTimeout(
        () => abandon(new OpsError('SSH_TIMEOUT', { host: host.name, ms: timeoutMs, phase: 'command' })),
        timeoutMs + this.graceMs,
      );
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });

      const lines = { stdout: new LineSplitter(options.onOutputLine), stderr: new LineSplitter(options.onOutputLine) };
      const collect = (into: Buffer[], splitter: LineSplitter) => (chunk: Buffer) => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > maxBytes) {
          const params = { host: host.name, command: displayCommand(argv), limit: maxBytes };
          abandon(new OpsError('SSH_OUTPUT_TOO_LARGE', params));
          return;
        }
        into.push(chunk);
        splitter.push(chunk);
      };

      ssh
        .execCommand(command, {
          // node-ssh trims output and decodes each chunk on its own, which splits multi-byte characters;
          // the Buffers collected here are decoded once, untrimmed.
          noTrim: true,
          onChannel: (opened) => {
            channel = opened;
            if (settled) opened.close();
          },
          onStdout: collect(stdout, lines.stdout),
          onStderr: collect(stderr, lines.stderr),
          ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        })
        .then(
          (response) =>
            settle(() => {
              lines.stdout.end();
              lines.stderr.end();
              const durationMs = performance.now() - started;
              const out = Buffer.concat(stdout).toString('utf8');
              const err = Buffer.concat(stderr).toString('utf8');
              const outcome = interpret(host, argv, timeoutMs, { ...response, stdout: out, stderr: err, durationMs });
              if (outcome instanceof OpsError) reject(outcome);
              else resolve(outcome);
            }),
          (error: unknown) => settle(() => reject(new NotStarted(!ssh.isConnected(), error))),
        );
    });
  }
}

/** Hands complete lines of a byte stream to a listener as they arrive; bytes of one character split across chunks are kept whole. */
class LineSplitter {
  private pending = Buffer.alloc(0);

  constructor(private readonly listener: ((line: string) => void) | undefined) {}

  push(chunk: Buffer): void {
    if (!this.listener) return;
    this.pending = Buffer.concat([this.pending, chunk]);
    for (let end = this.pending.indexOf(10); end >= 0; end = this.pending.indexOf(10)) {
      this.emit(this.pending.subarray(0, end));
      this.pending = this.pending.subarray(end + 1);
    }
  }

  end(): void {
    if (this.pending.length > 0) this.emit(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    try {
      this.listener?.(bytes.toString('utf8').replace(/\r$/, ''));
    } catch {
      // A listener's own failure must not cut the command's output short.
    }
  }
}

/**
 * `cd -- <dir> && timeout -s KILL <seconds> [env K=V…] argv…`, every word through quoteArgv. node-ssh's own
 * cwd option joins with `;`, which runs the command in $HOME when the directory is missing.
 */
function remoteCommand(argv: readonly string[], timeoutMs: number, options: RunOptions): string {
  // quoteArgv refuses an empty argv, but here it is only the tail of the timeout command line.
  if (argv.length === 0) {
    throw new OpsError('INVALID_ARGUMENT', { detail: 'A remote command needs at least a program name.' });
  }
  const envWords: string[] = [];
  const env = Object.entries(options.env ?? {});
  if (env.length > 0) {
    // env would take a program name containing '=' for one more assignment.
    if (argv[0]?.includes('=')) {
      throw new OpsError('INVALID_ARGUMENT', { detail: `The program name "${argv[0]}" contains "=".` });
    }
    envWords.push('env');
    for (const [name, value] of env) {
      if (!envName.test(name)) {
        throw new OpsError('INVALID_ARGUMENT', { detail: `"${name}" is not a valid environment variable name.` });
      }
      envWords.push(`${name}=${value}`);
    }
  }
  const seconds = (timeoutMs / 1000).toFixed(3);
  const run = quoteArgv(['timeout', '-s', 'KILL', seconds, ...envWords, ...argv]);
  return options.cwd === undefined ? run : `${quoteArgv(['cd', '--', options.cwd])} && ${run}`;
}

type Response = { code: number | null; signal: string | null; stdout: string; stderr: string; durationMs: number };

function interpret(
  host: SshHost,
  argv: readonly string[],
  timeoutMs: number,
  response: Response,
): RunResult | OpsError {
  const { signal, stdout, stderr, durationMs } = response;
  if (response.code === null && signal === null) {
    const detail = `the connection was lost while \`${displayCommand(argv)}\` ran; it may or may not have finished.`;
    return new OpsError('SSH_ERROR', { host: host.name, detail });
  }
  const code = response.code ?? 128 + (signalNumber(signal) ?? 0);
  // 137 is SIGKILL, what `timeout -s KILL` sends. The clock started before the remote one, so a remote
  // timeout always shows durationMs >= timeoutMs; a kill by someone else before that is not our timeout.
  if (code === 137 && durationMs >= timeoutMs) {
    return new OpsError('SSH_TIMEOUT', { host: host.name, ms: timeoutMs, phase: 'command' });
  }
  if (code === 127) {
    const missing = missingProgram(argv, stderr);
    if (missing !== undefined) return new OpsError('SSH_COMMAND_NOT_FOUND', { host: host.name, command: missing });
  }
  return { code, ...(signal === null ? {} : { signal }), stdout, stderr, durationMs };
}

/**
 * Exit 127 means "not found" only when stderr says so about one of the programs in the chain: the shell
 * (`sh: 1: x: not found`), timeout or env (`… 'x': No such file or directory`). The program's own name comes
 * first, so that a missing `timeout` is not blamed on it.
 */
function missingProgram(argv: readonly string[], stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((line) => /(not found|No such file or directory)\s*$/.test(line));
  for (const candidate of [argv[0], 'env', 'timeout']) {
    if (candidate !== undefined && lines.some((line) => line.includes(candidate))) return candidate;
  }
  return undefined;
}

function signalNumber(signal: string | null): number | undefined {
  if (signal === null) return undefined;
  return (constants.signals as Record<string, number | undefined>)[`SIG${signal}`];
}

function notStartedError(host: SshHost, argv: readonly string[], error: NotStarted): OpsError {
  const cause = error.cause;
  const reason = error.refused
    ? "the host refused another session channel; its sshd MaxSessions may be lower than the bot's channels per host"
    : redactSecrets(cause instanceof Error ? cause.message : String(cause));
  const detail = `could not start \`${displayCommand(argv)}\`: ${reason}.`;
  return new OpsError('SSH_ERROR', { host: host.name, detail }, { cause });
}

function abortError(host: SshHost, argv: readonly string[], reason: unknown): OpsError {
  if (reason instanceof OpsError) return reason;
  const detail = `\`${displayCommand(argv)}\` was cancelled.`;
  return new OpsError('SSH_ERROR', { host: host.name, detail }, { cause: reason });
}

/** For messages only, never for running: words that need no quoting stay bare, the rest are JSON strings. */
function displayCommand(argv: readonly string[]): string {
  const text = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
  return redactSecrets(text.length > 200 ? `${text.slice(0, 199)}…` : text);
}

/** The end of stderr, where the reason for a failure usually is. */
function lastLines(text: string, count = 5, max = 600): string {
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  if (lines.length === 0) return '(nothing on stderr)';
  const tail = lines.slice(-count).join('\n');
  return redactSecrets(tail.length > max ? `…${tail.slice(-(max - 1))}` : tail);
}

import { performance } from 'node:perf_hooks';
import { OpsError } from '../core/errors.js';

export type HostOutcome<H, T> =
  | { host: H; ok: true; value: T; durationMs: number }
  | { host: H; ok: false; error: OpsError; durationMs: number };

export interface ForEachHostProgress<H> {
  done: number;
  total: number;
  /** The host that just finished, and whether it succeeded. */
  host: H;
  ok: boolean;
}

export interface ForEachHostOptions<H> {
  /** Hosts worked on at once. */
  concurrency: number;
  /** Called as each host finishes, in completion order. */
  onProgress?: (progress: ForEachHostProgress<H>) => void;
  /**
   * A host that takes longer fails with SSH_TIMEOUT and its signal is aborted; the worker moves on to the
   * next host at once, so one slow host never holds up the rest.
   */
  perHostTimeoutMs?: number;
}

/**
 * Runs `fn` for every host with at most `concurrency` at once and returns one outcome per host, in input
 * order. It never rejects: a host's failure is its outcome. Errors that are not OpsErrors become INTERNAL (the
 * original is kept as cause), so that a bug never reads as a host problem.
 */
export async function forEachHost<H extends { name: string }, T>(
  hosts: readonly H[],
  fn: (host: H, signal: AbortSignal) => Promise<T>,
  options: ForEachHostOptions<H>,
): Promise<HostOutcome<H, T>[]> {
  const { concurrency, onProgress, perHostTimeoutMs } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const outcomes = new Array<HostOutcome<H, T>>(hosts.length);
  let next = 0;
  let done = 0;

  const one = async (host: H): Promise<HostOutcome<H, T>> => {
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn(host, controller.signal);
      const value =
        perHostTimeoutMs === undefined
          ? await work
          : await Promise.race([
              work,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const params = { host: host.name, ms: perHostTimeoutMs, phase: 'command' };
                  const error = new OpsError('SSH_TIMEOUT', params);
                  controller.abort(error);
                  reject(error);
                }, perHostTimeoutMs);
              }),
            ]);
      return { host, ok: true, value, durationMs: performance.now() - started };
    } catch (error) {
      return { host, ok: false, error: asOpsError(error), durationMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
    }
  };

  // A fixed set of workers pulling the next index: no queue and no promise per waiting host.
  const worker = async (): Promise<void> => {
    while (next < hosts.length) {
      const index = next++;
      const outcome = await one(hosts[index] as H);
      outcomes[index] = outcome;
      done += 1;
      try {
        onProgress?.({ done, total: hosts.length, host: outcome.host, ok: outcome.ok });
      } catch {
        // A progress report that fails (a chat message that could not be edited) must not abandon the hosts.
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, hosts.length) }, worker));
  return outcomes;
}

function asOpsError(error: unknown): OpsError {
  return error instanceof OpsError ? error : new OpsError('INTERNAL', {}, { cause: error });
}

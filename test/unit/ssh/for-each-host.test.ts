import { afterEach, describe, expect, test, vi } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { type ForEachHostProgress, forEachHost } from '../../../src/ssh/for-each-host.js';

const hosts = Array.from({ length: 12 }, (_, index) => ({ name: `h${index}` }));

/** A promise the test settles by hand, so that the order of completions is chosen, not timed. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every promise that can settle now settle; not a sleep. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('forEachHost', () => {
  test('keeps at most `concurrency` hosts in flight and returns outcomes in input order', async () => {
    const gates = new Map(hosts.map((host) => [host.name, deferred<string>()]));
    let inFlight = 0;
    let maxInFlight = 0;
    const started: string[] = [];
    const progress: ForEachHostProgress<{ name: string }>[] = [];
    const run = forEachHost(
      hosts,
      async (host) => {
        started.push(host.name);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return await (gates.get(host.name) as ReturnType<typeof deferred<string>>).promise;
        } finally {
          inFlight -= 1;
        }
      },
      { concurrency: 3, onProgress: (report) => progress.push(report) },
    );
    await turn();
    expect(started).toEqual(['h0', 'h1', 'h2']);
    // Always finish the host that started last, so that completions come out of input order.
    const finished = new Set<string>();
    while (finished.size < hosts.length) {
      const last = started.filter((name) => !finished.has(name)).at(-1) as string;
      finished.add(last);
      gates.get(last)?.resolve(`value of ${last}`);
      await turn();
    }
    const outcomes = await run;
    expect(maxInFlight).toBe(3);
    expect(outcomes.map((outcome) => outcome.host.name)).toEqual(hosts.map((host) => host.name));
    expect(outcomes.every((outcome) => outcome.ok && outcome.value === `value of ${outcome.host.name}`)).toBe(true);
    expect(progress.map((report) => report.done)).toEqual(hosts.map((_, index) => index + 1));
    expect(progress.every((report) => report.total === hosts.length && report.ok)).toBe(true);
  });

  test('a failing host fails alone; OpsErrors are kept and other errors become INTERNAL', async () => {
    const outcomes = await forEachHost(
      hosts.slice(0, 4),
      async (host) => {
        if (host.name === 'h1') {
          throw new OpsError('SSH_CONNECT_REFUSED', { host: 'h1', address: '10.0.0.1', port: 22 });
        }
        if (host.name === 'h2') throw new TypeError('a bug');
        return host.name.length;
      },
      { concurrency: 2 },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual([
      'ok',
      'SSH_CONNECT_REFUSED',
      'INTERNAL',
      'ok',
    ]);
    const internal = outcomes[2];
    expect(internal?.ok === false && internal.error.cause).toBeInstanceOf(TypeError);
  });

  test('given a host that never answers, it times out alone and the others still finish', async () => {
    vi.useFakeTimers();
    let signalOfStuckHost: AbortSignal | undefined;
    const run = forEachHost(
      hosts.slice(0, 5),
      (host, signal) => {
        if (host.name !== 'h0') return Promise.resolve(host.name);
        signalOfStuckHost = signal;
        return new Promise<string>(() => undefined);
      },
      { concurrency: 2, perHostTimeoutMs: 1_000 },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    const outcomes = await run;
    const stuck = outcomes[0];
    expect(stuck?.ok === false && stuck.error.code).toBe('SSH_TIMEOUT');
    expect(stuck?.ok === false && stuck.error.params).toMatchObject({ host: 'h0', ms: 1_000, phase: 'command' });
    expect(signalOfStuckHost?.aborted).toBe(true);
    expect(outcomes.slice(1).every((outcome) => outcome.ok)).toBe(true);
  });

  test('an empty host list is done at once, and a bad concurrency is refused', async () => {
    await expect(forEachHost([], async () => 1, { concurrency: 4 })).resolves.toEqual([]);
    await expect(forEachHost(hosts, async () => 1, { concurrency: 0 })).rejects.toThrow(RangeError);
  });
});

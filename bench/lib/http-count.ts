import diagnostics from 'node:diagnostics_channel';

/**
 * Counts the HTTP requests this process sends (global fetch, i.e. undici), by origin, through undici's own
 * diagnostics channel: nothing in the code under measurement is wrapped or replaced. A JSON-RPC batch is one request,
 * so this is the number of round trips.
 */
export class HttpRequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly listener = (message: unknown): void => {
    const origin = String((message as { request?: { origin?: unknown } }).request?.origin ?? '');
    this.counts.set(origin, (this.counts.get(origin) ?? 0) + 1);
  };

  constructor() {
    diagnostics.subscribe('undici:request:create', this.listener);
  }

  /** Requests to these origins (e.g. `http://127.0.0.1:PORT`), or to any origin. */
  count(origins?: readonly string[]): number {
    let total = 0;
    for (const [origin, n] of this.counts) if (!origins || origins.includes(origin)) total += n;
    return total;
  }

  reset(): void {
    this.counts.clear();
  }

  close(): void {
    diagnostics.unsubscribe('undici:request:create', this.listener);
  }
}

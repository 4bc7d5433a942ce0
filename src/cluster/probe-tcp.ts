import { connect } from 'node:net';

export type ProbeResult = { ok: true; ms: number } | { ok: false; error: string };

/**
 * A bare TCP connect, closed at once. This is how the sector counter is checked: any gRPC GetSectorID call would
 * consume a sector number and leave a permanent gap.
 */
export function probeTcp(address: string, timeoutMs = 3_000, now: () => number = Date.now): Promise<ProbeResult> {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(address);
  if (!match) return Promise.resolve({ ok: false, error: `not HOST:PORT: ${address}` });
  const started = now();
  return new Promise((resolve) => {
    const socket = connect({ host: match[1] as string, port: Number(match[2]) });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: `no answer within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ ok: true, ms: now() - started }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({
        ok: false,
        error:
          error.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : (error.code ?? error.message),
      }),
    );
  });
}

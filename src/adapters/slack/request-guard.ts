import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestGuardOptions {
  signingSecret: string;
  /** Milliseconds since the epoch; a test passes a fixed clock. */
  now?: () => number;
  /** How far a request's timestamp may be from now, either way. */
  windowSeconds?: number;
}

export type GuardVerdict =
  | { ok: true }
  | { ok: false; reason: 'unsigned' | 'stale' | 'future' | 'bad-signature' | 'replay' };

/**
 * Slack's request signing, checked before Bolt sees a request, with what Bolt's own check lacks: it refuses timestamps
 * too far in the future as well as too old, and a signature it has already accepted (a replayed request) while that
 * signature's timestamp is still inside the window. Only verified signatures are remembered, so forged requests cannot
 * fill the memory.
 */
export class RequestGuard {
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(private readonly options: RequestGuardOptions) {
    this.now = options.now ?? Date.now;
    this.windowMs = (options.windowSeconds ?? 300) * 1000;
  }

  check(headers: IncomingHttpHeaders, rawBody: Buffer): GuardVerdict {
    const timestamp = single(headers['x-slack-request-timestamp']);
    const signature = single(headers['x-slack-signature']);
    if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature))
      return { ok: false, reason: 'unsigned' };
    const now = this.now();
    const sentAt = Number(timestamp) * 1000;
    if (now - sentAt > this.windowMs) return { ok: false, reason: 'stale' };
    if (sentAt - now > this.windowMs) return { ok: false, reason: 'future' };
    const expected = Buffer.from(
      `v0=${createHmac('sha256', this.options.signingSecret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
    );
    if (!timingSafeEqual(expected, Buffer.from(signature))) return { ok: false, reason: 'bad-signature' };
    this.forgetExpired(now);
    if (this.seen.has(signature)) return { ok: false, reason: 'replay' };
    // After its timestamp leaves the window, the time check refuses the signature anyway.
    this.seen.set(signature, sentAt + this.windowMs);
    return { ok: true };
  }

  private forgetExpired(now: number): void {
    for (const [signature, until] of this.seen) if (until < now) this.seen.delete(signature);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Where accepted signatures are remembered until their window closes. The running bot keeps them in its store, so
 * that a restart (or a second instance) refuses a replay too; without one they are kept in memory.
 */
export interface ReplayMemory {
  /** True when the signature is new (and is now remembered until `until`); false for a replay. */
  remember(signature: string, until: number, now: number): Promise<boolean>;
}

export interface RequestGuardOptions {
  signingSecret: string;
  replays?: ReplayMemory;
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
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly replays: ReplayMemory;

  constructor(private readonly options: RequestGuardOptions) {
    this.now = options.now ?? Date.now;
    this.windowMs = (options.windowSeconds ?? 300) * 1000;
    this.replays = options.replays ?? new MemoryReplays();
  }

  async check(headers: IncomingHttpHeaders, rawBody: Buffer): Promise<GuardVerdict> {
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
    // After its timestamp leaves the window, the time check refuses the signature anyway.
    const fresh = await this.replays.remember(signature, sentAt + this.windowMs, now);
    return fresh ? { ok: true } : { ok: false, reason: 'replay' };
  }
}

/** Signatures in this process's memory: enough for tests and for a bot without a store. */
class MemoryReplays implements ReplayMemory {
  private readonly seen = new Map<string, number>();

  async remember(signature: string, until: number, now: number): Promise<boolean> {
    for (const [known, expires] of this.seen) if (expires < now) this.seen.delete(known);
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, until);
    return true;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

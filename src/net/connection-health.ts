import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { HealthProblem, HealthView, LinkState, PlatformHealth } from '../core/platform-health.js';

/** What an adapter tells the registry about its own platform. */
export interface HealthReporter {
  /** The link's state; logged when it changes. A problem given here is kept as the latest. */
  state(next: LinkState, problem?: { hop: string; detail: string }): void;
  /** A failed call while the link itself may be fine (a Web API timeout, a refused tunnel). */
  problem(hop: string, detail: string): void;
  links(open: number, kept: number): void;
  /** A span with no link open, in ms, once it has ended. */
  gap(ms: number): void;
  outbox(waiting: number, dropped: number): void;
}

const day = 24 * 60 * 60 * 1000;

interface Entry {
  kind?: 'webhook';
  state: LinkState;
  since: number;
  lost: number[];
  lastProblem?: HealthProblem;
  links?: { open: number; kept: number };
  gaps: Array<{ at: number; ms: number }>;
  outbox?: { waiting: number; drops: number[] };
}

const names: Record<string, string> = {
  slack: 'Slack',
  discord: 'Discord',
  wecom: 'WeCom robot',
  dingtalk: 'DingTalk robot',
  feishu: 'Feishu bot',
  pagerduty: 'PagerDuty service',
};

/** The platform's name as people write it: `Slack`, or `DingTalk robot ops-cn` for a webhook destination. */
export function platformName(platform: string): string {
  const [kind = '', destination] = platform.split(':', 2);
  if (destination !== undefined) return `${names[kind] ?? kind} ${destination}`;
  return names[platform] ?? platform;
}

/**
 * The connection health of every chat platform, written by the adapters and read by /health and the outage
 * announcements. Platform-neutral: it knows platforms only by name.
 */
export class ConnectionHealth implements HealthView {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(health: PlatformHealth) => void>();
  private readonly problemListeners = new Set<(platform: string, problem: HealthProblem) => void>();

  constructor(private readonly options: { clock: Clock; log: Logger }) {}

  /**
   * The reporter for one platform; the platform is listed from now on, as reconnecting until it says otherwise. A
   * webhook destination (`kind: 'webhook'`) starts connected: nothing is known against it until a delivery fails.
   */
  reporter(platform: string, options: { kind?: 'webhook' } = {}): HealthReporter {
    const known = this.entries.has(platform);
    const entry = this.entry(platform);
    if (options.kind === 'webhook') {
      entry.kind = 'webhook';
      if (!known) entry.state = 'connected';
    }
    return {
      state: (next, problem) => {
        const now = this.options.clock.now();
        if (problem) this.noteProblem(platform, entry, { at: now, ...problem });
        if (next === entry.state) return;
        const previous = entry.state;
        if (previous === 'connected') entry.lost.push(now);
        entry.state = next;
        entry.since = now;
        this.log(platform, previous, entry);
        this.changed(platform);
      },
      problem: (hop, detail) => this.noteProblem(platform, entry, { at: this.options.clock.now(), hop, detail }),
      links: (open, kept) => {
        entry.links = { open, kept };
      },
      gap: (ms) => {
        entry.gaps.push({ at: this.options.clock.now(), ms });
      },
      outbox: (waiting, dropped) => {
        const drops = entry.outbox?.drops ?? [];
        const now = this.options.clock.now();
        for (let i = drops.length; i < dropped; i++) drops.push(now);
        entry.outbox = { waiting, drops };
      },
    };
  }

  platforms(): PlatformHealth[] {
    return [...this.entries.keys()].map((platform) => this.snapshot(platform));
  }

  snapshot(platform: string): PlatformHealth {
    const entry = this.entry(platform);
    const cutoff = this.options.clock.now() - day;
    entry.lost = entry.lost.filter((at) => at > cutoff);
    entry.gaps = entry.gaps.filter((g) => g.at > cutoff || g === entry.gaps.at(-1));
    const recentGaps = entry.gaps.filter((g) => g.at > cutoff);
    const last = entry.gaps.at(-1);
    return {
      platform,
      ...(entry.kind ? { kind: entry.kind } : {}),
      state: entry.state,
      since: entry.since,
      reconnects24h: entry.lost.length,
      ...(entry.lastProblem ? { lastProblem: { ...entry.lastProblem } } : {}),
      ...(entry.links ? { links: { ...entry.links } } : {}),
      ...(last
        ? {
            gaps: {
              last: last.ms,
              longest24h: Math.max(0, ...recentGaps.map((g) => g.ms)),
              count24h: recentGaps.length,
            },
          }
        : {}),
      ...(entry.outbox
        ? {
            outbox: {
              waiting: entry.outbox.waiting,
              dropped24h: entry.outbox.drops.filter((at) => at > cutoff).length,
            },
          }
        : {}),
    };
  }

  /** Called with a platform's health after every state change. Returns the unsubscribe function. */
  onChange(listener: (health: PlatformHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with every problem an adapter reports (the latest is also in the snapshot). */
  onProblem(listener: (platform: string, problem: HealthProblem) => void): () => void {
    this.problemListeners.add(listener);
    return () => this.problemListeners.delete(listener);
  }

  private noteProblem(platform: string, entry: Entry, problem: HealthProblem): void {
    entry.lastProblem = problem;
    for (const listener of this.problemListeners) listener(platform, { ...problem });
  }

  private entry(platform: string): Entry {
    let entry = this.entries.get(platform);
    if (!entry) {
      entry = { state: 'reconnecting', since: this.options.clock.now(), lost: [], gaps: [] };
      this.entries.set(platform, entry);
    }
    return entry;
  }

  private changed(platform: string): void {
    const health = this.snapshot(platform);
    for (const listener of this.listeners) listener(health);
  }

  private log(platform: string, previous: LinkState, entry: Entry): void {
    const fields = {
      platform,
      state: entry.state,
      previous,
      ...(entry.lastProblem && entry.state !== 'connected'
        ? { hop: entry.lastProblem.hop, detail: entry.lastProblem.detail }
        : {}),
    };
    const message = `${platformName(platform)} link ${entry.state}`;
    if (entry.state === 'connected') this.options.log.info(fields, message);
    else this.options.log.warn(fields, message);
  }
}

import type { ExecutionOwner, InstanceRecord, LeaseRecord, Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import { explainable } from './store-failure.js';

/** The lease's name in the store: one leader for everything that must run once (Discord's gateway, jobs). */
export const leaderRole = 'leader';

/** /health's view of the instances sharing the store. */
export interface InstancesStatus {
  /** This process. */
  self: string;
  /** Whether several instances may share this store (PostgreSQL); with SQLite one instance always leads. */
  shared: boolean;
  leader: string | null;
  /** Until when the leader's lease runs, unless renewed. */
  leaderUntil: number | null;
  /** The instances whose heartbeat is recent, oldest first. */
  instances: InstanceRecord[];
  /** Whether the database answered just now. */
  database: { ok: boolean; detail: string };
  /** How long a dead leader's successor may take to lead. */
  takeoverMs: number;
}

export interface LeadershipChange {
  leading: boolean;
  /** The instance this one took over from, when it replaced another. */
  previous: string | null;
  reason: string;
}

export interface LeadershipOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  self: ExecutionOwner;
  /**
   * Several instances share the store (PostgreSQL): they compete for the lease. Otherwise (SQLite, one instance) this
   * process always leads and only its heartbeat is kept.
   */
  shared: boolean;
  /** The lease's length; it is renewed every third of it (default 15 s). */
  ttlMs?: number;
}

/**
 * Which instance leads: a lease row with an expiry in the store, renewed by its holder every third of its length.
 *
 * Why a lease row rather than `pg_try_advisory_lock` on a dedicated connection: a session lock lives as long as its
 * TCP connection, so a leader behind a network partition (or a connection the kernel keeps half-open) goes on holding
 * it for minutes, while it may itself have lost the database; a lease ends at a known time whatever happened to the
 * connection, the leader knows that time too (it steps down when it could not renew before it, so two instances never
 * both believe they lead), it works the same on SQLite, and tests drive it on a fake clock. The cost: instances'
 * clocks must agree to well under the lease (NTP), and a takeover takes up to ttl + ttl/3 (20 s by default) instead of
 * at once when a leader is killed.
 *
 * Work that must happen once is fenced by its own lease as well (jobs, executions), so a leader that stalls past its
 * lease cannot run a job twice: leadership only decides who tries.
 */
export class Leadership {
  private leadingUntil = 0;
  private isLeading: boolean;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly listeners: Array<(change: LeadershipChange) => void | Promise<void>> = [];
  private readonly afterListeners: Array<(change: LeadershipChange) => void | Promise<void>> = [];
  readonly ttlMs: number;

  constructor(private readonly options: LeadershipOptions) {
    this.ttlMs = options.ttlMs ?? 15_000;
    this.isLeading = !options.shared;
  }

  /** Whether this instance leads now: with a shared store, only while the lease it last renewed runs. */
  leading(): boolean {
    if (!this.options.shared) return true;
    return this.isLeading && this.options.clock.now() < this.leadingUntil;
  }

  /** The longest a dead leader's successor waits before it leads: the lease, plus one renewal interval. */
  get takeoverMs(): number {
    return this.ttlMs + this.renewEveryMs;
  }

  private get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.ttlMs / 3));
  }

  onChange(listener: (change: LeadershipChange) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /**
   * Runs after every `onChange` listener has handled a change: for saying what changed once it is made (the take-over
   * announcement is posted after Discord's gateway, started by a listener, can take it).
   */
  afterChange(listener: (change: LeadershipChange) => void | Promise<void>): void {
    this.afterListeners.push(listener);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.renewEveryMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops renewing and gives the lead up at once, so that another instance takes over without waiting. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.options.shared && this.isLeading) {
      this.isLeading = false;
      await this.options.store
        .releaseLeadership(leaderRole, this.options.self.id, this.options.clock.now())
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not give up the lead'));
    }
  }

  /** Renews this instance's heartbeat and its claim on the lead; resolves when any change was handled (tests). */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.renew().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async renew(): Promise<void> {
    const { store, clock, self, log } = this.options;
    const now = clock.now();
    try {
      await store.recordInstance({ ...self, lastSeen: now });
      if (!this.options.shared) return;
      const lease = await store.claimLeadership({ role: leaderRole, instance: self.id, now, ttlMs: this.ttlMs });
      const mine = lease.holder === self.id;
      if (mine) this.leadingUntil = lease.expiresAt;
      await this.become(mine, lease, mine ? 'won the lease' : `${lease.holder} holds the lease`);
    } catch (error) {
      const explained = explainable(error);
      log.warn(
        { err: explained, leading: this.isLeading },
        'could not renew the leadership lease (the database does not answer?)',
      );
      if (this.isLeading && now >= this.leadingUntil)
        await this.become(false, undefined, 'its lease ran out while the database could not be reached');
    }
  }

  private async become(leading: boolean, lease: LeaseRecord | undefined, reason: string): Promise<void> {
    if (leading === this.isLeading) return;
    this.isLeading = leading;
    const previous = leading && lease?.previous && lease.previous !== this.options.self.id ? lease.previous : null;
    if (leading) this.options.log.info({ previous, instance: this.options.self.id }, 'this instance now leads');
    else this.options.log.warn({ reason, instance: this.options.self.id }, 'this instance no longer leads');
    for (const listener of [...this.listeners, ...this.afterListeners]) {
      try {
        await listener({ leading, previous, reason });
      } catch (error) {
        this.options.log.error({ err: error }, 'a leadership change could not be handled');
      }
    }
  }

  /** /health's view: the instances, the leader and whether the database answers. */
  async status(): Promise<InstancesStatus> {
    const { store, clock, self } = this.options;
    const now = clock.now();
    let database: InstancesStatus['database'];
    try {
      database = await store.ping();
    } catch (error) {
      const explained = explainable(error);
      database = { ok: false, detail: explained instanceof Error ? explained.message : String(explained) };
    }
    let lease: LeaseRecord | undefined;
    let instances: InstanceRecord[] = [];
    if (database.ok) {
      [lease, instances] = await Promise.all([
        store.leadership(leaderRole).catch(() => undefined),
        store.listInstances(now - 3 * this.ttlMs).catch(() => []),
      ]);
    }
    const live = lease && lease.expiresAt > now ? lease : undefined;
    return {
      self: self.id,
      shared: this.options.shared,
      leader: this.options.shared ? (live?.holder ?? null) : self.id,
      leaderUntil: this.options.shared ? (live?.expiresAt ?? null) : null,
      instances,
      database,
      takeoverMs: this.takeoverMs,
    };
  }
}

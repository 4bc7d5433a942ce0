import type { ExecutionOwner, Store } from '../store/store.js';
import { approvalJobs } from './approval/approval-jobs.js';
import { approvalMessages } from './approval/approval-messages.js';
import type { ApprovalRule } from './approval/approval-policy.js';
import { ChannelPosters } from './channel-poster.js';
import type { Clock } from './clock.js';
import type { ChannelRef, CommandDefinition, DestructiveCommand } from './command.js';
import { type JobDefinition, JobRegistry } from './jobs/job-registry.js';
import { Leadership } from './leadership.js';
import type { Logger } from './logger.js';
import { chatUpdatesJob, type SubjectHandler } from './messages/chat-updates.js';
import { type Metrics, noMetrics } from './metrics.js';
import type { HealthView } from './platform-health.js';
import type { RbacRules } from './rbac.js';
import { block, type Reply } from './reply.js';
import { Runtime } from './runtime.js';

export interface KernelOptions<S> {
  commands: readonly CommandDefinition<S>[];
  store: Store;
  /** The domain services, or how to make them when first needed. */
  cluster: S | (() => Promise<S>);
  rbac: RbacRules & { approvals: Record<string, ApprovalRule>; channels: Record<string, readonly string[]> };
  log: Logger;
  clock: Clock;
  /** This process, as execution leases and job runs name it. */
  owner: ExecutionOwner;
  executionLeaseMs?: number;
  health?: HealthView;
  /** Where commands, approvals and job runs are counted (/metrics); nothing is counted without it. */
  metrics?: Metrics;
  /**
   * Several instances share the store (PostgreSQL): one leads (jobs here; Discord's gateway in `run`) through a lease,
   * and a take-over is announced in `announce`. Without it this process always leads.
   */
  leadership?: { shared: boolean; ttlMs?: number; announce?: readonly ChannelRef[] };
}

/** The runtime with its posters and background jobs: what every process builds, whatever its adapters. */
export interface Kernel<S> {
  runtime: Runtime<S>;
  posters: ChannelPosters;
  jobs: JobRegistry;
  /** Which instance leads; started with the background work. */
  leadership: Leadership;
  /** Adds a job of a feature (pledge schedules, alert checks); before `startBackgroundWork`. */
  addJob(job: JobDefinition): void;
  /** Adds how the messages about a feature's subjects follow the store (alerts); before `startBackgroundWork`. */
  addSubject(handler: SubjectHandler): void;
  /**
   * Says that something chat should show changed in the store (a feature's own write, such as an alert acked): in the
   * long-lived process the chat is brought in step at once; elsewhere the long-lived process sees it within seconds.
   */
  changed(): void;
  /**
   * Starts the jobs: only the long-lived process calls it (never `exec`), once its adapters are registered, so that
   * what the jobs post reaches them. From then on a change made in this process reaches the chat at once; a change
   * made by another process within the chat-updates job's interval. Tests pass `timer: false` and tick the jobs
   * themselves on a fake clock; changes still reach the chat at once.
   */
  startBackgroundWork(options?: { timer?: boolean }): void;
  /** Resolves once work handed off the answer's path is done: audit entries, chat updates asked for (tests). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export function createKernel<S>(options: KernelOptions<S>): Kernel<S> {
  const { store, clock, log } = options;
  const metrics = options.metrics ?? noMetrics;
  const posters = new ChannelPosters(log);
  const leadership = new Leadership({
    store,
    clock,
    log: log.child({ component: 'leadership' }),
    self: options.owner,
    shared: options.leadership?.shared ?? false,
    ...(options.leadership?.ttlMs === undefined ? {} : { ttlMs: options.leadership.ttlMs }),
  });
  const jobs = new JobRegistry({
    store,
    clock,
    log: log.child({ component: 'jobs' }),
    owner: options.owner.id,
    metrics,
    leads: () => leadership.leading(),
  });
  const announce = options.leadership?.announce ?? [];
  leadership.afterChange(async ({ leading, previous }) => {
    if (!leading || previous === null) return;
    // Said where outages are said: people should know the bot lost an instance, and which one speaks now.
    const reply: Reply = {
      title: 'Another bot instance took over',
      severity: 'warning',
      blocks: [
        block.text(
          `${options.owner.host} (process ${options.owner.pid}) now leads in place of ${previous}, which stopped renewing its lease (it stopped, or lost the database). Scheduled work and Discord run here now.`,
        ),
      ],
    };
    for (const channel of announce) await posters.post(channel, reply);
  });
  let background = false;
  const kicks = new Set<Promise<void>>();
  const changed = (): void => {
    if (!background) return;
    const run: Promise<void> = jobs
      .runSoon('chat-updates')
      .catch((error: unknown) => log.warn({ err: error }, 'could not update chat messages'))
      .finally(() => kicks.delete(run));
    kicks.add(run);
  };
  const leaseMs = options.executionLeaseMs ?? 60_000;
  const runtime = new Runtime<S>({
    commands: options.commands,
    store,
    cluster: options.cluster,
    rbac: options.rbac,
    posters,
    log,
    clock,
    owner: options.owner,
    executionLeaseMs: leaseMs,
    ...(options.health ? { health: options.health } : {}),
    jobs,
    instances: leadership,
    onChange: changed,
    metrics,
  });
  const leaf = (path: string) => runtime.leaves().find((l) => l.path === path)?.leaf;
  for (const job of approvalJobs({ store, clock, leaf, changed, leaseMs, metrics })) jobs.register(job);
  const handlers: SubjectHandler[] = [
    approvalMessages({
      store,
      posters,
      clock,
      describeProgress: (command, entries) =>
        (leaf(command) as DestructiveCommand<S> | undefined)?.describeProgress?.(entries) ?? [],
      describeCheckpoint: (command, checkpoint) =>
        (leaf(command) as DestructiveCommand<S> | undefined)?.describeCheckpoint?.(checkpoint),
    }),
  ];
  jobs.register(chatUpdatesJob({ store, clock, handlers }));
  return {
    runtime,
    posters,
    jobs,
    leadership,
    addJob: (job) => jobs.register(job),
    addSubject: (handler) => handlers.push(handler),
    changed,
    startBackgroundWork({ timer = true } = {}) {
      background = true;
      if (timer) {
        leadership.start();
        jobs.start();
      }
    },
    async settled() {
      do {
        await runtime.settled();
        await Promise.all([...kicks]);
      } while (kicks.size > 0);
    },
    async stop() {
      background = false;
      await jobs.stop();
      await leadership.stop();
      await Promise.all([...kicks]);
      await runtime.settled();
    },
  };
}

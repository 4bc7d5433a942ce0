import type { ChannelPosters } from '../../core/channel-poster.js';
import type { Clock } from '../../core/clock.js';
import type { JobDefinition } from '../../core/jobs/job-registry.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import type { ClusterServices } from '../cluster-services.js';

/** The kind of schedule /pledge every=… keeps in the store. */
export const PLEDGE_SCHEDULE = 'pledge';

export interface PledgeScheduleJobOptions {
  store: Store;
  cluster: () => Promise<ClusterServices>;
  posters: ChannelPosters;
  clock: Clock;
  log: Logger;
}

/**
 * The job that runs due rounds of pledge schedules (see pledge-scheduler.ts). The scheduler and the lotus clients it
 * needs are loaded by the first run, not when the bot starts.
 */
export function pledgeScheduleJob(options: PledgeScheduleJobOptions): JobDefinition {
  let scheduler: Promise<{ run(now: number): Promise<void> }> | undefined;
  return {
    name: 'pledge-schedules',
    description: 'Runs due rounds of /pledge every=… schedules',
    everyMs: 15_000,
    timeoutMs: 30 * 60_000,
    async run({ now }) {
      scheduler ??= import('./pledge-scheduler.js').then(({ PledgeScheduler }) => new PledgeScheduler(options));
      await (await scheduler).run(now);
      return undefined;
    },
  };
}

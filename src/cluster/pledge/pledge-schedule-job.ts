import type { JobDefinition } from '../../core/jobs/job-registry.js';
import type { PledgeScheduleOptions } from './pledge-schedule-kind.js';

/**
 * The job that runs due rounds of pledge schedules (see pledge-scheduler.ts). The scheduler and the lotus clients it
 * needs are loaded by the first run, not when the bot starts.
 */
export function pledgeScheduleJob(options: PledgeScheduleOptions): JobDefinition {
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

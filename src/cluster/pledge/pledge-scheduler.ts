import { formatDuration } from '../../core/duration.js';
import { isOpsError } from '../../core/errors.js';
import { block, type Reply } from '../../core/reply.js';
import type { ScheduleRecord } from '../../store/store.js';
import { executePledge } from './pledge-executor.js';
import { type PledgePlanData, planPledge } from './pledge-planner.js';
import { PLEDGE_SCHEDULE, type PledgeScheduleOptions } from './pledge-schedule-kind.js';

/**
 * Smooth dispatch run by the bot itself (the AutoPledgeDiff=1 way): one approval covers a schedule of rounds. Each
 * round plans again with every pre-check; a failing check pauses the schedule and says so in its channel, and the
 * next round that passes resumes it. `/pledge stop` ends it. Only the long-lived process (`run`, `demo`) runs it, as
 * the `pledge-schedules` job (pledge-schedule-job.ts).
 */
export class PledgeScheduler {
  constructor(private readonly options: PledgeScheduleOptions) {}

  /** Runs every due round; rounds of one pass run one after another (they share the sealing pipeline). */
  async run(now: number): Promise<void> {
    const due = await this.options.store.claimDueSchedules(PLEDGE_SCHEDULE, now);
    for (const schedule of due) await this.round(schedule);
  }

  private async round(schedule: ScheduleRecord): Promise<void> {
    const { store, clock } = this.options;
    const log = this.options.log.child({ schedule: schedule.id });
    const data = JSON.parse(schedule.dataJson) as PledgePlanData;
    const channel = { platform: schedule.channelPlatform, id: schedule.channelId };
    const by = `system:schedule-${schedule.id}`;
    try {
      const cluster = await this.options.cluster();
      const plan = await planPledge(cluster, {
        mode: data.mode,
        miner: data.miner,
        ...(data.mode === 'single' ? { count: data.sectors } : {}),
      });
      if (plan.blocked) {
        if (schedule.status === 'active') {
          await store.updateSchedule(schedule.id, { status: 'paused', reason: plan.blocked, by, now: clock.now() });
          await this.options.posters.post(channel, paused(schedule, plan.blocked));
        }
        return;
      }
      if (schedule.status === 'paused') {
        await store.updateSchedule(schedule.id, { status: 'active', reason: null, by, now: clock.now() });
        await this.options.posters.post(channel, {
          title: `Pledge schedule ${schedule.id} resumed`,
          severity: 'success',
          blocks: [block.text('Every pre-check passes again.')],
        });
      }
      const result = await executePledge(
        {
          cluster,
          log,
          progress: async () => undefined,
          journal: {
            append: (kind, entry) =>
              store.appendJournal({
                at: clock.now(),
                kind,
                principal: schedule.createdBy,
                approvalId: schedule.approvalId,
                data: { ...entry, schedule: schedule.id },
              }),
          },
        },
        plan.data,
      );
      await store.updateSchedule(schedule.id, { ranOnce: true, by, now: clock.now() });
      if (result.outcome === 'failed') {
        const reason = result.title;
        await store.updateSchedule(schedule.id, { status: 'paused', reason, by, now: clock.now() });
        await this.options.posters.post(channel, {
          ...result,
          title: `Pledge schedule ${schedule.id} paused: ${reason}`,
        });
      }
    } catch (error) {
      const reason = isOpsError(error) ? error.message : 'unexpected error (see the log)';
      if (!isOpsError(error)) log.error({ err: error }, 'pledge round failed');
      if (schedule.status === 'active') {
        await store.updateSchedule(schedule.id, { status: 'paused', reason, by, now: clock.now() });
        await this.options.posters.post(channel, paused(schedule, reason));
      }
    }
  }
}

function paused(schedule: ScheduleRecord, reason: string): Reply {
  return {
    title: `Pledge schedule ${schedule.id} paused`,
    severity: 'warning',
    blocks: [
      block.text(`A pre-check failed: ${reason}.`),
      block.text(
        `It tries again every ${formatDuration(schedule.intervalMs)} and resumes by itself when every check passes; /pledge stop ${schedule.id} ends it.`,
      ),
    ],
  };
}

import { formatDuration, relativeTime } from '../../core/duration.js';
import { isOpsError, OpsError } from '../../core/errors.js';
import { type Block, block, type Reply } from '../../core/reply.js';
import type { OpsContext } from '../ops-context.js';
import { PLEDGE_JOURNAL } from './pledge-executor.js';
import type { PledgePlanData } from './pledge-planner.js';
import { PLEDGE_SCHEDULE } from './pledge-schedule-kind.js';

/** `/pledge status`: the sectors the bot pledged recently and the state each is in now. */
export async function pledgeStatus(ctx: OpsContext, limit: number): Promise<Reply> {
  const entries = await ctx.journal.recent(PLEDGE_JOURNAL, limit);
  const schedules = await schedulesBlocks(ctx);
  if (entries.length === 0) return { title: 'No pledges by the bot yet', severity: 'info', blocks: schedules };
  const rows: string[][] = [];
  const byMiner = new Map<string, Array<{ sector: number; at: number; approvalId: string | null }>>();
  for (const entry of entries) {
    const miner = String(entry.data.miner);
    const sectors = Array.isArray(entry.data.sectors) ? (entry.data.sectors as number[]) : [];
    const list = byMiner.get(miner) ?? [];
    for (const sector of sectors) list.push({ sector, at: entry.at, approvalId: entry.approvalId });
    byMiner.set(miner, list);
  }
  const unreachable: string[] = [];
  for (const [miner, sectors] of byMiner) {
    let states: Array<{ state: string; lastErr: string }>;
    try {
      // One batch per miner: a status check of 50 sectors is one round trip.
      const api = ctx.cluster.miner(miner);
      const results = await api.rpc.batch(sectors.map((s) => api.request('SectorsStatus', [s.sector, false])));
      states = results.map((r) =>
        r.ok ? { state: r.value.State, lastErr: r.value.LastErr } : { state: 'unknown', lastErr: r.error.message },
      );
    } catch (error) {
      unreachable.push(`${miner}: ${isOpsError(error) ? error.message : 'unexpected error'}`);
      states = sectors.map(() => ({ state: 'unknown', lastErr: '' }));
    }
    sectors.forEach((s, i) => {
      const st = states[i] as { state: string; lastErr: string };
      rows.push([
        String(s.sector),
        miner,
        st.state,
        relativeTime(s.at, ctx.clock.now()),
        s.approvalId ?? '',
        st.lastErr.split('\n')[0] ?? '',
      ]);
    });
  }
  const failed = rows.filter((r) => /Failed|FailedUnrecoverable/.test(r[2] ?? '')).length;
  return {
    title: `Sectors pledged by the bot (${rows.length})`,
    severity: failed > 0 || unreachable.length > 0 ? 'warning' : 'info',
    blocks: [
      block.table(['sector', 'miner', 'state now', 'pledged', 'request', 'last error'], rows),
      ...(failed > 0 ? [block.notice('warning', `${failed} sector(s) in a failed state.`)] : []),
      ...unreachable.map((u) => block.notice('warning', u)),
      ...schedules,
    ],
  };
}

async function schedulesBlocks(ctx: OpsContext): Promise<Block[]> {
  const schedules = await ctx.schedules.list(PLEDGE_SCHEDULE);
  if (schedules.length === 0) return [];
  return [
    block.table(
      ['schedule', 'miner', 'per round', 'every', 'status', 'rounds', 'next round', 'started by'],
      schedules.map((s) => {
        const data = s.data as PledgePlanData;
        return [
          s.id,
          data.miner,
          `${data.sectors} (${data.mode})`,
          formatDuration(s.intervalMs),
          s.status === 'paused' ? `paused: ${s.statusReason ?? ''}` : s.status,
          String(s.runs),
          relativeTime(s.nextRunAt, ctx.clock.now()),
          s.createdBy,
        ];
      }),
      'Pledge schedules',
    ),
  ];
}

/** `/pledge stop [id]`: ends one schedule; without an id, the only one running. */
export async function stopSchedules(ctx: OpsContext, id: string | undefined): Promise<Reply> {
  const running = await ctx.schedules.list(PLEDGE_SCHEDULE);
  if (id === undefined && running.length !== 1) {
    return {
      title: running.length === 0 ? 'No pledge schedule is running' : 'Several pledge schedules are running: say which',
      severity: running.length === 0 ? 'info' : 'warning',
      outcome: running.length === 0 ? 'ok' : 'usage',
      blocks:
        running.length === 0
          ? []
          : [
              block.list(
                running.map(
                  (s) =>
                    `${s.id}: ${(s.data as PledgePlanData).sectors} sector(s) every ${formatDuration(s.intervalMs)}, /pledge stop ${s.id}`,
                ),
              ),
            ],
    };
  }
  const target = id ?? (running[0] as { id: string }).id;
  const stopped = await ctx.schedules.stop(target);
  if (!stopped)
    throw new OpsError('INVALID_ARGUMENT', {
      detail: `No pledge schedule ${target.toUpperCase()}; /pledge status lists them.`,
    });
  return {
    title: `Pledge schedule ${stopped.id} stopped`,
    severity: 'success',
    blocks: [block.text(`It ran ${stopped.runs} round(s). Sectors already started keep sealing.`)],
  };
}

import { relativeTime } from '../core/duration.js';
import { type Block, block, type Reply, type Severity } from '../core/reply.js';
import {
  type DeadlineRow,
  type DeadlinesReport,
  type EarlierFaults,
  utcClock,
  utcDateTime,
  verdicts,
} from './deadlines-report.js';

const rank: Record<Severity, number> = { success: 0, info: 1, warning: 2, error: 3 };

/** `/deadlines`: the verdicts first, then `proving info`'s header, then `proving deadlines`' table. */
export function deadlinesReply(
  report: DeadlinesReport,
  options: { all: boolean; deadline?: number; earlier?: EarlierFaults },
): Reply {
  const found = verdicts(report, options.earlier);
  const severity = found.reduce<Severity>(
    (worst, v) => (rank[v.severity] > rank[worst] ? v.severity : worst),
    'success',
  );
  const blocks: Block[] = [
    // Problems first; the rest keeps its natural order (the open deadline, then what comes next).
    ...[...found.filter((v) => rank[v.severity] >= 2), ...found.filter((v) => rank[v.severity] < 2)]
      .sort((a, b) => Math.min(rank[b.severity], 2) - Math.min(rank[a.severity], 2))
      .map((v) => block.notice(v.severity, v.text)),
    block.fields(header(report)),
  ];
  if (options.deadline !== undefined) {
    blocks.push(...partitionsBlocks(report, report.rows[options.deadline] as DeadlineRow));
  } else {
    blocks.push(...deadlinesTable(report, options.all));
  }
  return { title: `WindowPoSt deadlines of ${report.actor} at epoch ${report.epoch}`, severity, blocks };
}

function header(report: DeadlinesReport): Array<{ label: string; value: string }> {
  const { info, chainTime, now, totals, current } = report;
  const at = (epoch: number) =>
    `${epoch} (${utcDateTime(chainTime.epochToMs(epoch))}, ${relativeTime(chainTime.epochToMs(epoch), now)})`;
  // `proving info` prints an integer percentage: faults·100/live.
  const faultPercent = totals.live === 0 ? 0 : Math.floor((totals.faults * 100) / totals.live);
  return [
    { label: 'Miner', value: report.actor },
    { label: 'Current epoch', value: `${info.CurrentEpoch} (${utcDateTime(chainTime.epochToMs(info.CurrentEpoch))})` },
    { label: 'Proving period boundary', value: String(info.PeriodStart % info.WPoStProvingPeriod) },
    { label: 'Proving period start', value: at(info.PeriodStart) },
    { label: 'Next period start', value: at(info.PeriodStart + info.WPoStProvingPeriod) },
    { label: 'Sectors', value: `${totals.live} live, ${totals.active} active` },
    { label: 'Faults', value: `${totals.faults} (${faultPercent}%)` },
    { label: 'Recovering', value: String(totals.recoveries) },
    {
      label: 'Deadline index',
      value: `${info.Index} (${current.liveSectors} sectors in ${current.activePartitions} partitions)`,
    },
    { label: 'Deadline open', value: at(info.Open) },
    { label: 'Deadline close', value: at(info.Close) },
    { label: 'Deadline challenge', value: at(info.Challenge) },
    { label: 'Deadline fault cutoff', value: at(info.FaultCutoff) },
  ];
}

function deadlinesTable(report: DeadlinesReport, all: boolean): Block[] {
  const { chainTime, now } = report;
  // The CLI shows today's (possibly past) opening time; operators want the next one.
  const shown = report.rows.filter((r) => all || r.allSectors > 0 || r.state === 'open');
  const rows = shown.map((r) => [
    r.state === 'open' ? `${r.index} (current)` : String(r.index),
    utcClock(chainTime.epochToMs(r.next.open)),
    relativeTime(chainTime.epochToMs(r.next.open), now),
    String(all ? r.partitions.length : r.activePartitions),
    String(all ? r.allSectors : r.liveSectors),
    String(r.faults),
    String(r.recoveries),
    r.provenPartitions === undefined ? '' : `${r.provenPartitions}/${r.partitions.filter((p) => p.toProve > 0).length}`,
  ]);
  const folded = report.rows.length - shown.length;
  return [
    block.table(
      [
        'deadline',
        'next open',
        '',
        { header: 'partitions', align: 'right' },
        { header: all ? 'all sectors' : 'live sectors', align: 'right' },
        { header: 'faults', align: 'right' },
        { header: 'recovering', align: 'right' },
        { header: 'proven', align: 'right' },
      ],
      rows,
    ),
    ...(folded > 0
      ? [block.text(`${folded} deadline(s) without sectors not shown; add "all" to see every deadline.`)]
      : []),
  ];
}

function partitionsBlocks(report: DeadlinesReport, row: DeadlineRow): Block[] {
  const { chainTime, now } = report;
  const open = chainTime.epochToMs(row.next.open);
  const state = row.state === 'open' ? 'open now' : `opens ${utcDateTime(open)} (${relativeTime(open, now)})`;
  if (row.partitions.length === 0) return [block.text(`Deadline ${row.index} (${state}) has no partitions.`)];
  return [
    block.table(
      [
        'partition',
        { header: 'all', align: 'right' },
        { header: 'live', align: 'right' },
        { header: 'active', align: 'right' },
        { header: 'faulty', align: 'right' },
        { header: 'recovering', align: 'right' },
        ...(row.state === 'open' ? ['proven'] : []),
      ],
      row.partitions.map((p) => [
        String(p.index),
        String(p.all),
        String(p.live),
        String(p.active),
        String(p.faulty),
        String(p.recovering),
        ...(row.state === 'open' ? [p.toProve === 0 ? 'nothing to prove' : p.proven ? 'yes' : 'no'] : []),
      ]),
      `Deadline ${row.index}, ${state}; fault cutoff ${utcClock(chainTime.epochToMs(row.next.faultCutoff))}`,
    ),
  ];
}

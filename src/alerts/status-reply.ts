import { type Block, block, type Reply } from '../core/reply.js';
import type { ClusterStatus } from './alert-desk.js';
import { type StatusLine, statusGroups } from './checks/check.js';

/**
 * /status: one verdict line for the whole cluster, then every line grouped by the part of the cluster it is about,
 * problems first inside each group. Checks that had not finished in time are named: what they watch is unknown now.
 */
export function statusReply(status: ClusterStatus): Reply {
  const { lines } = status;
  const fail = lines.filter((l) => l.status === 'fail').length;
  const warn = lines.filter((l) => l.status === 'warn').length;
  const verdict =
    fail > 0
      ? `${fail} critical${warn > 0 ? `, ${warn} warning(s)` : ''}`
      : warn > 0
        ? `${warn} warning(s), nothing critical`
        : status.late.length > 0
          ? 'nothing wrong seen, but not everything was seen'
          : 'healthy';
  const blocks: Block[] = [
    block.text(
      `Cluster: ${verdict} (${lines.filter((l) => l.status === 'pass').length} of ${lines.length} lines pass, checked in ${(status.durationMs / 1000).toFixed(1)} s)`,
    ),
  ];
  if (status.late.length > 0)
    blocks.push(
      block.notice(
        'warning',
        `Did not finish in time: ${status.late.join(', ')}. What they watch is unknown right now.`,
      ),
    );
  const order: Record<StatusLine['status'], number> = { fail: 0, warn: 1, pass: 2, info: 3 };
  for (const group of statusGroups) {
    const inGroup = lines.filter((l) => l.group === group).sort((a, b) => order[a.status] - order[b.status]);
    if (inGroup.length === 0) continue;
    blocks.push(
      block.text(`*${group}*`),
      block.checks(inGroup.map(({ status, label, detail }) => ({ status, label, detail }))),
    );
  }
  if (status.off.length > 0) blocks.push(block.text(`Turned off in the configuration: ${status.off.join(', ')}.`));
  return {
    title: `Cluster status: ${verdict}`,
    severity: fail > 0 ? 'error' : warn > 0 || status.late.length > 0 ? 'warning' : 'success',
    blocks,
  };
}

/** The progress line while checks run: how many are done, which are still waiting, anything bad seen so far. */
export function statusProgress(done: number, pending: readonly string[], soFar: readonly StatusLine[]): string {
  const bad = soFar.filter((l) => l.status === 'fail').length;
  return `${done} of ${done + pending.length} checks done${bad > 0 ? ` (${bad} critical so far)` : ''}; pending: ${pending.join(', ')}`;
}

import { formatDuration, relativeTime } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import { type Block, block, type Reply } from '../core/reply.js';
import type { AlertRecord } from '../store/store.js';
import type { AlertDesk } from './alert-desk.js';

const LIST_LIMIT = 100;
const RESOLVED_SHOWN_MS = 24 * 3_600_000;
const severityMark: Record<AlertRecord['severity'], string> = { critical: 'CRIT', warning: 'WARN', info: 'INFO' };

export async function alertsListReply(desk: AlertDesk, now: number, all: boolean): Promise<Reply> {
  const firing = await desk.list({ status: 'firing', limit: LIST_LIMIT });
  const resolved = all
    ? (await desk.list({ status: 'resolved', limit: LIST_LIMIT })).filter(
        (a) => (a.resolvedAt ?? 0) >= now - RESOLVED_SHOWN_MS,
      )
    : [];
  const silences = await desk.silences();
  const blocks: Block[] = [];
  if (!desk.engineEnabled)
    blocks.push(
      block.notice(
        'warning',
        'The alert engine is off (alerts.enabled: false): no check runs on its own. /status runs them now.',
      ),
    );
  if (firing.length === 0) blocks.push(block.text('Nothing fires.'));
  else
    blocks.push(
      block.table(
        ['Alert', 'Level', { header: 'Age', align: 'right' }, 'What', 'Acked / silenced'],
        firing.map((a) => [
          a.id,
          severityMark[a.severity],
          formatDuration(now - a.firstSeen),
          a.summary,
          handling(a, now),
        ]),
        firing.length === LIST_LIMIT ? `the first ${LIST_LIMIT}` : undefined,
      ),
    );
  if (resolved.length > 0)
    blocks.push(
      block.text('Resolved in the last 24 h:'),
      block.table(
        ['Alert', 'Resolved', 'What'],
        resolved.map((a) => [a.id, relativeTime(a.resolvedAt ?? now, now), a.summary]),
      ),
    );
  if (silences.length > 0)
    blocks.push(
      block.text('Checks silenced:'),
      block.list(
        silences.map(
          (s) =>
            `${s.matcher.replace(/^check:/, '')} until ${new Date(s.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC by ${s.createdBy}${s.reason ? `: ${s.reason}` : ''}`,
        ),
      ),
    );
  const critical = firing.filter((a) => a.severity === 'critical').length;
  return {
    title:
      firing.length === 0
        ? 'Alerts: nothing fires'
        : `Alerts: ${firing.length} firing${critical > 0 ? `, ${critical} critical` : ''}`,
    severity: critical > 0 ? 'error' : firing.length > 0 ? 'warning' : 'success',
    blocks,
  };
}

function handling(alert: AlertRecord, now: number): string {
  const parts: string[] = [];
  if (alert.ackedBy) parts.push(`acked by ${alert.ackedBy}`);
  if (alert.silencedUntil !== null && alert.silencedUntil > now)
    parts.push(`silenced ${formatDuration(alert.silencedUntil - now)} more`);
  if (alert.groupId) parts.push(`under ${alert.groupId}`);
  return parts.join('; ') || '-';
}

export async function ackAlert(desk: AlertDesk, id: string, by: string): Promise<Reply> {
  const alert = await firingAlert(desk, id, 'ack');
  const acked = (await desk.ack(alert.id, by)) ?? alert;
  return {
    title: `Acked ${acked.id}`,
    severity: 'success',
    blocks: [block.text(`${acked.summary}\nNo more re-notices until it changes; it still resolves on its own.`)],
  };
}

export async function silenceTarget(
  desk: AlertDesk,
  target: string,
  change: { until: number; by: string; reason: string | null },
): Promise<Reply> {
  const until = `until ${new Date(change.until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (/^a\d+$/i.test(target)) {
    const alert = await firingAlert(desk, target, 'silence');
    await desk.silence(alert.id, change);
    const upstream = await desk.silenceUpstream(alert, change);
    return {
      title: `Silenced ${alert.id} ${until}`,
      severity: upstream && 'failed' in upstream ? 'warning' : 'success',
      blocks: [
        block.text(`${alert.summary}\nIt is still watched and resolves on its own; nobody is told about it meanwhile.`),
        ...(upstream === undefined
          ? []
          : 'created' in upstream
            ? [block.text(`Silenced in Alertmanager too (silence ${upstream.created}), until the same time.`)]
            : [block.notice('warning', `Not silenced in Alertmanager: ${upstream.failed}`)]),
      ],
    };
  }
  const check = checkName(desk, target);
  await desk.silenceCheck(check, change);
  return {
    title: `Silenced the ${check} check ${until}`,
    severity: 'success',
    blocks: [
      block.text(
        `Its alerts are still kept, and /status still shows it; new ones are told once the silence ends.${change.reason ? `\nReason: ${change.reason}` : ''}`,
      ),
    ],
  };
}

export async function unsilenceTarget(desk: AlertDesk, target: string, by: string): Promise<Reply> {
  if (/^a\d+$/i.test(target)) {
    const alert = await knownAlert(desk, target);
    await desk.unsilence(alert.id, by);
    const upstream = await desk.unsilenceUpstream(alert, by);
    return {
      title: `Unsilenced ${alert.id}`,
      severity: upstream && 'failed' in upstream ? 'warning' : 'success',
      blocks: [
        block.text(alert.summary),
        ...(upstream === undefined
          ? []
          : 'ended' in upstream
            ? [block.text(`Its silence in Alertmanager (${upstream.ended}) is ended too.`)]
            : [block.notice('warning', `Its silence in Alertmanager is still on: ${upstream.failed}`)]),
      ],
    };
  }
  const check = checkName(desk, target);
  const ended = await desk.unsilenceCheck(check, by);
  return {
    title: ended > 0 ? `Unsilenced the ${check} check` : `The ${check} check was not silenced`,
    severity: ended > 0 ? 'success' : 'info',
    blocks: [],
  };
}

async function knownAlert(desk: AlertDesk, id: string): Promise<AlertRecord> {
  const alert = await desk.get(id);
  if (!alert) throw new OpsError('ALERT_UNKNOWN', { id: id.toUpperCase(), checks: desk.checkNames.join(', ') });
  return alert;
}

async function firingAlert(desk: AlertDesk, id: string, what: string): Promise<AlertRecord> {
  const alert = await knownAlert(desk, id);
  if (alert.status !== 'firing') throw new OpsError('ALERT_RESOLVED', { id: alert.id, what });
  return alert;
}

function checkName(desk: AlertDesk, target: string): string {
  const name = target.toLowerCase();
  if (!desk.checkNames.includes(name))
    throw new OpsError('ALERT_UNKNOWN', { id: target, checks: desk.checkNames.join(', ') });
  return name;
}

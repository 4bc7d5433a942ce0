import { formatDuration, relativeTime } from '../core/duration.js';
import { action, type Block, block, type Reply, type Severity } from '../core/reply.js';
import type { AlertRecord } from '../store/store.js';
import { STORM_CHECK } from './reconcile.js';

const severityLook: Record<AlertRecord['severity'], Severity> = { critical: 'error', warning: 'warning', info: 'info' };
const label: Record<AlertRecord['severity'], string> = { critical: 'CRITICAL', warning: 'Warning', info: 'Info' };
/** Members listed under a storm or an outage; the rest are counted. */
const MEMBERS_SHOWN = 15;

export function alertSubject(id: string): string {
  return `alert:${id}`;
}

/**
 * An alert's one message, as it stands now: what is wrong, since when, who acked or silenced it, and (for a storm
 * or an outage) what it stands for. Firing alerts carry Ack and Silence buttons: command lines, so the clicking
 * person's role is checked like a typed /alerts command.
 */
export function alertView(alert: AlertRecord, now: number, members: readonly AlertRecord[] = []): Reply {
  const firing = alert.status === 'firing';
  const status = firing
    ? `Firing since ${new Date(alert.firstSeen).toISOString().slice(0, 16).replace('T', ' ')} UTC (${relativeTime(alert.firstSeen, now)})`
    : `Resolved after ${formatDuration((alert.resolvedAt ?? now) - alert.firstSeen)}`;
  const fields = [
    { label: 'Status', value: status },
    { label: 'Check', value: alert.check === STORM_CHECK ? 'several' : alert.check },
    ...(alert.actor ? [{ label: 'Miner', value: alert.actor }] : []),
    ...(alert.ackedBy
      ? [{ label: 'Acked', value: `by ${alert.ackedBy} ${relativeTime(alert.ackedAt ?? now, now)}` }]
      : []),
    ...(alert.silencedUntil !== null && alert.silencedUntil > now
      ? [
          {
            label: 'Silenced',
            value: `until ${new Date(alert.silencedUntil).toISOString().slice(11, 16)} UTC by ${alert.silencedBy ?? '?'}${alert.silenceReason ? `: ${alert.silenceReason}` : ''}`,
          },
        ]
      : []),
    ...(alert.flaps > 0 ? [{ label: 'Came back', value: `${alert.flaps} time(s) after resolving` }] : []),
  ];
  const blocks: Block[] = [block.fields(fields)];
  if (alert.detail) blocks.push(block.text(alert.detail));
  if (members.length > 0) blocks.push(...memberBlocks(members));
  return {
    title: `${firing ? label[alert.severity] : 'Resolved'} ${alert.id}: ${alert.summary}`,
    severity: firing ? severityLook[alert.severity] : 'success',
    blocks,
    subject: alertSubject(alert.id),
    ...(firing
      ? {
          actions: [
            ...(alert.ackedBy ? [] : [action('Ack', `/alerts ack ${alert.id}`, { style: 'primary' })]),
            action('Silence 1h', `/alerts silence ${alert.id} for=1h`),
            action('Silence 24h', `/alerts silence ${alert.id} for=24h`),
          ],
        }
      : {}),
  };
}

function memberBlocks(members: readonly AlertRecord[]): Block[] {
  const firing = members.filter((m) => m.status === 'firing');
  const lines = firing.slice(0, MEMBERS_SHOWN).map((m) => `${m.id} ${label[m.severity]}: ${m.summary}`);
  if (firing.length > MEMBERS_SHOWN) lines.push(`and ${firing.length - MEMBERS_SHOWN} more (/alerts lists them all)`);
  const resolved = members.length - firing.length;
  return [
    block.text(
      `${firing.length} alert(s) under this one${resolved > 0 ? `, ${resolved} resolved` : ''}; each resolves on its own:`,
    ),
    ...(lines.length > 0 ? [block.list(lines)] : []),
  ];
}

/** A line in the alert's thread: its history, as it happens. */
export function threadNote(title: string, text: string, severity: Severity, mentions: string[] = []): Reply {
  return { title, severity, blocks: [block.text(text)], ...(mentions.length > 0 ? { mentions } : {}) };
}

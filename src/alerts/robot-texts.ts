import { formatDuration } from '../core/duration.js';
import { block, type Reply, type Severity } from '../core/reply.js';
import type { AlertRecord } from '../store/store.js';
import { STORM_CHECK } from './reconcile.js';

/** The languages of robot texts (`language:` on a route or a robot). Chat replies stay English. */
export type RobotLanguage = 'en' | 'zh';

/**
 * Every text the bot sends to group robots (WeCom, DingTalk, Feishu), in English and Chinese, kept here together so
 * that a translation is never missing or out of step. A check's own summary and detail (the figures, the hosts) are
 * sent as the check wrote them; the words around them are translated. Robots have no buttons and cannot be edited:
 * the first message says how to ack from chat, and each change is a short follow-up that quotes the alert's id.
 */
const texts = {
  en: {
    severity: { critical: 'CRITICAL', warning: 'Warning', info: 'Info' },
    resolvedLabel: 'Resolved',
    firingSince: (at: string) => `Firing since ${at} UTC`,
    check: 'Check',
    several: 'several',
    miner: 'Miner',
    under: (n: number) => `${n} alert(s) under this one; each resolves on its own:`,
    more: (n: number) => `and ${n} more (/alerts lists them all)`,
    howToAck: (id: string) => `Ack or silence it in chat: /alerts ack ${id}`,
    changed: (id: string, to: string) => `${id} is now ${to}`,
    renotified: (id: string, after: string) => `${id} still firing after ${after}; nobody has acked it`,
    resolved: (id: string, after: string) => `${id} resolved after ${after}`,
    refired: (id: string, times: number) => `${id} is back (${times} time(s) within the flap window)`,
    acked: (id: string, by: string) => `${id} acked by ${by}`,
    silenced: (id: string, by: string, until: string) => `${id} silenced by ${by}${until ? ` until ${until} UTC` : ''}`,
    unsilenced: (id: string, by: string) => `${id} unsilenced by ${by}`,
    heldBack: (n: number) => `${n} alert message(s) were not sent here: more than this robot's rate limit allows`,
    heldBackDetail: '/alerts in chat lists every alert.',
  },
  zh: {
    severity: { critical: '严重', warning: '警告', info: '提示' },
    resolvedLabel: '已恢复',
    firingSince: (at: string) => `触发于 ${at} UTC`,
    check: '检查项',
    several: '多项',
    miner: '矿工',
    under: (n: number) => `其下有 ${n} 条告警，各自独立恢复：`,
    more: (n: number) => `另有 ${n} 条（/alerts 可列出全部）`,
    howToAck: (id: string) => `请在聊天中确认或静默：/alerts ack ${id}`,
    changed: (id: string, to: string) => `${id} 级别变为${to}`,
    renotified: (id: string, after: string) => `${id} 已持续 ${after}，仍无人确认`,
    resolved: (id: string, after: string) => `${id} 已恢复，持续 ${after}`,
    refired: (id: string, times: number) => `${id} 再次触发（抖动窗口内第 ${times} 次）`,
    acked: (id: string, by: string) => `${id} 已由 ${by} 确认`,
    silenced: (id: string, by: string, until: string) => `${id} 已由 ${by} 静默${until ? `至 ${until} UTC` : ''}`,
    unsilenced: (id: string, by: string) => `${id} 已由 ${by} 取消静默`,
    heldBack: (n: number) => `有 ${n} 条告警消息未发送到此群：超出了机器人的频率限制`,
    heldBackDetail: '在聊天中使用 /alerts 可查看全部告警。',
  },
} as const;

const look: Record<AlertRecord['severity'], Severity> = { critical: 'error', warning: 'warning', info: 'info' };
const MEMBERS_SHOWN = 10;

function utc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The alert's first message to a robot: what is wrong, since when, and how to ack it from chat. */
export function robotAlertView(
  alert: AlertRecord,
  language: RobotLanguage,
  members: readonly AlertRecord[] = [],
): Reply {
  const t = texts[language];
  const firing = alert.status === 'firing';
  const label = firing ? t.severity[alert.severity] : t.resolvedLabel;
  const lines = [
    t.firingSince(utc(alert.firstSeen)),
    `${t.check}: ${alert.check === STORM_CHECK ? t.several : alert.check}`,
    ...(alert.actor ? [`${t.miner}: ${alert.actor}`] : []),
  ];
  const shown = members.filter((m) => m.status === 'firing');
  const list = shown.slice(0, MEMBERS_SHOWN).map((m) => `${m.id} ${t.severity[m.severity]}: ${m.summary}`);
  if (shown.length > MEMBERS_SHOWN) list.push(t.more(shown.length - MEMBERS_SHOWN));
  return {
    title: `${label} ${alert.id}: ${alert.summary}`,
    severity: firing ? look[alert.severity] : 'success',
    blocks: [
      block.text(lines.join('\n')),
      ...(alert.detail ? [block.text(alert.detail)] : []),
      ...(shown.length > 0 ? [block.text(t.under(shown.length)), block.list(list)] : []),
      ...(firing ? [block.text(t.howToAck(alert.id))] : []),
    ],
  };
}

/** What a robot is told when an alert changes: its kind of change, or undefined when robots are not told of it. */
export type RobotNoteKind =
  | { kind: 'changed'; from?: string }
  | { kind: 'renotified'; forMs: number }
  | { kind: 'resolved'; afterMs: number }
  | { kind: 'refired' }
  | { kind: 'acked'; by: string }
  | { kind: 'silenced'; by: string }
  | { kind: 'unsilenced'; by: string };

/** A short follow-up to a robot, quoting the alert's id (robots cannot edit the first message). */
export function robotNote(
  alert: AlertRecord,
  note: RobotNoteKind,
  language: RobotLanguage,
  mentions: string[] = [],
): Reply {
  const t = texts[language];
  const id = alert.id;
  const withSummary = (title: string, severity: Severity): Reply => ({
    title,
    severity,
    blocks: [block.text(alert.summary)],
    ...(mentions.length > 0 ? { mentions } : {}),
  });
  switch (note.kind) {
    case 'changed': {
      const to = t.severity[alert.severity];
      const from = note.from && note.from in t.severity ? t.severity[note.from as AlertRecord['severity']] : undefined;
      return withSummary(
        `${t.changed(id, to)}${from ? ` (${from} → ${to})` : ''}`,
        alert.severity === 'critical' ? 'error' : 'warning',
      );
    }
    case 'renotified':
      return withSummary(t.renotified(id, formatDuration(note.forMs)), 'error');
    case 'resolved':
      return withSummary(t.resolved(id, formatDuration(note.afterMs)), 'success');
    case 'refired':
      return withSummary(t.refired(id, alert.flaps), 'warning');
    case 'acked':
      return { title: t.acked(id, note.by), severity: 'info', blocks: [] };
    case 'silenced':
      return {
        title: t.silenced(id, note.by, alert.silencedUntil === null ? '' : utc(alert.silencedUntil)),
        severity: 'info',
        blocks: alert.silenceReason ? [block.text(alert.silenceReason)] : [],
      };
    case 'unsilenced':
      return { title: t.unsilenced(id, note.by), severity: 'info', blocks: [] };
  }
}

/** The one message standing for `count` alert messages a robot's rate limit held back. */
export function robotHeldBack(count: number, language: RobotLanguage): Reply {
  const t = texts[language];
  return { title: t.heldBack(count), severity: 'warning', blocks: [block.text(t.heldBackDetail)] };
}

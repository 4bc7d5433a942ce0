import type { ApprovalRecord, AuditRecord } from '../store/store.js';
import { relativeTime } from './duration.js';
import { block, type Reply } from './reply.js';

const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** /approvals: the open requests (or all recent ones), each with what it still needs. */
export function approvalsReply(all: ApprovalRecord[], now: number, includeClosed: boolean): Reply {
  // A request past its time is expired, whether or not the sweep has recorded it yet (listing never writes).
  const approvals = includeClosed ? all : all.filter((a) => a.expiresAt > now);
  if (approvals.length === 0) {
    return {
      title: includeClosed ? 'No approval requests yet' : 'No open approval requests',
      severity: 'info',
      blocks: [],
    };
  }
  const rows = approvals.map((a) => [
    a.id,
    `/${a.command}`,
    a.requestedBy,
    `${a.approvedBy.length}/${a.requiredApprovals} (${a.approverRole})`,
    a.status !== 'pending' ? a.status : a.expiresAt <= now ? 'expired' : `expires ${relativeTime(a.expiresAt, now)}`,
    summariseArgs(a.argsJson),
  ]);
  return {
    title: includeClosed ? 'Approval requests' : 'Open approval requests',
    severity: 'info',
    blocks: [
      block.table(['id', 'command', 'requested by', 'approvals', 'status', 'arguments'], rows),
      ...(includeClosed
        ? []
        : [block.text('Approve with /approvals approve ID; deny with /approvals deny ID REASON.')]),
    ],
  };
}

/** /audit: the newest entries first. */
export function auditReply(entries: AuditRecord[]): Reply {
  if (entries.length === 0) return { title: 'No audit entries match', severity: 'info', blocks: [] };
  return {
    title: `Audit trail (${entries.length} newest)`,
    severity: 'info',
    blocks: [
      block.table(
        ['#', 'time', 'who', 'event', 'command', 'request', 'outcome'],
        entries.map((e) => [
          String(e.seq),
          utc(e.at),
          e.principal,
          e.event,
          e.command ? `/${e.command}` : '',
          e.approvalId ?? '',
          e.outcome ?? '',
        ]),
      ),
    ],
  };
}

function summariseArgs(argsJson: string): string {
  try {
    const args = JSON.parse(argsJson) as Record<string, unknown>;
    return Object.entries(args)
      .filter(([, v]) => v !== undefined && v !== false)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
  } catch {
    return '';
  }
}

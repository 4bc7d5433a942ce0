import type { ApprovalRecord, ExecutionRecord } from '../../store/store.js';
import { action, type Block, block, type Reply, type Severity } from '../reply.js';
import { approvalsRemaining } from './decide-vote.js';

/** The subject under which an approval request's message is kept and found again. */
export function approvalSubject(id: string): string {
  return `approval:${id}`;
}

export function approvalIdOfSubject(subject: string): string | undefined {
  return subject.startsWith('approval:') ? subject.slice('approval:'.length) : undefined;
}

const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface ApprovalView {
  approval: ApprovalRecord;
  /** The plan as the requester saw it (title and body). */
  plan: Reply;
  execution?: ExecutionRecord | undefined;
  /** The outcome's title and severity, once the execution finished. */
  outcome?: { title: string; severity?: Severity | undefined } | undefined;
  /** The latest progress line of a running execution. */
  progress?: string | undefined;
  /** For a continuation: how far the interrupted execution had got, as it recorded. */
  checkpoint?: Record<string, unknown> | undefined;
  /** For a continuation: what may or may not have happened and what to check, in the command's words. */
  uncertain?: string | undefined;
}

/**
 * An approval request's message in whatever state it is in: the plan, then one status line, and the Approve and
 * Deny buttons while it is open. The same function makes the first message and every later update, in every process,
 * from what the store holds, so that all of them read alike.
 */
export function approvalMessage(view: ApprovalView): Reply {
  const { approval, plan } = view;
  const status = statusOf(view);
  return {
    title: plan.title,
    severity: status.severity,
    subject: approvalSubject(approval.id),
    blocks: [...plan.blocks, ...status.blocks],
    ...(approval.status === 'pending'
      ? {
          actions: [
            action(approval.kind === 'continue' ? 'Confirm and continue' : 'Approve', approveCommand(approval), {
              style: 'primary',
              confirm:
                approval.kind === 'continue'
                  ? `You confirm that the state is as shown and that ${approval.id} may continue from there.`
                  : `You approve request ${approval.id}: ${plan.title}. It runs once enough approvals are in.`,
              ...(approval.reasonRequired ? { ask: true } : {}),
            }),
            action(approval.kind === 'continue' ? 'Abort' : 'Deny', `/approvals deny ${approval.id}`, {
              style: 'danger',
              ask: true,
            }),
          ],
        }
      : {}),
  };
}

function approveCommand(approval: ApprovalRecord): string {
  return `/approvals approve ${approval.id}`;
}

function statusOf(view: ApprovalView): { severity: Severity | undefined; blocks: Block[] } {
  const { approval, execution, outcome } = view;
  const requested = `Requested by ${approval.requestedBy}.`;
  const approvedBy = approval.approvedBy.length ? approval.approvedBy.join(', ') : '';
  switch (approval.status) {
    case 'pending': {
      if (approval.kind === 'continue') return continueStatus(view);
      const remaining = approvalsRemaining(approval);
      const needs =
        `Approval request ${approval.id}: needs ${remaining} ${remaining === approval.requiredApprovals ? '' : 'more '}` +
        `approval(s) from another ${approval.approverRole}${approval.reasonRequired ? ', each with a reason' : ''}; ` +
        `expires ${utc(approval.expiresAt)}.`;
      const how = `Approve with /approvals approve ${approval.id}, or deny with /approvals deny ${approval.id} REASON.`;
      return {
        severity: view.plan.severity,
        blocks: [
          block.notice('info', `${needs} ${how}`),
          block.text(approvedBy ? `${requested} Approved so far by ${approvedBy}.` : requested),
        ],
      };
    }
    case 'denied':
      return {
        severity: 'warning',
        blocks: [
          block.notice(
            'warning',
            `Denied by ${approval.decidedBy ?? 'someone'}${approval.denyReason ? `: ${approval.denyReason}` : '.'} Nothing was done.`,
          ),
          block.text(requested),
        ],
      };
    case 'expired':
      return {
        severity: 'warning',
        blocks: [
          block.notice(
            'warning',
            `Expired ${utc(approval.expiresAt)} with ${approval.approvedBy.length} of ${approval.requiredApprovals} approval(s). Nothing was done; run the command again to open a new request.`,
          ),
          block.text(requested),
        ],
      };
    case 'approved': {
      const running = executionStatus(execution, outcome, view.progress);
      return { ...running, blocks: [...running.blocks, block.text(`${requested} Approved by ${approvedBy}.`)] };
    }
  }
}

function continueStatus(view: ApprovalView): { severity: Severity; blocks: Block[] } {
  const { approval } = view;
  const recorded = Object.entries(view.checkpoint ?? {})
    .map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return {
    severity: 'warning',
    blocks: [
      block.notice(
        'warning',
        view.uncertain
          ? `The bot stopped while /${approval.command} (${approval.parentId ?? '?'}) ran, and did not go on by itself. ` +
              `${view.uncertain} Then confirm to continue, or abort.`
          : `The bot stopped while /${approval.command} (${approval.parentId ?? '?'}) ran, and did not go on by itself. ` +
              `Its last checkpoint: ${recorded || 'none'}. The step after it may or may not have happened: check the cluster, ` +
              `then confirm to continue from that checkpoint, or abort.`,
      ),
      block.text(
        `Request ${approval.id} needs one ${approval.approverRole}; expires ${utc(approval.expiresAt)}. ` +
          `Confirm with /approvals approve ${approval.id}, abort with /approvals deny ${approval.id} REASON.`,
      ),
    ],
  };
}

function executionStatus(
  execution: ExecutionRecord | undefined,
  outcome: ApprovalView['outcome'],
  progress: string | undefined,
): { severity: Severity | undefined; blocks: Block[] } {
  if (!execution || execution.status === 'running') {
    return { severity: 'info', blocks: [block.notice('info', `Running${progress ? `: ${progress}` : '…'}`)] };
  }
  if (execution.status === 'interrupted') {
    return {
      severity: 'warning',
      blocks: [
        block.notice(
          'warning',
          'Interrupted: the bot stopped while this ran, and it was not re-run. What it had done is in the thread.',
        ),
      ],
    };
  }
  const failed = execution.status === 'failed';
  const severity: Severity = failed ? 'error' : outcome?.severity === 'warning' ? 'warning' : 'success';
  const late = execution.interruptedAt !== null ? ' (after it had been reported interrupted)' : '';
  return {
    severity,
    blocks: [block.notice(severity, `${failed ? 'Failed' : 'Done'}${late}: ${outcome?.title ?? 'see the thread'}`)],
  };
}

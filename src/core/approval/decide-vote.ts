import type { ApprovalRecord, VoteDecision } from '../../store/store.js';
import { hasRole, type Role, type RoleOrNone } from '../roles.js';

/** One vote as the gate weighs it: who, with the role RBAC gives them now, and what they say. */
export interface GateVote {
  voter: string;
  voterRole: RoleOrNone;
  decision: 'approve' | 'deny';
  reason?: string;
}

/**
 * The approval gate's rule, in one pure function: every store persists what it returns and nothing else, so that the
 * rule cannot drift between stores. In order:
 * - the voter must hold the request's approver role;
 * - a closed request takes no vote, and a request past its time expires;
 * - the requester's own vote never counts (a continuation is opened by the bot itself, so anyone with the role may
 *   confirm it, the original requester included);
 * - a deny closes the request at once; a policy may require a reason for approving too;
 * - each person approves once; the approval that completes the count approves the request.
 */
export function decideVote(request: ApprovalRecord, vote: GateVote, now: number): VoteDecision {
  if (!hasRole(vote.voterRole, request.approverRole as Role)) return { kind: 'refused', reason: 'approver-role' };
  if (request.status !== 'pending') return { kind: 'refused', reason: 'closed' };
  if (request.expiresAt <= now) return { kind: 'refused', reason: 'expired' };
  if (request.requestedBy === vote.voter) return { kind: 'refused', reason: 'self' };
  if (vote.decision === 'deny') return { kind: 'denied' };
  if (request.reasonRequired && (vote.reason ?? '').trim().length < 3)
    return { kind: 'refused', reason: 'reason-required' };
  if (request.approvedBy.includes(vote.voter)) return { kind: 'refused', reason: 'already-voted' };
  const remaining = request.requiredApprovals - request.approvedBy.length - 1;
  return remaining > 0 ? { kind: 'recorded', remaining } : { kind: 'approved' };
}

/** Approvals still needed from others. */
export function approvalsRemaining(request: ApprovalRecord): number {
  return Math.max(0, request.requiredApprovals - request.approvedBy.length);
}

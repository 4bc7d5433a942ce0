import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decideVote } from '../../../src/core/approval/decide-vote.js';
import type { ApprovalRecord } from '../../../src/store/store.js';

const now = Date.UTC(2026, 11, 4, 12);

function request(change: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const approvedBy = change.approvedBy ?? [];
  return {
    id: 'K7M2Q9',
    kind: 'execute',
    command: 'destroy',
    argsJson: '{}',
    planJson: '{}',
    requestedBy: 'slack:UALICE',
    requesterJson: '{"id":"slack:UALICE","groups":[]}',
    channelPlatform: 'slack',
    channelId: 'C0OPS',
    correlationId: 'c',
    createdAt: now - 60_000,
    expiresAt: now + 60_000,
    requiredApprovals: 1,
    approverRole: 'operator',
    reasonRequired: false,
    parentId: null,
    status: 'pending',
    decidedAt: null,
    decidedBy: null,
    denyReason: null,
    votes: approvedBy.map((voter) => ({ voter, voterJson: '{}', decision: 'approve' as const, reason: null, at: now })),
    ...change,
    approvedBy,
  };
}

describe('the approval rule', () => {
  it('given a viewer, when they approve, then they are refused for their role before anything else is looked at', () => {
    const closed = request({ status: 'approved' });
    expect(decideVote(closed, { voter: 'slack:UVIEW', voterRole: 'viewer', decision: 'approve' }, now)).toEqual({
      kind: 'refused',
      reason: 'approver-role',
    });
  });

  it('given the requester, when they approve or deny their own request, then it is refused', () => {
    const open = request();
    for (const decision of ['approve', 'deny'] as const)
      expect(decideVote(open, { voter: 'slack:UALICE', voterRole: 'admin', decision }, now)).toEqual({
        kind: 'refused',
        reason: 'self',
      });
  });

  it('given a request past its time, when anyone votes, then it is refused as expired', () => {
    const late = request({ expiresAt: now });
    expect(decideVote(late, { voter: 'slack:UBOB', voterRole: 'operator', decision: 'approve' }, now)).toEqual({
      kind: 'refused',
      reason: 'expired',
    });
  });

  it('given a policy that wants a reason, when someone approves without one, then it is refused; with one it counts', () => {
    const strict = request({ reasonRequired: true });
    const vote = { voter: 'slack:UBOB', voterRole: 'operator' as const, decision: 'approve' as const };
    expect(decideVote(strict, vote, now)).toEqual({ kind: 'refused', reason: 'reason-required' });
    expect(decideVote(strict, { ...vote, reason: 'pledge window agreed' }, now)).toEqual({ kind: 'approved' });
  });

  it('given two approvals needed, when a second person approves after the first, then it is approved; the first twice is refused', () => {
    const two = request({ requiredApprovals: 2, approvedBy: ['slack:UBOB'] });
    expect(decideVote(two, { voter: 'slack:UBOB', voterRole: 'operator', decision: 'approve' }, now)).toEqual({
      kind: 'refused',
      reason: 'already-voted',
    });
    expect(decideVote(two, { voter: 'slack:UCAROL', voterRole: 'operator', decision: 'approve' }, now)).toEqual({
      kind: 'approved',
    });
  });

  it('given a deny by someone allowed, then it denies at once whatever the count', () => {
    const three = request({ requiredApprovals: 3, approvedBy: ['slack:UBOB', 'slack:UCAROL'] });
    expect(decideVote(three, { voter: 'slack:UDAVE', voterRole: 'operator', decision: 'deny' }, now)).toEqual({
      kind: 'denied',
    });
  });

  test.prop([
    fc.integer({ min: 1, max: 5 }),
    fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 7 }),
  ])(
    'whatever the order of votes, a request is approved exactly when the required count of other people approved',
    (required, voters) => {
      let state = request({ requiredApprovals: required, requestedBy: 'terminal:a' });
      let approvedAt: number | undefined;
      voters.forEach((name, index) => {
        const voter = `terminal:${name}`;
        const decision = decideVote(state, { voter, voterRole: 'operator', decision: 'approve' }, now);
        if (approvedAt !== undefined) expect(decision).toEqual({ kind: 'refused', reason: 'closed' });
        else if (voter === 'terminal:a') expect(decision).toEqual({ kind: 'refused', reason: 'self' });
        else if (decision.kind === 'approved') approvedAt = index;
        if (decision.kind === 'recorded' || decision.kind === 'approved')
          state = request({
            requiredApprovals: required,
            requestedBy: 'terminal:a',
            approvedBy: [...state.approvedBy, voter],
            status: decision.kind === 'approved' ? 'approved' : 'pending',
          });
      });
      const others = voters.filter((v) => v !== 'a').length;
      expect(approvedAt !== undefined).toBe(others >= required);
      expect(state.approvedBy).not.toContain('terminal:a');
    },
  );
});

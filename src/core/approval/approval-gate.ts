import { z } from 'zod';
import type { ApprovalRecord, ExecutionOwner, ExecutionRecord, Store, VoteDecision } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { CommandContext, DestructiveCommand, LeafCommand, Plan, Principal, Trigger } from '../command.js';
import { OpsError } from '../errors.js';
import { failureReply } from '../failure-reply.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { type RbacRules, resolveRole } from '../rbac.js';
import { block, type Reply } from '../reply.js';
import { hasRole, type Role } from '../roles.js';
import { approvalMessage } from './approval-message.js';
import { type ApprovalRule, effectivePolicy } from './approval-policy.js';
import { decideVote } from './decide-vote.js';
import { runExecution } from './run-execution.js';

/** A principal as kept with a request or a vote, checked when it comes back out of the store. */
const principalSchema = z.object({
  id: z.string().min(1),
  groups: z.array(z.string()),
  displayName: z.string().optional(),
});

/** The stored plan's outer shape; its `data` is checked by the command's own `planSchema`. */
const storedPlanSchema = z.object({
  reply: z.looseObject({ title: z.string(), blocks: z.array(z.looseObject({ kind: z.string() })) }),
  data: z.unknown(),
});

/** An audit entry as the gate and the runtime write it; the time and the approval id are filled in by the runtime. */
export interface GateAuditEntry {
  principal: string;
  event: string;
  command: string | null;
  correlationId: string;
  outcome: string;
  detail: Record<string, unknown>;
}

/** What the gate needs from the runtime that hosts it. */
export interface GateHost<S> {
  store: Store;
  clock: Clock;
  rbac: RbacRules & { approvals: Record<string, ApprovalRule> };
  owner: ExecutionOwner;
  leaseMs: number;
  leaf(path: string): LeafCommand<S> | undefined;
  context(
    principal: Principal,
    channel: { platform: string; id: string },
    correlationId: string,
    log: Logger,
    progress: ((text: string) => Promise<void>) | undefined,
    execution?: { approvalId: string; executionId: number },
  ): Promise<CommandContext<S>>;
  audit(entry: GateAuditEntry): Promise<void>;
  /** Something changed that chat messages should show. */
  changed(): void;
  /** Each request, vote and execution outcome is counted here. */
  metrics: Metrics;
}

/**
 * The one approval gate. A destructive command is planned and its request opened here; every vote (typed, a button,
 * `exec` in another process) comes here; the pure rule (`decideVote`) decides and the store persists that decision
 * atomically; the vote that completes a request runs the execution, exactly once, after checking that the requester
 * and the approvers still hold their roles under the configuration as it is now.
 */
export class ApprovalGate<S> {
  constructor(private readonly host: GateHost<S>) {}

  /** Plans, then opens a request; a blocked plan opens nothing. The reply is the request's message. */
  async request(ctx: CommandContext<S>, path: string, leaf: DestructiveCommand<S>, args: unknown): Promise<Reply> {
    const plan = await leaf.plan(ctx, args as never);
    if (plan.blocked) {
      this.host.metrics.approval('blocked');
      await this.host.audit({
        principal: ctx.principal.id,
        event: 'command.blocked',
        command: path,
        correlationId: ctx.correlationId,
        outcome: 'blocked',
        detail: { args, reason: plan.blocked },
      });
      return {
        ...plan.reply,
        severity: 'error',
        outcome: 'refused',
        blocks: [
          ...plan.reply.blocks,
          block.notice('error', `Blocked: ${plan.blocked}. No approval request was opened.`),
        ],
      };
    }
    const policy = effectivePolicy(path, leaf.approval, this.host.rbac.approvals);
    const now = this.host.clock.now();
    const approval = await this.host.store.createApproval({
      kind: 'execute',
      command: path,
      argsJson: JSON.stringify(args),
      planJson: JSON.stringify({ reply: plan.reply, data: plan.data }),
      requestedBy: ctx.principal.id,
      requesterJson: JSON.stringify(ctx.principal),
      channelPlatform: ctx.channel.platform,
      channelId: ctx.channel.id,
      correlationId: ctx.correlationId,
      createdAt: now,
      expiresAt: now + policy.ttlMs,
      requiredApprovals: policy.approvals,
      approverRole: policy.approverRole,
      reasonRequired: policy.reasonRequired === true,
      parentId: null,
    });
    this.host.metrics.approval('requested');
    return { ...approvalMessage({ approval, plan: plan.reply }), outcome: 'pending-approval' };
  }

  /** An approve or deny by `ctx.principal`; the reply is theirs to see. */
  async vote(
    ctx: CommandContext<S>,
    id: string,
    decision: 'approve' | 'deny',
    reason: string | undefined,
    trigger: Trigger,
  ): Promise<Reply> {
    const { store, clock } = this.host;
    const outcome = await store.vote(
      {
        approvalId: id,
        voter: ctx.principal.id,
        voterJson: JSON.stringify(ctx.principal),
        decision,
        ...(reason === undefined ? {} : { reason }),
        now: clock.now(),
        correlationId: ctx.correlationId,
        origin: { platform: ctx.channel.platform, channelId: ctx.channel.id, trigger },
        owner: this.host.owner,
        leaseMs: this.host.leaseMs,
      },
      (approval) =>
        decideVote(
          approval,
          { voter: ctx.principal.id, voterRole: ctx.role, decision, ...(reason ? { reason } : {}) },
          clock.now(),
        ),
    );
    if (outcome.kind === 'not-found') throw new OpsError('APPROVAL_NOT_FOUND', { id: outcome.id });
    const { approval } = outcome;
    const verdict = outcome.decision;
    this.host.metrics.approval(verdict.kind);
    if (verdict.kind === 'refused') {
      await this.refused(ctx, approval, verdict);
      throw refusal(verdict.reason, approval, ctx);
    }
    this.host.changed();
    if (verdict.kind === 'recorded') {
      return {
        title: `Approval recorded for ${approval.id}`,
        severity: 'info',
        blocks: [block.text(`/${approval.command} needs ${verdict.remaining} more approval(s) from others.`)],
      };
    }
    if (verdict.kind === 'denied') {
      return {
        title: `Denied: /${approval.command} (${approval.id})`,
        severity: 'warning',
        blocks: [block.text(`Denied by ${ctx.principal.id}${reason ? `: ${reason}` : '.'} Nothing was done.`)],
      };
    }
    return this.execute(ctx, approval, outcome.execution as ExecutionRecord);
  }

  /** Runs an approved request. Its outcome is recorded whatever happens; a failure is the requester's to read. */
  private async execute(
    voterCtx: CommandContext<S>,
    approval: ApprovalRecord,
    execution: ExecutionRecord,
  ): Promise<Reply> {
    const log = voterCtx.log.child({ approvalId: approval.id });
    const reply = await runExecution(
      {
        store: this.host.store,
        clock: this.host.clock,
        owner: this.host.owner,
        leaseMs: this.host.leaseMs,
        log,
        changed: () => this.host.changed(),
      },
      approval,
      execution,
      async ({ progress }) => {
        const { leaf, plan, requester } = await this.prepare(approval);
        const ctx = await this.host.context(
          requester,
          { platform: approval.channelPlatform, id: approval.channelId },
          voterCtx.correlationId,
          log,
          async (text) => {
            await progress(text);
            await voterCtx.progress(text);
          },
          { approvalId: approval.id, executionId: execution.id },
        );
        if (approval.kind === 'continue') {
          const parent = await this.host.store.getExecution(approval.parentId ?? '');
          if (!leaf.resume || !parent)
            throw new OpsError('PLAN_INVALID', { id: approval.id, detail: 'nothing to continue' });
          return leaf.resume(ctx, plan, parent.checkpoint ?? {});
        }
        return leaf.execute(ctx, plan);
      },
      (error) => failureReply(error, { path: approval.command, correlationId: voterCtx.correlationId, log }).reply,
    );
    this.host.metrics.approval(reply.outcome === 'ok' ? 'succeeded' : 'failed');
    return {
      ...reply,
      correlationId: voterCtx.correlationId,
      blocks: [
        ...reply.blocks,
        block.text(`Requested by ${approval.requestedBy}; approved by ${approval.approvedBy.join(', ')}.`),
      ],
    };
  }

  /**
   * What the execution needs, each piece checked on its way out of the store: the command still exists, the plan
   * still parses, and the requester and every approver still hold their roles under the current configuration.
   */
  private async prepare(
    approval: ApprovalRecord,
  ): Promise<{ leaf: DestructiveCommand<S>; plan: Plan<never>; requester: Principal }> {
    const found = this.host.leaf(approval.command);
    if (!found || !found.destructive)
      throw new OpsError('UNKNOWN_COMMAND', { command: approval.command, suggestion: '' });
    const leaf = found as DestructiveCommand<S>;
    const stored = storedPlanSchema.safeParse(safeJson(approval.planJson));
    const data = stored.success ? leaf.planSchema.safeParse(stored.data.data) : undefined;
    if (!stored.success || !data?.success) {
      const issue = (stored.success ? data?.error : stored.error)?.issues[0];
      throw new OpsError('PLAN_INVALID', {
        id: approval.id,
        detail: issue ? `${issue.path.join('.') || 'plan'}: ${issue.message}` : 'unreadable',
      });
    }
    const requester = principalSchema.parse(safeJson(approval.requesterJson)) as Principal;
    const origin = approval.kind === 'continue' ? await this.host.store.getApproval(approval.parentId ?? '') : approval;
    const originalRequester = origin ? (principalSchema.parse(safeJson(origin.requesterJson)) as Principal) : requester;
    this.checkStillHolds(originalRequester, leaf.role, approval, 'requester');
    for (const vote of approval.votes.filter((v) => v.decision === 'approve')) {
      const voter = principalSchema.parse(safeJson(vote.voterJson)) as Principal;
      this.checkStillHolds(voter, approval.approverRole as Role, approval, 'approver');
    }
    return {
      leaf,
      plan: { reply: stored.data.reply as unknown as Reply, data: data.data as never },
      requester: originalRequester,
    };
  }

  private checkStillHolds(principal: Principal, needed: Role, approval: ApprovalRecord, as: string): void {
    const role = resolveRole(this.host.rbac, principal);
    if (!hasRole(role, needed)) {
      throw new OpsError('ROLE_LOST', { id: approval.id, principal: principal.id, as, needed, actual: role });
    }
  }

  private async refused(
    ctx: CommandContext<S>,
    approval: ApprovalRecord,
    verdict: Extract<VoteDecision, { kind: 'refused' }>,
  ): Promise<void> {
    if (verdict.reason !== 'approver-role' && verdict.reason !== 'self') return;
    await this.host.audit({
      principal: ctx.principal.id,
      event: 'approval.refused',
      command: approval.command,
      correlationId: ctx.correlationId,
      outcome: verdict.reason === 'self' ? 'self-approval' : 'forbidden',
      detail: { approvalId: approval.id },
    });
  }
}

function refusal(
  reason: Extract<VoteDecision, { kind: 'refused' }>['reason'],
  approval: ApprovalRecord,
  ctx: CommandContext<unknown>,
): OpsError {
  switch (reason) {
    case 'approver-role':
      return new OpsError('APPROVER_ROLE', {
        id: approval.id,
        needed: approval.approverRole,
        principal: ctx.principal.id,
        actual: ctx.role,
      });
    case 'self':
      return new OpsError('APPROVAL_SELF', { id: approval.id });
    case 'expired':
      return new OpsError('APPROVAL_EXPIRED', {
        id: approval.id,
        expiredAt: new Date(approval.expiresAt).toISOString(),
      });
    case 'closed':
      return new OpsError('APPROVAL_CLOSED', { id: approval.id, status: approval.status });
    case 'already-voted':
      return new OpsError('APPROVAL_ALREADY_VOTED', {
        id: approval.id,
        remaining: Math.max(0, approval.requiredApprovals - approval.approvedBy.length),
      });
    case 'reason-required':
      return new OpsError('APPROVAL_REASON_REQUIRED', { id: approval.id });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

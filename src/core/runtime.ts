import type { ClusterServices } from '../cluster/cluster-services.js';
import type { HealthView } from '../net/connection-health.js';
import type { ApprovalRecord, ScheduleRecord, Store, VoteOutcome } from '../store/store.js';
import type { ChannelPosters } from './channel-poster.js';
import type { Clock } from './clock.js';
import {
  type ApprovalPolicy,
  type ChannelRef,
  type CommandContext,
  type CommandDefinition,
  type DestructiveCommand,
  isGroup,
  type LeafCommand,
  type Plan,
  type Principal,
  type RuntimeFacade,
  type ScheduleView,
} from './command.js';
import { newCorrelationId } from './correlation-id.js';
import { parseDuration } from './duration.js';
import { isOpsError, OpsError } from './errors.js';
import { type Logger, redactSecrets } from './logger.js';
import { coerce, mapTokens, type RawArgs, tokenize, usageOf } from './parse-args.js';
import { channelAllowed, type RbacRules, resolveRole } from './rbac.js';
import { block, type Reply } from './reply.js';
import { hasRole, type Role, type RoleOrNone } from './roles.js';
import { approvalsReply, auditReply } from './runtime-replies.js';

/** A command as an adapter hands it over: either free text (Slack, terminal) or typed options (Discord). */
export interface InboundCommand {
  principal: Principal;
  channel: ChannelRef;
  /** Top-level command name, without the slash. */
  command: string;
  /** Everything after the command name, as typed. */
  text?: string;
  /** Typed options; with `subcommand` when the platform selects one itself. */
  options?: RawArgs;
  subcommand?: string;
  progress?: (text: string) => Promise<void>;
}

export interface RuntimeOptions {
  commands: readonly CommandDefinition[];
  store: Store;
  cluster: ClusterServices;
  rbac: RbacRules & {
    approvals: Record<string, { approvals: number; approverRole: Role; ttl: string }>;
    channels: Record<string, readonly string[]>;
  };
  posters: ChannelPosters;
  log: Logger;
  clock: Clock;
  /** The chat platforms' connection health, handed to commands as `ctx.health` (read-only). */
  health?: HealthView;
}

interface Resolved {
  path: string;
  leaf: LeafCommand;
  tokens: string[];
}

/**
 * The one place where commands are dispatched: RBAC, channel limits, argument parsing, the approval gate, audit,
 * and the turning of every error into a reply. Adapters call `dispatch` and `vote`; nothing else runs a command.
 */
export class Runtime {
  private readonly commands: Map<string, CommandDefinition>;
  /** Messages about decisions still being handed to the adapters. */
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly options: RuntimeOptions) {
    this.commands = new Map(options.commands.map((c) => [c.name, c]));
  }

  /** Call once at start-up: executions cut off by a crash are reported, never re-run. */
  async recover(): Promise<void> {
    const interrupted = await this.options.store.markInterruptedExecutions(this.options.clock.now());
    for (const execution of interrupted) {
      const approval = await this.options.store.getApproval(execution.approvalId);
      this.options.log.warn({ approvalId: execution.approvalId }, 'an approved execution was interrupted by a restart');
      if (approval) {
        await this.options.posters.post(channelOf(approval), {
          title: `/${approval.command} (${approval.id}) was interrupted`,
          severity: 'warning',
          blocks: [
            block.notice(
              'warning',
              'The bot stopped while this ran. It was not re-run: check what was done before running the command again.',
            ),
          ],
        });
      }
    }
  }

  /**
   * Closes the requests whose time is up and tells each requester, in the channel they asked in. The long-lived
   * process calls it periodically; otherwise requests expire when someone next looks at them.
   */
  async sweepExpired(): Promise<void> {
    const expired = await this.options.store.expireApprovals(this.options.clock.now());
    for (const approval of expired) {
      const reply: Reply = {
        title: `Approval request ${approval.id} expired: /${approval.command}`,
        severity: 'warning',
        blocks: [
          block.text(
            `Requested by ${approval.requestedBy}; ${approval.approvedBy.length} of ${approval.requiredApprovals} approval(s) came in. Nothing was done. Run the command again to open a new request.`,
          ),
        ],
      };
      await this.options.posters.post(channelOf(approval), reply);
      await this.options.posters.approvalClosed(approval.id, reply);
    }
  }

  /** Leaf commands with their full path, for help, Slack's manifest and Discord's registration. */
  leaves(): Array<{ path: string; leaf: LeafCommand; group?: CommandDefinition }> {
    const out: Array<{ path: string; leaf: LeafCommand; group?: CommandDefinition }> = [];
    for (const command of this.commands.values()) {
      if (isGroup(command))
        for (const leaf of command.subcommands)
          out.push({ path: `${command.name} ${leaf.name}`, leaf, group: command });
      else out.push({ path: command.name, leaf: command });
    }
    return out;
  }

  definitions(): readonly CommandDefinition[] {
    return [...this.commands.values()];
  }

  async dispatch(inbound: InboundCommand): Promise<Reply> {
    const correlationId = newCorrelationId();
    const log = this.options.log.child({ correlationId, principal: inbound.principal.id, command: inbound.command });
    const role = resolveRole(this.options.rbac, inbound.principal);
    let path = inbound.command;
    try {
      const resolved = this.resolve(inbound);
      path = resolved.path;
      const { leaf } = resolved;
      if (!hasRole(role, leaf.role)) {
        throw new OpsError('FORBIDDEN', {
          command: path,
          needed: leaf.role,
          principal: inbound.principal.id,
          actual: role,
        });
      }
      const limits = this.options.rbac.channels[path] ?? this.options.rbac.channels[path.split(' ')[0] as string];
      if (!channelAllowed(limits, inbound.channel)) {
        throw new OpsError('CHANNEL_NOT_ALLOWED', { command: path, allowed: (limits ?? []).join(', ') });
      }
      const args = this.parseArgs(path, leaf, resolved.tokens, inbound.options);
      const ctx = this.context(inbound.principal, role, inbound.channel, correlationId, log, inbound.progress);
      const reply = leaf.destructive ? await this.request(ctx, path, leaf, args) : await leaf.run(ctx, args as never);
      if (!leaf.destructive)
        await this.audit(inbound.principal.id, 'command.run', path, correlationId, reply.severity ?? 'ok', { args });
      return { ...reply, correlationId };
    } catch (error) {
      return this.failure(error, { path, principal: inbound.principal.id, correlationId, log });
    }
  }

  /** An approve or deny, from a button or from /approvals. */
  async vote(ctx: CommandContext, id: string, decision: 'approve' | 'deny', reason?: string): Promise<Reply> {
    const { store, clock } = this.options;
    const approval = await store.getApproval(id);
    if (!approval) throw new OpsError('APPROVAL_NOT_FOUND', { id });
    if (!hasRole(ctx.role, approval.approverRole as Role)) {
      await this.audit(ctx.principal.id, 'approval.refused', approval.command, ctx.correlationId, 'forbidden', {
        approvalId: approval.id,
      });
      throw new OpsError('APPROVER_ROLE', {
        id: approval.id,
        needed: approval.approverRole,
        principal: ctx.principal.id,
        actual: ctx.role,
      });
    }
    const outcome = await store.castVote({
      approvalId: approval.id,
      voter: ctx.principal.id,
      decision,
      ...(reason === undefined ? {} : { reason }),
      now: clock.now(),
      correlationId: ctx.correlationId,
    });
    return this.afterVote(ctx, outcome);
  }

  /** Button clicks arrive here: the same gate as /approvals, with the clicker's identity. */
  async voteFrom(
    principal: Principal,
    channel: ChannelRef,
    id: string,
    decision: 'approve' | 'deny',
    reason?: string,
  ): Promise<Reply> {
    const correlationId = newCorrelationId();
    const log = this.options.log.child({ correlationId, principal: principal.id, approvalId: id });
    const role = resolveRole(this.options.rbac, principal);
    const ctx = this.context(principal, role, channel, correlationId, log, undefined);
    try {
      return { ...(await this.vote(ctx, id, decision, reason)), correlationId };
    } catch (error) {
      return this.failure(error, { path: 'approvals', principal: principal.id, correlationId, log });
    }
  }

  private async afterVote(ctx: CommandContext, outcome: VoteOutcome): Promise<Reply> {
    switch (outcome.kind) {
      case 'not-found':
        throw new OpsError('APPROVAL_NOT_FOUND', { id: outcome.id });
      case 'self':
        await this.audit(
          ctx.principal.id,
          'approval.refused',
          outcome.approval.command,
          ctx.correlationId,
          'self-approval',
          {
            approvalId: outcome.approval.id,
          },
        );
        throw new OpsError('APPROVAL_SELF', { id: outcome.approval.id });
      case 'expired':
        throw new OpsError('APPROVAL_EXPIRED', {
          id: outcome.approval.id,
          expiredAt: new Date(outcome.approval.expiresAt).toISOString(),
        });
      case 'closed':
        throw new OpsError('APPROVAL_CLOSED', { id: outcome.approval.id, status: outcome.approval.status });
      case 'already-voted':
        throw new OpsError('APPROVAL_ALREADY_VOTED', { id: outcome.approval.id, remaining: outcome.remaining });
      case 'recorded':
        return {
          title: `Approval recorded for ${outcome.approval.id}`,
          severity: 'info',
          blocks: [block.text(`/${outcome.approval.command} needs ${outcome.remaining} more approval(s) from others.`)],
        };
      case 'denied': {
        const reply: Reply = {
          title: `Denied: /${outcome.approval.command} (${outcome.approval.id})`,
          severity: 'warning',
          blocks: [
            block.text(
              `Denied by ${ctx.principal.id}${outcome.approval.denyReason ? `: ${outcome.approval.denyReason}` : '.'}`,
            ),
          ],
        };
        this.announceDecision(ctx, outcome.approval, reply);
        return reply;
      }
      case 'execute':
        return this.execute(ctx, outcome.approval, outcome.execution.id);
    }
  }

  private async execute(voterCtx: CommandContext, approval: ApprovalRecord, executionId: number): Promise<Reply> {
    const { store, clock } = this.options;
    const log = voterCtx.log.child({ approvalId: approval.id });
    const found = this.leaves().find((l) => l.path === approval.command);
    let reply: Reply;
    let status: 'succeeded' | 'failed' = 'failed';
    try {
      if (!found || !found.leaf.destructive) throw new OpsError('UNKNOWN_COMMAND', { command: approval.command });
      const leaf = found.leaf as DestructiveCommand<unknown, unknown>;
      const plan = JSON.parse(approval.planJson) as Plan<unknown>;
      const requester: Principal = { id: approval.requestedBy, groups: [] };
      const ctx = this.context(
        requester,
        resolveRole(this.options.rbac, requester),
        channelOf(approval),
        voterCtx.correlationId,
        log,
        voterCtx.progress,
        approval.id,
      );
      const result = await leaf.execute(ctx, plan);
      status = result.severity === 'error' || result.outcome === 'failed' ? 'failed' : 'succeeded';
      reply = {
        ...result,
        blocks: [
          ...result.blocks,
          block.text(`Requested by ${approval.requestedBy}; approved by ${approval.approvedBy.join(', ')}.`),
        ],
      };
    } catch (error) {
      reply = this.failure(error, {
        path: approval.command,
        principal: voterCtx.principal.id,
        correlationId: voterCtx.correlationId,
        log,
        audit: false,
      });
      reply = { ...reply, title: `/${approval.command} (${approval.id}) failed`, ephemeral: false, outcome: 'failed' };
    }
    await store.finishExecution(executionId, status, JSON.stringify(reply), clock.now());
    const final: Reply = {
      ...reply,
      outcome: status === 'failed' ? 'failed' : 'ok',
      correlationId: voterCtx.correlationId,
    };
    this.announceDecision(voterCtx, approval, final);
    return final;
  }

  /**
   * The requester hears the outcome in their own channel when the decision was made elsewhere, and the request's
   * message (with its buttons) is updated. Neither holds up the decider's answer: a platform that is down must not
   * delay a reply on another one. `settled()` waits for them.
   */
  private announceDecision(ctx: CommandContext, approval: ApprovalRecord, reply: Reply): void {
    const origin = channelOf(approval);
    const elsewhere = origin.platform !== ctx.channel.platform || origin.id !== ctx.channel.id;
    this.inBackground(
      (async () => {
        if (elsewhere) await this.options.posters.post(origin, reply);
        await this.options.posters.approvalClosed(approval.id, reply);
      })(),
    );
  }

  private inBackground(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'telling a channel about a decision failed'))
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Resolves once every message about earlier decisions has been handed to the adapters (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /** Plan, then open an approval request; a blocked plan opens nothing. */
  private async request(ctx: CommandContext, path: string, leaf: LeafCommand, args: unknown): Promise<Reply> {
    const command = leaf as DestructiveCommand<unknown, unknown>;
    const plan = await command.plan(ctx, args);
    if (plan.blocked) {
      await this.audit(ctx.principal.id, 'command.blocked', path, ctx.correlationId, 'blocked', {
        args,
        reason: plan.blocked,
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
    const policy = this.policyFor(path, command.approval);
    const now = this.options.clock.now();
    const approval = await this.options.store.createApproval({
      command: path,
      argsJson: JSON.stringify(args),
      planJson: JSON.stringify(plan),
      requestedBy: ctx.principal.id,
      channelPlatform: ctx.channel.platform,
      channelId: ctx.channel.id,
      correlationId: ctx.correlationId,
      createdAt: now,
      expiresAt: now + policy.ttlMs,
      requiredApprovals: policy.approvals,
      approverRole: policy.approverRole,
    });
    return {
      ...plan.reply,
      outcome: 'pending-approval',
      blocks: [
        ...plan.reply.blocks,
        block.notice(
          'info',
          `Approval request ${approval.id}: needs ${policy.approvals} approval(s) from another ${policy.approverRole}; ` +
            `expires ${new Date(approval.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC. ` +
            `Approve with /approvals approve ${approval.id}, or deny with /approvals deny ${approval.id} REASON.`,
        ),
      ],
      actions: [
        { kind: 'approve', label: 'Approve', requestId: approval.id },
        { kind: 'deny', label: 'Deny', requestId: approval.id },
      ],
    };
  }

  private policyFor(path: string, fallback: ApprovalPolicy): ApprovalPolicy {
    const rule = this.options.rbac.approvals[path] ?? this.options.rbac.approvals[path.split(' ')[0] as string];
    if (!rule) return fallback;
    return { approvals: rule.approvals, approverRole: rule.approverRole, ttlMs: parseDuration(rule.ttl) };
  }

  private resolve(inbound: InboundCommand): Resolved {
    const command = this.commands.get(inbound.command);
    if (!command) throw new OpsError('UNKNOWN_COMMAND', { command: inbound.command });
    const tokens = inbound.text === undefined ? [] : tokenize(inbound.text);
    if (!isGroup(command)) return { path: command.name, leaf: command, tokens };
    const named = inbound.subcommand ?? tokens[0];
    const explicit = command.subcommands.find((s) => s.name === named);
    if (explicit)
      return {
        path: `${command.name} ${explicit.name}`,
        leaf: explicit,
        tokens: inbound.subcommand ? tokens : tokens.slice(1),
      };
    const fallback = command.subcommands.find((s) => s.name === command.defaultSubcommand);
    if (fallback) return { path: `${command.name} ${fallback.name}`, leaf: fallback, tokens };
    throw new OpsError('USAGE', {
      detail: `/${command.name} needs a subcommand: ${command.subcommands.map((s) => s.name).join(', ')}`,
    });
  }

  private parseArgs(path: string, leaf: LeafCommand, tokens: string[], typed: RawArgs | undefined): unknown {
    try {
      const raw = typed ?? mapTokens(tokens, leaf.options);
      const parsed = leaf.args.safeParse(coerce(raw, leaf.options));
      if (parsed.success) return parsed.data;
      const detail = parsed.error.issues
        .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
        .join('; ');
      throw new OpsError('USAGE', { detail: `${detail}\nUsage: ${usageOf(path, leaf.options)}` });
    } catch (error) {
      if (isOpsError(error) && error.code === 'USAGE' && !error.message.includes('Usage:')) {
        throw new OpsError('USAGE', { detail: `${error.message}\nUsage: ${usageOf(path, leaf.options)}` });
      }
      throw error;
    }
  }

  private context(
    principal: Principal,
    role: RoleOrNone,
    channel: ChannelRef,
    correlationId: string,
    log: Logger,
    progress: ((text: string) => Promise<void>) | undefined,
    approvalId?: string,
  ): CommandContext {
    const { store, clock } = this.options;
    return {
      ...(approvalId === undefined ? {} : { approvalId }),
      ...(this.options.health === undefined ? {} : { health: this.options.health }),
      journal: {
        append: (kind, data) =>
          store.appendJournal({ at: clock.now(), kind, principal: principal.id, approvalId: approvalId ?? null, data }),
        recent: (kind, limit) => store.recentJournal(kind, limit),
      },
      schedules: {
        create: async (kind, data, intervalMs) =>
          scheduleView(
            await store.createSchedule({
              kind,
              approvalId: approvalId ?? null,
              dataJson: JSON.stringify(data),
              intervalMs,
              nextRunAt: clock.now(),
              channelPlatform: channel.platform,
              channelId: channel.id,
              createdBy: principal.id,
              createdAt: clock.now(),
            }),
          ),
        list: async (kind, includeStopped = false) =>
          (await store.listSchedules({ kind, ...(includeStopped ? {} : { statuses: ['active', 'paused'] }) })).map(
            scheduleView,
          ),
        stop: async (id) => {
          const stopped = await store.updateSchedule(id, {
            status: 'stopped',
            reason: `stopped by ${principal.id}`,
            by: principal.id,
            now: clock.now(),
          });
          return stopped ? scheduleView(stopped) : undefined;
        },
      },
      principal,
      role,
      channel,
      correlationId,
      cluster: this.options.cluster,
      log,
      clock: this.options.clock,
      progress: progress ?? (async () => undefined),
      runtime: this.facade(),
    };
  }

  private facade(): RuntimeFacade {
    return {
      listCommands: () =>
        this.leaves().map(({ path, leaf }) => ({
          path,
          description: leaf.description,
          role: leaf.role,
          destructive: leaf.destructive,
          usage: usageOf(path, leaf.options),
        })),
      vote: (ctx, id, decision, reason) => this.vote(ctx, id, decision, reason),
      listApprovals: async ({ includeClosed, limit }) => {
        await this.options.store.expireApprovals(this.options.clock.now());
        const approvals = await this.options.store.listApprovals(
          includeClosed ? { limit } : { statuses: ['pending'], limit },
        );
        return approvalsReply(approvals, this.options.clock.now(), includeClosed);
      },
      queryAudit: async (filter) => auditReply(await this.options.store.queryAudit(filter)),
    };
  }

  private async audit(
    principal: string,
    event: string,
    command: string | null,
    correlationId: string,
    outcome: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.options.store.appendAudit({
      at: this.options.clock.now(),
      principal,
      event,
      command,
      approvalId: typeof detail.approvalId === 'string' ? detail.approvalId : null,
      outcome,
      correlationId,
      detail,
    });
  }

  /** Every error becomes a reply. User errors say what to fix; anything else is logged and shown only by its id. */
  private failure(
    error: unknown,
    where: { path: string; principal: string; correlationId: string; log: Logger; audit?: boolean },
  ): Reply {
    const user = isOpsError(error) && error.user;
    if (user) where.log.info({ code: error.code, msg: error.message }, 'command refused or failed');
    else where.log.error({ err: error }, 'internal error while running a command');
    if (where.audit !== false) {
      void this.audit(
        where.principal,
        isOpsError(error) ? refusalEvent(error.code) : 'command.error',
        where.path,
        where.correlationId,
        isOpsError(error) ? error.code : 'INTERNAL',
        {
          message: user ? redactSecrets(error.message) : 'internal error',
        },
      ).catch((auditError: unknown) => where.log.error({ err: auditError }, 'could not write the audit entry'));
    }
    if (user) {
      return {
        title: error.code === 'USAGE' ? `Usage: /${where.path}` : `/${where.path}: ${titleOf(error.code)}`,
        severity: 'error',
        outcome: outcomeOf(error.code),
        ephemeral: true,
        correlationId: where.correlationId,
        blocks: [
          block.text(redactSecrets(error.message)),
          ...(error.hint ? [block.text(redactSecrets(error.hint))] : []),
        ],
      };
    }
    return {
      title: `/${where.path} failed`,
      severity: 'error',
      outcome: 'failed',
      ephemeral: true,
      correlationId: where.correlationId,
      blocks: [
        block.text(
          `Something went wrong on our side. The details are in the bot's log under reference ${where.correlationId}.`,
        ),
      ],
    };
  }
}

function refusalEvent(code: string): string {
  if (code === 'FORBIDDEN' || code === 'CHANNEL_NOT_ALLOWED' || code.startsWith('APPROV')) return 'command.refused';
  if (code === 'USAGE' || code === 'UNKNOWN_COMMAND') return 'command.usage';
  return 'command.failed';
}

function outcomeOf(code: string): 'usage' | 'refused' | 'failed' {
  if (code === 'USAGE' || code === 'UNKNOWN_COMMAND') return 'usage';
  if (code === 'FORBIDDEN' || code === 'CHANNEL_NOT_ALLOWED' || code === 'APPROVER_ROLE' || code.startsWith('APPROVAL'))
    return 'refused';
  return 'failed';
}

function titleOf(code: string): string {
  if (code === 'FORBIDDEN' || code === 'CHANNEL_NOT_ALLOWED' || code === 'APPROVER_ROLE') return 'not allowed';
  if (code.startsWith('APPROVAL')) return 'refused';
  return 'failed';
}

function scheduleView(record: ScheduleRecord): ScheduleView {
  return {
    id: record.id,
    kind: record.kind,
    data: JSON.parse(record.dataJson) as unknown,
    intervalMs: record.intervalMs,
    nextRunAt: record.nextRunAt,
    status: record.status,
    statusReason: record.statusReason,
    createdBy: record.createdBy,
    runs: record.runs,
  };
}

function channelOf(approval: ApprovalRecord): ChannelRef {
  return { platform: approval.channelPlatform, id: approval.channelId };
}

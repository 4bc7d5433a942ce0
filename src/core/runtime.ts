import { performance } from 'node:perf_hooks';
import type { ExecutionOwner, ScheduleRecord, Store } from '../store/store.js';
import { ApprovalGate, type GateAuditEntry } from './approval/approval-gate.js';
import type { ApprovalRule } from './approval/approval-policy.js';
import type { ChannelPosters, MessageRef } from './channel-poster.js';
import type { Clock } from './clock.js';
import {
  type ChannelRef,
  type CommandContext,
  type CommandDefinition,
  type DestructiveCommand,
  isGroup,
  type JobStatus,
  type LeafCommand,
  type Principal,
  type RuntimeFacade,
  type ScheduleView,
  type Trigger,
} from './command.js';
import { newCorrelationId } from './correlation-id.js';
import { isOpsError, OpsError } from './errors.js';
import { failureReply } from './failure-reply.js';
import type { InstancesStatus } from './leadership.js';
import type { Logger } from './logger.js';
import { type Metrics, noMetrics } from './metrics.js';
import { coerce, mapTokens, type RawArgs, tokenize, usageOf } from './parse-args.js';
import type { HealthView } from './platform-health.js';
import { channelAllowed, type RbacRules, resolveRole } from './rbac.js';
import type { Reply } from './reply.js';
import { hasRole } from './roles.js';
import { approvalsReply, auditReply } from './runtime-replies.js';
import { explainable } from './store-failure.js';
import { suggestCommand } from './suggest-command.js';

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
  /** Typed (default) or a click on one of the bot's buttons. */
  trigger?: Trigger;
}

export interface RuntimeOptions<S> {
  commands: readonly CommandDefinition<S>[];
  store: Store;
  /** The domain services, or how to make them when a command first needs them (loaded once). */
  cluster: S | (() => Promise<S>);
  rbac: RbacRules & {
    approvals: Record<string, ApprovalRule>;
    channels: Record<string, readonly string[]>;
  };
  posters: ChannelPosters;
  log: Logger;
  clock: Clock;
  /** This process, as execution leases and job runs name it. */
  owner: ExecutionOwner;
  /** How long an execution's lease lasts without renewal (default 60 s); renewed every third of it. */
  executionLeaseMs?: number;
  /** The chat platforms' connection health, handed to commands as `ctx.health` (read-only). */
  health?: HealthView;
  /** The background jobs, when this process runs them (for /health). */
  jobs?: { list(): Promise<JobStatus[]> };
  /** The instances sharing the store and the leader (for /health). */
  instances?: { status(): Promise<InstancesStatus> };
  /** Called when something changed that chat messages should show (the long-lived process updates them at once). */
  onChange?: () => void;
  /** Where commands and approval steps are counted (/metrics); nothing is counted without it. */
  metrics?: Metrics;
}

interface Resolved<S> {
  path: string;
  leaf: LeafCommand<S>;
  tokens: string[];
}

/**
 * The one place where commands are dispatched: RBAC, channel limits, argument parsing, the approval gate, audit, and
 * the turning of every error into a reply. Adapters call `dispatch` (typed commands and button clicks alike) and
 * report where they posted replies that have a subject (`messagePosted`); nothing else runs a command.
 */
export class Runtime<S = unknown> {
  private readonly commands: Map<string, CommandDefinition<S>>;
  private readonly gate: ApprovalGate<S>;
  /** Work handed off the answer's path (audit entries of read commands), awaited by `settled()`. */
  private readonly background = new Set<Promise<void>>();
  private loadedServices: Promise<S> | undefined;
  private readonly metrics: Metrics;

  constructor(private readonly options: RuntimeOptions<S>) {
    this.commands = new Map(options.commands.map((c) => [c.name, c]));
    this.metrics = options.metrics ?? noMetrics;
    this.gate = new ApprovalGate<S>({
      store: options.store,
      clock: options.clock,
      rbac: options.rbac,
      owner: options.owner,
      leaseMs: options.executionLeaseMs ?? 60_000,
      leaf: (path) => this.leaves().find((l) => l.path === path)?.leaf,
      context: async (principal, channel, correlationId, log, progress, execution) =>
        this.context(await this.services(), principal, channel, correlationId, log, progress, execution),
      audit: (entry) => this.audit(entry),
      changed: () => this.options.onChange?.(),
      metrics: this.metrics,
    });
  }

  /** Leaf commands with their full path, for help, Slack's manifest and Discord's registration. */
  leaves(): Array<{ path: string; leaf: LeafCommand<S>; group?: CommandDefinition<S> }> {
    const out: Array<{ path: string; leaf: LeafCommand<S>; group?: CommandDefinition<S> }> = [];
    for (const command of this.commands.values()) {
      if (isGroup(command))
        for (const leaf of command.subcommands)
          out.push({ path: `${command.name} ${leaf.name}`, leaf, group: command });
      else out.push({ path: command.name, leaf: command });
    }
    return out;
  }

  definitions(): readonly CommandDefinition<S>[] {
    return [...this.commands.values()];
  }

  async dispatch(inbound: InboundCommand): Promise<Reply> {
    const started = performance.now();
    const where = { path: '(unknown)' };
    const reply = await this.answer(inbound, where);
    this.metrics.command(where.path, reply.outcome ?? 'ok', (performance.now() - started) / 1000);
    return reply;
  }

  /** `where.path` is set once the command is known: what people mistype must not become a series each. */
  private async answer(inbound: InboundCommand, where: { path: string }): Promise<Reply> {
    const correlationId = newCorrelationId();
    const log = this.options.log.child({ correlationId, principal: inbound.principal.id, command: inbound.command });
    let path = inbound.command;
    try {
      const resolved = this.resolve(inbound);
      path = resolved.path;
      where.path = path;
      const { leaf } = resolved;
      const role = resolveRole(this.options.rbac, inbound.principal);
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
      // Built-in commands run without the domain services; the first command that needs them loads them.
      const cluster = leaf.services === false ? (undefined as S) : await this.services();
      const ctx = this.context(
        cluster,
        inbound.principal,
        inbound.channel,
        correlationId,
        log,
        inbound.progress,
        undefined,
        { trigger: inbound.trigger ?? 'typed' },
      );
      if (leaf.destructive)
        return { ...(await this.gate.request(ctx, path, leaf as DestructiveCommand<S>, args)), correlationId };
      const reply = await leaf.run(ctx, args as never);
      // A read command's answer never waits for the store's write lock: its audit entry is written beside it.
      this.inBackground(
        this.audit({
          principal: inbound.principal.id,
          event: 'command.run',
          command: path,
          correlationId,
          outcome: reply.severity ?? 'ok',
          detail: { args },
        }),
        'could not write the audit entry of a command',
      );
      return { ...reply, correlationId };
    } catch (error) {
      const failure = failureReply(error, { path, correlationId, log });
      this.inBackground(
        this.audit({
          principal: inbound.principal.id,
          event: failure.audit.event,
          command: path,
          correlationId,
          outcome: failure.audit.outcome,
          detail: { message: failure.audit.message },
        }),
        'could not write the audit entry of a refused or failed command',
      );
      return failure.reply;
    }
  }

  /**
   * An adapter posted a reply that has a subject (an approval request): where it is, kept in the store, so that the
   * long-lived process can update it whichever process decides the request.
   */
  async messagePosted(subject: string, ref: MessageRef): Promise<void> {
    const now = this.options.clock.now();
    await this.options.store.saveMessageRef(subject, ref, now);
    // The subject may have changed while its message was on its way (a vote a moment after the request): the chat
    // updates catch up from this event.
    await this.options.store.appendEvent({
      at: now,
      kind: 'message.posted',
      subject,
      data: { platform: ref.platform },
    });
    this.options.onChange?.();
  }

  /**
   * What a button's form should ask for: the description of the last option of the command line's command (the text
   * that completes it, such as a deny's reason). Undefined for a line that names no such command.
   */
  promptFor(commandLine: string): { label: string } | undefined {
    const [name = '', ...words] = commandLine.replace(/^\//, '').split(/\s+/);
    try {
      const { leaf } = this.resolve({
        principal: { id: 'system:prompt', groups: [] },
        channel: { platform: 'none', id: 'none' },
        command: name,
        text: words.join(' '),
      });
      const rest = leaf.options.find((o) => o.rest);
      return rest ? { label: rest.description } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Resolves once work handed off the answer's path (audit entries) is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private inBackground(work: Promise<void>, failure: string): void {
    const tracked: Promise<void> = work
      .catch((thrown: unknown) => {
        // A store that is busy or damaged is the operator's to fix: its one-line explanation, not a stack.
        const error = explainable(thrown);
        if (isOpsError(error) && error.user)
          this.options.log.warn({ code: error.code }, `${failure}: ${error.message}`);
        else this.options.log.error({ err: error }, failure);
      })
      .finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  private resolve(inbound: InboundCommand): Resolved<S> {
    const name = inbound.command.toLowerCase();
    const command = this.commands.get(name);
    if (!command) {
      const suggestion = suggestCommand(inbound.command, [...this.commands.keys()]);
      throw new OpsError('UNKNOWN_COMMAND', {
        command: inbound.command,
        suggestion: suggestion ? ` Did you mean /${suggestion}?` : '',
      });
    }
    const tokens = inbound.text === undefined ? [] : tokenize(inbound.text);
    if (!isGroup(command)) return { path: command.name, leaf: command, tokens };
    const named = (inbound.subcommand ?? tokens[0])?.toLowerCase();
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

  private parseArgs(path: string, leaf: LeafCommand<S>, tokens: string[], typed: RawArgs | undefined): unknown {
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

  /** The domain services, made on first use when the runtime was given a way to make them. */
  services(): Promise<S> {
    const given = this.options.cluster;
    this.loadedServices ??= typeof given === 'function' ? (given as () => Promise<S>)() : Promise.resolve(given);
    return this.loadedServices;
  }

  private context(
    cluster: S,
    principal: Principal,
    channel: ChannelRef,
    correlationId: string,
    log: Logger,
    progress: ((text: string) => Promise<void>) | undefined,
    execution?: { approvalId: string; executionId: number },
    how: { trigger: Trigger } = { trigger: 'typed' },
  ): CommandContext<S> {
    const { store, clock } = this.options;
    const approvalId = execution?.approvalId;
    const role = resolveRole(this.options.rbac, principal);
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
      later: (what, work) => this.inBackground(work(), `could not finish ${what}`),
      checkpoint: async (data) => {
        if (!execution) throw new Error('a checkpoint is kept only inside an approved execution');
        await store.saveCheckpoint(execution.executionId, data);
      },
      tell: async (reply) => {
        if (!execution) {
          await (progress ?? (async () => undefined))(reply.title);
          return;
        }
        await store.appendEvent({
          at: clock.now(),
          kind: 'execution.note',
          subject: `approval:${execution.approvalId}`,
          data: { reply },
        });
        this.options.onChange?.();
      },
      principal,
      role,
      channel,
      correlationId,
      cluster,
      log,
      clock,
      progress: progress ?? (async () => undefined),
      runtime: this.facade(how.trigger),
    };
  }

  private facade(trigger: Trigger): RuntimeFacade {
    return {
      listCommands: () =>
        this.leaves().map(({ path, leaf }) => ({
          path,
          description: leaf.description,
          role: leaf.role,
          destructive: leaf.destructive,
          usage: usageOf(path, leaf.options),
        })),
      vote: (ctx, id, decision, reason) => this.gate.vote(ctx as CommandContext<S>, id, decision, reason, trigger),
      listApprovals: async ({ includeClosed, limit }) => {
        const approvals = await this.options.store.listApprovals(
          includeClosed ? { limit } : { statuses: ['pending'], limit },
        );
        return approvalsReply(approvals, this.options.clock.now(), includeClosed);
      },
      queryAudit: async (filter) => auditReply(await this.options.store.queryAudit(filter)),
      listJobs: async () => (this.options.jobs ? this.options.jobs.list() : []),
      instances: async () => this.options.instances?.status(),
    };
  }

  private async audit(entry: GateAuditEntry): Promise<void> {
    await this.options.store.appendAudit({
      at: this.options.clock.now(),
      ...entry,
      approvalId: typeof entry.detail.approvalId === 'string' ? entry.detail.approvalId : null,
    });
  }
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

import type { z } from 'zod';
import type { Clock } from './clock.js';
import type { InstancesStatus } from './leadership.js';
import type { Logger } from './logger.js';
import type { HealthView } from './platform-health.js';
import type { Block, Reply } from './reply.js';
import type { Role, RoleOrNone } from './roles.js';

/**
 * A chat command is a declaration. Slack's usage text, Discord's registered options, the terminal's help and the
 * argument parser all come from `options`; the runtime, not the command, enforces `role`, channel limits and, for
 * destructive commands, the approval gate.
 *
 * The core is generic over `S`, the domain services a command reaches (for this bot, the lotus cluster: see
 * `src/command-kit.ts`); it never looks inside them.
 */

export type OptionType = 'string' | 'integer' | 'boolean' | 'duration';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  choices?: readonly string[];
  required?: boolean;
  /**
   * Positional options may be given bare, in declaration order (`/pledge 3`); every option may also be given as
   * `name=value`. A boolean option may be given as its bare name (`/deadlines all`).
   */
  positional?: boolean;
  /** The last positional option may take the rest of the line, so a reason needs no quotes. */
  rest?: boolean;
}

/** Who is asking, as their platform describes them. RBAC turns it into a role, now and again at execution. */
export interface Principal {
  /** e.g. slack:U0123, discord:4567, terminal:alice */
  id: string;
  /** Groups the platform says the user is in: slack-group:S0123, discord-role:456. */
  groups: string[];
  displayName?: string;
}

/** Where the command was typed, and where replies and later messages about it go. */
export interface ChannelRef {
  /** Adapter name: slack, discord, terminal, exec. */
  platform: string;
  id: string;
  name?: string;
}

/** How a command arrived: typed, or by a click on a button the bot posted (whose answer the clicker alone sees). */
export type Trigger = 'typed' | 'button';

export interface CommandContext<S = unknown> {
  principal: Principal;
  role: RoleOrNone;
  channel: ChannelRef;
  correlationId: string;
  /** The domain services (for this bot: the lotus cluster's APIs and hosts). */
  cluster: S;
  log: Logger;
  clock: Clock;
  /** Progress for long work: adapters show it (an updated message, a line in the terminal). */
  progress(text: string): Promise<void>;
  /** The runtime's own services, for the built-in commands (/help, /approvals, /audit, /health). */
  runtime: RuntimeFacade;
  /** What commands remember between runs (e.g. the sectors a pledge created), kept in the store. */
  journal: Journal;
  /** Recurring work that one approval covers; the long-lived bot process runs it. */
  schedules: ScheduleBook;
  /** The approval request this execution belongs to, when it is one. */
  approvalId?: string;
  /**
   * Inside an execution: records how far it got (kept with the execution, renewed lease and all). After a crash, a
   * command with `resume` is offered a person's confirmation to continue from the last checkpoint.
   */
  checkpoint(data: Record<string, unknown>): Promise<void>;
  /**
   * Inside an execution: a reply for the request's thread (e.g. each step's result), posted by the chat-updates job
   * whichever process runs the execution. Outside one it is shown as progress.
   */
  tell(reply: Reply): Promise<void>;
  /** The chat platforms' connection health (/health); absent where no platform adapter runs (exec, tests). */
  health?: HealthView;
  /**
   * Work that must not hold up the answer, such as remembering what a read command saw: it runs beside the reply
   * (and so never makes a reader wait for another process's write lock); `exec` still waits for it before it exits.
   */
  later(what: string, work: () => Promise<void>): void;
}

export interface ScheduleView {
  id: string;
  kind: string;
  data: unknown;
  intervalMs: number;
  nextRunAt: number;
  status: 'active' | 'paused' | 'stopped';
  statusReason: string | null;
  createdBy: string;
  runs: number;
}

export interface ScheduleBook {
  /** Starts recurring work in this context's channel; the first round is due at once. */
  create(kind: string, data: unknown, intervalMs: number): Promise<ScheduleView>;
  list(kind: string, includeStopped?: boolean): Promise<ScheduleView[]>;
  stop(id: string): Promise<ScheduleView | undefined>;
}

/** A fact a command remembered, with who and which approval it was for. */
export interface JournalRecord {
  at: number;
  principal: string;
  approvalId: string | null;
  data: Record<string, unknown>;
}

export interface Journal {
  append(kind: string, data: Record<string, unknown>): Promise<void>;
  recent(kind: string, limit: number): Promise<JournalRecord[]>;
}

/** A background job as /health shows it. */
export interface JobStatus {
  name: string;
  description: string;
  everyMs: number;
  nextRunAt: number | null;
  lastStartedAt: number | null;
  lastDurationMs: number | null;
  lastOutcome: 'ok' | 'failed' | 'timeout' | null;
  lastError: string | null;
  runs: number;
  failures: number;
  /** Which process holds the job now, while it runs. */
  runningIn: string | null;
}

/** What built-in commands may ask of the runtime, without reaching into its internals. */
export interface RuntimeFacade {
  /** Every leaf command with its role, for /help. */
  listCommands(): Array<{ path: string; description: string; role: Role; destructive: boolean; usage: string }>;
  vote(ctx: CommandContext<unknown>, id: string, decision: 'approve' | 'deny', reason?: string): Promise<Reply>;
  listApprovals(options: { includeClosed: boolean; limit: number }): Promise<Reply>;
  queryAudit(filter: { principal?: string; command?: string; limit: number }): Promise<Reply>;
  /** The background jobs of the long-lived process, with their last runs (empty where none run, as in exec). */
  listJobs(): Promise<JobStatus[]>;
  /** The instances sharing the store, which one leads, and whether the database answers (for /health). */
  instances(): Promise<InstancesStatus | undefined>;
}

/** The plan of a destructive command: shown to the requester and to approvers, stored with the request. */
export interface Plan<P = unknown> {
  /** What will happen, pre-checks, risks: the body of the approval request. */
  reply: Reply;
  /** Everything execute needs, serialisable as JSON: it is stored, and checked against `planSchema` when read back. */
  data: P;
  /** A failed pre-check: no request is opened and the reason is shown. */
  blocked?: string;
}

/**
 * Who must agree before a destructive command runs. The requester's own vote never counts. The configuration's
 * `rbac.approvals` may raise or change it per command.
 */
export interface ApprovalPolicy {
  approvals: number;
  approverRole: Role;
  /** How long the request stays open, in ms. */
  ttlMs: number;
  /** Each approver must say why they approve (the reason is kept in the audit trail). */
  reasonRequired?: boolean;
}

interface LeafBase<A> {
  name: string;
  description: string;
  options: readonly OptionSpec[];
  /** The parsed options must satisfy this; its messages become the usage error. */
  args: z.ZodType<A>;
  role: Role;
  /**
   * Whether it reaches the domain services (`ctx.cluster`). Set by `commandKit`; the runtime loads the services, and
   * the lotus and SSH clients behind them, only for commands that do, so `exec /help` starts without them.
   */
  services?: boolean;
}

export interface ReadCommand<S = unknown, A = unknown> extends LeafBase<A> {
  destructive: false;
  run(ctx: CommandContext<S>, args: A): Promise<Reply>;
}

export interface DestructiveCommand<S = unknown, A = unknown, P = unknown> extends LeafBase<A> {
  destructive: true;
  /** No side effects: what would happen, with pre-checks. */
  plan(ctx: CommandContext<S>, args: A): Promise<Plan<P>>;
  /**
   * The plan's data as it must read when it comes back out of the store; a stored plan that no longer parses (the
   * command changed since, or the row was edited) is refused, never executed.
   */
  planSchema: z.ZodType<P>;
  /** Runs at most once per approved request; `ctx.principal` is the requester, roles checked again just before. */
  execute(ctx: CommandContext<S>, plan: Plan<P>): Promise<Reply>;
  approval: ApprovalPolicy;
  /**
   * What an execution cut off by a crash had done, from the journal entries it made: shown in the "interrupted"
   * notice, e.g. the sectors pledged before the bot stopped.
   */
  describeProgress?(entries: JournalRecord[]): Block[];
  /**
   * Continues an interrupted execution from its last checkpoint, once a person has confirmed that the state is as
   * the checkpoint says (`continuePolicy`). Commands without it are never continued: the operator runs them anew.
   */
  resume?(ctx: CommandContext<S>, plan: Plan<P>, checkpoint: Record<string, unknown>): Promise<Reply>;
  /**
   * What a person must check before confirming a continuation, in the command's words ("step 5 may or may not have
   * happened: check …"), from the interrupted execution's last checkpoint. Without it the checkpoint is listed.
   */
  describeCheckpoint?(checkpoint: Record<string, unknown>): string | undefined;
  /** Who may confirm a continuation (default: one admin; the original requester may, it is not a second opinion). */
  continuePolicy?: { approverRole: Role; ttlMs: number };
}

export type LeafCommand<S = unknown> = ReadCommand<S, never> | DestructiveCommand<S, never, never>;

/** A command with subcommands, e.g. /approvals list|approve|deny. The first word picks the subcommand. */
export interface CommandGroup<S = unknown> {
  name: string;
  description: string;
  subcommands: readonly LeafCommand<S>[];
  /** The subcommand run when the first word names none (`/pledge 3` = `/pledge start 3`). */
  defaultSubcommand?: string;
}

export type CommandDefinition<S = unknown> = LeafCommand<S> | CommandGroup<S>;

export function isGroup<S>(command: CommandDefinition<S>): command is CommandGroup<S> {
  return 'subcommands' in command;
}

/**
 * Typed helpers for one kind of services, so that a command file gets its `args` and plan types inferred into
 * run/plan/execute: `const { defineReadCommand } = commandKit<ClusterServices>({ services: true })`.
 */
export function commandKit<S>(options: { services: boolean }) {
  return {
    defineReadCommand<A>(command: ReadCommand<S, A>): LeafCommand<S> {
      return { services: options.services, ...command } as unknown as LeafCommand<S>;
    },
    defineDestructiveCommand<A, P>(command: DestructiveCommand<S, A, P>): LeafCommand<S> {
      return { services: options.services, ...command } as unknown as LeafCommand<S>;
    },
    defineGroup(group: CommandGroup<S>): CommandGroup<S> {
      return group;
    },
  };
}

/** Commands that need no domain services (/help, /approvals, /audit, /health): they run without loading them. */
export const { defineReadCommand, defineDestructiveCommand, defineGroup } = commandKit<unknown>({ services: false });

import type { z } from 'zod';
import type { ClusterServices } from '../cluster/cluster-services.js';
import type { HealthView } from '../net/connection-health.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Reply } from './reply.js';
import type { Role, RoleOrNone } from './roles.js';

/**
 * A chat command is a declaration. Slack's usage text, Discord's registered options, the terminal's help and the
 * argument parser all come from `options`; the runtime, not the command, enforces `role`, channel limits and, for
 * destructive commands, the approval gate.
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

/** Who is asking, as RBAC resolved it. */
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

export interface CommandContext {
  principal: Principal;
  role: RoleOrNone;
  channel: ChannelRef;
  correlationId: string;
  cluster: ClusterServices;
  log: Logger;
  clock: Clock;
  /** Progress for long work: adapters show it (an updated message, a line in the terminal). */
  progress(text: string): Promise<void>;
  /** The runtime's own services, for the built-in commands (/help, /approvals, /audit). */
  runtime: RuntimeFacade;
  /** What commands remember between runs (e.g. the sectors a pledge created), kept in the store. */
  journal: Journal;
  /** Recurring work that one approval covers; the long-lived bot process runs it. */
  schedules: ScheduleBook;
  /** The approval request this execution belongs to, when it is one. */
  approvalId?: string;
  /** The chat platforms' connection health (/health); absent where no platform adapter runs (exec, tests). */
  health?: HealthView;
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

export interface Journal {
  append(kind: string, data: Record<string, unknown>): Promise<void>;
  recent(
    kind: string,
    limit: number,
  ): Promise<Array<{ at: number; principal: string; approvalId: string | null; data: Record<string, unknown> }>>;
}

/** What built-in commands may ask of the runtime, without reaching into its internals. */
export interface RuntimeFacade {
  /** Every leaf command with its role, for /help. */
  listCommands(): Array<{ path: string; description: string; role: Role; destructive: boolean; usage: string }>;
  vote(ctx: CommandContext, id: string, decision: 'approve' | 'deny', reason?: string): Promise<Reply>;
  listApprovals(options: { includeClosed: boolean; limit: number }): Promise<Reply>;
  queryAudit(filter: { principal?: string; command?: string; limit: number }): Promise<Reply>;
}

/** The plan of a destructive command: shown to the requester and to approvers, stored with the request. */
export interface Plan<P = unknown> {
  /** What will happen, pre-checks, risks: the body of the approval request. */
  reply: Reply;
  /** Everything execute needs, serialisable as JSON: it is stored and read back after a restart. */
  data: P;
  /** A failed pre-check: no request is opened and the reason is shown. */
  blocked?: string;
}

export interface ApprovalPolicy {
  approvals: number;
  approverRole: Role;
  /** How long the request stays open, in ms. */
  ttlMs: number;
}

interface LeafBase<A> {
  name: string;
  description: string;
  options: readonly OptionSpec[];
  /** The parsed options must satisfy this; its messages become the usage error. */
  args: z.ZodType<A>;
  role: Role;
}

export interface ReadCommand<A = unknown> extends LeafBase<A> {
  destructive: false;
  run(ctx: CommandContext, args: A): Promise<Reply>;
}

export interface DestructiveCommand<A = unknown, P = unknown> extends LeafBase<A> {
  destructive: true;
  /** No side effects: what would happen, with pre-checks. */
  plan(ctx: CommandContext, args: A): Promise<Plan<P>>;
  /** Runs at most once per approved request; `ctx.principal` is the requester. */
  execute(ctx: CommandContext, plan: Plan<P>): Promise<Reply>;
  approval: ApprovalPolicy;
}

export type LeafCommand = ReadCommand<never> | DestructiveCommand<never, never>;

/** A command with subcommands, e.g. /approvals list|approve|deny. The first word picks the subcommand. */
export interface CommandGroup {
  name: string;
  description: string;
  subcommands: readonly LeafCommand[];
  /** The subcommand run when the first word names none (`/pledge 3` = `/pledge start 3`). */
  defaultSubcommand?: string;
}

export type CommandDefinition = LeafCommand | CommandGroup;

export function isGroup(command: CommandDefinition): command is CommandGroup {
  return 'subcommands' in command;
}

/** Typed helpers so a command file gets its `args` type inferred into run/plan/execute. */
export function defineReadCommand<A>(command: ReadCommand<A>): LeafCommand {
  return command as unknown as LeafCommand;
}

export function defineDestructiveCommand<A, P>(command: DestructiveCommand<A, P>): LeafCommand {
  return command as unknown as LeafCommand;
}

export function defineGroup(group: CommandGroup): CommandGroup {
  return group;
}

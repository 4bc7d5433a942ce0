import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { ClusterServices } from '../../src/cluster/cluster-services.js';
import type { ChannelPoster, ChannelPosters, MessageRef } from '../../src/core/channel-poster.js';
import { FakeClock } from '../../src/core/clock.js';
import {
  type ChannelRef,
  type CommandDefinition,
  defineDestructiveCommand,
  type Principal,
} from '../../src/core/command.js';
import type { JobRegistry } from '../../src/core/jobs/job-registry.js';
import { createKernel } from '../../src/core/kernel.js';
import type { Leadership } from '../../src/core/leadership.js';
import { loadCommands } from '../../src/core/load-commands.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import type { HealthView } from '../../src/core/platform-health.js';
import { block, type Reply } from '../../src/core/reply.js';
import type { Runtime, RuntimeOptions } from '../../src/core/runtime.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/** Captures every log line as text, to assert on what the log says (and never says). */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

/** A destructive command that exists only in tests: it records each execution and can be made slow or failing. */
export function destroyCommand(state: { executions: number; gate?: Promise<void>; fail?: boolean }): CommandDefinition {
  return defineDestructiveCommand({
    name: 'destroy',
    description: 'Test-only destructive command',
    options: [{ name: 'target', type: 'string', description: 'What to destroy', positional: true, required: true }],
    args: z.strictObject({ target: z.string().min(1) }),
    role: 'operator',
    destructive: true,
    approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
    planSchema: z.strictObject({ target: z.string().min(1) }),
    async plan(_ctx, args) {
      if (args.target === 'blocked') {
        return {
          reply: { title: 'Plan', blocks: [] },
          data: { target: args.target },
          blocked: 'the target is protected',
        };
      }
      return {
        reply: { title: `Plan: destroy ${args.target}`, blocks: [block.text('It will be gone.')] },
        data: { target: args.target },
      };
    },
    async execute(ctx, plan) {
      state.executions++;
      await ctx.progress('destroying');
      if (state.gate) await state.gate;
      if (state.fail) throw new Error('disk on fire');
      return { title: `Destroyed ${plan.data.target}`, severity: 'success', blocks: [] };
    },
  });
}

export const people = {
  admin: { id: 'terminal:root', groups: [] } as Principal,
  alice: { id: 'slack:UALICE', groups: [] } as Principal,
  bob: { id: 'slack:UBOB', groups: [] } as Principal,
  carol: { id: 'discord:333', groups: ['discord-role:777'] } as Principal,
  victor: { id: 'slack:UVIEW', groups: [] } as Principal,
  stranger: { id: 'slack:USTRANGER', groups: [] } as Principal,
};

export const channel: ChannelRef = { platform: 'slack', id: 'C0OPS' };

export interface Harness {
  runtime: Runtime;
  store: Store;
  clock: FakeClock;
  state: { executions: number; gate?: Promise<void>; fail?: boolean };
  /** What the chat would show, from the recording poster of platform `slack`: posts, updates and thread replies. */
  posted: Array<{ channel: ChannelRef; reply: Reply }>;
  updates: Array<{ ref: MessageRef; reply: Reply }>;
  threads: Array<{ ref: MessageRef; reply: Reply }>;
  /** The background jobs (expiry, recovery, chat updates); tests tick them on the fake clock. */
  jobs: JobRegistry;
  /** Which instance leads; tests tick it on the fake clock. */
  leadership: Leadership;
  /** Waits for audit entries and chat updates still under way. */
  settled(): Promise<void>;
  /** The runtime's posters, so that a platform adapter under test can register itself beside the recorder. */
  posters: ChannelPosters;
  /** The RBAC rules the runtime was built with, for adapters that read them (Slack reads user groups only if used). */
  rbac: RuntimeOptions<unknown>['rbac'];
  logLines: string[];
  dbPath: string;
  run(principal: Principal, line: string, where?: ChannelRef): Promise<Reply>;
  reopen(): Promise<Harness>;
  close(): Promise<void>;
}

const unused = (what: string) => () => {
  throw new Error(`the runtime harness has no ${what}`);
};
export const fakeCluster: ClusterServices = {
  topology: { name: 'test', daemons: [], miners: [], hosts: [] },
  settings: { sshConcurrency: 16, pledgeForkTimeoutMs: 300_000, workerReconnectTimeoutMs: 120_000 },
  fullNode: unused('full node'),
  daemon: unused('full node'),
  miner: unused('miner'),
  findMiner: unused('miner'),
  minersWithRole: () => [],
  runOnHost: unused('hosts'),
  forEachHost: unused('hosts'),
  probeTcp: unused('network'),
  async close() {},
};

export async function createHarness(
  options: {
    dbPath?: string;
    clock?: FakeClock;
    state?: Harness['state'];
    extraOperators?: string[];
    extraAdmins?: string[];
    extraCommands?: CommandDefinition[];
    channels?: Record<string, string[]>;
    approvals?: Record<
      string,
      { approvals: number; approverRole: 'viewer' | 'operator' | 'admin'; ttl: string; reasonRequired?: boolean }
    >;
    health?: HealthView;
    /**
     * A long-lived process (default: its changes reach the chat at once, and its jobs run when ticked), or one like
     * `exec`, which runs no background work at all.
     */
    longLived?: boolean;
    /** This harness as a process (tests play several processes sharing one store). */
    owner?: { id: string; pid: number; host: string; startedAt: number };
    executionLeaseMs?: number;
    /** Another store than a new SQLite file (PostgreSQL); `close` closes it. */
    store?: Store;
    /** Instances sharing the store compete for the lead (tests tick `leadership` on the fake clock). */
    leadership?: { shared: boolean; ttlMs?: number; announce?: ChannelRef[] };
  } = {},
): Promise<Harness> {
  const dbPath = options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'lcops-')), 'store.db');
  const clock = options.clock ?? new FakeClock();
  const state = options.state ?? { executions: 0 };
  const { log, lines } = captureLog();
  const store = options.store ?? new SqliteStore(dbPath);
  const posted: Harness['posted'] = [];
  const updates: Harness['updates'] = [];
  const threads: Harness['threads'] = [];
  let messages = 0;
  const recorder: ChannelPoster = {
    platform: 'slack',
    async post(where, reply) {
      posted.push({ channel: where, reply });
      messages++;
      return { platform: 'slack', channelId: where.id, messageIds: [`m${messages}`] };
    },
    async update(ref, reply) {
      updates.push({ ref, reply });
    },
    async replyInThread(ref, reply) {
      threads.push({ ref, reply });
    },
  };
  const commands = [...(await loadCommands()), destroyCommand(state), ...(options.extraCommands ?? [])];
  const rbac: Harness['rbac'] = {
    roles: {
      admin: [people.admin.id, ...(options.extraAdmins ?? [])],
      operator: [people.alice.id, people.bob.id, 'discord-role:777', ...(options.extraOperators ?? [])],
      viewer: ['slack:*'],
    },
    approvals: options.approvals ?? {},
    channels: options.channels ?? {},
  };
  const kernel = createKernel({
    commands,
    store,
    cluster: fakeCluster,
    rbac,
    log,
    clock,
    owner: options.owner ?? { id: 'test-host:1:0', pid: 1, host: 'test-host', startedAt: 0 },
    ...(options.executionLeaseMs === undefined ? {} : { executionLeaseMs: options.executionLeaseMs }),
    ...(options.health ? { health: options.health } : {}),
    ...(options.leadership ? { leadership: options.leadership } : {}),
  });
  kernel.posters.register(recorder);
  // Changes reach the recorder at once; the periodic jobs run only when a test ticks them.
  if (options.longLived !== false) kernel.startBackgroundWork({ timer: false });
  const { runtime, posters } = kernel;
  const harness: Harness = {
    runtime: runtime as Runtime,
    store,
    clock,
    state,
    posted,
    updates,
    threads,
    jobs: kernel.jobs,
    leadership: kernel.leadership,
    settled: () => kernel.settled(),
    posters,
    rbac,
    logLines: lines,
    dbPath,
    run(principal, line, where = channel) {
      const [command = '', ...rest] = line.replace(/^\//, '').split(' ');
      return runtime.dispatch({ principal, channel: where, command, text: rest.join(' ') });
    },
    async reopen() {
      await harness.close();
      return createHarness({ ...options, dbPath, clock, state });
    },
    async close() {
      await kernel.stop();
      await store.close();
    },
  };
  return harness;
}

/** The approval id of a request's message (its subject, `approval:K7M2Q9`). */
export function requestIdOf(reply: Reply): string {
  const id = reply.subject?.startsWith('approval:') ? reply.subject.slice('approval:'.length) : undefined;
  if (!id) throw new Error(`reply has no approval request: ${JSON.stringify(reply)}`);
  return id;
}

export function textOf(reply: Reply): string {
  return [reply.title, ...reply.blocks.map((b) => JSON.stringify(b))].join('\n');
}

/**
 * Another process approves request `id` and claims its execution, then dies before it runs anything: its lease is
 * never renewed. Resolves with the claimed execution's id.
 */
export async function claimedByDeadProcess(
  h: Harness,
  id: string,
  options: { leaseMs?: number } = {},
): Promise<number> {
  const outcome = await h.store.vote(
    {
      approvalId: id,
      voter: people.bob.id,
      voterJson: JSON.stringify(people.bob),
      decision: 'approve',
      now: h.clock.now(),
      correlationId: 'vote-of-a-dead-process',
      origin: { platform: 'slack', channelId: channel.id, trigger: 'typed' },
      owner: { id: 'dead-host:4242:0', pid: 4242, host: 'dead-host', startedAt: 0 },
      leaseMs: options.leaseMs ?? 60_000,
    },
    () => ({ kind: 'approved' }),
  );
  if (outcome.kind !== 'decided' || !outcome.execution) throw new Error(`request ${id} was not claimed`);
  return outcome.execution.id;
}

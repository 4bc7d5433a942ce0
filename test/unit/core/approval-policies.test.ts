import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineDestructiveCommand } from '../../../src/core/command.js';
import { block, type Reply } from '../../../src/core/reply.js';
import {
  claimedByDeadProcess,
  createHarness,
  type Harness,
  people,
  requestIdOf,
  textOf,
} from '../../helpers/runtime-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const admins = { dana: { id: 'slack:UDANA', groups: [] }, erik: { id: 'slack:UERIK', groups: [] } };

/** A test-only command as risky as a rollback: two admins must approve it. */
function eraseCommand(ran: string[]) {
  return defineDestructiveCommand({
    name: 'erase',
    description: 'Test-only command needing two admins',
    options: [{ name: 'what', type: 'string', description: 'What', positional: true, required: true }],
    args: z.strictObject({ what: z.string() }),
    role: 'admin',
    destructive: true,
    approval: { approvals: 2, approverRole: 'admin', ttlMs: 30 * 60_000 },
    planSchema: z.strictObject({ what: z.string() }),
    async plan(_ctx, args) {
      return { reply: { title: `Plan: erase ${args.what}`, blocks: [] }, data: { what: args.what } };
    },
    async execute(_ctx, plan) {
      ran.push(plan.data.what);
      return { title: `Erased ${plan.data.what}`, severity: 'success', blocks: [] };
    },
  });
}

describe('approval policies', () => {
  it('given a command that needs two admins, when an operator and the requester approve, then neither counts; two other admins run it', async () => {
    const ran: string[] = [];
    h = await createHarness({ extraCommands: [eraseCommand(ran)], extraAdmins: [admins.dana.id, admins.erik.id] });
    const id = requestIdOf(await h.run(people.admin, '/erase wallet-keys'));
    expect(textOf(await h.run(people.bob, `/approvals approve ${id}`))).toContain(
      `Approving ${id} needs the admin role`,
    );
    expect(textOf(await h.run(people.admin, `/approvals approve ${id}`))).toContain('another person must approve it');
    expect(textOf(await h.run(admins.dana, `/approvals approve ${id}`))).toContain('needs 1 more approval(s)');
    expect(ran).toEqual([]);
    expect((await h.run(admins.erik, `/approvals approve ${id}`)).title).toBe('Erased wallet-keys');
    expect(ran).toEqual(['wallet-keys']);
  });

  it('given a configuration rule that asks for less, then the command keeps its own stricter policy', async () => {
    const ran: string[] = [];
    h = await createHarness({
      extraCommands: [eraseCommand(ran)],
      extraAdmins: [admins.dana.id],
      approvals: { erase: { approvals: 1, approverRole: 'viewer', ttl: '5m' } },
    });
    const reply = await h.run(people.admin, '/erase wallet-keys');
    expect(textOf(reply)).toContain('needs 2 approval(s) from another admin');
    expect(textOf(reply)).toMatch(/expires 2026-11-30 12:05 UTC/);
    const id = requestIdOf(reply);
    expect(textOf(await h.run(admins.dana, `/approvals approve ${id}`))).toContain('needs 1 more approval(s)');
    expect(ran).toEqual([]);
  });

  it('given a rule that wants a reason, when an approver gives none, then they are told how; with a reason it counts and is audited', async () => {
    h = await createHarness({
      approvals: { destroy: { approvals: 1, approverRole: 'operator', ttl: '30m', reasonRequired: true } },
    });
    const reply = await h.run(people.alice, '/destroy disk-1');
    expect(textOf(reply)).toContain('each with a reason');
    // The Approve button asks for the reason too.
    expect(reply.actions?.[0]).toMatchObject({ command: `/approvals approve ${requestIdOf(reply)}`, ask: true });
    const id = requestIdOf(reply);
    const bare = await h.run(people.bob, `/approvals approve ${id}`);
    expect(bare.outcome).toBe('refused');
    expect(textOf(bare)).toContain(`Approving ${id} needs a reason: /approvals approve ${id} REASON.`);
    expect(h.state.executions).toBe(0);
    const given = await h.run(people.bob, `/approvals approve ${id} disk-1 is the scratch disk`);
    expect(given.title).toBe('Destroyed disk-1');
    const approved = (await h.store.queryAudit({ approvalId: id, limit: 20 })).find(
      (e) => e.event === 'approval.approved',
    );
    expect(approved?.detail.reason).toBe('disk-1 is the scratch disk');
  });
});

describe('what the gate checks again at execution', () => {
  it('given a stored plan that no longer reads as the command expects, when approved, then it is refused and never run', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    const db = (h.store as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): unknown } } }).db;
    db.prepare('UPDATE approvals SET plan_json = ? WHERE id = ?').run(
      JSON.stringify({ reply: { title: 'Plan', blocks: [] }, data: { target: 42 } }),
      id,
    );
    const reply = await h.run(people.bob, `/approvals approve ${id}`);
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain(`The stored plan of request ${id} no longer reads as this command expects`);
    expect(textOf(reply)).toContain('target:');
    expect(h.state.executions).toBe(0);
    expect((await h.store.getExecution(id))?.status).toBe('failed');
  });

  it('given a requester removed from the configuration after asking, when someone approves, then the action is not run', async () => {
    h = await createHarness();
    const id = requestIdOf(await h.run(people.alice, '/destroy disk-1'));
    h.rbac.roles.operator = h.rbac.roles.operator.filter((p) => p !== people.alice.id);
    const reply = await h.run(people.bob, `/approvals approve ${id}`);
    expect(reply.outcome).toBe('refused');
    expect(textOf(reply)).toContain(
      `Request ${id} was not run: its requester slack:UALICE no longer has the operator role under the current configuration (they have viewer).`,
    );
    expect(h.state.executions).toBe(0);
  });

  it('given a requester whose role comes from a platform group, when the request is approved, then the group still counts at execution', async () => {
    h = await createHarness();
    // Carol is an operator only through her Discord role.
    const id = requestIdOf(await h.run(people.carol, '/destroy disk-1'));
    const stored = await h.store.getApproval(id);
    expect(JSON.parse(stored?.requesterJson ?? '{}')).toEqual({ id: 'discord:333', groups: ['discord-role:777'] });
    expect((await h.run(people.bob, `/approvals approve ${id}`)).title).toBe('Destroyed disk-1');
    expect(h.state.executions).toBe(1);
  });
});

/** A command that records a checkpoint per step and can continue from the last one. */
function stepsCommand(log: string[]) {
  return defineDestructiveCommand({
    name: 'steps',
    description: 'Test-only command run in steps',
    options: [],
    args: z.strictObject({}),
    role: 'operator',
    destructive: true,
    approval: { approvals: 1, approverRole: 'operator', ttlMs: 30 * 60_000 },
    planSchema: z.strictObject({ steps: z.number() }),
    async plan() {
      return { reply: { title: 'Plan: three steps', blocks: [] }, data: { steps: 3 } };
    },
    async execute(ctx, plan) {
      for (let step = 1; step <= plan.data.steps; step++) {
        await ctx.checkpoint({ step });
        log.push(`step ${step}`);
      }
      return { title: 'All steps done', severity: 'success', blocks: [] };
    },
    async resume(_ctx, plan, checkpoint) {
      const from = Number(checkpoint.step);
      for (let step = from; step <= plan.data.steps; step++) log.push(`resumed step ${step}`);
      return { title: `Continued from step ${from}`, severity: 'success', blocks: [block.text('done')] } as Reply;
    },
  });
}

describe('continuing an interrupted execution', () => {
  it('given a resumable execution whose process died at step 2, then an admin is asked to confirm, and on confirmation it continues from step 2', async () => {
    const log: string[] = [];
    h = await createHarness({ extraCommands: [stepsCommand(log)] });
    const id = requestIdOf(await h.run(people.alice, '/steps'));
    const execution = await claimedByDeadProcess(h, id);
    await h.store.saveCheckpoint(execution, { step: 2 });
    h.clock.advance(61_000);
    await h.jobs.tick();
    await h.settled();
    const [pending] = await h.store.listApprovals({ statuses: ['pending'], limit: 5 });
    expect(pending).toMatchObject({ kind: 'continue', parentId: id, approverRole: 'admin' });
    const asked = h.posted.find((p) => p.reply.subject === `approval:${pending?.id}`);
    expect(asked?.reply.actions?.map((a) => a.label)).toEqual(['Confirm and continue', 'Abort']);
    expect(textOf(asked?.reply as Reply)).toContain('Its last checkpoint: step 2.');

    // An operator may not confirm; an admin may, though nobody else approved.
    expect(textOf(await h.run(people.bob, `/approvals approve ${pending?.id}`))).toContain('needs the admin role');
    const confirmed = await h.run(people.admin, `/approvals approve ${pending?.id}`);
    expect(confirmed.title).toBe('Continued from step 2');
    expect(log).toEqual(['resumed step 2', 'resumed step 3']);
  });
});

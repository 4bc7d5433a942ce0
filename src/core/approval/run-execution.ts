import type { ApprovalRecord, ExecutionOwner, ExecutionRecord, Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Reply } from '../reply.js';

export interface ExecutionDeps {
  store: Store;
  clock: Clock;
  owner: ExecutionOwner;
  leaseMs: number;
  log: Logger;
  /** Something changed that chat messages should show (progress, the outcome). */
  changed(): void;
}

/** Progress lines reach the request's message at most this often: a chatty loop must not flood the platform. */
const progressEveryMs = 3_000;

/**
 * Carries out one claimed execution in this process: renews its lease while the work runs (so that no other process
 * reports it interrupted), publishes progress, and records the outcome, whatever it is. The work's own failure is
 * turned into a reply by `failed`; nothing escapes without being recorded.
 */
export async function runExecution(
  deps: ExecutionDeps,
  approval: ApprovalRecord,
  execution: ExecutionRecord,
  work: (tools: { progress(text: string): Promise<void> }) => Promise<Reply>,
  failed: (error: unknown) => Reply,
): Promise<Reply> {
  const { store, clock, owner, leaseMs, log } = deps;
  const renew = async (): Promise<void> => {
    const held = await store.renewExecutionLease(execution.id, owner.id, clock.now() + leaseMs);
    if (!held) log.warn({ approvalId: approval.id }, 'this execution was reported interrupted meanwhile; it goes on');
  };
  // A third of the lease: two renewals may fail (a busy store) before another process may call it interrupted.
  const renewal = setInterval(
    () => {
      void renew().catch((error: unknown) => log.warn({ err: error }, 'could not renew an execution lease'));
    },
    Math.max(1_000, Math.floor(leaseMs / 3)),
  );
  renewal.unref();
  let lastProgressAt = 0;
  const progress = async (text: string): Promise<void> => {
    const now = clock.now();
    if (now - lastProgressAt < progressEveryMs) return;
    lastProgressAt = now;
    await store.appendEvent({
      at: now,
      kind: 'execution.progress',
      subject: `approval:${approval.id}`,
      data: { text },
    });
    deps.changed();
  };
  let reply: Reply;
  let status: 'succeeded' | 'failed';
  try {
    reply = await work({ progress });
    status = reply.severity === 'error' || reply.outcome === 'failed' ? 'failed' : 'succeeded';
  } catch (error) {
    const failure = failed(error);
    reply = { ...failure, title: `/${approval.command} (${approval.id}) failed`, ephemeral: false };
    status = 'failed';
  } finally {
    clearInterval(renewal);
  }
  const final: Reply = { ...reply, outcome: status === 'failed' ? (reply.outcome ?? 'failed') : 'ok' };
  await store.finishExecution(execution.id, status, JSON.stringify(final), clock.now());
  deps.changed();
  return final;
}

import type { Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { DestructiveCommand, LeafCommand } from '../command.js';
import type { JobDefinition } from '../jobs/job-registry.js';
import type { Metrics } from '../metrics.js';

export interface ApprovalJobsOptions<S> {
  store: Store;
  clock: Clock;
  leaf(path: string): LeafCommand<S> | undefined;
  /** Something changed that chat messages should show. */
  changed(): void;
  /** Execution leases: an interrupted execution is looked for every half lease (at most every 10 s). */
  leaseMs: number;
  metrics: Metrics;
}

/** A continuation waits this long for a person by default: long enough to reach someone at night. */
const continueTtlMs = 24 * 60 * 60_000;

/**
 * The approval gate's own background work in the long-lived process: closing requests whose time is up, and
 * reporting executions whose process stopped (their lease ran out). An interrupted execution is never re-run; for a
 * command that can continue from a checkpoint, a person is asked to confirm the state first (a `continue` request).
 */
export function approvalJobs<S>(options: ApprovalJobsOptions<S>): JobDefinition[] {
  const { store, clock } = options;
  return [
    {
      name: 'approvals-expiry',
      description: 'Closes approval requests whose time is up and tells the requester',
      everyMs: 30_000,
      timeoutMs: 30_000,
      async run({ now }) {
        const expired = await store.expireApprovals(now);
        if (expired.length > 0) options.metrics.approval('expired', expired.length);
        if (expired.length > 0) options.changed();
        return undefined;
      },
    },
    {
      name: 'executions-recovery',
      description: 'Reports executions whose process stopped (lease ran out); never re-runs them',
      everyMs: Math.max(1_000, Math.min(10_000, Math.floor(options.leaseMs / 2))),
      timeoutMs: 30_000,
      async run({ now }) {
        const interrupted = await store.claimInterruptedExecutions(now);
        for (const execution of interrupted) {
          const approval = await store.getApproval(execution.approvalId);
          const leaf = approval ? options.leaf(approval.command) : undefined;
          if (!approval || !leaf?.destructive) continue;
          const command = leaf as DestructiveCommand<S>;
          if (!command.resume) continue;
          const policy = command.continuePolicy ?? { approverRole: 'admin', ttlMs: continueTtlMs };
          await store.createApproval({
            kind: 'continue',
            command: approval.command,
            argsJson: approval.argsJson,
            planJson: approval.planJson,
            requestedBy: 'system:recovery',
            requesterJson: JSON.stringify({ id: 'system:recovery', groups: [] }),
            channelPlatform: approval.channelPlatform,
            channelId: approval.channelId,
            correlationId: approval.correlationId,
            createdAt: clock.now(),
            expiresAt: clock.now() + policy.ttlMs,
            requiredApprovals: 1,
            approverRole: policy.approverRole,
            reasonRequired: false,
            parentId: approval.id,
          });
        }
        if (interrupted.length > 0) options.changed();
        return undefined;
      },
    },
  ];
}

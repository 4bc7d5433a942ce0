import type { ClusterServices } from '../../cluster/cluster-services.js';
import type { AlertCheckName } from '../../config/schema.js';
import { isOpsError, OpsError } from '../../core/errors.js';
import type { CheckLine } from '../../core/reply.js';
import type { BatchResult, BatchResults, CallOptions, RpcClient, RpcRequest } from '../../lotus/rpc-client.js';
import type { AlertSeverity, Finding } from '../finding.js';
import type { AlertThresholds } from './thresholds.js';

/** What a check gets for one pass. */
export interface CheckContext {
  services: ClusterServices;
  now: number;
  /** Fires at the check's timeout: what is still waiting is given up, and the check reports what it could not see. */
  signal: AbortSignal;
  thresholds: AlertThresholds;
  /** What this check remembered at its last pass (workers seen, when drain mode began); empty at first. */
  memory: Record<string, unknown>;
  /** Per lotus call: the pass's signal and a timeout inside the check's. */
  call: CallOptions;
}

/** One line of /status: every check says what is fine too, so a healthy cluster reads as checked, not silent. */
export interface StatusLine extends CheckLine {
  /** The role or part of the cluster it belongs to: /status groups by it. */
  group: StatusGroup;
}

export const statusGroups = [
  'Daemons',
  'Miners',
  'WinningPoSt',
  'WindowPoSt',
  'Sector counter',
  'Sealing',
  'Workers',
  'Funds',
  'lotus alerts',
] as const;
export type StatusGroup = (typeof statusGroups)[number];

export interface CheckOutcome {
  findings: Finding[];
  lines: StatusLine[];
  /**
   * Subjects the check could not see this pass (`f01000`, `daemon-internal/wallet`; '' for all of it): their alerts
   * stay as they were, neither resolved nor changed, because not seeing a problem is not its end.
   */
  blind: string[];
  /** What the next pass starts from; undefined keeps nothing. */
  memory?: Record<string, unknown>;
}

/** One module per part of the cluster; the alert engine and /status run the same ones. */
export interface AlertCheck {
  name: AlertCheckName;
  description: string;
  defaultEveryMs: number;
  /** How bad it is not to be able to look (WindowPoSt unseen is worse than a balance unseen). */
  blindSeverity: AlertSeverity;
  /** Where /status shows the check itself when it cannot run at all. */
  home: StatusGroup;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

const lineStatus: Record<AlertSeverity, StatusLine['status']> = { critical: 'fail', warning: 'warn', info: 'info' };

/** Collects a check's lines and findings together, so that every problem raised is also a /status line. */
export class Report {
  private readonly findings: Finding[] = [];
  private readonly lines: StatusLine[] = [];
  private readonly blind: string[] = [];

  constructor(
    private readonly check: AlertCheck,
    private readonly now: number,
  ) {}

  ok(group: StatusGroup, label: string, detail: string): void {
    this.lines.push({ group, status: 'pass', label, detail });
  }

  /** Worth showing in /status, not worth an alert (a token that may not read one thing, a drain not yet long). */
  note(group: StatusGroup, label: string, detail: string): void {
    this.lines.push({ group, status: 'info', label, detail });
  }

  problem(group: StatusGroup, label: string, finding: Omit<Finding, 'check'>): void {
    this.findings.push({ check: this.check.name, ...finding });
    this.lines.push({ group, status: lineStatus[finding.severity], label, detail: finding.summary });
  }

  /**
   * A read that failed is a finding of its own, never silence. A token that may not call the method is only noted:
   * the operator chose it, and an alert until the token changes would be noise. `cause` names the alert that would
   * explain it (the internal daemon being down explains every chain read failing).
   */
  cannotCheck(
    group: StatusGroup,
    subject: string,
    what: string,
    error: unknown,
    options: { severity?: AlertSeverity; cause?: string; actor?: string } = {},
  ): void {
    const reason = describeError(error);
    this.blind.push(subject);
    if (isOpsError(error) && error.code === 'LOTUS_PERMISSION') {
      this.note(group, subject, `cannot check ${what}: ${reason}`);
      return;
    }
    this.problem(group, subject, {
      subject: `${subject}/cannot check`,
      severity: options.severity ?? this.check.blindSeverity,
      summary: `Cannot check ${what}: ${reason}`,
      detail: 'The check will try again at its next pass; until then this part of the cluster is not watched.',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.actor === undefined ? {} : { actor: options.actor }),
    });
  }

  outcome(memory?: Record<string, unknown>): CheckOutcome {
    return {
      findings: this.findings,
      lines: this.lines,
      blind: this.blind,
      ...(memory === undefined ? {} : { memory }),
    };
  }

  get time(): number {
    return this.now;
  }
}

/** One line for a failed read: the catalogue's message (never a stack), with lotus's own text when it gave one. */
export function describeError(error: unknown): string {
  if (isOpsError(error)) return error.message.replace(/\.$/, '');
  if (error instanceof Error && error.name === 'AbortError') return 'no answer before the check timed out';
  return error instanceof Error ? error.message : String(error);
}

/** The key of the alert a daemon being down raises: what chain reads that fail point at as their likely cause. */
export function daemonCause(services: ClusterServices): string {
  const daemon = services.topology.daemons.find((d) => !d.public) ?? services.topology.daemons[0];
  return `daemons:${daemon?.name ?? 'daemon'}`;
}

/** A promise that gives up at the signal, for reads (SSH, TCP) that take no signal of their own. */
export function withinSignal<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(new OpsError('INTERNAL', {}, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      const error = new Error('no answer before the check timed out');
      error.name = 'AbortError';
      reject(error);
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/**
 * Reads sent together in one JSON-RPC batch (one round trip per node). A failure that took the whole request (down,
 * timed out, bad token) becomes each read's error; an error of one item stays that item's.
 */
export async function readTogether<R extends readonly RpcRequest<unknown>[]>(
  rpc: RpcClient,
  requests: R,
  call: CallOptions,
): Promise<BatchResults<R>> {
  try {
    return await rpc.batch(requests, call);
  } catch (error) {
    const failure: BatchResult<never> = { ok: false, error: asOpsError(error) };
    return requests.map(() => failure) as unknown as BatchResults<R>;
  }
}

/** Whether every read failed the same way: the node itself is unreachable, not one method. */
export function allFailed(results: readonly BatchResult<unknown>[]): OpsError | undefined {
  const [first] = results;
  if (!first || first.ok) return undefined;
  return results.every((r) => !r.ok && r.error === first.error) ? first.error : undefined;
}

function asOpsError(error: unknown): OpsError {
  if (isOpsError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError')
    return new OpsError('LOTUS_TIMEOUT', { endpoint: 'lotus', method: 'batch', ms: 'the check' }, { cause: error });
  return new OpsError('INTERNAL', {}, { cause: error });
}

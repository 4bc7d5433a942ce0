import pLimit from 'p-limit';
import type { ClusterServices } from '../cluster/cluster-services.js';
import type { AlertCheck, CheckOutcome } from './checks/check.js';
import type { AlertThresholds } from './checks/thresholds.js';

export interface RunChecksOptions {
  services: ClusterServices;
  thresholds: AlertThresholds;
  now: number;
  /** What each check remembered at its last pass, by check name. */
  memory: Record<string, Record<string, unknown>>;
  /** Each check's budget: its reads give up a little before, so that it still reports what it saw. */
  timeoutMs: number;
  concurrency: number;
  signal?: AbortSignal;
  /** As each check ends (for /status to show what is still pending). */
  onDone?: (check: AlertCheck, outcome: CheckOutcome) => void;
}

/** A check that overran its budget: everything it watches is unseen, and that is a finding. */
export interface TimedOut {
  timedOut: true;
}

/** Lotus reads get this share of the check's budget, leaving the rest for the check to report what failed. */
const READ_SHARE = 0.8;
/** After its budget, a check gets this long to return what it has before it is given up. */
const GRACE_MS = 1_000;

/**
 * Runs checks, `concurrency` at once, each within its budget. A check whose reads hang reports them as "cannot
 * check" itself (its reads time out first); one that does not return even then is replaced by a finding saying so.
 * Never rejects: a check that throws is a finding too.
 */
export async function runChecks(
  checks: readonly AlertCheck[],
  options: RunChecksOptions,
): Promise<Map<string, CheckOutcome & Partial<TimedOut>>> {
  const limit = pLimit(options.concurrency);
  const results = new Map<string, CheckOutcome & Partial<TimedOut>>();
  await Promise.all(
    checks.map((check) =>
      limit(async () => {
        const outcome = await runOne(check, options);
        results.set(check.name, outcome);
        options.onDone?.(check, outcome);
      }),
    ),
  );
  return results;
}

async function runOne(check: AlertCheck, options: RunChecksOptions): Promise<CheckOutcome & Partial<TimedOut>> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const budget = setTimeout(() => controller.abort(), options.timeoutMs);
  let grace: NodeJS.Timeout | undefined;
  const givenUp = new Promise<'late'>((resolve) => {
    grace = setTimeout(() => resolve('late'), options.timeoutMs + GRACE_MS);
  });
  try {
    const work = check.run({
      services: options.services,
      now: options.now,
      signal,
      thresholds: options.thresholds,
      memory: options.memory[check.name] ?? {},
      call: { signal, timeoutMs: Math.max(500, Math.floor(options.timeoutMs * READ_SHARE)) },
    });
    const result = await Promise.race([work, givenUp]);
    if (result === 'late') {
      work.catch(() => undefined);
      return blindOutcome(check, `did not finish within ${Math.round(options.timeoutMs / 1000)} s`, true);
    }
    return result;
  } catch (error) {
    return blindOutcome(check, `failed: ${error instanceof Error ? error.message : String(error)}`, false);
  } finally {
    clearTimeout(budget);
    clearTimeout(grace);
  }
}

function blindOutcome(check: AlertCheck, what: string, timedOut: boolean): CheckOutcome & Partial<TimedOut> {
  const summary = `The ${check.name} check ${what}`;
  return {
    findings: [
      {
        check: check.name,
        subject: 'cannot check',
        severity: check.blindSeverity,
        summary,
        detail:
          'Until it finishes again, what it watches is not watched. A host or node that hangs is the usual cause.',
      },
    ],
    lines: [{ group: check.home, status: 'fail', label: check.name, detail: summary }],
    blind: [''],
    ...(timedOut ? { timedOut: true } : {}),
  };
}

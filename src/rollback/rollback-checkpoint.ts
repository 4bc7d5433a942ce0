import type { JournalRecord } from '../core/command.js';
import { type Block, block } from '../core/reply.js';

/**
 * How a rollback run's progress reads back after a crash: from its checkpoint (the continuation's question) and its
 * journal (the interrupted notice). No lotus or SSH here: the command's declaration uses it at start-up.
 */

export const ROLLBACK_JOURNAL = 'rollback';

/** Where a run is, as its checkpoint keeps it: the last step done and the one under way (if any). */
export interface RollbackCheckpoint {
  done: number;
  step?: number;
  title?: string;
  check?: string;
  phase?: 'running';
}

/** What an interrupted run had done, from its journal: shown in the "interrupted" notice. */
export function describeRollbackProgress(entries: JournalRecord[]): Block[] {
  const steps = entries.filter((e) => e.data.phase === 'step-done').map((e) => `${e.data.step}. ${e.data.title}`);
  const started = entries.filter((e) => e.data.phase === 'step-started').at(-1);
  const open = started && !entries.some((e) => e.data.phase === 'step-done' && e.data.step === started.data.step);
  return [
    block.text(steps.length > 0 ? `Steps done before it stopped: ${steps.join('; ')}.` : 'No step was finished.'),
    ...(open ? [block.notice('warning', `Step ${started.data.step} (${started.data.title}) was under way.`)] : []),
  ];
}

/** The continuation's question: which step may or may not have happened, and what to check. */
export function describeRollbackCheckpoint(checkpoint: Record<string, unknown>): string | undefined {
  const { step, title, check, phase, done } = checkpoint as Partial<RollbackCheckpoint>;
  if (phase === 'running' && step !== undefined)
    return `Steps 1–${done ?? step - 1} are done. Step ${step} (${title ?? '?'}) may or may not have happened: check ${check ?? 'the cluster'}. On confirm the bot checks it first and runs it only if that check does not pass yet.`;
  if (done !== undefined) return `Steps 1–${done} are done; the next step had not started.`;
  return undefined;
}

/** Where a continuation starts again, from the interrupted run's checkpoint. */
export function resumePoint(checkpoint: Record<string, unknown>): { next: number; uncertain?: number } {
  const { step, phase, done } = checkpoint as Partial<RollbackCheckpoint>;
  if (phase === 'running' && typeof step === 'number') return { next: step, uncertain: step };
  return { next: (typeof done === 'number' ? done : 0) + 1 };
}

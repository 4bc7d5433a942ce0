import type { Journal } from '../core/command.js';
import { type DeadlinesReport, type EarlierFaults, faultsByDeadline } from './deadlines-report.js';

const KIND = 'deadline-faults';

/** The faults per deadline the bot last saw for an actor, so that /deadlines can say which are new. */
export async function recallFaults(journal: Journal, actor: string): Promise<EarlierFaults | undefined> {
  const entries = await journal.recent(KIND, 100);
  const last = entries.find((e) => e.data.actor === actor);
  if (!last || !Array.isArray(last.data.faults)) return undefined;
  return { at: last.at, epoch: Number(last.data.epoch), faults: (last.data.faults as unknown[]).map(Number) };
}

/** Remembers this look's faults, only when they changed: the journal grows with events, not with every look. */
export async function rememberFaults(
  journal: Journal,
  report: DeadlinesReport,
  earlier: EarlierFaults | undefined,
): Promise<void> {
  const faults = faultsByDeadline(report);
  if (earlier && faults.length === earlier.faults.length && faults.every((n, i) => n === earlier.faults[i])) return;
  await journal.append(KIND, { actor: report.actor, epoch: report.epoch, faults });
}

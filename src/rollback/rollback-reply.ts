import { relativeTime } from '../core/duration.js';
import { type Block, block, type Reply } from '../core/reply.js';
import type { RollbackPlan } from './rollback-plan.js';
import type { RollbackStep } from './rollback-steps.js';
import { type ChainClock, epochToMs } from './safe-window.js';

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const targetName = { single: 'a single miner', official: 'the official lotus' } as const;

/** One step as a person reads it: what, where and how, the check, the undo. */
export function stepLines(step: RollbackStep): string {
  return [
    `${step.n}. ${step.title}`,
    `   what: ${step.does}`,
    `   run:  ${step.shown}`,
    `   check before the next step: ${step.checkText}`,
    `   undo: ${step.undo}`,
  ].join('\n');
}

/** The plan as chat shows it: verdict on the window first, the warnings, the facts, the steps, the downtime. */
export function rollbackPlanReply(plan: RollbackPlan, clock: ChainClock, now: number): Reply {
  const at = (epoch: number) => {
    const ms = epochToMs(clock, epoch);
    return `${utc(ms)} (${relativeTime(ms, now)})`;
  };
  const { window } = plan;
  const blocks: Block[] = [];
  if (window.now)
    blocks.push(
      block.notice(
        'success',
        `Safe window now: until ${at(window.now.end)}${window.now.endsAtDeadline === undefined ? '' : `, when deadline ${window.now.endsAtDeadline} opens`}.`,
      ),
    );
  else if (window.windows[0])
    blocks.push(
      block.notice(
        'warning',
        `Not now. Recommended: the first safe window, ${at(window.windows[0].start)} to ${utc(epochToMs(clock, window.windows[0].end))}.`,
      ),
    );
  else
    blocks.push(
      block.notice(
        'error',
        'No safe window in the next 24 hours: every stretch has a deadline with live sectors opening in it. Lower rollback.safeWindow only knowing that a deadline is then proven late or missed.',
      ),
    );
  if (window.now)
    blocks.push(
      block.text(
        `If done now: no deadline with live sectors opens before ${utc(epochToMs(clock, window.now.end))}; the whole procedure must be over by then.`,
      ),
    );
  if (window.atStake.length > 0 && !window.now)
    blocks.push(
      block.text(
        `At stake if done now: ${window.atStake.map((d) => `deadline ${d.index} (${d.liveSectors} sectors, opens ${at(d.open)})`).join('; ')}: a missed proof turns them faulty and costs a fault fee each day.`,
      ),
    );
  if (window.current)
    blocks.push(
      block.text(
        `Open deadline ${window.current.index}: ${window.current.liveSectors === 0 ? 'holds no sectors' : window.current.proven ? 'already proven' : `${window.current.unprovenPartitions} partition(s) not yet proven`}.`,
      ),
    );
  if (window.windows.length > 0)
    blocks.push(
      block.table(
        ['safe window (UTC)', 'until', 'ends when'],
        window.windows
          .slice(0, 6)
          .map((w) => [
            utc(epochToMs(clock, w.start)),
            utc(epochToMs(clock, w.end)),
            w.endsAtDeadline === undefined ? '—' : `deadline ${w.endsAtDeadline} opens`,
          ]),
      ),
    );
  for (const w of plan.warnings) blocks.push(block.notice('warning', w));
  for (const b of plan.blockers) blocks.push(block.notice('error', `The bot will not carry it out: ${b}.`));
  blocks.push(block.list(plan.facts));
  if (plan.metadata)
    blocks.push(
      block.fields([
        { label: 'Sector metadata', value: `${plan.metadata.miner}: ${plan.metadata.sectors} proving` },
        { label: 'On chain', value: `${plan.metadata.chainLive} live` },
        { label: 'Missing from its list', value: String(plan.metadata.missing) },
      ]),
    );
  blocks.push(block.code(plan.steps.map(stepLines).join('\n\n')));
  if (plan.downtime.length > 0)
    blocks.push(
      block.table(
        ['role', 'down for about', 'steps'],
        plan.downtime.map((d) => [d.role, `${d.minutes} min`, d.to ? `${d.from}–${d.to}` : `${d.from}–end`]),
      ),
    );
  const severity = plan.blockers.length > 0 ? 'warning' : plan.warnings.length > 0 ? 'warning' : 'info';
  return {
    title: `Rollback of ${plan.actor} to ${targetName[plan.target]}${plan.survivor && plan.target === 'single' ? ` (${plan.survivor})` : ''}: ${plan.steps.length} steps`,
    severity,
    blocks,
  };
}

import { formatFil } from '../../lotus/fil.js';
import { type AlertCheck, type CheckContext, daemonCause, Report, readTogether } from './check.js';

/** Deadlines in a proving period: one WindowPoSt message each, at least, per day. */
const POSTS_PER_DAY = 48;

/**
 * Funds, per miner actor: the worker's and each control address's balance against a floor (by default, what a day of
 * WindowPoSt messages costs at the current base fee: they pay that gas), and the miner's available balance, which
 * pays pre-commit deposits and pledge.
 */
export const fundsCheck: AlertCheck = {
  name: 'funds',
  description: 'Worker and control balances against a day of WindowPoSt gas; the miner available balance',
  defaultEveryMs: 5 * 60_000,
  blindSeverity: 'warning',
  home: 'Funds',
  async run(ctx) {
    const report = new Report(fundsCheck, ctx.now);
    const actors = [...new Set(ctx.services.topology.miners.map((m) => m.actor))];
    await Promise.all(actors.map((actor) => checkActor(ctx, report, actor)));
    return report.outcome();
  },
};

async function checkActor(ctx: CheckContext, report: Report, actor: string): Promise<void> {
  const api = ctx.services.fullNode();
  const cause = daemonCause(ctx.services);
  const [info, available, head] = await readTogether(
    api.rpc,
    [
      api.request('StateMinerInfo', [actor, []]),
      api.request('StateMinerAvailableBalance', [actor, []]),
      api.request('ChainHead', []),
    ] as const,
    ctx.call,
  );
  if (!info.ok) {
    report.cannotCheck('Funds', actor, `${actor}'s addresses`, info.error, { cause, actor });
    return;
  }
  const addresses = [
    { role: 'worker', address: info.value.Worker, floor: ctx.thresholds.workerBalance },
    ...info.value.ControlAddresses.map((address, i) => ({
      role: `control ${i}`,
      address,
      floor: ctx.thresholds.controlBalance,
    })),
  ];
  const balances = await readTogether(
    api.rpc,
    addresses.map((a) => api.request('WalletBalance', [a.address])),
    ctx.call,
  );
  // The base fee of the head's parent: what a message pays per gas unit now (it moves 12.5% per epoch at most).
  const baseFee = head.ok ? BigInt(head.value.Blocks[0]?.ParentBaseFee ?? '0') : undefined;
  const autoFloor = baseFee === undefined ? undefined : BigInt(POSTS_PER_DAY * ctx.thresholds.windowPostGas) * baseFee;
  addresses.forEach(({ role, address, floor }, i) => {
    const read = balances[i];
    const label = `${actor} ${role} ${address}`;
    if (!read?.ok) {
      report.cannotCheck('Funds', `${actor}/${role}`, `the ${role} balance`, read?.error, { cause, actor });
      return;
    }
    const minimum = floor === 'auto' ? autoFloor : floor;
    const balance = BigInt(read.value);
    if (minimum === undefined) {
      report.note('Funds', label, `${formatFil(balance)} (no floor: the base fee could not be read)`);
      return;
    }
    const why =
      floor === 'auto'
        ? `a day of WindowPoSt gas at today's base fee (${POSTS_PER_DAY} × ${ctx.thresholds.windowPostGas.toLocaleString('en-US')} gas × ${baseFee} attoFIL)`
        : 'the configured floor';
    if (balance < minimum)
      report.problem('Funds', label, {
        subject: `${actor}/${role}`,
        severity: balance === 0n || role === 'worker' ? 'critical' : 'warning',
        actor,
        summary: `${actor} ${role} address ${address} holds ${formatFil(balance)}, under ${formatFil(minimum)}`,
        detail: `The floor is ${why}. Messages from this address (WindowPoSt, pre-commits, commits) fail when it cannot pay their gas: lotus send ${address} <FIL>.`,
      });
    else report.ok('Funds', label, `${formatFil(balance)} (floor ${formatFil(minimum)})`);
  });
  if (!available.ok) {
    report.cannotCheck('Funds', `${actor}/available`, `${actor}'s available balance`, available.error, {
      cause,
      actor,
    });
    return;
  }
  const free = BigInt(available.value);
  const label = `${actor} available`;
  if (free < ctx.thresholds.availableBalance)
    report.problem('Funds', label, {
      subject: `${actor}/available`,
      severity: 'warning',
      actor,
      summary: `${actor}'s available balance is ${formatFil(free)}, under ${formatFil(ctx.thresholds.availableBalance)}`,
      detail: `Pre-commit deposits and initial pledge come from it (or from the worker wallet): new sectors fail with "insufficient funds for pre-commit deposit". lotus send ${actor} <FIL> adds to it.`,
    });
  else report.ok('Funds', label, formatFil(free));
}

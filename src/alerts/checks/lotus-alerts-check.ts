import type { Alert } from '../../lotus/schemas.js';
import { type AlertCheck, Report } from './check.js';

/**
 * lotus's own alerts (`LogAlerts`, what `lotus-miner info` counts as "⚠ N Active alerts"): every active one on every
 * daemon and miner, e.g. process/fd-limit or sector-index/pathconf-*. Needs an admin token on each node.
 */
export const lotusAlertsCheck: AlertCheck = {
  name: 'lotus-alerts',
  description: "lotus's own active alerts (LogAlerts) on every daemon and miner",
  defaultEveryMs: 5 * 60_000,
  blindSeverity: 'warning',
  home: 'lotus alerts',
  async run(ctx) {
    const report = new Report(lotusAlertsCheck, ctx.now);
    const { daemons, miners } = ctx.services.topology;
    await Promise.all([
      ...daemons.map((d) =>
        checkNode(report, d.name, () => ctx.services.daemon(d.name).logAlerts(ctx.call), `daemons:${d.name}`),
      ),
      ...miners.map((m) =>
        checkNode(report, m.name, () => ctx.services.miner(m.name).logAlerts(ctx.call), `miners:${m.name}`, m.actor),
      ),
    ]);
    return report.outcome();
  },
};

/** `cause`: the alert the node being down raises, which explains this read failing. */
async function checkNode(
  report: Report,
  node: string,
  read: () => Promise<Alert[]>,
  cause: string,
  actor?: string,
): Promise<void> {
  let alerts: Alert[];
  try {
    alerts = await read();
  } catch (error) {
    report.cannotCheck('lotus alerts', node, `${node}'s lotus alerts`, error, {
      cause,
      ...(actor === undefined ? {} : { actor }),
    });
    return;
  }
  const active = alerts.filter((a) => a.Active);
  if (active.length === 0) report.ok('lotus alerts', node, `none active (${alerts.length} known)`);
  for (const alert of active) {
    const type = `${alert.Type.System}/${alert.Type.Subsystem}`;
    const message = messageText(alert.LastActive?.Message);
    report.problem('lotus alerts', `${node} ${type}`, {
      subject: `${node}/${type}`,
      severity: 'warning',
      ...(actor === undefined ? {} : { actor }),
      summary: `${node}: lotus alert ${type}${message ? `: ${message}` : ''}`,
      detail: `Raised by lotus itself${alert.LastActive?.Time ? ` at ${alert.LastActive.Time}` : ''}; lotus log alerts on ${node} shows it.`,
    });
  }
}

/** lotus keeps an alert's message as raw JSON: usually a string, sometimes an object. One line of it, at most 200. */
function messageText(message: unknown): string {
  if (message === undefined || message === null) return '';
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

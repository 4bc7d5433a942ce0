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
    const nodes = [
      ...daemons.map((d) => ({
        node: d.name,
        read: () => ctx.services.daemon(d.name).logAlerts(ctx.call),
        cause: `daemons:${d.name}`,
      })),
      ...miners.map((m) => ({
        node: m.name,
        read: () => ctx.services.miner(m.name).logAlerts(ctx.call),
        cause: `miners:${m.name}`,
        actor: m.actor,
      })),
    ];
    // Read at once, reported in the configuration's order: /status lists the nodes the same way every time.
    const reads = await Promise.all(
      nodes.map((n) =>
        n.read().then(
          (alerts) => ({ alerts }),
          (error: unknown) => ({ error }),
        ),
      ),
    );
    nodes.forEach((n, i) => checkNode(report, n, reads[i] as Read));
    return report.outcome();
  },
};

type Read = { alerts: Alert[] } | { error: unknown };

/** `cause`: the alert the node being down raises, which explains this read failing. */
function checkNode(report: Report, n: { node: string; cause: string; actor?: string }, read: Read): void {
  const { node, cause, actor } = n;
  if ('error' in read) {
    report.cannotCheck('lotus alerts', node, `${node}'s lotus alerts`, read.error, {
      cause,
      ...(actor === undefined ? {} : { actor }),
    });
    return;
  }
  const active = read.alerts.filter((a) => a.Active);
  if (active.length === 0) report.ok('lotus alerts', node, `none active (${read.alerts.length} known)`);
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

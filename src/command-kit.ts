import type { AlertDesk } from './alerts/alert-desk.js';
import type { ClusterServices } from './cluster/cluster-services.js';
import { commandKit } from './core/command.js';

/**
 * What this bot's commands reach: the lotus cluster's APIs and hosts, and its alerts. It stands above both, beside
 * app.ts, which builds it.
 */
export interface BotServices extends ClusterServices {
  readonly alerts: AlertDesk;
}

/** Command declarations whose context reaches the cluster (commands/deadlines.ts, commands/pledge.ts, …). */
export const { defineReadCommand, defineDestructiveCommand, defineGroup } = commandKit<BotServices>({
  services: true,
});

import type { AlertDesk } from '../alerts/alert-desk.js';
import { type CommandContext, commandKit } from '../core/command.js';
import type { ClusterServices } from './cluster-services.js';

/** What this bot's commands reach: the lotus cluster's APIs and hosts, and its alerts. */
export interface BotServices extends ClusterServices {
  readonly alerts: AlertDesk;
}

/** What a command of this bot gets: the core's context, with the lotus cluster as its services. */
export type OpsContext = CommandContext<ClusterServices>;

/** Command declarations whose context reaches the cluster (commands/deadlines.ts, commands/pledge.ts, …). */
export const { defineReadCommand, defineDestructiveCommand, defineGroup } = commandKit<BotServices>({
  services: true,
});

import type { CommandContext } from '../core/command.js';
import type { ClusterServices } from './cluster-services.js';

/** What a command of this bot gets: the core's context, with the lotus cluster as its services. */
export type OpsContext = CommandContext<ClusterServices>;

import type { ChannelPosters } from '../../core/channel-poster.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import type { ClusterServices } from '../cluster-services.js';

/** The kind of schedule /pledge every=… keeps in the store. */
export const PLEDGE_SCHEDULE = 'pledge';

/** What running pledge schedules needs. */
export interface PledgeScheduleOptions {
  store: Store;
  cluster: () => Promise<ClusterServices>;
  posters: ChannelPosters;
  clock: Clock;
  log: Logger;
}

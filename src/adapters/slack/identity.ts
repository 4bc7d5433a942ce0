import type { webApi } from '@slack/bolt';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../core/command.js';
import type { Logger } from '../../core/logger.js';
import type { RbacRules } from '../../core/rbac.js';
import { slackError } from './slack-error.js';
import { userGroupsSchema } from './slack-payloads.js';

const retryAfterFailureMs = 60_000;

export interface SlackIdentityOptions {
  client: webApi.WebClient;
  rbac: RbacRules;
  clock: Clock;
  log: Logger;
  /** How long a fetched membership list is used before it is fetched again. */
  ttlMs?: number;
  /** How long an old list may still be used while Slack cannot be asked; after that, group roles lapse. */
  maxStaleMs?: number;
}

interface Membership {
  fetchedAt: number;
  groupsByUser: Map<string, string[]>;
}

/**
 * A Slack user as a principal: `slack:U0123`, with the user groups they are in as `slack-group:S0123`. Groups are read
 * with usergroups.list (needs usergroups:read) only when some RBAC rule names a `slack-group:`, and the list is
 * cached for a while. When Slack cannot be asked, the last list is used for a bounded time (someone just removed from
 * a group keeps its role at most that long); with no usable list the user gets no group roles, so a failure never
 * grants more than the user's own rules. A failed fetch is not retried for a minute, so an outage costs one call a
 * minute, not one per command.
 */
export class SlackIdentity {
  private readonly usesGroups: boolean;
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private membership: Membership | undefined;
  private failedAt: number | undefined;
  private inFlight: Promise<Membership | undefined> | undefined;

  constructor(private readonly options: SlackIdentityOptions) {
    this.usesGroups = Object.values(options.rbac.roles).some((patterns) =>
      patterns.some((p) => p.startsWith('slack-group:')),
    );
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.maxStaleMs = Math.max(options.maxStaleMs ?? 60 * 60_000, this.ttlMs);
  }

  async principalOf(userId: string, userName?: string): Promise<Principal> {
    const groups = this.usesGroups ? ((await this.currentMembership())?.groupsByUser.get(userId) ?? []) : [];
    return { id: `slack:${userId}`, groups, ...(userName ? { displayName: userName } : {}) };
  }

  private async currentMembership(): Promise<Membership | undefined> {
    const now = this.options.clock.now();
    if (this.membership && now - this.membership.fetchedAt < this.ttlMs) return this.membership;
    if (this.failedAt !== undefined && now - this.failedAt < retryAfterFailureMs) return this.usable(now);
    // Concurrent commands share one fetch.
    this.inFlight ??= this.fetchMembership(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private usable(now: number): Membership | undefined {
    return this.membership && now - this.membership.fetchedAt < this.maxStaleMs ? this.membership : undefined;
  }

  private async fetchMembership(now: number): Promise<Membership | undefined> {
    try {
      const result = userGroupsSchema.parse(await this.options.client.usergroups.list({ include_users: true }));
      const groupsByUser = new Map<string, string[]>();
      for (const group of result.usergroups) {
        for (const user of group.users ?? [])
          groupsByUser.set(user, [...(groupsByUser.get(user) ?? []), `slack-group:${group.id}`]);
      }
      this.membership = { fetchedAt: now, groupsByUser };
      this.failedAt = undefined;
      return this.membership;
    } catch (error) {
      this.failedAt = now;
      const usable = this.usable(now);
      this.options.log.warn(
        { err: slackError('usergroups.list', error), usingStaleList: usable !== undefined },
        'cannot read Slack user groups; slack-group: roles use the last known membership while it is recent, else none',
      );
      return usable;
    }
  }
}

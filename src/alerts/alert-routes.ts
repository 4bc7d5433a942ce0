import type { AlertRouteConfig } from '../config/schema.js';
import type { ChannelRef } from '../core/command.js';
import type { AlertRecord } from '../store/store.js';
import { STORM_CHECK } from './reconcile.js';

export interface AlertDestination {
  channel: ChannelRef;
  /** Who is paged there: only for critical alerts, only the mentions of the channel's platform. */
  mentions: string[];
  /** The language the first route naming it asks for its robot texts. */
  language?: 'en' | 'zh';
}

/** Platforms whose messages cannot be edited or answered under: group robots, told by follow-ups. */
export const robotPlatforms: ReadonlySet<string> = new Set(['wecom', 'dingtalk', 'feishu']);

const platformOf: Record<string, string> = {
  slack: 'slack',
  'slack-group': 'slack',
  discord: 'discord',
  'discord-role': 'discord',
  wecom: 'wecom',
  dingtalk: 'dingtalk',
  feishu: 'feishu',
};

/**
 * Where an alert goes: every route that matches its severity, check and actor (a field a route leaves out matches
 * all), each channel once. A storm's summary matches on severity alone: it stands for alerts of many checks.
 */
export function destinations(alert: AlertRecord, routes: readonly AlertRouteConfig[]): AlertDestination[] {
  const out = new Map<string, AlertDestination>();
  for (const route of matchingRoutes(alert, routes)) {
    for (const channel of route.channels) {
      const colon = channel.indexOf(':');
      const platform = channel.slice(0, colon);
      const entry: AlertDestination = out.get(channel) ?? {
        channel: { platform, id: channel.slice(colon + 1) },
        mentions: [],
        ...(route.language ? { language: route.language } : {}),
      };
      if (alert.severity === 'critical')
        for (const m of route.mention)
          if (platformOf[m.slice(0, m.indexOf(':'))] === platform && !entry.mentions.includes(m))
            entry.mentions.push(m);
      out.set(channel, entry);
    }
  }
  return [...out.values()];
}

/**
 * The paging services (`pagerduty:NAME` among the mentions) of the routes an alert matches: paged, like every
 * mention, only while the alert is critical.
 */
export function pagingServices(alert: AlertRecord, routes: readonly AlertRouteConfig[]): string[] {
  if (alert.severity !== 'critical') return [];
  const out = new Set<string>();
  for (const route of matchingRoutes(alert, routes))
    for (const m of route.mention) if (m.startsWith('pagerduty:')) out.add(m.slice('pagerduty:'.length));
  return [...out];
}

/** A field a route leaves out matches all; a storm's summary matches on severity alone. */
function matchingRoutes(alert: AlertRecord, routes: readonly AlertRouteConfig[]): AlertRouteConfig[] {
  const storm = alert.check === STORM_CHECK;
  return routes.filter(
    (route) =>
      (!route.severity || route.severity.includes(alert.severity)) &&
      (storm || !route.checks || (route.checks as readonly string[]).includes(alert.check)) &&
      (storm || !route.actors || (alert.actor !== null && route.actors.includes(alert.actor))),
  );
}

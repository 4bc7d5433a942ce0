import type { AlertRouteConfig } from '../config/schema.js';
import type { ChannelRef } from '../core/command.js';
import type { AlertRecord } from '../store/store.js';
import { STORM_CHECK } from './reconcile.js';

export interface AlertDestination {
  channel: ChannelRef;
  /** Who is paged there: only for critical alerts, only the mentions of the channel's platform. */
  mentions: string[];
}

const platformOf: Record<string, string> = {
  slack: 'slack',
  'slack-group': 'slack',
  discord: 'discord',
  'discord-role': 'discord',
};

/**
 * Where an alert goes: every route that matches its severity, check and actor (a field a route leaves out matches
 * all), each channel once. A storm's summary matches on severity alone: it stands for alerts of many checks.
 */
export function destinations(alert: AlertRecord, routes: readonly AlertRouteConfig[]): AlertDestination[] {
  const out = new Map<string, AlertDestination>();
  const storm = alert.check === STORM_CHECK;
  for (const route of routes) {
    if (route.severity && !route.severity.includes(alert.severity)) continue;
    if (!storm && route.checks && !(route.checks as readonly string[]).includes(alert.check)) continue;
    if (!storm && route.actors && (alert.actor === null || !route.actors.includes(alert.actor))) continue;
    for (const channel of route.channels) {
      const colon = channel.indexOf(':');
      const platform = channel.slice(0, colon);
      const entry = out.get(channel) ?? { channel: { platform, id: channel.slice(colon + 1) }, mentions: [] };
      if (alert.severity === 'critical')
        for (const m of route.mention)
          if (platformOf[m.slice(0, m.indexOf(':'))] === platform && !entry.mentions.includes(m))
            entry.mentions.push(m);
      out.set(channel, entry);
    }
  }
  return [...out.values()];
}

import type { AlertRouteConfig } from '../config/schema.js';
import type { ChannelPosters } from '../core/channel-poster.js';
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { SubjectHandler } from '../core/messages/chat-updates.js';
import type { AlertRecord, Store, StoreEvent } from '../store/store.js';
import { destinations } from './alert-routes.js';
import { alertSubject, alertView, threadNote } from './alert-view.js';

export interface AlertMessagesOptions {
  store: Store;
  posters: ChannelPosters;
  clock: Clock;
  routes: readonly AlertRouteConfig[];
}

/** Members read for a summary's message; /alerts lists the rest. */
const MEMBERS_READ = 200;

/**
 * How alerts reach the chat (subjects `alert:A17`): one message per condition in each channel its routes name, posted
 * when people are to be told (raised, or first told after a silence), updated in place as it changes, and its history
 * (severity changes, re-notices, acks, silences, resolve) answered in its thread. Critical alerts page the routes'
 * on-call mentions. An alert shown under another (a storm's summary, an outage that explains it) has no message of
 * its own: the one it is under lists it.
 */
export function alertMessages(options: AlertMessagesOptions): SubjectHandler {
  return { prefix: 'alert', apply: (id, events) => applyToAlert(options, id, events) };
}

async function applyToAlert(options: AlertMessagesOptions, id: string, events: StoreEvent[]): Promise<void> {
  const { store, posters, clock } = options;
  const alert = await store.getAlert(id);
  if (!alert) return;
  const now = clock.now();
  const subject = alertSubject(alert.id);
  const members = await store.alertGroupMembers(alert.id, MEMBERS_READ);
  const view = alertView(alert, now, members);
  const where = destinations(alert, options.routes);
  let refs = await store.messageRefs(subject);
  const kinds = new Set(events.map((e) => e.kind));
  const silenced = alert.silencedUntil !== null && alert.silencedUntil > now;

  const postAll = async (): Promise<void> => {
    for (const d of where) {
      const ref = await posters.post(d.channel, {
        ...view,
        ...(d.mentions.length > 0 ? { mentions: d.mentions } : {}),
      });
      if (ref) await store.saveMessageRef(subject, ref, now);
    }
    refs = await store.messageRefs(subject);
  };
  const tell = async (note: (mentions: string[]) => ReturnType<typeof threadNote>): Promise<void> => {
    for (const ref of refs) {
      const mentions = where.find(
        (d) => d.channel.platform === ref.platform && d.channel.id === ref.channelId,
      )?.mentions;
      await posters.replyInThread(ref, note(alert.severity === 'critical' && !silenced ? (mentions ?? []) : []));
    }
  };

  const raised = events.find((e) => e.kind === 'alert.raised');
  const firstNotice = refs.length === 0 && alert.status === 'firing' && alert.groupId === null && !silenced;
  if (firstNotice && ((raised && raised.data.notify === true) || kinds.has('alert.renotified'))) {
    await postAll();
    return;
  }
  if (refs.length === 0) return;

  const changedInPlace = events.some((e) => e.kind !== 'alert.raised' && e.kind !== 'message.posted');
  if (changedInPlace) for (const ref of refs) await posters.update(ref, view);
  for (const event of events) {
    switch (event.kind) {
      case 'alert.changed':
        await tell((m) =>
          threadNote(
            `${alert.id} is now ${alert.severity}`,
            `${typeof event.data.from === 'string' ? `${event.data.from} → ${alert.severity}: ` : ''}${alert.summary}`,
            alert.severity === 'critical' ? 'error' : 'warning',
            m,
          ),
        );
        break;
      case 'alert.renotified':
        if (!silenced)
          await tell((m) =>
            threadNote(
              `${alert.id} still firing`,
              `Still firing after ${formatDuration(now - alert.firstSeen)} and nobody has acked it: ${alert.summary}`,
              'error',
              m,
            ),
          );
        break;
      case 'alert.resolved':
        await tell(() =>
          threadNote(`${alert.id} resolved`, `Resolved after ${formatDuration(now - alert.firstSeen)}.`, 'success'),
        );
        break;
      case 'alert.refired':
        await tell((m) =>
          threadNote(
            `${alert.id} is back`,
            `It came back within the flap window (${alert.flaps} time(s) now), so it stays this one alert: ${alert.summary}`,
            'warning',
            m,
          ),
        );
        break;
      case 'alert.acked':
        await tell(() =>
          threadNote(`${alert.id} acked`, `Acked by ${who(event)}: no more re-notices until it changes.`, 'info'),
        );
        break;
      case 'alert.silenced':
        await tell(() => threadNote(`${alert.id} silenced`, silenceText(alert, event), 'info'));
        break;
      case 'alert.unsilenced':
        await tell(() => threadNote(`${alert.id} unsilenced`, `Unsilenced by ${who(event)}.`, 'info'));
        break;
    }
  }
}

function who(event: StoreEvent): string {
  return typeof event.data.by === 'string' ? event.data.by : 'someone';
}

function silenceText(alert: AlertRecord, event: StoreEvent): string {
  const until =
    alert.silencedUntil === null
      ? ''
      : ` until ${new Date(alert.silencedUntil).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `Silenced by ${who(event)}${until}${alert.silenceReason ? `: ${alert.silenceReason}` : ''}. It is still watched; nobody is told about it meanwhile.`;
}

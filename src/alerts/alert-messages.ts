import type { AlertRouteConfig } from '../config/schema.js';
import type { ChannelPosters } from '../core/channel-poster.js';
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { SubjectHandler } from '../core/messages/chat-updates.js';
import type { PageEvent, Pager } from '../core/pager.js';
import type { Reply } from '../core/reply.js';
import type { AlertRecord, MessageRef, Store, StoreEvent } from '../store/store.js';
import { destinations, pagingServices, robotPlatforms } from './alert-routes.js';
import { alertSubject, alertView, threadNote } from './alert-view.js';
import { type RobotLanguage, type RobotNoteKind, robotAlertView, robotNote } from './robot-texts.js';

export interface AlertMessagesOptions {
  store: Store;
  posters: ChannelPosters;
  clock: Clock;
  routes: readonly AlertRouteConfig[];
  /** The robots' own languages, for routes that do not say (`wecom:ops-cn` → zh). */
  robotLanguages?: ReadonlyMap<string, RobotLanguage>;
  /** PagerDuty, for routes that page `pagerduty:NAME` on critical alerts. */
  pager?: Pager;
  /** What pages name as their source: the cluster. */
  source?: string;
}

/** How a PagerDuty incident an alert opened is remembered beside its chat messages (ref platform). */
const PAGED = 'pagerduty';

/** Members read for a summary's message; /alerts lists the rest. */
const MEMBERS_READ = 200;

/**
 * How alerts reach the chat (subjects `alert:A17`): one message per condition in each channel its routes name, posted
 * when people are to be told (raised, or first told after a silence), updated in place as it changes, and its history
 * (severity changes, re-notices, acks, silences, resolve) answered in its thread. Critical alerts page the routes'
 * on-call mentions. An alert shown under another (a storm's summary, an outage that explains it) has no message of
 * its own: the one it is under lists it.
 *
 * Group robots (WeCom, DingTalk, Feishu) cannot edit or thread: they get the first message in their route's language
 * and each change as a short follow-up quoting the alert's id. Routes that page `pagerduty:NAME` open a PagerDuty
 * incident (the alert's key as its dedup key) when a critical alert is told, acknowledge it when someone acks the
 * alert in chat, and resolve it when the alert resolves.
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
  const destinationOf = (ref: MessageRef) =>
    where.find((d) => d.channel.platform === ref.platform && d.channel.id === ref.channelId);
  const languageOf = (platform: string, channelId: string, routeLanguage?: RobotLanguage): RobotLanguage =>
    routeLanguage ?? options.robotLanguages?.get(`${platform}:${channelId}`) ?? 'en';
  const chatRefs = () => refs.filter((r) => r.platform !== PAGED);

  const page = async (action: PageEvent['action']): Promise<void> => {
    const pager = options.pager;
    if (!pager) return;
    const services =
      action === 'trigger'
        ? pagingServices(alert, options.routes)
        : refs.filter((r) => r.platform === PAGED).map((r) => r.channelId);
    for (const service of services) {
      if (!pager.serves(service)) continue;
      await pager.send(service, {
        action,
        dedupKey: alert.key,
        summary: `${alert.id}: ${alert.summary}`,
        severity: alert.severity === 'critical' ? 'critical' : alert.severity === 'warning' ? 'warning' : 'info',
        source: options.source ?? 'lotus-chatops',
        component: alert.check,
        ...(alert.actor ? { group: alert.actor } : {}),
        ...(alert.detail ? { details: { alert: alert.id, detail: alert.detail } } : { details: { alert: alert.id } }),
      });
      if (action === 'trigger')
        await store.saveMessageRef(subject, { platform: PAGED, channelId: service, messageIds: [alert.key] }, now);
    }
    if (action === 'trigger') refs = await store.messageRefs(subject);
  };

  const postAll = async (): Promise<void> => {
    for (const d of where) {
      const robot = robotPlatforms.has(d.channel.platform);
      const reply: Reply = robot
        ? robotAlertView(alert, languageOf(d.channel.platform, d.channel.id, d.language), members)
        : view;
      const ref = await posters.post(d.channel, {
        ...reply,
        ...(d.mentions.length > 0 ? { mentions: d.mentions } : {}),
      });
      if (ref) await store.saveMessageRef(subject, ref, now);
    }
    refs = await store.messageRefs(subject);
    if (alert.severity === 'critical') await page('trigger');
  };
  /** The change in each message's thread; a robot gets its short follow-up instead (when it is told of this). */
  const tell = async (
    note: (mentions: string[]) => ReturnType<typeof threadNote>,
    robot?: RobotNoteKind,
  ): Promise<void> => {
    for (const ref of chatRefs()) {
      const d = destinationOf(ref);
      const mentions = alert.severity === 'critical' && !silenced ? (d?.mentions ?? []) : [];
      if (!robotPlatforms.has(ref.platform)) await posters.replyInThread(ref, note(mentions));
      else if (robot)
        await posters.replyInThread(
          ref,
          robotNote(alert, robot, languageOf(ref.platform, ref.channelId, d?.language), note(mentions).mentions ?? []),
        );
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
  if (changedInPlace)
    for (const ref of chatRefs()) if (!robotPlatforms.has(ref.platform)) await posters.update(ref, view);
  for (const event of events) {
    switch (event.kind) {
      case 'alert.changed':
        await tell(
          (m) =>
            threadNote(
              `${alert.id} is now ${alert.severity}`,
              `${typeof event.data.from === 'string' ? `${event.data.from} → ${alert.severity}: ` : ''}${alert.summary}`,
              alert.severity === 'critical' ? 'error' : 'warning',
              m,
            ),
          { kind: 'changed', ...(typeof event.data.from === 'string' ? { from: event.data.from } : {}) },
        );
        if (alert.severity === 'critical' && alert.status === 'firing') await page('trigger');
        break;
      case 'alert.renotified':
        if (!silenced)
          await tell(
            (m) =>
              threadNote(
                `${alert.id} still firing`,
                `Still firing after ${formatDuration(now - alert.firstSeen)} and nobody has acked it: ${alert.summary}`,
                'error',
                m,
              ),
            { kind: 'renotified', forMs: now - alert.firstSeen },
          );
        break;
      case 'alert.resolved':
        await tell(
          () =>
            threadNote(`${alert.id} resolved`, `Resolved after ${formatDuration(now - alert.firstSeen)}.`, 'success'),
          { kind: 'resolved', afterMs: now - alert.firstSeen },
        );
        await page('resolve');
        break;
      case 'alert.refired':
        await tell(
          (m) =>
            threadNote(
              `${alert.id} is back`,
              `It came back within the flap window (${alert.flaps} time(s) now), so it stays this one alert: ${alert.summary}`,
              'warning',
              m,
            ),
          { kind: 'refired' },
        );
        if (alert.severity === 'critical' && !silenced) await page('trigger');
        break;
      case 'alert.acked':
        await tell(
          () => threadNote(`${alert.id} acked`, `Acked by ${who(event)}: no more re-notices until it changes.`, 'info'),
          { kind: 'acked', by: who(event) },
        );
        await page('acknowledge');
        break;
      case 'alert.silenced':
        await tell(() => threadNote(`${alert.id} silenced`, silenceText(alert, event), 'info'), {
          kind: 'silenced',
          by: who(event),
        });
        break;
      case 'alert.unsilenced':
        await tell(() => threadNote(`${alert.id} unsilenced`, `Unsilenced by ${who(event)}.`, 'info'), {
          kind: 'unsilenced',
          by: who(event),
        });
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

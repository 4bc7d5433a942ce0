import type { Store, StoreEvent } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { JobDefinition } from '../jobs/job-registry.js';
import type { Logger } from '../logger.js';

/**
 * What keeps the messages about one kind of subject in step with the store (`approval:K7M2Q9`, `alert:A17`): given a
 * subject's id and its new events, in order, it updates the messages posted about it and answers in their threads.
 */
export interface SubjectHandler {
  /** The part of the subject before the colon. */
  prefix: string;
  apply(id: string, events: StoreEvent[]): Promise<void>;
}

export interface ChatUpdatesOptions {
  store: Store;
  clock: Clock;
  handlers: readonly SubjectHandler[];
}

/** Events read per pass; a longer backlog is worked through in several. */
const batch = 200;
/** A message older than this is not touched any more: an update a day late helps nobody. */
const staleAfterMs = 24 * 60 * 60_000;

/**
 * The long-lived process's job that keeps chat in step with the store: every change that chat should show is an event
 * in the store, appended with the change, whichever process made it. This reads them in order from where it left
 * off and hands each subject's events to the handler of its kind. A failure for one subject is logged; the rest go on.
 */
export function chatUpdatesJob(options: ChatUpdatesOptions): JobDefinition {
  return {
    name: 'chat-updates',
    description: 'Shows decisions, progress, outcomes and alerts in the messages they concern, wherever they were made',
    everyMs: 2_000,
    timeoutMs: 60_000,
    async run({ state, log }) {
      // Read each run: a feature may add its handler after the job was made.
      const handlers = new Map(options.handlers.map((h) => [h.prefix, h]));
      let cursor = typeof state.cursor === 'number' ? state.cursor : 0;
      for (;;) {
        const events = await options.store.eventsAfter(cursor, batch);
        if (events.length === 0) break;
        await applyBatch(handlers, options.clock.now(), events, log);
        cursor = (events.at(-1) as StoreEvent).seq;
        if (events.length < batch) break;
      }
      return { cursor };
    },
  };
}

async function applyBatch(
  handlers: Map<string, SubjectHandler>,
  now: number,
  events: StoreEvent[],
  log: Logger,
): Promise<void> {
  const bySubject = new Map<string, StoreEvent[]>();
  for (const event of events) {
    if (now - event.at > staleAfterMs) continue;
    bySubject.set(event.subject, [...(bySubject.get(event.subject) ?? []), event]);
  }
  for (const [subject, subjectEvents] of bySubject) {
    const colon = subject.indexOf(':');
    const handler = handlers.get(subject.slice(0, colon));
    if (colon < 0 || !handler) continue;
    try {
      await handler.apply(subject.slice(colon + 1), subjectEvents);
    } catch (error) {
      log.warn({ err: error, subject }, 'could not bring the chat in step with a change');
    }
  }
}

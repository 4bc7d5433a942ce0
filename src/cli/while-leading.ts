import type { LeadershipChange } from '../core/leadership.js';
import type { Logger } from '../core/logger.js';

/**
 * Keeps something running only while this instance leads (Discord's gateway: two gateways would each answer every
 * interaction): started when the lead is gained, stopped when it is lost, one change at a time and in order. The
 * returned function stops it for good; nothing starts after it.
 */
export function whileLeading(
  leadership: { onChange(listener: (change: LeadershipChange) => void | Promise<void>): void },
  what: { name: string; start(): Promise<{ stop(): Promise<void> }> },
  log: Logger,
): () => Promise<void> {
  let current: Promise<{ stop(): Promise<void> } | undefined> = Promise.resolve(undefined);
  let ended = false;
  const change = (leading: boolean): Promise<unknown> => {
    current = current.then(async (running) => {
      if (leading && !running && !ended) {
        log.info(`this instance leads: starting ${what.name}`);
        return what.start().catch((error: unknown) => {
          log.error({ err: error }, `${what.name} could not be started`);
          return undefined;
        });
      }
      if (!leading && running) {
        log.warn(`this instance does not lead: stopping ${what.name}`);
        await running.stop().catch((error: unknown) => log.warn({ err: error }, `stopping ${what.name} failed`));
        return undefined;
      }
      return running;
    });
    return current;
  };
  leadership.onChange(({ leading }) => change(leading).then(() => undefined));
  return async () => {
    ended = true;
    await change(false);
  };
}

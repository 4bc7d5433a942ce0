/**
 * Runs `attempt` until `done` says its result is good or `withinMs` has passed, waiting `everyMs` between attempts,
 * and returns the last result. For waits on the outside world (a process restarting, a worker reconnecting): the time
 * is the monotonic clock's, not the bot's Clock, which stands still in tests.
 */
export async function pollUntil<T>(
  attempt: () => Promise<T>,
  done: (result: T) => boolean,
  options: { withinMs: number; everyMs: number },
): Promise<T> {
  const deadline = performance.now() + options.withinMs;
  for (;;) {
    const result = await attempt();
    const left = deadline - performance.now();
    if (done(result) || left <= 0) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.everyMs, left)));
  }
}

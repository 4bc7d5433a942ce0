import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { HealthView } from '../core/platform-health.js';

/** Where `run` says it is alive: beside the store, which is on the volume the container keeps. */
export function heartbeatPath(storePath: string): string {
  return join(dirname(storePath), 'lotus-chatops.alive');
}

interface Heartbeat {
  at: number;
  pid: number;
  platforms: Array<{ platform: string; state: string; since: number }>;
}

/**
 * `run` writes a heartbeat every interval (atomically: write, then rename), with each chat platform's state. The
 * container's HEALTHCHECK reads it: a stuck event loop stops the heartbeat, which a config check would never see.
 */
export function startHeartbeat(
  path: string,
  options: { clock: Clock; health: HealthView; intervalMs?: number },
): () => void {
  const write = () => {
    const beat: Heartbeat = {
      at: options.clock.now(),
      pid: process.pid,
      // The chat platforms only: a robot or PagerDuty that cannot be reached is no reason to restart the bot.
      platforms: options.health
        .platforms()
        .filter((p) => p.kind !== 'webhook')
        .map((p) => ({ platform: p.platform, state: p.state, since: p.since })),
    };
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(beat));
    renameSync(tmp, path);
  };
  write();
  const timer = setInterval(write, options.intervalMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** `lotus-chatops healthcheck`: 0 when the heartbeat is fresh and no platform has been down for long. */
export function checkHeartbeat(
  path: string,
  now: number,
  options: { maxAgeMs?: number; downForMs?: number } = {},
): { ok: boolean; message: string } {
  let beat: Heartbeat;
  try {
    beat = JSON.parse(readFileSync(path, 'utf8')) as Heartbeat;
  } catch {
    return { ok: false, message: `no heartbeat at ${path}: is lotus-chatops run started, with this configuration?` };
  }
  const age = now - beat.at;
  if (age > (options.maxAgeMs ?? 90_000))
    return { ok: false, message: `the last heartbeat is ${Math.round(age / 1000)} s old (pid ${beat.pid})` };
  const down = beat.platforms.filter((p) => p.state === 'down' && now - p.since > (options.downForMs ?? 10 * 60_000));
  if (down.length > 0) return { ok: false, message: `down for over 10 min: ${down.map((p) => p.platform).join(', ')}` };
  return {
    ok: true,
    message: `alive (pid ${beat.pid}, ${Math.round(age / 1000)} s ago)${beat.platforms.length ? `; ${beat.platforms.map((p) => `${p.platform} ${p.state}`).join(', ')}` : ''}`,
  };
}

import { hostname } from 'node:os';
import type { ExecutionOwner } from '../store/store.js';
import type { Clock } from './clock.js';

/**
 * This process as leases name it: host, pid and start time, so that a pid reused after a restart is not mistaken for
 * the process that took the lease.
 */
export function processOwner(clock: Clock): ExecutionOwner {
  const host = hostname();
  const startedAt = Math.round(clock.now() - process.uptime() * 1000);
  return { id: `${host}:${process.pid}:${startedAt}`, pid: process.pid, host, startedAt };
}

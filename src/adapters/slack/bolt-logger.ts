import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../../core/logger.js';

/**
 * Bolt, socket-mode and web-api log through this, so their lines go to our pino logger with its secret redaction
 * instead of to the console. Bolt's levels are set on our logger, not by Bolt.
 */
export function boltLogger(log: Logger): BoltLogger {
  const line = (args: unknown[]): string => args.map(describe).join(' ');
  return {
    debug: (...args: unknown[]) => log.debug(line(args)),
    info: (...args: unknown[]) => log.info(line(args)),
    warn: (...args: unknown[]) => log.warn(line(args)),
    error: (...args: unknown[]) => log.error(line(args)),
    setLevel: () => undefined,
    getLevel: () => levelOf(log.level),
    setName: () => undefined,
  };
}

function levelOf(level: string): LogLevel {
  if (level === 'trace' || level === 'debug') return LogLevel.DEBUG;
  if (level === 'info') return LogLevel.INFO;
  if (level === 'warn') return LogLevel.WARN;
  return LogLevel.ERROR;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

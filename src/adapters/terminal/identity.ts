import { userInfo } from 'node:os';
import type { Principal } from '../../core/command.js';

/** The terminal user: `--as terminal:alice` (or just `alice`), else the login name. */
export function terminalPrincipal(as: string | undefined): Principal {
  const raw = as ?? `terminal:${safeUserName()}`;
  const id = raw.includes(':') ? raw : `terminal:${raw}`;
  return { id, groups: [] };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'local';
  }
}

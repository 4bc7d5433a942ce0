import type { Principal } from './command.js';
import { type Role, type RoleOrNone, roles } from './roles.js';

export interface RbacRules {
  roles: Record<Role, readonly string[]>;
}

/** `slack:*` matches every Slack user; `*` matches everyone; otherwise the principal must be named exactly. */
export function principalMatches(pattern: string, id: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return id.startsWith(pattern.slice(0, -1));
  return pattern === id;
}

/** The highest role that the user or any of their platform groups is granted; `none` when no rule matches. */
export function resolveRole(rules: RbacRules, principal: Principal): RoleOrNone {
  const ids = [principal.id, ...principal.groups];
  for (const role of [...roles].reverse()) {
    if (rules.roles[role].some((pattern) => ids.some((id) => principalMatches(pattern, id)))) return role;
  }
  return 'none';
}

/** Per-command channel limits: a command with a list may run only in those channels (`slack:C0123`, `terminal:*`). */
export function channelAllowed(
  limits: readonly string[] | undefined,
  channel: { platform: string; id: string },
): boolean {
  if (!limits || limits.length === 0) return true;
  return limits.some((pattern) => principalMatches(pattern, `${channel.platform}:${channel.id}`));
}

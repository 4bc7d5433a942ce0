/** Roles, from least to most. A role includes every role below it. */
export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

/** `none` is what a principal matched by no rule has: it may run nothing. */
export type RoleOrNone = Role | 'none';

export function roleRank(role: RoleOrNone): number {
  return role === 'none' ? -1 : roles.indexOf(role);
}

export function hasRole(actual: RoleOrNone, needed: Role): boolean {
  return roleRank(actual) >= roleRank(needed);
}

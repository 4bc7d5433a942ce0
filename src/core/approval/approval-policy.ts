import type { ApprovalPolicy } from '../command.js';
import { parseDuration } from '../duration.js';
import { type Role, roleRank } from '../roles.js';

/** A policy rule from the configuration's `rbac.approvals`, per command path or top-level command. */
export interface ApprovalRule {
  approvals: number;
  approverRole: Role;
  ttl: string;
  reasonRequired?: boolean;
}

/**
 * The policy a request is opened with: the command's own, raised by the configuration's rule for it (`pledge start`,
 * else `pledge`). A rule never lowers what the command declares: a command that needs two admins keeps needing them
 * whatever the file says, because weakening a safety rule by a typo in YAML is not a risk worth taking.
 */
export function effectivePolicy(
  path: string,
  declared: ApprovalPolicy,
  rules: Record<string, ApprovalRule>,
): ApprovalPolicy {
  const rule = rules[path] ?? rules[path.split(' ')[0] as string];
  if (!rule) return declared;
  return {
    approvals: Math.max(declared.approvals, rule.approvals),
    approverRole:
      roleRank(rule.approverRole) > roleRank(declared.approverRole) ? rule.approverRole : declared.approverRole,
    ttlMs: parseDuration(rule.ttl),
    reasonRequired: declared.reasonRequired === true || rule.reasonRequired === true,
  };
}

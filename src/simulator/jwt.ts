import { createHmac, timingSafeEqual } from 'node:crypto';
import { grantedBy, type LotusPermission, permissionLevels } from '../lotus/permissions.js';

/**
 * HS256 JWTs with lotus's claim `{"Allow":[…]}`, signed with a node's own secret, as `lotus auth create-token` does.
 */
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(data: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

export function signJwt(allow: readonly string[], secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ Allow: allow })).toString('base64url');
  return `${header}.${payload}.${sign(`${header}.${payload}`, secret)}`;
}

/** A token for `--perm permission`: it carries every level up to that one. */
export function tokenFor(permission: LotusPermission, secret: Buffer): string {
  return signJwt(grantedBy(permission), secret);
}

/** The permissions a token grants, or undefined when it was not signed with this secret or is malformed. */
export function verifyJwt(token: string, secret: Buffer): LotusPermission[] | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [head, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(`${head}.${payload}`, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const allow = (claims as { Allow?: unknown }).Allow;
    if (!Array.isArray(allow)) return undefined;
    return allow.filter((p): p is LotusPermission => (permissionLevels as readonly unknown[]).includes(p));
  } catch {
    return undefined;
  }
}

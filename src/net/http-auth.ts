import { createHash, timingSafeEqual } from 'node:crypto';

/** The credentials a caller must send, as Alertmanager's http_config sends them. */
export type ExpectedCredentials =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string };

/**
 * Whether an Authorization header carries the expected credentials. The comparison takes the same time whatever the
 * header holds (both sides are hashed to one length first, then compared in constant time), so that timing tells an
 * attacker nothing about how much of a guess was right.
 */
export function authorized(header: string | undefined, expected: ExpectedCredentials): boolean {
  const wanted =
    expected.kind === 'bearer'
      ? `Bearer ${expected.token}`
      : `Basic ${Buffer.from(`${expected.username}:${expected.password}`, 'utf8').toString('base64')}`;
  // The scheme is case-insensitive (RFC 9110); the credentials are not.
  const given = header === undefined ? '' : header.replace(/^(bearer|basic) /i, (s) => canonicalScheme(s));
  return sameSecret(given, wanted) && header !== undefined;
}

function canonicalScheme(scheme: string): string {
  return scheme.toLowerCase() === 'bearer ' ? 'Bearer ' : 'Basic ';
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

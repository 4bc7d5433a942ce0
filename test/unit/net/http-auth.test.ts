import { describe, expect, it } from 'vitest';
import { authorized } from '../../../src/net/http-auth.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the receiver’s credentials check', () => {
  const token = { kind: 'bearer', token: 's3cret-token-0123456789' } as const;
  const pair = { kind: 'basic', username: 'alertmanager', password: 'p4ssword-0123456789' } as const;

  it('given the bearer token, then it lets the caller in, whatever the case of the scheme', () => {
    expect(authorized('Bearer s3cret-token-0123456789', token)).toBe(true);
    expect(authorized('bearer s3cret-token-0123456789', token)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['the token without its scheme', 's3cret-token-0123456789'],
    ['a token one character off', 'Bearer s3cret-token-012345678X'],
    ['a prefix of the token', 'Bearer s3cret-token'],
    ['the token and more', 'Bearer s3cret-token-0123456789x'],
    ['the token as basic auth', basic('s3cret-token-0123456789', '')],
  ])('given %s, then a bearer receiver refuses it', (_what, header) => {
    expect(authorized(header, token)).toBe(false);
  });

  it('given basic auth, then only the right user and password get in', () => {
    expect(authorized(basic('alertmanager', 'p4ssword-0123456789'), pair)).toBe(true);
    expect(authorized(basic('alertmanager', 'p4ssword-012345678'), pair)).toBe(false);
    expect(authorized(basic('someone', 'p4ssword-0123456789'), pair)).toBe(false);
    expect(authorized('Bearer p4ssword-0123456789', pair)).toBe(false);
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { signJwt, tokenFor, verifyJwt } from '../../../src/simulator/jwt.js';

describe('simulated lotus tokens', () => {
  const secret = randomBytes(32);

  test('a token is an HS256 JWT whose payload is lotus Allow claim', () => {
    const token = tokenFor('write', secret);
    const [header, payload] = token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toEqual({ Allow: ['read', 'write'] });
    expect(verifyJwt(token, secret)).toEqual(['read', 'write']);
  });

  test('a token signed by another node, or tampered with, does not verify', () => {
    expect(verifyJwt(tokenFor('admin', randomBytes(32)), secret)).toBeUndefined();
    const [h, , s] = tokenFor('read', secret).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ Allow: ['admin'] })).toString('base64url')}.${s}`;
    expect(verifyJwt(forged, secret)).toBeUndefined();
    expect(verifyJwt('not-a-jwt', secret)).toBeUndefined();
    expect(verifyJwt(signJwt(['read', 'bogus'], secret), secret)).toEqual(['read']);
  });
});

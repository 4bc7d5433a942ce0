import { describe, expect, test } from 'vitest';
import { KnownHosts, knownHostsName } from '../../../src/ssh/known-hosts.js';

// Keys made with ssh-keygen for these tests; the hashed lines are `ssh-keygen -H` output for
// `[10.0.0.5]:2222` and `worker1.example` with key1.
const key1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIIUv5FRxfsl4YIoIZCKQLPSihsjMx5iRJWxFd6nx/eii';
const key2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIAQKH61IIYKlv2/T5eRQ8SRu413iFpKjws8IKTJostZt';
const key3 = [
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBU5/+b4PWWKjX0M+Wq+oW5vyQGmADHf5VHwJcwQaEpnV+W+',
  'DhSRpdo+JaaDJTCg1co3ubj4148fdhI7An9ZAZ8=',
].join('');
const hashedPort = `|1|rcBlM2yaDmkpUqhbOiRQtMdiVA0=|6TAzSJRbQ8e4jKP6IhfNO4X+sAA= ssh-ed25519 ${key1}`;
const hashedName = `|1|oPREUcNUYEOSqf/Zdiz/saeiGaU=|tC+HzkH8TntR88wUvg+jDn4wmnQ= ssh-ed25519 ${key1}`;

const blob = (base64: string) => Buffer.from(base64, 'base64');

describe('KnownHosts', () => {
  test('looks a host up as [address]:port, and as the bare address only on port 22', () => {
    const file = KnownHosts.parse(`[10.0.0.5]:2222 ssh-ed25519 ${key1}\n10.0.0.5 ssh-ed25519 ${key2} root@x\n`);
    expect(file.lookup('10.0.0.5', 2222).keys.map((key) => key.blob)).toEqual([blob(key1)]);
    expect(file.lookup('10.0.0.5', 22).keys.map((key) => key.blob)).toEqual([blob(key2)]);
    expect(file.lookup('10.0.0.6', 2222).keys).toEqual([]);
    expect(knownHostsName('Worker1', 22)).toBe('worker1');
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  test('matches hashed entries written by ssh-keygen -H', () => {
    const file = KnownHosts.parse(`${hashedPort}\n${hashedName}\n`);
    expect(file.lookup('10.0.0.5', 2222).keys).toHaveLength(1);
    expect(file.lookup('worker1.example', 22).keys[0]?.line).toBe(2);
    expect(file.lookup('WORKER1.example', 22).keys).toHaveLength(1);
    expect(file.lookup('10.0.0.5', 22).keys).toEqual([]);
    expect(file.lookup('worker2.example', 22).keys).toEqual([]);
  });

  test('understands comma lists, wildcards and negations', () => {
    const file = KnownHosts.parse(`worker*.example,!worker9.example,[10.0.0.?]:2222 ssh-ed25519 ${key1}\n`);
    expect(file.lookup('worker1.example', 22).keys).toHaveLength(1);
    expect(file.lookup('worker9.example', 22).keys).toEqual([]);
    expect(file.lookup('10.0.0.7', 2222).keys).toHaveLength(1);
    expect(file.lookup('10.0.0.17', 2222).keys).toEqual([]);
    // A dot in a pattern is a dot, not "any character".
    expect(file.lookup('worker1xexample', 22).keys).toEqual([]);
  });

  test('separates revoked keys and ignores certificate authorities', () => {
    const file = KnownHosts.parse(
      [
        `@revoked * ssh-ed25519 ${key2}`,
        `@cert-authority *.example ssh-ed25519 ${key2}`,
        `w.example ecdsa-sha2-nistp256 ${key3}`,
      ].join('\n'),
    );
    const found = file.lookup('w.example', 22);
    expect(found.revoked.map((key) => key.blob)).toEqual([blob(key2)]);
    expect(found.keys.map((key) => key.type)).toEqual(['ecdsa-sha2-nistp256']);
  });

  test('skips comments, blank, unknown-marker and corrupt lines instead of trusting them', () => {
    const file = KnownHosts.parse(
      [
        '# a comment',
        '',
        `@bogus w.example ssh-ed25519 ${key1}`,
        'w.example ssh-ed25519',
        // The type field says RSA but the blob is an ed25519 key.
        `w.example ssh-rsa ${key1}`,
        `|1|short|hash w.example ssh-ed25519 ${key1}`,
        `|2|rcBlM2yaDmkpUqhbOiRQtMdiVA0=|6TAzSJRbQ8e4jKP6IhfNO4X+sAA= ssh-ed25519 ${key1}`,
        `w.example ssh-ed25519 ${key2}`,
      ].join('\r\n'),
    );
    expect(file.lookup('w.example', 22).keys.map((key) => key.line)).toEqual([8]);
  });
});

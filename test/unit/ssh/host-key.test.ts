import { describe, expect, test } from 'vitest';
import { hostKeyAlgorithms, parseFingerprint, sshFingerprint, verifyHostKey } from '../../../src/ssh/host-key.js';
import { KnownHosts } from '../../../src/ssh/known-hosts.js';
import type { SshHost } from '../../../src/ssh/ssh-host.js';

// ssh-keygen made these keys; the fingerprints are what `ssh-keygen -lf` printed for them.
const key1 = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIIUv5FRxfsl4YIoIZCKQLPSihsjMx5iRJWxFd6nx/eii', 'base64');
const key1Fingerprint = 'SHA256:uyfHHNlo0zroZnM4gNKXxKWtD208H0q6RNDDJFiXLiE';
const key2 = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIAQKH61IIYKlv2/T5eRQ8SRu413iFpKjws8IKTJostZt', 'base64');
const key2Fingerprint = 'SHA256:olwj7/PT2/N8Jd0yZOmodIE2lLByqG78WTc3JmvXXLM';

const host = (overrides: Partial<SshHost> = {}): SshHost => ({
  name: 'worker1',
  address: '10.0.0.5',
  port: 2222,
  user: 'lcops',
  ...overrides,
});

describe('sshFingerprint', () => {
  test('is what ssh-keygen -lf prints', () => {
    expect(sshFingerprint(key1)).toBe(key1Fingerprint);
    expect(sshFingerprint(key2)).toBe(key2Fingerprint);
  });

  test('a pin may be bare, padded, or the whole ssh-keygen -lf line', () => {
    expect(parseFingerprint(key1Fingerprint)).toBe(key1Fingerprint);
    expect(parseFingerprint(`${key1Fingerprint}=`)).toBe(key1Fingerprint);
    expect(parseFingerprint(`256 ${key1Fingerprint} root@worker1 (ED25519)`)).toBe(key1Fingerprint);
    expect(parseFingerprint('MD5:12:34')).toBeUndefined();
    expect(parseFingerprint('SHA256:tooshort')).toBeUndefined();
  });
});

describe('verifyHostKey', () => {
  test('given the pinned key, accepts it', () => {
    expect(verifyHostKey(host({ hostKey: key1Fingerprint }), key1)).toEqual({ ok: true });
    expect(verifyHostKey(host({ hostKey: `256 ${key1Fingerprint} c (ED25519)` }), key1)).toEqual({ ok: true });
  });

  test('given another key than the pinned one, refuses it naming both', () => {
    const decision = verifyHostKey(host({ hostKey: key1Fingerprint }), key2);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.error.code).toBe('SSH_HOSTKEY_MISMATCH');
    const params = { host: 'worker1', expected: key1Fingerprint, offered: key2Fingerprint };
    expect(decision.error.params).toMatchObject(params);
    expect(decision.error.hint).toContain('ssh-keygen -lf');
  });

  test('given no pin and no known_hosts, refuses with the offered fingerprint and how to pin it', () => {
    const decision = verifyHostKey(host(), key1);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.error.code).toBe('SSH_HOSTKEY_UNKNOWN');
    expect(decision.error.message).toContain(key1Fingerprint);
    expect(decision.error.hint).toContain(`hostKey: "${key1Fingerprint}"`);
  });

  test('a malformed pin is a configuration error, never a pass', () => {
    const decision = verifyHostKey(host({ hostKey: 'yes' }), key1);
    expect(decision.ok || decision.error.code).toBe('SSH_ERROR');
  });

  test('with known_hosts: a listed key passes, another key is a mismatch, an unlisted host is unknown', () => {
    const file = KnownHosts.parse(`[10.0.0.5]:2222 ssh-ed25519 ${key1.toString('base64')}\n`, '/etc/lcops/known_hosts');
    expect(verifyHostKey(host(), key1, file)).toEqual({ ok: true });
    const mismatch = verifyHostKey(host(), key2, file);
    expect(!mismatch.ok && mismatch.error.code).toBe('SSH_HOSTKEY_MISMATCH');
    expect(!mismatch.ok && mismatch.error.message).toContain(`${key1Fingerprint} (/etc/lcops/known_hosts line 1)`);
    const unknown = verifyHostKey(host({ port: 22 }), key1, file);
    expect(!unknown.ok && unknown.error.code).toBe('SSH_HOSTKEY_UNKNOWN');
  });

  test('a revoked key is refused even if also listed', () => {
    const base64 = key1.toString('base64');
    const file = KnownHosts.parse(`[10.0.0.5]:2222 ssh-ed25519 ${base64}\n@revoked * ssh-ed25519 ${base64}\n`);
    const decision = verifyHostKey(host(), key1, file);
    expect(!decision.ok && decision.error.code).toBe('SSH_HOSTKEY_MISMATCH');
  });

  test('the pin wins over known_hosts', () => {
    const file = KnownHosts.parse(`[10.0.0.5]:2222 ssh-ed25519 ${key2.toString('base64')}\n`);
    expect(verifyHostKey(host({ hostKey: key1Fingerprint }), key1, file)).toEqual({ ok: true });
    expect(verifyHostKey(host({ hostKey: key1Fingerprint }), key2, file).ok).toBe(false);
  });
});

describe('hostKeyAlgorithms', () => {
  test('asks only for the key types we can check', () => {
    expect(hostKeyAlgorithms(host({ hostKey: `256 ${key1Fingerprint} c (ED25519)` }))).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithms(host({ hostKey: `256 ${key1Fingerprint} c (ECDSA)` }))).toEqual(['ecdsa-sha2-nistp256']);
    const rsa = hostKeyAlgorithms(host({ hostKey: `3072 ${key1Fingerprint} c (RSA)` }));
    expect(rsa).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms(host({ hostKey: key1Fingerprint }))).toBeUndefined();
    const file = KnownHosts.parse(`[10.0.0.5]:2222 ssh-ed25519 ${key1.toString('base64')}\n`);
    expect(hostKeyAlgorithms(host(), file)).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithms(host({ port: 22 }), file)).toBeUndefined();
  });
});

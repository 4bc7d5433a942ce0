import { createHash } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { OpsError } from '../core/errors.js';
import type { KnownHostKey, KnownHosts } from './known-hosts.js';
import type { SshHost } from './ssh-host.js';

export type HostKeyDecision = { ok: true } | { ok: false; error: OpsError };

/**
 * Decides whether the key a host offered during the handshake is the one we trust. The pinned fingerprint
 * wins; without one, the known_hosts entries for the host decide; with neither, the key is unknown and
 * refused. There is deliberately no way to accept an unknown key: ssh2 itself would accept anything when no
 * verifier is set, so the pool always sets one that calls this.
 */
export function verifyHostKey(host: SshHost, offered: Buffer, knownHosts?: KnownHosts): HostKeyDecision {
  const offeredFingerprint = sshFingerprint(offered);
  if (host.hostKey !== undefined) {
    const pinned = parseFingerprint(host.hostKey);
    if (pinned === undefined) {
      const detail = `hostKey "${host.hostKey}" is not a fingerprint as \`ssh-keygen -lf\` prints it (SHA256:…).`;
      return refuse(new OpsError('SSH_ERROR', { host: host.name, detail }));
    }
    if (pinned === offeredFingerprint) return { ok: true };
    const params = { host: host.name, expected: pinned, offered: offeredFingerprint };
    return refuse(new OpsError('SSH_HOSTKEY_MISMATCH', params));
  }
  if (knownHosts !== undefined) {
    const { keys, revoked } = knownHosts.lookup(host.address, host.port);
    const revokedKey = revoked.find((key) => key.blob.equals(offered));
    if (revokedKey !== undefined) {
      const expected = `a key not marked @revoked (${knownHosts.source} line ${revokedKey.line})`;
      return refuse(new OpsError('SSH_HOSTKEY_MISMATCH', { host: host.name, expected, offered: offeredFingerprint }));
    }
    if (keys.some((key) => key.blob.equals(offered))) return { ok: true };
    if (keys.length > 0) {
      const expected = keys.map((key) => describe(key, knownHosts.source)).join(', ');
      return refuse(new OpsError('SSH_HOSTKEY_MISMATCH', { host: host.name, expected, offered: offeredFingerprint }));
    }
  }
  return refuse(new OpsError('SSH_HOSTKEY_UNKNOWN', { host: host.name, offered: offeredFingerprint }));
}

/**
 * The host key algorithms to offer in the handshake, when we know which key types we trust for the host.
 * ssh2 asks for ed25519 first; a server that also has an ECDSA or RSA key would then present a key other
 * than the pinned one and be refused, although the pinned key is right. OpenSSH's client avoids that the same
 * way, by preferring the types known_hosts lists.
 */
export function hostKeyAlgorithms(host: SshHost, knownHosts?: KnownHosts): ServerHostKeyAlgorithm[] | undefined {
  if (host.hostKey !== undefined) {
    // Only the full `ssh-keygen -lf` line names the type: `256 SHA256:… comment (ED25519)`.
    const match = /^\s*(\d+)\s+SHA256:\S+.*\((\w+)\)\s*$/.exec(host.hostKey);
    const algorithms = match ? algorithmsFor(keygenType(match[2] ?? '', Number(match[1]))) : [];
    return algorithms.length > 0 ? algorithms : undefined;
  }
  if (knownHosts === undefined) return undefined;
  const types = knownHosts.lookup(host.address, host.port).keys.map((key) => key.type);
  const algorithms = [...new Set(types.flatMap((type) => algorithmsFor(type)))];
  return algorithms.length > 0 ? algorithms : undefined;
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256: what `ssh-keygen -lf` prints. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The `SHA256:…` fingerprint in a pin (bare or a whole `ssh-keygen -lf` line), padding removed. */
export function parseFingerprint(text: string): string | undefined {
  const match = /(?:^|\s)SHA256:([A-Za-z0-9+/]{43})=?(?:\s|$)/.exec(text);
  return match ? `SHA256:${match[1]}` : undefined;
}

function describe(key: KnownHostKey, source: string): string {
  return `${sshFingerprint(key.blob)} (${source} line ${key.line})`;
}

function refuse(error: OpsError): HostKeyDecision {
  return { ok: false, error };
}

function keygenType(name: string, bits: number): string {
  switch (name.toUpperCase()) {
    case 'ED25519':
      return 'ssh-ed25519';
    case 'ECDSA':
      return `ecdsa-sha2-nistp${bits}`;
    case 'RSA':
      return 'ssh-rsa';
    default:
      return name;
  }
}

// The host key types ssh2 can verify; a restriction naming anything else would make connect() throw.
const algorithmsByType: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  // An RSA key signs with SHA-2 under these names; ssh-rsa (SHA-1) only for servers too old for the others.
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

function algorithmsFor(type: string): ServerHostKeyAlgorithm[] {
  return Object.hasOwn(algorithmsByType, type) ? (algorithmsByType[type] ?? []) : [];
}

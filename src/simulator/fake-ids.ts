import { createHash } from 'node:crypto';

/**
 * Deterministic stand-ins for lotus's identifiers: the same seed gives the same UUID or CID in every run, so
 * scenarios, tests and golden files stay stable.
 */
function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** A v4-shaped UUID string. */
export function fakeUuid(seed: string): string {
  const b = Buffer.from(digest(`uuid:${seed}`).subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const base32Alphabet = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.padEnd(length, 'a');
}

/** A CIDv1 string with a realistic prefix (bafy2bzace… for dag-cbor/blake2b, bagboea4b5abc… for CommR, …). */
export function fakeCid(seed: string, prefix = 'bafy2bzace'): string {
  return prefix + base32(digest(`cid:${seed}`), 62 - prefix.length);
}

/** Base64 of pseudo-random bytes: signatures, proofs, tickets. */
export function fakeBytes(seed: string, length: number): string {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < length; i++) chunks.push(digest(`bytes:${seed}:${i}`));
  return Buffer.concat(chunks).subarray(0, length).toString('base64');
}

/** A number in [0, 1) from a seed. */
export function fakeFraction(seed: string): number {
  return digest(`frac:${seed}`).readUInt32BE(0) / 2 ** 32;
}

/** A multiaddr (/ip4/a.b.c.d/tcp/port) as the base64 bytes lotus puts in MinerInfo.Multiaddrs. */
export function multiaddrBytes(multiaddr: string): string {
  const match = /^\/ip4\/(\d+)\.(\d+)\.(\d+)\.(\d+)\/tcp\/(\d+)$/.exec(multiaddr);
  if (!match) throw new RangeError(`only /ip4/…/tcp/… multiaddrs are encoded: ${multiaddr}`);
  const [, a, b, c, d, port] = match.map(Number) as number[];
  // Protocol codes as varints: ip4 = 0x04, tcp = 0x06; both fit in one byte.
  const p = port ?? 0;
  return Buffer.from([0x04, a ?? 0, b ?? 0, c ?? 0, d ?? 0, 0x06, (p >> 8) & 0xff, p & 0xff]).toString('base64');
}

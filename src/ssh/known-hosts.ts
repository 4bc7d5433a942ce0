import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** One host key listed for a host in a known_hosts file. */
export interface KnownHostKey {
  /** The key type named on the line, e.g. `ssh-ed25519`. */
  type: string;
  /** The public key blob, in SSH wire format (the base64 field decoded). */
  blob: Buffer;
  /** 1-based line number, so that an error can point at the line to fix. */
  line: number;
}

interface Entry extends KnownHostKey {
  marker: 'none' | 'revoked' | 'cert-authority';
  matches: (lookupName: string) => boolean;
}

/**
 * An OpenSSH known_hosts file: plain entries (`host`, `[host]:port`, comma lists, `*`/`?` wildcards, `!`
 * negations) and hashed ones (`|1|salt|hash`, as written with HashKnownHosts or `ssh-keygen -H`). Lines this
 * parser does not understand are skipped, as ssh itself does, so they can never make a key acceptable.
 */
export class KnownHosts {
  private constructor(
    private readonly entries: readonly Entry[],
    /** Where the entries came from, for messages. */
    readonly source: string,
  ) {}

  static parse(text: string, source = 'known_hosts'): KnownHosts {
    const entries: Entry[] = [];
    text.split('\n').forEach((raw, index) => {
      const entry = parseLine(raw, index + 1);
      if (entry) entries.push(entry);
    });
    return new KnownHosts(entries, source);
  }

  static async load(path: string): Promise<KnownHosts> {
    return KnownHosts.parse(await readFile(path, 'utf8'), path);
  }

  /**
   * The keys listed for a host, and the keys revoked for it. ssh looks a host up as `address` on port 22 and
   * as `[address]:port` elsewhere; so do we. Certificate authorities are ignored: the bot does not accept host
   * certificates.
   */
  lookup(address: string, port: number): { keys: KnownHostKey[]; revoked: KnownHostKey[] } {
    const name = knownHostsName(address, port);
    const keys: KnownHostKey[] = [];
    const revoked: KnownHostKey[] = [];
    for (const entry of this.entries) {
      if (entry.marker === 'cert-authority' || !entry.matches(name)) continue;
      const key = { type: entry.type, blob: entry.blob, line: entry.line };
      (entry.marker === 'revoked' ? revoked : keys).push(key);
    }
    return { keys, revoked };
  }
}

/** The name ssh hashes and matches for a host: `address` on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  const host = address.toLowerCase();
  return port === 22 ? host : `[${host}]:${port}`;
}

function parseLine(raw: string, line: number): Entry | undefined {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/\s+/);
  let marker: Entry['marker'] = 'none';
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name === '@revoked') marker = 'revoked';
    else if (name === '@cert-authority') marker = 'cert-authority';
    else return undefined;
  }
  const [hosts, type, base64] = fields;
  if (!hosts || !type || !base64) return undefined;
  const blob = Buffer.from(base64, 'base64');
  // A blob starts with its own type name; a line whose two disagree is corrupt, not a key to trust.
  if (blobType(blob) !== type) return undefined;
  const matches = hosts.startsWith('|') ? hashedMatcher(hosts) : patternMatcher(hosts);
  return matches ? { marker, type, blob, line, matches } : undefined;
}

/** The key type at the start of an SSH wire-format public key blob. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, the only hashing scheme OpenSSH writes.
function hashedMatcher(field: string): Entry['matches'] | undefined {
  const [, version, salt64, hash64, ...rest] = field.split('|');
  if (version !== '1' || !salt64 || !hash64 || rest.length > 0) return undefined;
  const salt = Buffer.from(salt64, 'base64');
  const hash = Buffer.from(hash64, 'base64');
  if (hash.length !== 20) return undefined;
  return (name) => timingSafeEqual(createHmac('sha1', salt).update(name).digest(), hash);
}

// ssh's match_hostname: a negated pattern that matches wins over everything; otherwise any positive match.
function patternMatcher(field: string): Entry['matches'] {
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const pattern of field.split(',')) {
    if (pattern === '') continue;
    if (pattern.startsWith('!')) negative.push(globToRegExp(pattern.slice(1)));
    else positive.push(globToRegExp(pattern));
  }
  return (name) => !negative.some((re) => re.test(name)) && positive.some((re) => re.test(name));
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob.toLowerCase()]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.+()[\]{}|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

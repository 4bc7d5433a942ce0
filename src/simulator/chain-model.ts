import type { Clock } from '../core/clock.js';
import { ChainTime } from '../lotus/chain-time.js';
import { base32, fakeBytes, fakeCid, fakeFraction } from './fake-ids.js';

export interface CidJson {
  '/': string;
}

const TIPSET_CID_PREFIX = 'bafy2bzace';
const HEIGHT_CHARS = 8;

/**
 * The chain: one tipset per epoch (no null rounds), heads derived from the clock, timestamps exactly genesis +
 * delay · height. Tipset CIDs encode their height so that a pinned tipset key can be resolved without storage.
 */
export class ChainModel {
  readonly time: ChainTime;
  private readonly clock: Clock;
  private readonly cache = new Map<number, Record<string, unknown>>();

  constructor(genesisUnix: number, blockDelaySecs: number, clock: Clock) {
    this.time = new ChainTime(genesisUnix, blockDelaySecs);
    this.clock = clock;
  }

  /** The epoch a fully synced node is at now. */
  epochNow(): number {
    return Math.max(0, this.time.epochAt(this.clock.now()));
  }

  blockCount(height: number): number {
    return height === 0 ? 1 : 1 + Math.floor(fakeFraction(`blocks:${height}`) * 4);
  }

  blockCid(height: number, index: number): string {
    const head = `${TIPSET_CID_PREFIX}${encodeHeight(height)}${'abcdefgh'[index] ?? 'a'}`;
    return head + base32(Buffer.from(fakeCid(`block:${height}:${index}`)), 62 - head.length);
  }

  key(height: number): CidJson[] {
    return Array.from({ length: this.blockCount(height) }, (_, i) => ({ '/': this.blockCid(height, i) }));
  }

  /** The height of a tipset key this chain produced, or undefined for a key it never made. */
  heightOf(key: readonly CidJson[]): number | undefined {
    const first = key[0]?.['/'];
    if (first === undefined || !first.startsWith(TIPSET_CID_PREFIX)) return undefined;
    const height = decodeHeight(first.slice(TIPSET_CID_PREFIX.length, TIPSET_CID_PREFIX.length + HEIGHT_CHARS));
    if (height === undefined || key.length !== this.blockCount(height)) return undefined;
    return key.every((c, i) => c['/'] === this.blockCid(height, i)) ? height : undefined;
  }

  timestamp(height: number): number {
    return this.time.genesisUnix + height * this.time.blockDelaySecs;
  }

  /** The TipSet JSON lotus returns for ChainHead / ChainGetGenesis. */
  tipset(height: number): Record<string, unknown> {
    const cached = this.cache.get(height);
    if (cached) return cached;
    const blocks = Array.from({ length: this.blockCount(height) }, (_, i) => this.block(height, i));
    const tipset = { Cids: this.key(height), Blocks: blocks, Height: height };
    if (this.cache.size > 256) this.cache.clear();
    this.cache.set(height, tipset);
    return tipset;
  }

  private block(height: number, index: number): Record<string, unknown> {
    const seed = `${height}:${index}`;
    const parents =
      height === 0 ? [{ '/': 'bafyreiaqpwbbyjo4a42saasj36kkrpv4tsherf2e7bvezkert2a7dhonoi' }] : this.key(height - 1);
    return {
      Miner: `f0${1000 + Math.floor(fakeFraction(`miner:${seed}`) * 3_000_000)}`,
      Ticket: { VRFProof: fakeBytes(`ticket:${seed}`, 96) },
      ElectionProof: { WinCount: 1, VRFProof: fakeBytes(`election:${seed}`, 96) },
      BeaconEntries: [{ Round: 17133822 + (height - 4863283) * 10, Data: fakeBytes(`beacon:${height}`, 48) }],
      WinPoStProof: [{ PoStProof: 3, ProofBytes: fakeBytes(`winpost:${seed}`, 192) }],
      Parents: parents,
      ParentWeight: String(116013147118 + Math.max(0, height - 1) * 23856),
      Height: height,
      ParentStateRoot: { '/': fakeCid(`stateroot:${height}`) },
      ParentMessageReceipts: { '/': fakeCid(`receipts:${height}`) },
      Messages: { '/': fakeCid(`messages:${seed}`) },
      BLSAggregate: { Type: 2, Data: fakeBytes(`bls:${seed}`, 96) },
      Timestamp: this.timestamp(height),
      BlockSig: { Type: 2, Data: fakeBytes(`sig:${seed}`, 96) },
      ForkSignaling: 0,
      ParentBaseFee: String(100 + Math.floor(fakeFraction(`basefee:${height}`) * 900)),
    };
  }
}

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';

function encodeHeight(height: number): string {
  let out = '';
  let n = height;
  for (let i = 0; i < HEIGHT_CHARS; i++) {
    out = alphabet[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

function decodeHeight(text: string): number | undefined {
  let n = 0;
  for (const ch of text) {
    const digit = alphabet.indexOf(ch);
    if (digit < 0) return undefined;
    n = n * 32 + digit;
  }
  return text.length === HEIGHT_CHARS ? n : undefined;
}

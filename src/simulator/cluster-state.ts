import type { Clock } from '../core/clock.js';
import { Bitfield } from '../lotus/bitfield.js';
import { ChainModel, type CidJson } from './chain-model.js';
import { fakeFraction } from './fake-ids.js';
import { MinerActorModel } from './miner-actor-model.js';
import { RpcMethodError } from './rpc-server.js';
import type { DaemonSpec, Scenario } from './scenario.js';
import { SealingModel } from './sealing-model.js';
import { SectorCounter } from './sector-counter.js';
import { sealProofs } from './worker-resources.js';

export interface DaemonState {
  spec: DaemonSpec;
  lagEpochs: number;
  syncStage: number;
  syncMessage: string;
  peerDaemons: Set<string>;
  walletKeys: string[];
}

/** Code lotus gives ActorNotFound errors (api/api_errors.go). */
export const ACTOR_NOT_FOUND = 10;

/** Everything the simulated nodes share: one chain, one miner actor, one sector counter, each miner's sealing side. */
export class ClusterState {
  readonly scenario: Scenario;
  readonly clock: Clock;
  readonly chain: ChainModel;
  readonly actor: MinerActorModel;
  readonly counter: SectorCounter;
  readonly sealing = new Map<string, SealingModel>();
  readonly daemons = new Map<string, DaemonState>();
  readonly actorNumber: number;
  readonly startMs: number;
  readonly startEpoch: number;
  balances: { minerActor: bigint; available: bigint; wallets: Map<string, bigint> };
  /** Messages waiting in the pool per sender (ID address): MpoolGetNonce runs ahead of the actor's nonce by this. */
  readonly mpoolBacklog = new Map<string, number>();

  constructor(scenario: Scenario, clock: Clock) {
    this.scenario = scenario;
    this.clock = clock;
    this.startMs = clock.now();
    this.chain = new ChainModel(scenario.network.genesisUnix, scenario.network.blockDelaySecs, clock);
    this.startEpoch = this.chain.epochNow();
    this.actor = new MinerActorModel(scenario, this.startEpoch);
    this.actorNumber = Number(scenario.actor.id.slice(2));
    const { chain } = scenario;
    this.counter = new SectorCounter(chain.firstSectorNumber + chain.liveSectors);
    this.balances = {
      minerActor: BigInt(scenario.balances.minerActor),
      available: BigInt(scenario.balances.available),
      wallets: new Map(Object.entries(scenario.balances.wallets).map(([a, v]) => [a, BigInt(v)])),
    };
    for (const spec of scenario.daemons) {
      this.daemons.set(spec.name, {
        spec,
        lagEpochs: spec.lagEpochs,
        syncStage: spec.syncStage,
        syncMessage: spec.syncMessage,
        peerDaemons: new Set(spec.peerDaemons),
        walletKeys: [...spec.walletKeys],
      });
    }
    const live = this.actor.liveSectors;
    const dealStart = chain.firstSectorNumber + chain.liveSectors - chain.dealMinerSectors;
    const dealSectors = live.intersect(Bitfield.fromRange(dealStart, dealStart + chain.dealMinerSectors));
    const sealSectors = live.subtract(dealSectors);
    const hasDealMiner = scenario.miners.some((m) => m.roles.includes('deal'));
    for (const miner of scenario.miners) {
      const isSeal = miner.roles.includes('seal');
      const isDeal = miner.roles.includes('deal');
      // The seal-miner holds every proving sector's metadata unless a deal-miner sealed some; PoSt-miners hold none.
      const proving = isSeal ? (hasDealMiner ? sealSectors : live) : isDeal ? dealSectors : Bitfield.empty;
      const storesAll = !isSeal && !isDeal;
      this.sealing.set(
        miner.name,
        new SealingModel({
          miner,
          actorNumber: this.actorNumber,
          sealProof: sealProofs[scenario.actor.sectorSizeGiB],
          sectorSize: this.actor.sectorSize,
          provingSectors: proving,
          storedSectors: storesAll ? live : proving,
          clock,
          startMs: this.startMs,
          allocate: () => this.counter.allocateInitial(),
          chainEpochAt: (ms) => this.chain.time.epochAt(ms),
          initialPledge: scenario.pledge.initialPledge,
          activationBase: this.startEpoch - 2880,
        }),
      );
    }
    // From here on numbers come from the live counter, which fails while it is down.
    for (const model of this.sealing.values()) model.useAllocator(() => this.counter.allocate());
  }

  daemon(name: string): DaemonState {
    const daemon = this.daemons.get(name);
    if (!daemon) throw new RangeError(`no daemon ${name}`);
    return daemon;
  }

  /** The height of a daemon's head: the wall-clock epoch minus its lag. */
  headOf(daemon: string): number {
    return Math.max(0, this.chain.epochNow() - this.daemon(daemon).lagEpochs);
  }

  /** The epoch a State* call reads at: the head for [], else the pinned tipset (which the node must know). */
  resolve(daemon: string, tsk: readonly CidJson[]): number {
    if (tsk.length === 0) return this.headOf(daemon);
    const height = this.chain.heightOf(tsk);
    if (height === undefined || height > this.headOf(daemon)) {
      const cids = tsk.map((c) => c['/']).join(',');
      const first = tsk[0]?.['/'];
      throw new RpcMethodError(`loading tipset {${cids}}: get block ${first}: ipld: could not find ${first}`);
    }
    return height;
  }

  /** The miner actor's ID address, or ActorNotFound for any other. */
  requireMiner(address: string): void {
    const id = this.lookupId(address);
    if (id !== this.scenario.actor.id) {
      throw new RpcMethodError(`failed to load miner actor: actor not found`, ACTOR_NOT_FOUND);
    }
  }

  /** ID address for an ID or robust address; undefined if no such actor. */
  lookupId(address: string): string | undefined {
    const normalised = address.replace(/^t/, 'f');
    const { id, addressBook } = this.scenario.actor;
    const known = new Set([id, ...this.balances.wallets.keys(), ...Object.values(addressBook)]);
    if (known.has(normalised)) return normalised;
    return this.scenario.actor.addressBook[normalised];
  }

  /** An account's nonce on chain (a stable made-up figure); 0 for the miner actor, which sends nothing. */
  actorNonce(id: string): number {
    return id === this.scenario.actor.id ? 0 : Math.floor(fakeFraction(`nonce:${id}`) * 90_000);
  }

  sealingOf(miner: string): SealingModel {
    const model = this.sealing.get(miner);
    if (!model) throw new RangeError(`no miner ${miner}`);
    return model;
  }

  /** On-chain AllocatedSectors: every live sector and every sector past pre-commit on any miner. */
  sectorAllocated(sector: number): boolean {
    if (this.actor.liveSectors.has(sector)) return true;
    for (const model of this.sealing.values()) if (model.precommitted(sector)) return true;
    return false;
  }
}

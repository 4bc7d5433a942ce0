import { Bitfield } from '../lotus/bitfield.js';
import {
  type DeadlineInfo,
  deadlineInfoAt,
  FAULT_DECLARATION_CUTOFF,
  POSTED_PARTITIONS_MAX,
  WPOST_CHALLENGE_WINDOW,
  WPOST_DISPUTE_WINDOW,
  WPOST_PERIOD_DEADLINES,
  WPOST_PROVING_PERIOD,
} from '../lotus/deadline-math.js';
import type { PartitionSectorsSpec, Scenario } from './scenario.js';

const GiB = 2 ** 30;

/** Partition size lotus uses on mainnet for V1_1 proofs. */
function partitionSectorsFor(sectorSizeGiB: 32 | 64): number {
  return sectorSizeGiB === 64 ? 2300 : 2349;
}

interface SectorEvent {
  epoch: number;
  kind: 'fault' | 'recover';
  sectors: Bitfield;
}

export interface PartitionState {
  all: Bitfield;
  live: Bitfield;
  faulty: Bitfield;
  recovering: Bitfield;
  active: Bitfield;
}

/** Epochs after Open at which the first PoSt message lands, and between messages (3 partitions each). */
const FIRST_PROOF_DELAY = 4;
const PROOF_MESSAGE_SPACING = 2;

/**
 * The miner actor's proving state as a pure function of the epoch: a fixed layout of sectors into partitions of
 * deadlines, plus fault and recovery events, plus deadlines left unproven. Sets are bitfields of ranges, never
 * expanded, so 150k sectors cost a handful of runs.
 */
export class MinerActorModel {
  readonly sectorSize: number;
  readonly partitionSectors: number;
  readonly boundary: number;
  /** layout[deadline][partition] = the sector numbers in it. */
  readonly layout: Bitfield[][];
  readonly liveSectors: Bitfield;
  private readonly events = new Map<string, SectorEvent[]>();
  /** deadline → epoch since which its proofs never land. */
  private readonly unproven = new Map<number, number>();
  private version = 0;
  private readonly cache = new Map<string, PartitionState>();

  constructor(scenario: Scenario, startEpoch: number) {
    const { chain } = scenario;
    this.sectorSize = scenario.actor.sectorSizeGiB * GiB;
    this.partitionSectors = partitionSectorsFor(scenario.actor.sectorSizeGiB);
    this.boundary = chain.provingPeriodBoundary;
    this.layout = layoutSectors(
      chain.liveSectors,
      chain.firstSectorNumber,
      this.partitionSectors,
      chain.emptyDeadlines,
    );
    this.liveSectors = Bitfield.fromRange(chain.firstSectorNumber, chain.firstSectorNumber + chain.liveSectors);
    // Scenario faults predate the run by a day; its recoveries were declared just before it started.
    for (const f of chain.faults) this.addEvent(f, startEpoch - WPOST_PROVING_PERIOD, 'fault');
    for (const r of chain.recoveries) this.addEvent(r, startEpoch - 1, 'recover');
    for (const d of chain.unprovenDeadlines) this.unproven.set(d, startEpoch);
    if (chain.unprovenCurrentDeadline) this.unproven.set(this.provingDeadline(startEpoch).Index, startEpoch);
  }

  provingDeadline(epoch: number): DeadlineInfo {
    return deadlineInfoAt(epoch, this.boundary);
  }

  /** New faults in one partition from `epoch` on (as if its sectors went missing). Returns the sectors. */
  addFaults(spec: PartitionSectorsSpec, epoch: number): Bitfield {
    return this.addEvent(spec, epoch, 'fault');
  }

  declareRecoveries(spec: PartitionSectorsSpec, epoch: number): Bitfield {
    return this.addEvent(spec, epoch, 'recover');
  }

  /** The deadline's WindowPoSt stops landing from `epoch`: the open (or next) window gets no proof. */
  leaveUnproven(deadline: number, epoch: number): void {
    if (!this.unproven.has(deadline)) this.unproven.set(deadline, epoch);
    this.version++;
  }

  private addEvent(spec: PartitionSectorsSpec, epoch: number, kind: SectorEvent['kind']): Bitfield {
    const all = this.layout[spec.deadline]?.[spec.partition];
    if (!all) throw new RangeError(`deadline ${spec.deadline} has no partition ${spec.partition}`);
    const sectors = all.slice(spec.offset, spec.count);
    const key = `${spec.deadline}:${spec.partition}`;
    const list = this.events.get(key) ?? [];
    list.push({ epoch, kind, sectors });
    list.sort((a, b) => a.epoch - b.epoch);
    this.events.set(key, list);
    this.version++;
    return sectors;
  }

  /** Close epoch of the first occurrence of `deadline` that closes after `epoch`. */
  private nextClose(deadline: number, epoch: number): number {
    const firstClose = this.boundary + deadline * WPOST_CHALLENGE_WINDOW + WPOST_CHALLENGE_WINDOW;
    const k = Math.floor((epoch - firstClose) / WPOST_PROVING_PERIOD) + 1;
    return firstClose + k * WPOST_PROVING_PERIOD;
  }

  /** Close of the first occurrence whose fault cutoff is after `epoch` (where a recovery declared then is proven). */
  private healClose(deadline: number, epoch: number): number {
    const firstOpen = this.boundary + deadline * WPOST_CHALLENGE_WINDOW;
    const k = Math.floor((epoch + FAULT_DECLARATION_CUTOFF - firstOpen) / WPOST_PROVING_PERIOD) + 1;
    return firstOpen + k * WPOST_PROVING_PERIOD + WPOST_CHALLENGE_WINDOW;
  }

  /** Close epoch of the first window that got no proof, if the deadline is unproven. */
  private firstMissedClose(deadline: number): number | undefined {
    const since = this.unproven.get(deadline);
    return since === undefined ? undefined : this.nextClose(deadline, since);
  }

  partitionState(deadline: number, partition: number, epoch: number): PartitionState {
    const key = `${this.version}:${epoch}:${deadline}:${partition}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const state = this.computePartition(deadline, partition, epoch);
    if (this.cache.size > 20_000) this.cache.clear();
    this.cache.set(key, state);
    return state;
  }

  private computePartition(deadline: number, partition: number, epoch: number): PartitionState {
    const all = this.layout[deadline]?.[partition] ?? Bitfield.empty;
    const live = all;
    const events = (this.events.get(`${deadline}:${partition}`) ?? []).filter((e) => e.epoch <= epoch);
    const missAt = this.firstMissedClose(deadline);
    let faulty = Bitfield.empty;
    let recovering: Array<{ sectors: Bitfield; healAt: number }> = [];
    let missed = false;
    let i = 0;
    for (;;) {
      const nextEvent = events[i]?.epoch ?? Infinity;
      const nextHeal = Math.min(Infinity, ...recovering.map((r) => r.healAt));
      const nextMiss = !missed && missAt !== undefined ? missAt : Infinity;
      const at = Math.min(nextEvent, nextHeal, nextMiss);
      if (at > epoch || at === Infinity) break;
      if (nextMiss === at) {
        // ProcessDeadlineEnd without a proof: every healthy sector is detected faulty, recoveries are dropped.
        faulty = live;
        recovering = [];
        missed = true;
      } else if (nextHeal === at) {
        const healing = recovering.filter((r) => r.healAt === at);
        recovering = recovering.filter((r) => r.healAt !== at);
        for (const r of healing) faulty = faulty.subtract(r.sectors);
      } else {
        const event = events[i++] as SectorEvent;
        if (event.kind === 'fault') {
          faulty = faulty.union(event.sectors.intersect(live));
          recovering = recovering.map((r) => ({ ...r, sectors: r.sectors.subtract(event.sectors) }));
        } else {
          const sectors = event.sectors.intersect(faulty);
          const healAt = this.healClose(deadline, event.epoch);
          const neverProven = missAt !== undefined && healAt >= missAt;
          if (!sectors.isEmpty()) recovering.push({ sectors, healAt: neverProven ? Infinity : healAt });
        }
      }
    }
    const recoveringSet = recovering.reduce((acc, r) => acc.union(r.sectors), Bitfield.empty).intersect(faulty);
    return { all, live, faulty, recovering: recoveringSet, active: live.subtract(faulty) };
  }

  partitions(deadline: number, epoch: number): PartitionState[] {
    return (this.layout[deadline] ?? []).map((_, p) => this.partitionState(deadline, p, epoch));
  }

  /** Partition indexes in PostSubmissions: only the open deadline has any, growing as PoSt messages land. */
  postSubmissions(deadline: number, epoch: number): Bitfield {
    const info = this.provingDeadline(epoch);
    if (deadline !== info.Index) return Bitfield.empty;
    const missAt = this.firstMissedClose(deadline);
    if (missAt !== undefined && missAt <= info.Close) return Bitfield.empty;
    const toProve = this.provable(deadline, epoch);
    const sinceFirst = epoch - info.Open - FIRST_PROOF_DELAY;
    const landed = sinceFirst < 0 ? 0 : Math.floor(sinceFirst / PROOF_MESSAGE_SPACING) + 1;
    return Bitfield.fromSet(toProve.slice(0, landed * POSTED_PARTITIONS_MAX));
  }

  /** Partitions lotus would prove: those with a healthy or recovering sector (wholly faulty ones are skipped). */
  private provable(deadline: number, epoch: number): number[] {
    return this.partitions(deadline, epoch)
      .map((p, i) => (!p.active.isEmpty() || !p.recovering.isEmpty() ? i : -1))
      .filter((i) => i >= 0);
  }

  /** PoSt messages of the last window, while it can still be disputed. */
  disputableProofCount(deadline: number, epoch: number): number {
    const lastClose = this.nextClose(deadline, epoch) - WPOST_PROVING_PERIOD;
    if (epoch - lastClose >= WPOST_DISPUTE_WINDOW) return 0;
    const missAt = this.firstMissedClose(deadline);
    if (missAt !== undefined && missAt <= lastClose) return 0;
    return Math.ceil(this.provable(deadline, lastClose - 1).length / POSTED_PARTITIONS_MAX);
  }

  faults(epoch: number): Bitfield {
    return this.collect(epoch, (p) => p.faulty);
  }

  recoveries(epoch: number): Bitfield {
    return this.collect(epoch, (p) => p.recovering);
  }

  private collect(epoch: number, pick: (p: PartitionState) => Bitfield): Bitfield {
    let out = Bitfield.empty;
    for (let d = 0; d < WPOST_PERIOD_DEADLINES; d++) {
      for (const p of this.partitions(d, epoch)) out = out.union(pick(p));
    }
    return out;
  }

  sectorCount(epoch: number): { Live: number; Active: number; Faulty: number } {
    let live = 0;
    let faulty = 0;
    for (let d = 0; d < WPOST_PERIOD_DEADLINES; d++) {
      for (const p of this.partitions(d, epoch)) {
        live += p.live.count();
        faulty += p.faulty.count();
      }
    }
    return { Live: live, Active: live - faulty, Faulty: faulty };
  }
}

/**
 * Sectors numbered from `first`, filled partition by partition into the non-empty deadlines, the partitions spread
 * as evenly as possible (so some deadlines hold one partition more than others).
 */
function layoutSectors(
  live: number,
  first: number,
  partitionSectors: number,
  emptyDeadlines: readonly number[],
): Bitfield[][] {
  const empty = new Set(emptyDeadlines);
  const used = Array.from({ length: WPOST_PERIOD_DEADLINES }, (_, d) => d).filter((d) => !empty.has(d));
  const layout: Bitfield[][] = Array.from({ length: WPOST_PERIOD_DEADLINES }, () => []);
  if (used.length === 0 || live === 0) return layout;
  const partitions = Math.ceil(live / partitionSectors);
  let next = first;
  let remaining = live;
  used.forEach((d, k) => {
    const count = Math.floor(partitions / used.length) + (k < partitions % used.length ? 1 : 0);
    for (let p = 0; p < count && remaining > 0; p++) {
      const size = Math.min(partitionSectors, remaining);
      (layout[d] as Bitfield[]).push(Bitfield.fromRange(next, next + size));
      next += size;
      remaining -= size;
    }
  });
  return layout;
}

import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { type Clock, systemClock } from '../core/clock.js';
import { isOpsError, OpsError } from '../core/errors.js';
import type { FullNodeResult } from '../lotus/full-node-api.js';
import type { MinerResult } from '../lotus/miner-api.js';
import type { MinerRole } from '../lotus/miner-roles.js';
import type { BatchResult, CallOptions } from '../lotus/rpc-client.js';
import type { ClusterServices } from './cluster-services.js';

/**
 * One collection pass over the cluster, for the alert engine (issue 9) to judge: the raw answers of every node, each
 * with its own error. Nothing here decides what is wrong; it only reads, with bounded concurrency, and never lets
 * one node's failure (down, slow, refusing the token) take the others' results with it.
 */

/** One read: lotus's answer, or the error that took its place. */
export type PollRead<T> = { ok: true; value: T } | { ok: false; error: OpsError };

export interface DaemonPoll {
  name: string;
  public: boolean;
  head: PollRead<FullNodeResult<'ChainHead'>>;
  sync: PollRead<FullNodeResult<'SyncState'>>;
  durationMs: number;
}

export interface MinerPoll {
  name: string;
  actor: string;
  roles: MinerRole[];
  workers: PollRead<MinerResult<'WorkerStats'>>;
  sectors: PollRead<MinerResult<'SectorsSummary'>>;
  durationMs: number;
}

/** Chain state of a miner actor, read once per actor (several miner processes share one actor). */
export interface ActorPoll {
  actor: string;
  provingDeadline: PollRead<FullNodeResult<'StateMinerProvingDeadline'>>;
  deadlines: PollRead<FullNodeResult<'StateMinerDeadlines'>>;
  durationMs: number;
}

export interface ClusterPoll {
  /** Wall-clock start, from the caller's clock when given. */
  startedAt: number;
  durationMs: number;
  daemons: DaemonPoll[];
  miners: MinerPoll[];
  actors: ActorPoll[];
  /** Reads that failed, over every node. */
  failures: number;
}

export interface PollClusterOptions {
  /** Nodes read at once (each node's reads go in one HTTP batch). */
  concurrency: number;
  /** Per-request timeout for this pass; the clients' own default otherwise. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Stamps the pass; the system clock otherwise. */
  clock?: Clock;
}

/**
 * Reads, per daemon, ChainHead and SyncState; per miner process, WorkerStats and SectorsSummary; per miner actor,
 * StateMinerProvingDeadline and StateMinerDeadlines (from the miners' daemon, at its head). Each node's reads travel
 * in one JSON-RPC batch, so a pass costs one round trip per node, `concurrency` nodes at a time. Never rejects.
 */
export async function pollCluster(services: ClusterServices, options: PollClusterOptions): Promise<ClusterPoll> {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const startedAt = (options.clock ?? systemClock).now();
  const started = performance.now();
  const callOptions: CallOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const limit = pLimit(concurrency);
  const { topology } = services;

  const daemons = topology.daemons.map((daemon) =>
    limit(async (): Promise<DaemonPoll> => {
      const t0 = performance.now();
      const [head, sync] = await readPair(() => {
        const api = services.daemon(daemon.name);
        return api.rpc.batch([api.request('ChainHead', []), api.request('SyncState', [])] as const, callOptions);
      });
      return { name: daemon.name, public: daemon.public, head, sync, durationMs: performance.now() - t0 };
    }),
  );

  const miners = topology.miners.map((miner) =>
    limit(async (): Promise<MinerPoll> => {
      const t0 = performance.now();
      const [workers, sectors] = await readPair(() => {
        const api = services.miner(miner.name);
        return api.rpc.batch([api.request('WorkerStats', []), api.request('SectorsSummary', [])] as const, callOptions);
      });
      const roles = [...miner.roles];
      return { name: miner.name, actor: miner.actor, roles, workers, sectors, durationMs: performance.now() - t0 };
    }),
  );

  const actors = [...new Set(topology.miners.map((m) => m.actor))].map((actor) =>
    limit(async (): Promise<ActorPoll> => {
      const t0 = performance.now();
      const [provingDeadline, deadlines] = await readPair(() => {
        const api = services.fullNode();
        const requests = [
          api.request('StateMinerProvingDeadline', [actor, []]),
          api.request('StateMinerDeadlines', [actor, []]),
        ] as const;
        return api.rpc.batch(requests, callOptions);
      });
      return { actor, provingDeadline, deadlines, durationMs: performance.now() - t0 };
    }),
  );

  const result = {
    daemons: await Promise.all(daemons),
    miners: await Promise.all(miners),
    actors: await Promise.all(actors),
  };
  const reads: Array<PollRead<unknown>> = [
    ...result.daemons.flatMap((d) => [d.head, d.sync]),
    ...result.miners.flatMap((m) => [m.workers, m.sectors]),
    ...result.actors.flatMap((a) => [a.provingDeadline, a.deadlines]),
  ];
  return {
    startedAt,
    durationMs: performance.now() - started,
    ...result,
    failures: reads.filter((r) => !r.ok).length,
  };
}

/**
 * Two reads sent together. An error that took the whole request (unreachable, timeout, bad token) becomes the error
 * of both; an error of one item stays that item's.
 */
async function readPair<A, B>(
  send: () => Promise<[BatchResult<A>, BatchResult<B>]>,
): Promise<[PollRead<A>, PollRead<B>]> {
  try {
    const [a, b] = await send();
    return [a, b];
  } catch (error) {
    const failure: { ok: false; error: OpsError } = { ok: false, error: asOpsError(error) };
    return [failure, failure];
  }
}

function asOpsError(error: unknown): OpsError {
  return isOpsError(error) ? error : new OpsError('INTERNAL', {}, { cause: error });
}

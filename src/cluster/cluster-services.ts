import type { Config, MinerConfig } from '../config/schema.js';
import type { FullNodeApi } from '../lotus/full-node-api.js';
import type { MinerApi } from '../lotus/miner-api.js';
import type { MinerRole } from '../lotus/miner-roles.js';
import type { ForEachHostOptions, HostOutcome } from '../ssh/for-each-host.js';
import type { RunOptions, RunResult } from '../ssh/host-executor.js';
import type { ProbeResult } from './probe-tcp.js';

/**
 * What commands use to reach the cluster: the topology from the config, and clients for its lotus APIs and hosts.
 * Clients are created lazily and shared, so a command never pays for a connection it does not use.
 */
export interface ClusterServices {
  readonly topology: Config['cluster'];
  /** The daemon the miners use (the first non-public one): chain state for /deadlines and plans. */
  fullNode(): FullNodeApi;
  /** A configured daemon's API, by name (the public one too, for health checks). */
  daemon(name: string): FullNodeApi;
  /** A configured miner's API, by name. */
  miner(name: string): MinerApi;
  /** A miner by configured name or actor address (`f01234`); MINER_UNKNOWN when there is none. */
  findMiner(nameOrActor: string): MinerConfig;
  /** The miners holding a role, in config order. */
  minersWithRole(role: MinerRole): MinerConfig[];
  /** Settings commands need from the configuration beyond the topology. */
  readonly settings: ClusterSettings;
  /** Runs argv on a configured host over SSH (pinned host key, pooled connection, argv quoted). */
  runOnHost(host: string, argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Runs `work` for each named host with at most `ssh.concurrency` at once (or `concurrency` when given), and returns
   * one outcome per host in the order given: a host that fails is its outcome, never the others' failure.
   */
  forEachHost<T>(
    hosts: readonly string[],
    work: (host: string, signal: AbortSignal) => Promise<T>,
    options?: Omit<ForEachHostOptions<{ name: string }>, 'concurrency'> & { concurrency?: number },
  ): Promise<HostOutcome<{ name: string }, T>[]>;
  /** A TCP connect to HOST:PORT and nothing else. */
  probeTcp(address: string, timeoutMs?: number): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface ClusterSettings {
  /** Hosts reached at once by a fan-out (`ssh.concurrency`). */
  sshConcurrency: number;
  /** How long the fork's `lotus-miner sectors mypledge|mypledgeonce` may run before it is killed (`pledge.forkTimeout`). */
  pledgeForkTimeoutMs: number;
  /** How long `/worker-env apply` waits for the miner to list a restarted worker again (`workerEnv.reconnectTimeout`). */
  workerReconnectTimeoutMs: number;
  /** /rollback-plan (`rollback` in the config); absent in test doubles, which then get the defaults. */
  rollback?: {
    safeWindowMinutes: number;
    checkWaitMs: number;
    units: Record<string, string>;
    dropInDir: string;
    officialBinary: string;
  };
}

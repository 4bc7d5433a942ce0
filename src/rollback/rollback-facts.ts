import { minerProcessOf } from '../alerts/checks/miners-check.js';
import type { ClusterServices } from '../cluster/cluster-services.js';
import { buildDeadlinesReport } from '../cluster/deadlines-report.js';
import { PLEDGE_SCHEDULE } from '../cluster/pledge/pledge-schedule-kind.js';
import type { MinerConfig } from '../config/schema.js';
import type { ScheduleBook } from '../core/command.js';
import { firstLine } from '../core/errors.js';
import { parseApiInfo } from '../lotus/api-info.js';
import { type MinerRunFlags, minerRunProcesses } from '../lotus/miner-command-line.js';
import type { MinerFact, RollbackFacts } from './rollback-plan.js';
import type { DeadlineFact } from './safe-window.js';

export interface RollbackSettings {
  safeWindowMinutes: number;
  checkWaitMs: number;
  units: Record<string, string>;
  dropInDir: string;
  officialBinary: string;
}

export const defaultRollbackSettings: RollbackSettings = {
  safeWindowMinutes: 30,
  checkWaitMs: 60_000,
  units: {},
  dropInDir: '/etc/systemd/system',
  officialBinary: '/usr/local/bin/lotus-miner-official',
};

const PS = ['ps', '-eo', 'pid=,args='];

/** The configured API port of a miner (what its --miner-api says). */
export function apiPortOf(miner: MinerConfig): number | undefined {
  const port = Number(/:(\d+)$/.exec(parseApiInfo(miner.api, 'miner')[0]?.display ?? '')?.[1]);
  return Number.isInteger(port) ? port : undefined;
}

/** `lotus-miner run` processes on a host, or why they could not be read. */
export async function minerProcessesOn(cluster: ClusterServices, host: string): Promise<MinerRunFlags[] | string> {
  try {
    const out = await cluster.runOnHost(host, PS, { maxOutputBytes: 1024 * 1024 });
    if (out.code !== 0) return `ps exited ${out.code} on ${host}`;
    return minerRunProcesses(out.stdout);
  } catch (error) {
    return `${host} did not answer: ${firstLine((error as Error).message)}`;
  }
}

/** The miner's process among a host's: by its API port whenever any process names one. */
export function processOf(miner: MinerConfig, processes: MinerRunFlags[]): MinerRunFlags | undefined {
  const port = apiPortOf(miner) ?? 2345;
  if (processes.some((p) => p.apiPort !== undefined)) return processes.find((p) => (p.apiPort ?? 2345) === port);
  const found = minerProcessOf(miner, processes);
  return typeof found === 'string' ? undefined : found;
}

/** Everything the plan is built from, read now: the chain at one head, each miner's API, process and storage. */
export async function gatherRollbackFacts(
  cluster: ClusterServices,
  schedules: ScheduleBook,
  settings: RollbackSettings,
  now: number,
): Promise<RollbackFacts> {
  const miners = cluster.topology.miners;
  const actor = (miners.find((m) => m.roles.includes('seal')) ?? miners[0])?.actor as string;
  const api = cluster.fullNode();
  const [report, count, info, pledges] = await Promise.all([
    buildDeadlinesReport(api, actor, now),
    api.stateMinerSectorCount(actor),
    api.stateMinerInfo(actor),
    schedules.list(PLEDGE_SCHEDULE),
  ]);
  const deadlines: DeadlineFact[] = report.rows.map((r) => ({
    index: r.index,
    open: r.next.open,
    close: r.next.close,
    state: r.state,
    liveSectors: r.liveSectors,
    partitionsToProve: r.partitions.filter((p) => p.toProve > 0).length,
    partitionsProven: r.partitions.filter((p) => p.toProve > 0 && p.proven).length,
  }));
  const hosts = [...new Set(miners.map((m) => m.host).filter((h): h is string => h !== undefined))];
  const psByHost = new Map(await Promise.all(hosts.map(async (h) => [h, await minerProcessesOn(cluster, h)] as const)));
  const minerFacts = await Promise.all(miners.map((m) => minerFact(cluster, m, psByHost, settings)));
  const counterMiner = miners.find((m) => m.roles.includes('sector-counter'));
  let counter: RollbackFacts['counter'];
  if (counterMiner) {
    const path = `${counterMiner.repoPath ?? '$LOTUS_MINER_PATH'}/sectorid`;
    counter = { miner: counterMiner.name, path, value: undefined };
    if (counterMiner.host && counterMiner.repoPath) {
      const read = await readFile(cluster, counterMiner.host, path);
      const value = read === undefined ? Number.NaN : Number(read.trim());
      if (Number.isSafeInteger(value)) counter.value = value;
      else counter.detail = `could not read ${path} on ${counterMiner.host}`;
    } else counter.detail = 'no host or repoPath configured for the counter miner';
  }
  return {
    actor,
    owner: info.Owner,
    now,
    chain: {
      headEpoch: report.epoch,
      headMs: report.headTime,
      blockDelayMs: 30_000,
      liveSectors: count.Live,
      faultySectors: count.Faulty,
    },
    deadlines,
    activePledgeSchedules: pledges.length,
    counter,
    miners: minerFacts,
    settings: {
      safeWindowMinutes: settings.safeWindowMinutes,
      dropInDir: settings.dropInDir,
      officialBinary: settings.officialBinary,
    },
  };
}

async function readFile(cluster: ClusterServices, host: string, path: string): Promise<string | undefined> {
  try {
    const out = await cluster.runOnHost(host, ['cat', '--', path]);
    return out.code === 0 ? out.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** The sealed storage paths in a repo's storage.json ({"StoragePaths":[{"Path":…}]}). */
export function storagePathsOf(text: string): string[] | undefined {
  try {
    const doc = JSON.parse(text) as { StoragePaths?: Array<{ Path?: unknown }> };
    return (doc.StoragePaths ?? []).map((p) => p.Path).filter((p): p is string => typeof p === 'string');
  } catch {
    return undefined;
  }
}

async function minerFact(
  cluster: ClusterServices,
  m: MinerConfig,
  psByHost: Map<string, MinerRunFlags[] | string>,
  settings: RollbackSettings,
): Promise<MinerFact> {
  const client = cluster.miner(m.name);
  let api: MinerFact['api'];
  try {
    const [address, subsystems, sectors] = await Promise.all([
      client.actorAddress(),
      client.runtimeSubsystems(),
      client.sectorsSummary(),
    ]);
    api =
      address === m.actor
        ? { reachable: true, subsystems: [...subsystems], sectors: { ...sectors } }
        : { reachable: false, error: `it answers for ${address}, not ${m.actor}` };
  } catch (error) {
    api = { reachable: false, error: firstLine((error as Error).message) };
  }
  const host = m.host === undefined ? undefined : cluster.topology.hosts.find((h) => h.name === m.host);
  const ps = m.host === undefined ? 'no host configured' : (psByHost.get(m.host) ?? 'not read');
  let process: MinerFact['process'];
  if (typeof ps === 'string') process = { state: 'unknown', detail: ps };
  else {
    const found = processOf(m, ps);
    process = found
      ? {
          state: 'running',
          pid: found.pid,
          windowPost: found.windowPost,
          winningPost: found.winningPost,
          sectorCounter: found.sectorCounter,
          sectorCounterListen: found.sectorCounterListen,
          commandLine: found.commandLine,
        }
      : { state: 'absent', detail: `no lotus-miner run with --miner-api=${apiPortOf(m) ?? 2345} on ${m.host}` };
  }
  const storage =
    m.host !== undefined && m.repoPath !== undefined
      ? await readFile(cluster, m.host, `${m.repoPath}/storage.json`)
      : undefined;
  return {
    name: m.name,
    actor: m.actor,
    roles: [...m.roles],
    fork: m.forkCommands,
    host: m.host,
    address: host?.address,
    repoPath: m.repoPath,
    unit: settings.units[m.name] ?? 'lotus-miner',
    apiPort: apiPortOf(m),
    api,
    process,
    storagePaths: storage === undefined ? undefined : storagePathsOf(storage),
  };
}

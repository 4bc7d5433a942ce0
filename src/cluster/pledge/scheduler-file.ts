import { z } from 'zod';
import { firstLine, OpsError } from '../../core/errors.js';
import { forkSchedulerFields, type WorkerStats } from '../../lotus/schemas.js';
import type { ClusterServices } from '../cluster-services.js';

/** The fork's per-worker myscheduler.json (lotus-ops §4.2): the same fields a fork miner reports in WorkerStats. */
const schedulerFileSchema = z.looseObject(forkSchedulerFields);
export type SchedulerFile = z.infer<typeof schedulerFileSchema>;

/** `$LOTUS_WORKER_PATH/myscheduler.json` on a worker host. The worker re-reads it on every scheduling pass. */
export async function readSchedulerFile(
  cluster: ClusterServices,
  host: string,
  repoPath: string,
): Promise<SchedulerFile> {
  const path = `${repoPath.replace(/\/+$/, '')}/myscheduler.json`;
  const result = await cluster.runOnHost(host, ['cat', '--', path], { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 });
  if (result.code !== 0)
    throw new OpsError('SSH_EXIT', {
      host,
      command: `cat ${path}`,
      code: result.code,
      stderr: firstLine(result.stderr),
    });
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    throw new OpsError('SSH_ERROR', { host, detail: `${path} is not JSON` });
  }
  const parsed = schedulerFileSchema.safeParse(json);
  if (!parsed.success)
    throw new OpsError('SSH_ERROR', {
      host,
      detail: `${path}: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`,
    });
  return parsed.data;
}

/** Where a WorkerStats worker's limits were looked for and why they were not found. */
export interface SchedulerFiles {
  stats: Record<string, WorkerStats>;
  notes: string[];
  /** Per worker id: why its myscheduler.json could not be used (no host configured, ambiguous, unreadable). */
  unknownWhy: Map<string, string>;
}

/**
 * Where the miner did not report a worker's scheduler limits, fill them in from that worker's myscheduler.json, read
 * over SSH. The miner names a worker by its `lotus-worker run --name` (LOTUS_WORKER_NAME), which defaults to the host
 * name; WorkerStats carries no listen address. So, in order:
 * - a configured worker of that name with a repoPath: its own file;
 * - a configured host of that name or address: the files of its workers that have a repoPath. With one, that one;
 *   with several (the usual PC1 box runs four), all of them when they say the same, since the miner cannot tell which
 *   is which; when they differ, the limits stay unknown and the plan says how to name the workers apart.
 */
export async function withSchedulerFiles(
  cluster: ClusterServices,
  stats: Record<string, WorkerStats>,
): Promise<SchedulerFiles> {
  const notes: string[] = [];
  const unknownWhy = new Map<string, string>();
  const out: Record<string, WorkerStats> = { ...stats };
  // One read per file, however many WorkerStats entries point at it.
  const reads = new Map<string, Promise<SchedulerFile>>();
  const read = (host: string, repoPath: string): Promise<SchedulerFile> => {
    const key = `${host}\u0000${repoPath}`;
    let file = reads.get(key);
    if (!file) {
      file = readSchedulerFile(cluster, host, repoPath);
      reads.set(key, file);
    }
    return file;
  };
  const hosts = cluster.topology.hosts;
  await Promise.all(
    Object.entries(stats).map(async ([id, worker]) => {
      if (worker.Info.Resources.AddPieceMax !== undefined) return;
      const name = worker.Info.Hostname;
      const named = hosts.flatMap((h) => h.workers.filter((w) => w.name === name).map((w) => ({ host: h, worker: w })));
      const host = hosts.find((h) => h.name === name || h.address === name);
      let sources: Array<{ host: string; repoPath: string }>;
      if (named.length === 1 && named[0]?.worker.repoPath !== undefined) {
        sources = [{ host: named[0].host.name, repoPath: named[0].worker.repoPath }];
      } else if (host) {
        sources = host.workers
          .filter((w) => w.repoPath !== undefined)
          .map((w) => ({ host: host.name, repoPath: w.repoPath as string }));
        if (sources.length === 0) {
          unknownWhy.set(id, `${host.name} has no worker with repoPath set, where its myscheduler.json would be`);
          return;
        }
      } else {
        unknownWhy.set(id, `no host or worker named ${name} is configured`);
        return;
      }
      let files: SchedulerFile[];
      try {
        files = await Promise.all(sources.map((source) => read(source.host, source.repoPath)));
      } catch (error) {
        const why = `could not read myscheduler.json on ${sources[0]?.host} (${error instanceof Error ? error.message : 'unexpected error'})`;
        unknownWhy.set(id, why);
        return;
      }
      const distinct = new Set(files.map((file) => canonical(file)));
      if (distinct.size > 1) {
        unknownWhy.set(
          id,
          `${sources[0]?.host} runs ${sources.length} workers whose myscheduler.json differ, and the miner names them all "${name}": give each its configured name (lotus-worker run --name, or LOTUS_WORKER_NAME) so they can be told apart`,
        );
        return;
      }
      out[id] = { ...worker, Info: { ...worker.Info, Resources: { ...worker.Info.Resources, ...files[0] } } };
    }),
  );
  const failures = [...new Set(unknownWhy.values())].filter((why) => why.startsWith('could not read'));
  for (const why of failures) notes.push(`${why}; those limits are unknown.`);
  return { stats: out, notes, unknownWhy };
}

/** A file's settings in a fixed order, to tell whether two files say the same. */
function canonical(file: SchedulerFile): string {
  return JSON.stringify(
    Object.keys(file)
      .sort()
      .map((key) => [key, file[key as keyof SchedulerFile]]),
  );
}

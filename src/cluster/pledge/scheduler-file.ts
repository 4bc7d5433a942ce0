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

/**
 * Where the miner did not report a worker's scheduler limits, fill them in from that worker's myscheduler.json, read
 * over SSH from the configured worker on the host WorkerStats names. A host with several configured workers is only
 * used when exactly one of them has a repoPath: WorkerStats says which host, not which of its workers.
 */
export async function withSchedulerFiles(
  cluster: ClusterServices,
  stats: Record<string, WorkerStats>,
): Promise<{ stats: Record<string, WorkerStats>; notes: string[] }> {
  const notes: string[] = [];
  const out: Record<string, WorkerStats> = { ...stats };
  await Promise.all(
    Object.entries(stats).map(async ([id, worker]) => {
      if (worker.Info.Resources.AddPieceMax !== undefined) return;
      const host = cluster.topology.hosts.find(
        (h) => h.name === worker.Info.Hostname || h.address === worker.Info.Hostname,
      );
      const withPath = host?.workers.filter((w) => w.repoPath !== undefined) ?? [];
      if (!host || withPath.length !== 1) return;
      try {
        const file = await readSchedulerFile(cluster, host.name, withPath[0]?.repoPath as string);
        out[id] = { ...worker, Info: { ...worker.Info, Resources: { ...worker.Info.Resources, ...file } } };
      } catch (error) {
        notes.push(
          `${host.name}: could not read myscheduler.json (${error instanceof Error ? error.message : 'unexpected error'}); its limits are guessed from lotus's resource table.`,
        );
      }
    }),
  );
  return { stats: out, notes };
}

import type { ClusterServices } from '../cluster/cluster-services.js';
import { OpsError } from '../core/errors.js';
import { type Block, block, type Reply } from '../core/reply.js';
import type { WorkerStats } from '../lotus/schemas.js';
import { auditHost, type EnvFinding, runningWorker } from './audit-rules.js';
import { parseHostWorkers, workerAuditCommand } from './worker-processes.js';

/** A host's processes and environments fit in this; a larger answer is cut off and the host reported. */
const MAX_OUTPUT = 8 * 1024 * 1024;
const MOST_COMMON = 5;

interface HostReport {
  host: string;
  findings: EnvFinding[];
  workers: number;
  error?: string;
}

/**
 * `/worker-env audit`: every worker host at once (at most `ssh.concurrency`), one SSH command each, progress as hosts
 * answer; each running worker judged against its host's hardware and against what the miners see. A host that fails
 * is listed with why; the others still report.
 */
export async function auditWorkerEnv(
  cluster: ClusterServices,
  request: { host?: string },
  progress: (text: string) => Promise<void>,
): Promise<Reply> {
  const { hosts } = cluster.topology;
  if (request.host !== undefined && !hosts.some((h) => h.name === request.host))
    throw new OpsError('HOST_UNKNOWN', { host: request.host });
  const targets =
    request.host !== undefined
      ? [request.host]
      : (hosts.some((h) => h.workers.length > 0) ? hosts.filter((h) => h.workers.length > 0) : hosts).map(
          (h) => h.name,
        );
  if (targets.length === 0)
    return {
      title: 'Worker environments: no host is configured',
      severity: 'warning',
      blocks: [block.text('Add the worker hosts under cluster.hosts to audit them.')],
    };

  const [outcomes, seen] = await Promise.all([
    cluster.forEachHost(
      targets,
      (host, signal) => cluster.runOnHost(host, workerAuditCommand, { signal, maxOutputBytes: MAX_OUTPUT }),
      { onProgress: (p) => void progress(`${p.done} of ${p.total} hosts read`) },
    ),
    workersTheMinersSee(cluster),
  ]);
  const reports: HostReport[] = outcomes.map((outcome) => {
    const host = outcome.host.name;
    if (!outcome.ok) return { host, findings: [], workers: 0, error: outcome.error.message };
    if (outcome.value.stdout.trim() === '')
      return {
        host,
        findings: [],
        workers: 0,
        error: `the audit printed nothing (exit ${outcome.value.code}): ${outcome.value.stderr.trim().split('\n')[0] ?? ''}`,
      };
    try {
      const { facts, hostname, processes } = parseHostWorkers(host, outcome.value.stdout);
      const workers = processes.map((p) => runningWorker(p, hostname));
      const findings = auditHost(facts, workers);
      if (seen.names !== undefined) {
        for (const w of workers)
          if (!seen.names.has(w.name))
            findings.push({
              worker: w.name,
              kind: 'unseen',
              severity: 'problem',
              text: `the miners do not see it: the process runs (pid ${w.pid}) but is not connected`,
            });
        const configured = cluster.topology.hosts.find((h) => h.name === host)?.workers.map((w) => w.name) ?? [];
        for (const name of configured)
          if (seen.names.has(name) && !workers.some((w) => w.name === name))
            findings.push({
              worker: name,
              kind: 'unseen',
              severity: 'warning',
              text: 'the miner sees it, but no lotus-worker process of that name runs here (another host, or another name)',
            });
      }
      return { host, findings, workers: workers.length };
    } catch (error) {
      return { host, findings: [], workers: 0, error: error instanceof Error ? error.message : String(error) };
    }
  });
  return auditReply(reports, seen.problem);
}

/** Every worker name the seal- and deal-miners report, or why they could not be read. */
async function workersTheMinersSee(cluster: ClusterServices): Promise<{ names?: Set<string>; problem?: string }> {
  const miners = cluster.topology.miners.filter((m) => m.roles.includes('seal') || m.roles.includes('deal'));
  const names = new Set<string>();
  const failed: string[] = [];
  await Promise.all(
    miners.map(async (m) => {
      try {
        const stats: Record<string, WorkerStats> = await cluster.miner(m.name).workerStats();
        for (const w of Object.values(stats)) names.add(w.Info.Hostname);
      } catch (error) {
        failed.push(`${m.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (failed.length === miners.length && miners.length > 0)
    return { problem: `What the miners see was not compared: ${failed.join('; ')}` };
  return { names, ...(failed.length > 0 ? { problem: `Some miners could not be read: ${failed.join('; ')}` } : {}) };
}

function auditReply(reports: HostReport[], minersProblem: string | undefined): Reply {
  const unreachable = reports.filter((r) => r.error !== undefined);
  const drift = reports.filter((r) => r.error === undefined && r.findings.length > 0);
  const clean = reports.filter((r) => r.error === undefined && r.findings.length === 0);
  const problems = reports.reduce((n, r) => n + r.findings.filter((f) => f.severity === 'problem').length, 0);
  const blocks: Block[] = [
    block.text(
      `${reports.length} host(s): ${clean.length} clean, ${drift.length} with drift, ${unreachable.length} unreachable; ${reports.reduce((n, r) => n + r.workers, 0)} worker process(es) read.`,
    ),
  ];
  if (minersProblem) blocks.push(block.notice('warning', minersProblem));
  const common = new Map<string, Set<string>>();
  for (const r of drift)
    for (const f of r.findings) {
      const key = f.variable ? `${f.variable} ${f.kind}` : f.kind;
      common.set(key, (common.get(key) ?? new Set()).add(r.host));
    }
  if (common.size > 0)
    blocks.push(
      block.text('Most common:'),
      block.list(
        [...common]
          .sort((a, b) => b[1].size - a[1].size)
          .slice(0, MOST_COMMON)
          .map(([key, hosts]) => `${key}: ${hosts.size} host(s)`),
      ),
    );
  for (const r of unreachable) blocks.push(block.notice('error', `${r.host}: not read: ${r.error}`));
  for (const r of drift) {
    blocks.push(
      block.text(`*${r.host}* (${r.workers} worker(s))`),
      block.table(
        ['worker', 'what', 'finding'],
        r.findings.map((f) => [
          f.worker,
          `${f.severity === 'problem' ? '✗' : '!'} ${f.kind}${f.variable ? ` ${f.variable}` : ''}`,
          f.text,
        ]),
      ),
    );
  }
  if (clean.length > 0) blocks.push(block.text(`Clean: ${clean.map((r) => `${r.host} (${r.workers})`).join(', ')}.`));
  return {
    title: `Worker environments: ${clean.length} clean, ${drift.length} with drift, ${unreachable.length} unreachable`,
    severity: problems > 0 || unreachable.length > 0 ? 'error' : drift.length > 0 ? 'warning' : 'success',
    blocks,
  };
}

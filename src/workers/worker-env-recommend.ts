import type { ClusterServices } from '../cluster/cluster-services.js';
import { OpsError } from '../core/errors.js';
import { attachment, attachmentLimits, type Block, block, type Reply } from '../core/reply.js';
import { parseApiInfo } from '../lotus/api-info.js';
import { hostFactsCommand, parseHostFacts } from './host-facts.js';
import {
  type Layout,
  recommendLayout,
  type SectorSize,
  type WorkerKind,
  type WorkerLayout,
} from './recommend-layout.js';

/** Where lotus and rust-fil-proofs keep things by default; a layout names them so an operator can change them. */
const defaults = {
  parameters: '/var/tmp/filecoin-proof-parameters',
  parents: '/var/tmp/filecoin-parents',
  tmp: '/var/tmp/lotus-worker',
  repoBase: '/home/lotus/workers',
};

export interface RecommendRequest {
  host: string;
  kind: WorkerKind;
  sector: SectorSize;
}

/** `/worker-env recommend`: one SSH round trip for the host's facts, then the layout as a reply. */
export async function recommendWorkerEnv(cluster: ClusterServices, request: RecommendRequest): Promise<Reply> {
  const host = cluster.topology.hosts.find((h) => h.name === request.host);
  if (!host) throw new OpsError('HOST_UNKNOWN', { host: request.host });
  const result = await cluster.runOnHost(host.name, hostFactsCommand, { maxOutputBytes: 2 * 1024 * 1024 });
  if (result.code !== 0 && result.stdout.trim() === '')
    throw new OpsError('HOST_FACTS_UNREADABLE', {
      host: host.name,
      detail: result.stderr.trim().split('\n')[0] ?? `exit ${result.code}`,
    });
  const facts = parseHostFacts(host.name, result.stdout);
  const minerName =
    host.workers.find((w) => w.miner !== undefined)?.miner ??
    cluster.topology.miners.find((m) => m.roles.includes('seal'))?.name ??
    cluster.topology.miners[0]?.name;
  const miner = cluster.topology.miners.find((m) => m.name === minerName);
  if (!miner) throw new OpsError('MINER_UNKNOWN', { miner: String(minerName), known: '' });
  const repoOf = host.workers.find((w) => w.repoPath !== undefined)?.repoPath;
  const layout = recommendLayout(facts, {
    host: host.name,
    address: host.address,
    kind: request.kind,
    sector: request.sector,
    miner: { name: miner.name, multiaddr: multiaddrOf(miner.api) },
    repoBase: repoOf ? repoOf.replace(/\/[^/]+\/?$/, '') || defaults.repoBase : defaults.repoBase,
    paths: { parameters: defaults.parameters, parents: defaults.parents, tmp: defaults.tmp },
  });
  return layoutReply(host.name, request, layout);
}

/** The miner's API as a multiaddr, without its token: what a worker's MINER_API_INFO points at. */
function multiaddrOf(api: string): string {
  const url = new URL(parseApiInfo(api, 'miner')[0]?.url ?? 'http://127.0.0.1:2345/rpc/v0');
  const ip = /^\[.*\]$/.test(url.hostname) ? 'ip6' : /^[\d.]+$/.test(url.hostname) ? 'ip4' : 'dns';
  return `/${ip}/${url.hostname.replace(/^\[|\]$/g, '')}/tcp/${url.port || '80'}/http`;
}

function layoutReply(host: string, request: RecommendRequest, layout: Layout): Reply {
  const blocks: Block[] = [block.list(layout.basis)];
  for (const note of layout.notes) blocks.push(block.notice('warning', note));
  for (const worker of layout.workers) blocks.push(...workerBlocks(worker));
  if (layout.workers.length > 0)
    blocks.push(
      block.text(
        "Put each env file where the worker's unit reads it (EnvironmentFile=), the myscheduler.json in its LOTUS_WORKER_PATH, and give MINER_API_INFO a real token. /worker-env audit compares what runs with this.",
      ),
    );
  return {
    title: `Worker environment for ${host}: ${layout.workers.length} ${request.kind.toUpperCase()} worker(s), ${request.sector} sectors`,
    severity: layout.workers.length === 0 ? 'warning' : layout.notes.length > 0 ? 'info' : 'success',
    blocks,
    attachments: layout.workers
      .slice(0, attachmentLimits.perReply)
      .map((w) => attachment(`${w.name}.env`, `# ${w.name}.env\n${envFileText(w)}\n`)),
  };
}

/** The worker's env file: one NAME=value a line; a variable that must be unset is a comment saying so. */
function envFileText(worker: WorkerLayout): string {
  return worker.env
    .map((e) => (e.value === undefined ? `# ${e.name} must be unset (not even ${e.name}=0)` : `${e.name}=${e.value}`))
    .join('\n');
}

function workerBlocks(worker: WorkerLayout): Block[] {
  const file = envFileText(worker);
  return [
    block.text(`*${worker.name}*: ${worker.summary}`),
    block.table(
      ['variable', 'value', 'why'],
      worker.env.map((e) => [e.name, e.value ?? '(unset)', e.reason]),
    ),
    block.code(`# ${worker.name}.env\n${file}`),
    block.code(`lotus-worker run --listen=${worker.listen} ${worker.flags.join(' ')}`.trim()),
    block.code(`# ${worker.name}/myscheduler.json\n${JSON.stringify(worker.scheduler, null, 2)}`),
  ];
}

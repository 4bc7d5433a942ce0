import type { ClusterServices } from '../cluster/cluster-services.js';
import type { OpsContext } from '../cluster/ops-context.js';
import type { HostConfig, WorkerConfig } from '../config/schema.js';
import { formatDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import { pollUntil } from '../core/poll-until.js';
import { action, type Block, block, type Reply } from '../core/reply.js';
import { applyEnvChanges, type EnvChange, envFileHash, readEnvFile, shownValue } from './env-file.js';
import { hostFactsCommand, parseHostFacts } from './host-facts.js';
import { recommendLayout, type WorkerKind } from './recommend-layout.js';
import { parseHostWorkers, workerAuditCommand } from './worker-processes.js';

/** What an approved apply carries: never the file's text (it holds the miner token), only what changes. */
export interface ApplyPlanData {
  host: string;
  worker: string;
  unit: string;
  envFile: string;
  /** The file as planned; a file that changed since is not written over. */
  beforeHash: string;
  changes: EnvChange[];
  force: boolean;
}

const kindOf: Record<WorkerConfig['kind'], WorkerKind> = {
  AP: 'ap',
  PC1: 'pc1',
  'AP+PC1': 'pc1',
  PC2: 'pc2',
  C2: 'c2',
};
/** Set by the layout only where they are missing: the operator's own paths are kept. */
const onlyIfMissing = new Set(['FIL_PROOFS_PARENT_CACHE', 'FIL_PROOFS_PARAMETER_CACHE', 'TMPDIR', 'LOTUS_WORKER_PATH']);
/** Never changed by the bot: the worker's identity and its miner's token. */
const kept = new Set(['MINER_API_INFO', 'LOTUS_WORKER_NAME']);
const removed: Record<string, string> = {
  BELLMAN_NO_GPU: 'any value forces the proofs onto the CPU with the bellperson these clusters run',
  FIL_PROOFS_MAXIMIZE_CACHING: 'obsolete: rust-fil-proofs no longer reads it',
  FFI_BUILD_FROM_SOURCE: 'read only when building filecoin-ffi',
  FFI_USE_CUDA: 'read only when building filecoin-ffi',
  RUSTFLAGS: 'read only when building filecoin-ffi',
};
const RUNNING = 0;
const heavy = new Set(['seal/v0/precommit/1', 'seal/v0/precommit/2', 'seal/v0/commit/2']);

function locate(
  cluster: ClusterServices,
  hostName: string,
  workerName: string,
): { host: HostConfig; worker: WorkerConfig } {
  const host = cluster.topology.hosts.find((h) => h.name === hostName);
  if (!host) throw new OpsError('HOST_UNKNOWN', { host: hostName });
  const worker = host.workers.find((w) => w.name === workerName);
  if (!worker)
    throw new OpsError('WORKER_UNKNOWN', {
      worker: workerName,
      host: hostName,
      known: host.workers.map((w) => w.name).join(', ') || 'none',
    });
  return { host, worker };
}

/** The miner a worker connects to: its own `miner`, else the cluster's seal-miner; '' when there is none. */
function minerOf(cluster: ClusterServices, worker: WorkerConfig): string {
  return worker.miner ?? cluster.topology.miners.find((m) => m.roles.includes('seal'))?.name ?? '';
}

/**
 * Waits until the worker's miner lists it in WorkerStats (by its name, which is what lotus reports as the hostname),
 * up to `workerEnv.reconnectTimeout`. A read that fails is retried: the miner may be busy. Undefined once it is seen.
 */
async function waitUntilMinerSees(
  ctx: OpsContext,
  plan: { host: string; worker: string },
): Promise<string | undefined> {
  const { cluster } = ctx;
  const worker = locate(cluster, plan.host, plan.worker).worker;
  const miner = minerOf(cluster, worker);
  if (!miner) return undefined;
  const timeoutMs = cluster.settings.workerReconnectTimeoutMs;
  await ctx.progress(`waiting for ${miner} to list ${plan.worker} (up to ${formatDuration(timeoutMs)})`);
  const seen = async (): Promise<string | undefined> => {
    try {
      const stats = await cluster.miner(miner).workerStats();
      return Object.values(stats).some((w) => w.Info.Hostname === plan.worker)
        ? undefined
        : `${miner} does not list ${plan.worker} ${formatDuration(timeoutMs)} after the restart (workerEnv.reconnectTimeout): does the new environment still reach the miner (MINER_API_INFO)?`;
    } catch (error) {
      return `${miner} could not be asked for its workers: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  return pollUntil(seen, (problem) => problem === undefined, { withinMs: timeoutMs, everyMs: 2_000 });
}

/** The plan: the env file's diff against the layout for this worker, the restart, and the jobs it would kill. */
export async function planWorkerEnvApply(
  cluster: ClusterServices,
  args: { host: string; worker: string; force: boolean },
): Promise<{ reply: Reply; data: ApplyPlanData; blocked?: string }> {
  const { host, worker } = locate(cluster, args.host, args.worker);
  if (!worker.unit || !worker.envFile)
    throw new OpsError('WORKER_NOT_MANAGED', { worker: worker.name, host: host.name });
  const read = await cluster.runOnHost(
    host.name,
    ['sh', '-c', `${hostFactsCommand[2]}; echo @@envfile; cat -- "$1"`, 'sh', worker.envFile],
    {
      maxOutputBytes: 2 * 1024 * 1024,
    },
  );
  const at = read.stdout.indexOf('@@envfile\n');
  if (at < 0 || read.code !== 0)
    throw new OpsError('HOST_FACTS_UNREADABLE', {
      host: host.name,
      detail: `cannot read ${worker.envFile}: ${read.stderr.trim().split('\n').at(-1) ?? `exit ${read.code}`}`,
    });
  const facts = parseHostFacts(host.name, read.stdout.slice(0, at));
  const text = read.stdout.slice(at + '@@envfile\n'.length);
  const current = readEnvFile(text);

  const kind = kindOf[worker.kind];
  const peers = host.workers.filter((w) => kindOf[w.kind] === kind);
  const index = peers.indexOf(worker);
  const minerName = minerOf(cluster, worker);
  const layout = recommendLayout(facts, {
    host: host.name,
    address: host.address,
    kind,
    sector: '32G',
    miner: { name: minerName, multiaddr: '' },
    repoBase: '/home/lotus/workers',
    paths: {
      parameters: '/var/tmp/filecoin-proof-parameters',
      parents: '/var/tmp/filecoin-parents',
      tmp: '/var/tmp/lotus-worker',
    },
  });
  const target = layout.workers[index];
  const changes: EnvChange[] = [];
  if (target)
    for (const e of target.env) {
      if (kept.has(e.name) || e.value === undefined) continue;
      const now = current.get(e.name);
      if (onlyIfMissing.has(e.name) && now !== undefined) continue;
      if (now !== e.value) changes.push({ name: e.name, from: now, to: e.value, reason: e.reason });
    }
  for (const [name, why] of Object.entries(removed))
    if (current.has(name)) changes.push({ name, from: current.get(name), to: undefined, reason: why });

  const jobs = await runningJobs(cluster, minerName, worker.name);
  const data: ApplyPlanData = {
    host: host.name,
    worker: worker.name,
    unit: worker.unit,
    envFile: worker.envFile,
    beforeHash: envFileHash(text),
    changes,
    force: args.force,
  };
  const blocks: Block[] = [];
  if (!target)
    blocks.push(
      block.notice(
        'warning',
        `The hardware fits ${layout.workers.length} ${kind.toUpperCase()} worker(s) on ${host.name}; ${worker.name} is number ${index + 1} of those configured, so only stale settings are removed.`,
      ),
    );
  if (!current.has('MINER_API_INFO'))
    blocks.push(
      block.notice(
        'warning',
        'The file sets no MINER_API_INFO: the worker finds no miner. Add it (with its token) by hand.',
      ),
    );
  blocks.push(
    changes.length > 0
      ? block.table(
          ['variable', 'now', 'after', 'why'],
          changes.map((c) => [
            c.name,
            shownValue(c.name, c.from),
            c.to === undefined ? '(removed)' : shownValue(c.name, c.to),
            c.reason,
          ]),
        )
      : block.text('Nothing to change: the file already matches the layout for this host.'),
    block.list([
      `write ${worker.envFile} (the old one kept beside it as .bak-TIME), atomically`,
      `sudo -n systemctl restart ${worker.unit}`,
      `check the new process's environment and that the miner sees ${worker.name} again`,
    ]),
  );
  if (jobs.length > 0)
    blocks.push(
      block.notice(
        args.force ? 'warning' : 'error',
        `${worker.name} runs ${jobs.join(', ')}: a restart kills ${jobs.length === 1 ? 'it' : 'them'}${args.force ? ' (force given)' : '. Wait until they finish, or add force'}.`,
      ),
    );
  const blocked =
    changes.length === 0
      ? `${worker.name}'s environment already matches: nothing to apply`
      : jobs.length > 0 && !args.force
        ? `${worker.name} runs ${jobs.join(', ')}; a restart would kill them (add force to do it anyway)`
        : undefined;
  return {
    reply: {
      title: `Apply ${changes.length} change(s) to ${worker.name}'s environment on ${host.name}, then restart it`,
      severity: blocked ? 'warning' : 'info',
      blocks,
    },
    data,
    ...(blocked ? { blocked } : {}),
  };
}

/** PC1, PC2 and C2 running on the worker now, as "PC1 of sector 123". */
async function runningJobs(cluster: ClusterServices, miner: string, worker: string): Promise<string[]> {
  if (!miner) return [];
  const api = cluster.miner(miner);
  const [stats, jobs] = await Promise.all([api.workerStats(), api.workerJobs()]);
  const ids = Object.entries(stats)
    .filter(([, w]) => w.Info.Hostname === worker)
    .map(([id]) => id);
  return ids.flatMap((id) =>
    (jobs[id] ?? [])
      .filter((j) => j.RunWait === RUNNING && heavy.has(j.Task))
      .map(
        (j) =>
          `${j.Task.replace('seal/v0/', '').replace('precommit/', 'PC').replace('commit/', 'C')} of sector ${j.Sector.Number}`,
      ),
  );
}

/** Carries out an approved apply, step by step, each step journalled; a failed check offers the restore. */
export async function executeWorkerEnvApply(ctx: OpsContext, plan: ApplyPlanData): Promise<Reply> {
  const { cluster } = ctx;
  await ctx.progress(`reading ${plan.envFile}`);
  const read = await cluster.runOnHost(plan.host, ['cat', '--', plan.envFile]);
  if (read.code !== 0)
    throw new OpsError('WORKER_ENV_STEP', {
      step: `reading ${plan.envFile}`,
      detail: read.stderr.trim() || `exit ${read.code}`,
    });
  if (envFileHash(read.stdout) !== plan.beforeHash)
    throw new OpsError('WORKER_ENV_STEP', {
      step: 'checking the file',
      detail: `${plan.envFile} changed since the plan; nothing was written. Run the command again for a new plan`,
    });
  const stamp = new Date(ctx.clock.now())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const backup = `${plan.envFile}.bak-${stamp}`;
  const next = applyEnvChanges(read.stdout, plan.changes, `set by lotus-chatops at ${stamp}`);
  await ctx.progress(`writing ${plan.envFile} (backup ${backup})`);
  const write = await cluster.runOnHost(
    plan.host,
    [
      'sh',
      '-c',
      'set -e; cp -p -- "$1" "$1.bak-$2"; cat > "$1.new-$2"; chmod --reference="$1" "$1.new-$2" 2>/dev/null || true; mv -f -- "$1.new-$2" "$1"',
      'sh',
      plan.envFile,
      stamp,
    ],
    { stdin: next },
  );
  if (write.code !== 0)
    throw new OpsError('WORKER_ENV_STEP', {
      step: `writing ${plan.envFile}`,
      detail: write.stderr.trim() || `exit ${write.code}`,
    });
  await ctx.journal.append('worker-env', { host: plan.host, worker: plan.worker, step: 'written', backup });
  const restore = action('Restore the backup', `/worker-env restore ${plan.host} ${plan.worker} ${stamp}`, {
    style: 'danger',
  });

  await ctx.progress(`restarting ${plan.unit}`);
  const restart = await cluster.runOnHost(plan.host, ['sudo', '-n', 'systemctl', 'restart', plan.unit]);
  if (restart.code !== 0)
    return failed(
      plan,
      `the restart failed: ${restart.stderr.trim().split('\n')[0] ?? `exit ${restart.code}`}`,
      backup,
      restore,
    );
  await ctx.journal.append('worker-env', { host: plan.host, worker: plan.worker, step: 'restarted' });

  await ctx.progress('checking the new process');
  const problem =
    (await retryAfterRestart(cluster, () => verify(cluster, plan))) ?? (await waitUntilMinerSees(ctx, plan));
  if (problem) return failed(plan, problem, backup, restore);
  await ctx.journal.append('worker-env', { host: plan.host, worker: plan.worker, step: 'verified' });
  return {
    title: `${plan.worker} runs with its new environment`,
    severity: 'success',
    blocks: [
      block.text(
        `${plan.changes.length} change(s) written to ${plan.envFile}, ${plan.unit} restarted, the new process checked and the miner sees ${plan.worker}.`,
      ),
      block.fields([{ label: 'Backup', value: backup }]),
    ],
    actions: [restore],
  };
}

/**
 * `check`, again every half second until it passes or the window ends (the shorter of 15 s and
 * `workerEnv.reconnectTimeout`): `systemctl restart` of a simple unit returns once the process is forked, and for a
 * moment the new process may not have exec'd lotus-worker yet. Undefined once it passes, else its last problem.
 */
async function retryAfterRestart(
  cluster: ClusterServices,
  check: () => Promise<string | undefined>,
): Promise<string | undefined> {
  return pollUntil(check, (problem) => problem === undefined, {
    withinMs: Math.min(15_000, cluster.settings.workerReconnectTimeoutMs),
    everyMs: 500,
  });
}

/** The restarted worker's environment has every change. Undefined when so. */
async function verify(cluster: ClusterServices, plan: ApplyPlanData): Promise<string | undefined> {
  const out = await cluster.runOnHost(plan.host, workerAuditCommand, { maxOutputBytes: 8 * 1024 * 1024 });
  const { processes, hostname } = parseHostWorkers(plan.host, out.stdout);
  const mine = processes.filter((p) => (p.env?.get('LOTUS_WORKER_NAME') ?? hostname) === plan.worker);
  if (mine.length === 0) return `no lotus-worker process named ${plan.worker} runs on ${plan.host} after the restart`;
  const env = mine.at(-1)?.env;
  if (!env) return `the new process's environment could not be read (the sudo rule for cat /proc/PID/environ)`;
  const wrong = plan.changes.filter((c) => env.get(c.name) !== c.to);
  if (wrong.length > 0)
    return `the new process does not have ${wrong.map((c) => `${c.name}=${c.to ?? '(unset)'}`).join(', ')}: does its unit read ${plan.envFile}?`;
  return undefined;
}

function failed(plan: ApplyPlanData, problem: string, backup: string, restore: ReturnType<typeof action>): Reply {
  return {
    title: `${plan.worker}: the new environment is written, but ${problem.split(':')[0]}`,
    severity: 'error',
    outcome: 'failed',
    blocks: [
      block.notice('error', problem),
      block.text(
        `The old file is ${backup}. To go back: the button below (it asks for approval like any change), or on the host: cp -p ${backup} ${plan.envFile} && sudo systemctl restart ${plan.unit}`,
      ),
    ],
    actions: [restore],
  };
}

export interface RestorePlanData {
  host: string;
  worker: string;
  unit: string;
  envFile: string;
  stamp: string;
}

/** The plan of putting a backup back: which variables it changes back (secrets shown by their shape). */
export async function planWorkerEnvRestore(
  cluster: ClusterServices,
  args: { host: string; worker: string; backup: string },
): Promise<{ reply: Reply; data: RestorePlanData }> {
  const { host, worker } = locate(cluster, args.host, args.worker);
  if (!worker.unit || !worker.envFile)
    throw new OpsError('WORKER_NOT_MANAGED', { worker: worker.name, host: host.name });
  const backup = `${worker.envFile}.bak-${args.backup}`;
  const read = await cluster.runOnHost(host.name, [
    'sh',
    '-c',
    'cat -- "$1" && echo @@backup && cat -- "$2"',
    'sh',
    worker.envFile,
    backup,
  ]);
  const at = read.stdout.indexOf('@@backup\n');
  if (read.code !== 0 || at < 0)
    throw new OpsError('WORKER_ENV_STEP', {
      step: `reading ${backup}`,
      detail: read.stderr.trim().split('\n').at(-1) || `exit ${read.code}`,
    });
  const now = readEnvFile(read.stdout.slice(0, at));
  const then = readEnvFile(read.stdout.slice(at + '@@backup\n'.length));
  const names = [...new Set([...now.keys(), ...then.keys()])].filter((n) => now.get(n) !== then.get(n)).sort();
  return {
    reply: {
      title: `Restore ${worker.name}'s environment on ${host.name} from ${args.backup}, then restart it`,
      severity: 'warning',
      blocks: [
        names.length > 0
          ? block.table(
              ['variable', 'now', 'after'],
              names.map((n) => [n, shownValue(n, now.get(n)), shownValue(n, then.get(n))]),
            )
          : block.text('The backup and the file are the same; the restart still happens.'),
        block.list([
          `copy ${backup} over ${worker.envFile}, atomically`,
          `sudo -n systemctl restart ${worker.unit}`,
          `check that ${worker.name} runs again and its miner lists it`,
        ]),
      ],
    },
    data: { host: host.name, worker: worker.name, unit: worker.unit, envFile: worker.envFile, stamp: args.backup },
  };
}

export async function executeWorkerEnvRestore(ctx: OpsContext, plan: RestorePlanData): Promise<Reply> {
  const { cluster } = ctx;
  await ctx.progress(`restoring ${plan.envFile}`);
  const copy = await cluster.runOnHost(plan.host, [
    'sh',
    '-c',
    'set -e; cp -p -- "$1.bak-$2" "$1.new-$2"; mv -f -- "$1.new-$2" "$1"',
    'sh',
    plan.envFile,
    plan.stamp,
  ]);
  if (copy.code !== 0)
    throw new OpsError('WORKER_ENV_STEP', {
      step: 'restoring the backup',
      detail: copy.stderr.trim() || `exit ${copy.code}`,
    });
  await ctx.journal.append('worker-env', { host: plan.host, worker: plan.worker, step: 'restored', stamp: plan.stamp });
  await ctx.progress(`restarting ${plan.unit}`);
  const restart = await cluster.runOnHost(plan.host, ['sudo', '-n', 'systemctl', 'restart', plan.unit]);
  if (restart.code !== 0)
    throw new OpsError('WORKER_ENV_STEP', {
      step: `restarting ${plan.unit}`,
      detail: restart.stderr.trim() || `exit ${restart.code}`,
    });
  const notRunning = await retryAfterRestart(cluster, async () => {
    const out = await cluster.runOnHost(plan.host, workerAuditCommand, { maxOutputBytes: 8 * 1024 * 1024 });
    const { processes, hostname } = parseHostWorkers(plan.host, out.stdout);
    const runs = processes.some((p) => (p.env?.get('LOTUS_WORKER_NAME') ?? hostname) === plan.worker);
    return runs ? undefined : 'not running';
  });
  const runs = notRunning === undefined;
  const unseen = runs ? await waitUntilMinerSees(ctx, plan) : undefined;
  return {
    title: !runs
      ? `${plan.worker}: restored, but no process of that name runs yet`
      : unseen
        ? `${plan.worker} runs again with its earlier environment, but its miner does not see it`
        : `${plan.worker} runs again with its earlier environment and its miner sees it`,
    severity: runs && !unseen ? 'success' : 'warning',
    blocks: [
      block.text(`${plan.envFile} is the backup of ${plan.stamp} again; ${plan.unit} was restarted.`),
      ...(unseen ? [block.notice('warning', unseen)] : []),
    ],
  };
}

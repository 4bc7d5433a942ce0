import type { MinerConfig } from '../../config/schema.js';
import { parseApiInfo } from '../../lotus/api-info.js';
import { fullNodeApiInfo, type MinerRunFlags, minerRunProcesses } from '../../lotus/miner-command-line.js';
import {
  type AlertCheck,
  allFailed,
  type CheckContext,
  daemonCause,
  Report,
  readTogether,
  type StatusGroup,
} from './check.js';

/** What one host's `ps` shows is at most this; the process list of a miner host is far smaller. */
const PS_OUTPUT_MAX = 1024 * 1024;

/**
 * The miner processes, per actor: each answers and works for its actor; the fork's role flags read from each
 * `lotus-miner run` command line over SSH (exactly one WinningPoSt owner, one WindowPoSt owner and one `alloce`
 * sector counter per actor; two block producers risk a consensus fault); each uses the internal daemon; the sector
 * counter's port accepts a TCP connection (a GetSectorID call would burn a number); and the actor's messages are not
 * backing up in the pool.
 */
export const minersCheck: AlertCheck = {
  name: 'miners',
  description:
    'Miner processes answer; one WinningPoSt, WindowPoSt and counter owner; the counter port; the message pool',
  defaultEveryMs: 60_000,
  blindSeverity: 'warning',
  home: 'Miners',
  async run(ctx) {
    const report = new Report(minersCheck, ctx.now);
    const { miners } = ctx.services.topology;
    const flags = new Map<string, MinerRunFlags>();
    await Promise.all([
      ...miners.map((m) => checkReachable(ctx, report, m)),
      ...miners.filter((m) => m.roles.includes('sector-counter')).map((m) => checkCounter(ctx, report, m)),
      readRoleFlags(ctx, report, flags),
      ...[...new Set(miners.map((m) => m.actor))].map((actor) => checkMessagePool(ctx, report, actor)),
    ]);
    for (const actor of new Set(miners.map((m) => m.actor))) judgeRoles(report, actor, miners, flags);
    return report.outcome();
  },
};

const postGroup = (miner: MinerConfig): StatusGroup =>
  miner.roles.includes('winning-post') ? 'WinningPoSt' : miner.roles.includes('window-post') ? 'WindowPoSt' : 'Miners';

async function checkReachable(ctx: CheckContext, report: Report, miner: MinerConfig): Promise<void> {
  const api = ctx.services.miner(miner.name);
  const reads = await readTogether(
    api.rpc,
    [api.request('ActorAddress', []), api.request('Version', [])] as const,
    ctx.call,
  );
  const [actor, version] = reads;
  const group = postGroup(miner);
  const proves = miner.roles.includes('window-post') || miner.roles.includes('winning-post');
  const down = allFailed(reads) ?? (actor.ok ? undefined : actor.error);
  if (down) {
    report.problem(group, miner.name, {
      subject: miner.name,
      severity: proves ? 'critical' : 'warning',
      actor: miner.actor,
      summary: `${miner.name} does not answer: ${down.message.replace(/\.$/, '')}`,
      detail: proves
        ? `It does ${miner.roles.join(' and ')} for ${miner.actor}: while it is down, proofs or blocks are missed.`
        : `It does ${miner.roles.join(' and ')}: sealing stalls while it is down.`,
    });
    return;
  }
  if (actor.ok && actor.value !== miner.actor) {
    report.problem(group, miner.name, {
      subject: miner.name,
      severity: 'critical',
      actor: miner.actor,
      summary: `${miner.name} works for ${actor.value}, not ${miner.actor} as configured`,
      detail: 'Either the configuration points at the wrong miner API, or the miner was started on the wrong repo.',
    });
    return;
  }
  report.ok(group, miner.name, `answers for ${miner.actor}${version.ok ? ` (${version.value.Version})` : ''}`);
}

async function checkCounter(ctx: CheckContext, report: Report, miner: MinerConfig): Promise<void> {
  const address = miner.sectorCounterListen as string;
  const probe = await ctx.services.probeTcp(address, ctx.call.timeoutMs);
  if (probe.ok)
    report.ok('Sector counter', `${miner.name} ${address}`, `accepts connections (${Math.round(probe.ms)} ms)`);
  else
    report.problem('Sector counter', `${miner.name} ${address}`, {
      subject: `${miner.actor}/sector counter`,
      severity: 'critical',
      actor: miner.actor,
      summary: `The sector counter at ${address} (on ${miner.name}) does not accept connections: ${probe.error}`,
      detail:
        'Every new sector of the seal- and deal-miners takes its number from it: pledges and deals fail while it is down. It runs inside lotus-miner run --sctype=alloce on that miner.',
    });
}

/** Reads the `lotus-miner run` command lines on the hosts of the fork's miners, one `ps` per host. */
async function readRoleFlags(ctx: CheckContext, report: Report, flags: Map<string, MinerRunFlags>): Promise<void> {
  const { miners } = ctx.services.topology;
  const fork = miners.filter((m) => m.forkCommands && m.host !== undefined);
  await Promise.all(miners.filter((m) => !m.forkCommands).map((m) => upstreamPostWorkers(ctx, report, m)));
  for (const m of miners.filter((m) => m.forkCommands && m.host === undefined))
    report.note(postGroup(m), `${m.name} roles`, 'not read: no host configured for it');
  const hosts = [...new Set(fork.map((m) => m.host as string))];
  if (hosts.length === 0) return;
  const outcomes = await ctx.services.forEachHost(
    hosts,
    (host, signal) =>
      ctx.services.runOnHost(host, ['ps', '-eo', 'pid=,args='], {
        signal: AbortSignal.any([signal, ctx.signal]),
        maxOutputBytes: PS_OUTPUT_MAX,
        ...(ctx.call.timeoutMs === undefined ? {} : { timeoutMs: ctx.call.timeoutMs }),
      }),
    ctx.call.timeoutMs === undefined ? {} : { perHostTimeoutMs: ctx.call.timeoutMs },
  );
  await Promise.all(
    outcomes.map(async (outcome) => {
      const onHost = fork.filter((m) => m.host === outcome.host.name);
      if (!outcome.ok || outcome.value.code !== 0) {
        const error = outcome.ok
          ? new Error(`ps exited ${outcome.value.code}: ${outcome.value.stderr.trim()}`)
          : outcome.error;
        report.cannotCheck('Miners', `${outcome.host.name}/roles`, `the miners' roles on ${outcome.host.name}`, error);
        return;
      }
      const processes = minerRunProcesses(outcome.value.stdout);
      for (const miner of onHost) {
        const process = minerProcessOf(miner, processes);
        const group = postGroup(miner);
        if (typeof process === 'string') {
          report.problem(group, `${miner.name} roles`, {
            subject: `${miner.name}/process`,
            severity: processes.length === 0 ? 'critical' : 'warning',
            actor: miner.actor,
            summary: `${miner.name}: ${process}`,
            detail: `ps on ${outcome.host.name} shows ${processes.length} lotus-miner run process(es).`,
          });
          continue;
        }
        flags.set(miner.name, process);
        judgeOwnFlags(report, miner, process);
        await checkDaemonOfMiner(ctx, report, miner, process);
      }
    }),
  );
}

const POST_TASKS = { 'window-post': 'post/v0/windowproof', 'winning-post': 'post/v0/winningproof' } as const;

/**
 * Upstream lotus has no role flags: a PoSt miner proves itself, or through PoSt workers when its config disables the
 * built-in prover. The config is not readable over the API, so the connected PoSt workers are shown, not judged.
 */
async function upstreamPostWorkers(ctx: CheckContext, report: Report, miner: MinerConfig): Promise<void> {
  const duties = (['window-post', 'winning-post'] as const).filter((r) => miner.roles.includes(r));
  if (duties.length === 0) {
    report.note(
      postGroup(miner),
      `${miner.name} roles`,
      'upstream lotus: its roles come from its config, not from flags',
    );
    return;
  }
  let stats: Awaited<ReturnType<ReturnType<CheckContext['services']['miner']>['workerStats']>>;
  try {
    stats = await ctx.services.miner(miner.name).workerStats(ctx.call);
  } catch {
    report.note(postGroup(miner), `${miner.name} PoSt workers`, 'not read (WorkerStats needs an admin token)');
    return;
  }
  for (const duty of duties) {
    const workers = Object.values(stats).filter((w) => w.Tasks.includes(POST_TASKS[duty]));
    report.note(
      postGroup(miner),
      `${miner.name} ${duty} workers`,
      workers.length > 0
        ? `${workers.length} connected: ${workers.map((w) => w.Info.Hostname).join(', ')}`
        : `none connected: the miner proves itself, unless its config disables the built-in ${duty === 'window-post' ? 'WindowPoSt' : 'WinningPoSt'} (then nothing does)`,
    );
  }
}

/**
 * The miner's own process: the one whose --miner-api port is the configured API's, or the only one there; a string
 * says why none could be told apart. /rollback-plan reads the miners with it too.
 */
export function minerProcessOf(miner: MinerConfig, processes: MinerRunFlags[]): MinerRunFlags | string {
  const port = Number(/:(\d+)$/.exec(parseApiInfo(miner.api, 'miner')[0]?.display ?? '')?.[1]);
  const byPort = processes.filter((p) => (p.apiPort ?? 2345) === port);
  if (byPort.length === 1) return byPort[0] as MinerRunFlags;
  if (processes.length === 1) return processes[0] as MinerRunFlags;
  if (processes.length === 0) return `no lotus-miner run process on ${miner.host}`;
  return `${processes.length} lotus-miner run processes on ${miner.host} and none with --miner-api=${port}: cannot tell which is ${miner.name}`;
}

function judgeOwnFlags(report: Report, miner: MinerConfig, flags: MinerRunFlags): void {
  const group = postGroup(miner);
  const mismatches: string[] = [];
  const expect = (role: 'window-post' | 'winning-post', on: boolean, flag: string) => {
    if (miner.roles.includes(role) && !on) mismatches.push(`configured for ${role} but runs with --${flag}=false`);
  };
  expect('window-post', flags.windowPost, 'window-post');
  expect('winning-post', flags.winningPost, 'winning-post');
  if (miner.roles.includes('sector-counter') && flags.sectorCounter !== 'alloce')
    mismatches.push('configured as the sector counter but not started with --sctype=alloce');
  if (mismatches.length > 0)
    report.problem(group, `${miner.name} roles`, {
      subject: `${miner.name}/roles`,
      severity: 'warning',
      actor: miner.actor,
      summary: `${miner.name} ${mismatches.join('; ')}`,
      detail: `Its command line: ${flags.commandLine}`,
    });
  else report.ok(group, `${miner.name} roles`, describeFlags(flags));
}

function describeFlags(flags: MinerRunFlags): string {
  const parts = [
    flags.windowPost ? 'WindowPoSt' : undefined,
    flags.winningPost ? 'WinningPoSt' : undefined,
    flags.sectorCounter === 'alloce' ? `sector counter on ${flags.sectorCounterListen}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no PoSt, no counter';
}

/** Exactly one owner of each duty per actor, among the miners whose command lines were read. */
function judgeRoles(
  report: Report,
  actor: string,
  miners: readonly MinerConfig[],
  flags: Map<string, MinerRunFlags>,
): void {
  const ofActor = miners.filter((m) => m.actor === actor && m.forkCommands);
  const read = ofActor.filter((m) => flags.has(m.name));
  if (read.length === 0) return;
  const allRead = read.length === ofActor.length;
  const duties = [
    {
      key: 'winning-post',
      group: 'WinningPoSt' as const,
      owners: read.filter((m) => flags.get(m.name)?.winningPost),
      two: 'Two block producers for one actor risk a consensus fault (equivocation): stop WinningPoSt on all but one (--winning-post=false).',
      none: 'No miner produces blocks: every won election is lost.',
    },
    {
      key: 'window-post',
      group: 'WindowPoSt' as const,
      owners: read.filter((m) => flags.get(m.name)?.windowPost),
      two: 'Both compute and send every WindowPoSt: double the gas, and proofs that conflict. Start all but one with --window-post=false.',
      none: 'No miner proves: every deadline will be missed and its sectors turn faulty.',
    },
    {
      key: 'sector counter',
      group: 'Sector counter' as const,
      owners: read.filter((m) => flags.get(m.name)?.sectorCounter === 'alloce'),
      two: 'Two counters hand out the same sector numbers: pre-commits collide. Keep --sctype=alloce on one miner, --sctype=get on the others.',
      none: 'The miners that ask for numbers (--sctype=get) get none: no new sector can start.',
    },
  ];
  for (const duty of duties) {
    const names = duty.owners.map((m) => m.name);
    const subject = `${actor}/${duty.key} owners`;
    if (names.length > 1)
      report.problem(duty.group, `${actor} ${duty.key}`, {
        subject,
        severity: 'critical',
        actor,
        summary: `${names.length} miners do ${duty.key} for ${actor}: ${names.join(', ')}`,
        detail: duty.two,
      });
    else if (names.length === 0 && allRead)
      report.problem(duty.group, `${actor} ${duty.key}`, {
        subject,
        severity: 'critical',
        actor,
        summary: `No miner does ${duty.key} for ${actor}`,
        detail: duty.none,
      });
    else if (names.length === 1) report.ok(duty.group, `${actor} ${duty.key}`, `${names[0]} only`);
  }
}

/** Which daemon the miner process talks to, from its FULLNODE_API_INFO (readable when the bot's user runs it). */
async function checkDaemonOfMiner(
  ctx: CheckContext,
  report: Report,
  miner: MinerConfig,
  flags: MinerRunFlags,
): Promise<void> {
  const group = postGroup(miner);
  let environ: string;
  try {
    const result = await ctx.services.runOnHost(miner.host as string, ['cat', `/proc/${flags.pid}/environ`], {
      signal: ctx.signal,
      maxOutputBytes: PS_OUTPUT_MAX,
      ...(ctx.call.timeoutMs === undefined ? {} : { timeoutMs: ctx.call.timeoutMs }),
    });
    if (result.code !== 0) {
      report.note(group, `${miner.name} daemon`, "not read: the bot's SSH user may not read its environment");
      return;
    }
    environ = result.stdout;
  } catch {
    report.note(group, `${miner.name} daemon`, 'not read: the host did not answer');
    return;
  }
  const info = fullNodeApiInfo(environ);
  let display: string | undefined;
  try {
    display = info === undefined ? undefined : parseApiInfo(info, 'full')[0]?.display;
  } catch {
    display = undefined;
  }
  if (display === undefined) {
    report.note(group, `${miner.name} daemon`, 'not read: no FULLNODE_API_INFO in its environment');
    return;
  }
  const daemon = ctx.services.topology.daemons.find((d) =>
    parseApiInfo(d.api, 'full').some((e) => e.display === display),
  );
  const internal = daemonCause(ctx.services).slice('daemons:'.length);
  if (daemon?.name === internal) report.ok(group, `${miner.name} daemon`, `${daemon.name} (${display})`);
  else
    report.problem(group, `${miner.name} daemon`, {
      subject: `${miner.name}/daemon`,
      severity: daemon?.public ? 'critical' : 'warning',
      actor: miner.actor,
      summary: daemon
        ? `${miner.name} uses ${daemon.name}, not the internal daemon ${internal}`
        : `${miner.name} uses a daemon at ${display} that is not in the configuration`,
      detail:
        'Miners belong on the internal daemon, which holds the keys and is not exposed: set FULLNODE_API_INFO in its unit and restart it.',
    });
}

/** Messages from the worker and control addresses that wait in the pool: MpoolGetNonce − the actor's nonce. */
async function checkMessagePool(ctx: CheckContext, report: Report, actor: string): Promise<void> {
  const api = ctx.services.fullNode();
  const cause = daemonCause(ctx.services);
  let addresses: string[];
  try {
    const info = await api.stateMinerInfo(actor, [], ctx.call);
    addresses = [info.Worker, ...info.ControlAddresses];
  } catch (error) {
    report.cannotCheck('WindowPoSt', `${actor}/mpool`, `${actor}'s message pool`, error, { cause, actor });
    return;
  }
  const reads = await readTogether(
    api.rpc,
    addresses.flatMap((a) => [api.request('MpoolGetNonce', [a]), api.request('StateGetActor', [a, []])]),
    ctx.call,
  );
  const backlog = addresses.map((address, i) => {
    const next = reads[2 * i];
    const onChain = reads[2 * i + 1];
    if (!next?.ok || !onChain?.ok) return { address, pending: undefined };
    return { address, pending: Math.max(0, (next.value as number) - (onChain.value as { Nonce: number }).Nonce) };
  });
  const stuck = backlog.filter((b) => b.pending !== undefined && b.pending >= ctx.thresholds.mpoolPending);
  const total = backlog.reduce((n, b) => n + (b.pending ?? 0), 0);
  if (stuck.length > 0)
    report.problem('WindowPoSt', `${actor} message pool`, {
      subject: `${actor}/mpool`,
      severity: 'warning',
      actor,
      summary: `${actor}: ${stuck.map((b) => `${b.pending} message(s) from ${b.address}`).join(', ')} waiting in the pool`,
      detail:
        "Messages that wait do not land: a WindowPoSt among them misses its deadline. lotus mpool pending --local shows them; lotus mpool replace --auto raises a stuck one's fee.",
    });
  else if (backlog.some((b) => b.pending === undefined))
    report.note('WindowPoSt', `${actor} message pool`, 'some addresses could not be read');
  else report.ok('WindowPoSt', `${actor} message pool`, `${total} pending`);
}

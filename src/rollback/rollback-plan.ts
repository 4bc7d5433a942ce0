import type { MinerRole } from '../lotus/miner-roles.js';
import type { RoleDowntime, RollbackStep, StepAction, StepCheck } from './rollback-steps.js';
import { type ChainClock, type DeadlineFact, safeWindows, type WindowVerdict } from './safe-window.js';

/** What a miner process is, as read live: config, its command line over SSH, its API. */
export interface MinerFact {
  name: string;
  actor: string;
  roles: MinerRole[];
  /** The fork's build (role flags, sector counter); false: upstream lotus. */
  fork: boolean;
  host: string | undefined;
  /** The host's address, for --sclisten on the survivor. */
  address: string | undefined;
  repoPath: string | undefined;
  unit: string;
  /** The configured API port (what --miner-api says on its command line). */
  apiPort: number | undefined;
  api: { reachable: true; subsystems: string[]; sectors: Record<string, number> } | { reachable: false; error: string };
  process:
    | {
        state: 'running';
        pid: number;
        windowPost: boolean;
        winningPost: boolean;
        sectorCounter: 'alloce' | 'get' | undefined;
        sectorCounterListen: string | undefined;
        commandLine: string;
      }
    | { state: 'absent' | 'unknown'; detail: string };
  /** Sealed storage paths from its repo's storage.json, when readable. */
  storagePaths: string[] | undefined;
}

export interface RollbackFacts {
  actor: string;
  owner: string;
  now: number;
  chain: ChainClock & { liveSectors: number; faultySectors: number };
  deadlines: DeadlineFact[];
  activePledgeSchedules: number;
  /** The `sectorid` file of the `alloce` miner, when read. */
  counter: { miner: string; path: string; value: number | undefined; detail?: string } | undefined;
  miners: MinerFact[];
  settings: { safeWindowMinutes: number; dropInDir: string; officialBinary: string };
}

export type RollbackTarget = 'single' | 'official';

export interface RollbackPlan {
  target: RollbackTarget;
  actor: string;
  layout: 'fork' | 'upstream';
  survivor: string | undefined;
  /** The miner holding the sector metadata, and how its list compares with the chain. */
  metadata: { miner: string; sectors: number; chainLive: number; missing: number } | undefined;
  warnings: string[];
  /** Reasons the plan cannot be carried out by the bot now (the plan itself is still shown). */
  blockers: string[];
  window: WindowVerdict;
  steps: RollbackStep[];
  downtime: RoleDowntime[];
  /** Every fact the plan used, one line each, with where it came from. */
  facts: string[];
}

/** Sector states between PreCommit and ProveCommit: sectors there are lost if their miner is retired. */
export const BETWEEN_COMMITS = [
  'PreCommitting',
  'PreCommitWait',
  'SubmitPreCommitBatch',
  'PreCommitBatchWait',
  'WaitSeed',
  'Committing',
  'CommitWait',
  'SubmitCommit',
  'SubmitCommitAggregate',
  'CommitAggregateWait',
  'CommitFinalize',
] as const;

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
const has = (m: MinerFact, role: MinerRole) => m.roles.includes(role);
const q = (word: string) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
const line = (argv: readonly string[]) => argv.map(q).join(' ');

/** The rollback plan from live facts. Pure: the same facts give the same plan, in tests and in chat. */
export function buildRollbackPlan(facts: RollbackFacts, target: RollbackTarget): RollbackPlan {
  const minEpochs = Math.ceil((facts.settings.safeWindowMinutes * 60_000) / facts.chain.blockDelayMs);
  const window = safeWindows(facts.deadlines, facts.chain.headEpoch, minEpochs);
  const ofActor = facts.miners.filter((m) => m.actor === facts.actor);
  const sealers = ofActor.filter((m) => has(m, 'seal') || has(m, 'deal'));
  const warnings: string[] = [];
  const blockers: string[] = [];
  const lines: string[] = [];

  for (const m of ofActor) {
    const proc =
      m.process.state === 'running'
        ? `runs (pid ${m.process.pid}): ${m.process.commandLine}`
        : `${m.process.state === 'absent' ? 'no process' : 'process not read'}: ${m.process.detail}`;
    const api = m.api.reachable
      ? `API answers, subsystems ${m.api.subsystems.join(', ') || 'none'}, ${sum(Object.values(m.api.sectors))} sector(s) in its metadata`
      : `API does not answer: ${m.api.error}`;
    lines.push(`${m.name} (${m.roles.join(', ')}) on ${m.host ?? 'no configured host'}: ${proc}; ${api}`);
  }
  lines.push(
    `Chain: ${facts.chain.liveSectors} live sector(s) of ${facts.actor}, ${facts.chain.faultySectors} faulty; owner ${facts.owner}`,
  );

  // Which miner holds the sector metadata: the seal-miner with the most sectors in Proving (the chain's view).
  const proving = (m: MinerFact) => (m.api.reachable ? (m.api.sectors.Proving ?? 0) : 0);
  const survivor = [...sealers].sort(
    (a, b) => Number(has(b, 'seal')) - Number(has(a, 'seal')) || proving(b) - proving(a),
  )[0];
  const metadata = survivor
    ? {
        miner: survivor.name,
        sectors: proving(survivor),
        chainLive: facts.chain.liveSectors,
        missing: Math.max(0, facts.chain.liveSectors - proving(survivor)),
      }
    : undefined;
  const retired = sealers.filter((m) => m !== survivor);
  if (!survivor) blockers.push('no seal-miner is configured: nothing holds the sector metadata to fold back into');
  if (survivor && !survivor.api.reachable)
    blockers.push(`${survivor.name}, which holds the sector metadata, does not answer (${survivor.api.error})`);
  if (metadata && retired.length > 0) {
    warnings.push(
      `${retired.map((m) => `${m.name} (${has(m, 'deal') ? 'deal-miner' : 'seal-miner'}, ${proving(m)} sectors)`).join(', ')} ` +
        `also ${retired.length === 1 ? 'holds' : 'hold'} sector metadata: after the rollback ${survivor?.name} lists ${metadata.sectors} of the chain's ${metadata.chainLive} live sectors; ` +
        `${metadata.missing} will be missing from lotus-miner sectors list and info. Display only: proofs and blocks are not affected.`,
    );
  }

  const postMiners = ofActor.filter((m) => has(m, 'window-post') || has(m, 'winning-post'));
  const layout: 'fork' | 'upstream' = postMiners.length > 0 && postMiners.every((m) => !m.fork) ? 'upstream' : 'fork';
  const winning = ofActor.filter((m) => has(m, 'winning-post') && m !== survivor);
  const windowPost = ofActor.filter((m) => has(m, 'window-post') && !has(m, 'winning-post') && m !== survivor);
  for (const m of ofActor)
    if (m.process.state === 'running' && m.process.winningPost && !has(m, 'winning-post') && m !== survivor)
      warnings.push(
        `${m.name} runs with WinningPoSt on though it is not configured for it: it is stopped with the others before the survivor mines.`,
      );
  for (const m of [...winning, ...windowPost])
    if (m.process.state === 'absent' || !m.api.reachable)
      warnings.push(
        `${m.name} is already down (${m.process.state === 'absent' ? m.process.detail : 'its API does not answer'}): its stop step only confirms it.`,
      );
  if (target === 'single' && layout === 'fork' && survivor && !survivor.fork)
    warnings.push(
      `${survivor.name} is configured as upstream lotus (forkCommands: false), but the plan's flags are the fork's: on an upstream build start it with a plain lotus-miner run, and fence the used sector numbers with lotus-miner sectors numbers reserve instead of the counter file.`,
    );
  // The survivor's drop-in is its own command line with new flags, and its repo receives the counter and storage.
  const restarted = target === 'single' ? survivor : ofActor.find((m) => has(m, 'winning-post'));
  if (restarted?.fork && restarted.host !== undefined && restarted.process.state !== 'running')
    blockers.push(
      `${restarted.name}'s command line could not be read (${restarted.process.detail}): its restart is built from it`,
    );
  for (const m of [restarted, ofActor.find((x) => has(x, 'sector-counter'))])
    if (m?.fork && m.host !== undefined && m.repoPath === undefined)
      blockers.push(`${m.name} has no repoPath configured: its repo is where the plan reads and writes`);
  for (const m of ofActor)
    if (m.fork && m.host === undefined)
      blockers.push(`${m.name} has no host configured: the bot cannot read or stop its process`);

  if (window.current && !window.current.proven && window.current.liveSectors > 0)
    warnings.push(
      `Deadline ${window.current.index} is open with ${window.current.unprovenPartitions} partition(s) not yet proven: stopping the window-post-miner now risks them.`,
    );
  if (!window.now)
    blockers.push(
      window.windows[0]
        ? `now is not inside a safe window of ${facts.settings.safeWindowMinutes} minutes; the next one opens at epoch ${window.windows[0].start}`
        : `no safe window of ${facts.settings.safeWindowMinutes} minutes in the next 24 hours: every stretch has a deadline with live sectors`,
    );

  if (target === 'official' && layout === 'fork') {
    const counterHost = ofActor.find((m) => has(m, 'sector-counter'));
    warnings.push(
      `The official lotus-miner has no role flags and no shared sector counter: only ${winning[0]?.name ?? 'the winning-post-miner'} runs it (it mines and proves); the window-post-miner's copy is a standby. ` +
        `${sealers.map((m) => m.name).join(' and ') || 'The sealing miners'} keep the fork binary and their metadata` +
        (counterHost && !sealers.includes(counterHost)
          ? `, but their counter ran in ${counterHost.name}: they start no new sector until folded back with /rollback-plan single.`
          : '.'),
    );
  }
  const steps = numbered(
    layout === 'upstream'
      ? upstreamSteps(facts, postMiners)
      : target === 'single'
        ? singleSteps(facts, { survivor, winning, windowPost, retired })
        : officialSteps(facts, { survivor, winning, windowPost }),
  );
  if (layout === 'upstream')
    blockers.push('upstream lotus with PoSt workers: the steps are for a person; the bot runs the fork layout only');
  return {
    target,
    actor: facts.actor,
    layout,
    survivor: survivor?.name,
    metadata,
    warnings,
    blockers,
    window,
    steps,
    downtime: downtimeOf(steps),
    facts: lines,
  };
}

interface Cast {
  survivor: MinerFact | undefined;
  winning: MinerFact[];
  windowPost: MinerFact[];
  retired?: MinerFact[];
}

type Draft = Omit<RollbackStep, 'n'> & { stops?: string[]; restores?: string[] };

function numbered(drafts: Draft[]): RollbackStep[] {
  return drafts.map((d, i) => {
    const { stops, restores, ...step } = d;
    const marks = [...(stops ?? []).map((r) => `stops:${r}`), ...(restores ?? []).map((r) => `restores:${r}`)];
    return { ...step, n: i + 1, ...(marks.length ? { roles: marks } : {}) };
  });
}

const sudo = (...argv: string[]) => ['sudo', '-n', ...argv];
/** A host as the plan prints it; the run refuses a step without one (the plan is blocked then). */
const where = (m: MinerFact) => m.host ?? '(no host)';
const repoOf = (m: MinerFact) => m.repoPath ?? '$LOTUS_MINER_PATH';

function pauseStep(facts: RollbackFacts): Draft {
  return {
    title: 'Stop new pledges',
    does: `Stops the ${facts.activePledgeSchedules} running /pledge schedule(s), so no new sector starts while the miners change (stopped, not paused: a paused schedule resumes by itself).`,
    shown: 'the bot: stop every active /pledge schedule (bot)',
    action: { kind: 'pause-pledges' },
    check: { kind: 'no-pledge-schedules' },
    checkText: 'no /pledge schedule is active or paused',
    undo: 'start the schedules again with /pledge schedule (they are listed in the thread)',
    minutes: 0,
  };
}

function windowStep(facts: RollbackFacts): Draft {
  return {
    title: 'Check the chain: inside a safe window',
    does: `Reads the proving deadlines again: no deadline with live sectors may open in the next ${facts.settings.safeWindowMinutes} minutes, and the open one must be proven or hold none.`,
    shown: `StateMinerProvingDeadline, StateMinerDeadlines, StateMinerPartitions(${facts.actor}) on the internal daemon`,
    action: { kind: 'none' },
    check: { kind: 'safe-window', minMinutes: facts.settings.safeWindowMinutes },
    checkText: `a safe window of ${facts.settings.safeWindowMinutes} minutes is open now`,
    undo: 'nothing to undo',
    minutes: 0,
  };
}

function stopStep(m: MinerFact, why: string, role: string): Draft {
  const host = where(m);
  const argv = sudo('systemctl', 'stop', m.unit);
  const down = m.process.state === 'absent';
  return {
    title: `Stop ${m.name} (${role})${down ? ', already down: confirm' : ''}`,
    does: why,
    shown: `on ${host}: ${line(argv)}`,
    action: down ? { kind: 'none' } : { kind: 'run', host, argv },
    check: { kind: 'miner-down', miner: m.name, host },
    checkText: `no lotus-miner run process of ${m.name} on ${host}, and its API does not answer`,
    undo: `on ${host}: ${line(sudo('systemctl', 'start', m.unit))}`,
    minutes: 1,
    stops: [role],
  };
}

function inFlightStep(retired: MinerFact[]): Draft {
  const counts = retired.map((m) => {
    const sectors = m.api.reachable ? m.api.sectors : {};
    const n = sum(BETWEEN_COMMITS.map((s) => sectors[s] ?? 0));
    return `${m.name}: ${n} now`;
  });
  return {
    title: 'Wait for in-flight sectors of the miners that are retired',
    does: `Sectors between PreCommit and ProveCommit on ${retired.map((m) => m.name).join(', ')} would lose their pre-commit deposit if their miner stops (${counts.join('; ')}).`,
    shown: `SectorsSummary on ${retired.map((m) => m.name).join(', ')}`,
    action: { kind: 'none' },
    check: { kind: 'no-precommitted', miners: retired.map((m) => m.name) },
    checkText: `no sector of ${retired.map((m) => m.name).join(', ')} in ${BETWEEN_COMMITS.slice(0, 6).join(', ')}…`,
    undo: 'nothing to undo',
    minutes: 0,
  };
}

function attachSteps(survivor: MinerFact, others: MinerFact[]): Draft[] {
  const known = new Set(survivor.storagePaths ?? []);
  const paths = [...new Set(others.flatMap((m) => m.storagePaths ?? []))].filter((p) => !known.has(p));
  const host = where(survivor);
  return paths.map((path) => {
    const argv = ['env', `LOTUS_MINER_PATH=${repoOf(survivor)}`, 'lotus-miner', 'storage', 'attach', path];
    return {
      title: `Attach ${path} to ${survivor.name}`,
      does: `Another miner proves sectors stored in ${path}: the survivor must see them, or WindowPoSt faults them.`,
      shown: `on ${host}: ${line(argv)}`,
      action: { kind: 'run', host, argv } as StepAction,
      check: {
        kind: 'command',
        host,
        argv: ['cat', '--', `${repoOf(survivor)}/storage.json`],
        expect: path,
      } as StepCheck,
      checkText: `${repoOf(survivor)}/storage.json lists ${path}`,
      undo: `on ${host}: ${line(['env', `LOTUS_MINER_PATH=${repoOf(survivor)}`, 'lotus-miner', 'storage', 'detach', path])}`,
      minutes: 1,
    };
  });
}

/** The drop-in that changes how systemd starts the survivor: its own command line with new flags. */
function dropIn(
  facts: RollbackFacts,
  m: MinerFact,
  flags: string[],
  binary?: string,
): { path: string; text: string; run: string } {
  const current = m.process.state === 'running' ? m.process.commandLine.split(/\s+/) : [];
  const at = current.findIndex((w) => /(^|\/)lotus-miner$/.test(w));
  const program = binary ?? (at >= 0 ? (current[at] as string) : 'lotus-miner');
  const kept = (at >= 0 ? current.slice(at + 2) : []).filter(
    (w) => !/^--?(window-post|winning-post|wdpost|wnpost|p2p|sctype|sclisten)(=|$)/.test(w),
  );
  const run = [program, 'run', ...kept, ...flags].join(' ');
  const path = `${facts.settings.dropInDir}/${m.unit}.d/zz-rollback.conf`;
  return { path, text: `[Service]\nExecStart=\nExecStart=${run}\n`, run };
}

function restartSurvivorStep(facts: RollbackFacts, survivor: MinerFact, flags: string[], binary?: string): Draft {
  const host = where(survivor);
  const unit = dropIn(facts, survivor, flags, binary);
  // Four narrow sudo commands (the README's sudoers rule allows exactly these), never a root shell.
  const commands = [
    { argv: sudo('mkdir', '-p', unit.path.slice(0, unit.path.lastIndexOf('/'))) },
    { argv: sudo('tee', unit.path), stdin: unit.text },
    { argv: sudo('systemctl', 'daemon-reload') },
    { argv: sudo('systemctl', 'restart', survivor.unit) },
  ];
  return {
    title: `Restart ${survivor.name} as the single miner`,
    does: `A systemd drop-in starts it as: ${unit.run}`,
    shown: `on ${host}: ${commands.map((c) => line(c.argv)).join('; ')} (the drop-in sets ExecStart=${unit.run})`,
    action: { kind: 'run-all', host, commands },
    check: {
      kind: 'miner-runs',
      miner: survivor.name,
      host,
      windowPost: true,
      winningPost: true,
      sectorCounter: flags.some((f) => f.startsWith('--sctype=alloce')) ? 'alloce' : null,
    },
    checkText: `${survivor.name} runs with WindowPoSt and WinningPoSt on${flags.some((f) => f.includes('alloce')) ? ' and its own sector counter' : ''}, and answers for ${facts.actor}`,
    undo: `on ${host}: sudo -n rm ${unit.path}; sudo -n systemctl daemon-reload; sudo -n systemctl restart ${survivor.unit}`,
    minutes: 3,
    restores: ['winning-post', 'window-post', 'sealing', ...(flags.includes('--p2p=true') ? ['deals'] : [])],
    stops: ['sealing'],
  };
}

function counterStep(facts: RollbackFacts, survivor: MinerFact): Draft | undefined {
  const counter = facts.counter;
  const source = facts.miners.find((m) => m.name === counter?.miner);
  if (!counter || !source || source === survivor) return undefined;
  const to = `${repoOf(survivor)}/sectorid`;
  return {
    title: `Carry the sector counter over to ${survivor.name}`,
    does:
      `The survivor took its numbers from the counter on ${source.name} and never advanced its own: without the counter it would reuse numbers already on chain. ` +
      `Its last number (${counter.value ?? 'read at run time'}) is copied to ${to}, and the survivor keeps an alloce counter of its own.`,
    shown: `copy ${where(source)}:${counter.path} → ${where(survivor)}:${to}; then StateMinerSectorAllocated(${facts.actor}, N+1) must be false`,
    action: {
      kind: 'copy-file',
      from: { host: where(source), path: counter.path },
      to: { host: where(survivor), path: to },
    },
    check: { kind: 'counter-safe', host: where(survivor), path: to, atLeast: counter.value ?? 0 },
    checkText: `${to} holds N ≥ ${counter.value ?? 'the old value'}, and StateMinerSectorAllocated(N+1) is false on chain`,
    undo: `on ${where(survivor)}: rm ${to} (the survivor is still stopped or unchanged then)`,
    minutes: 0,
  };
}

function singleSteps(facts: RollbackFacts, cast: Cast & { retired: MinerFact[] }): Draft[] {
  const { survivor } = cast;
  const drafts: Draft[] = [pauseStep(facts)];
  if (cast.retired.length > 0) drafts.push(inFlightStep(cast.retired));
  drafts.push(windowStep(facts));
  for (const m of cast.winning)
    drafts.push(
      stopStep(
        m,
        'Stopped FIRST and confirmed down before WinningPoSt is on anywhere else: two block producers for one actor risk a consensus fault.',
        'winning-post',
      ),
    );
  for (const m of cast.windowPost)
    drafts.push(
      stopStep(m, 'Two processes must never submit WindowPoSt for one actor (conflicting messages).', 'window-post'),
    );
  for (const m of cast.retired)
    drafts.push(
      stopStep(m, 'Retired: its sectors are proven by the survivor; its metadata stays in its repo.', 'deals'),
    );
  if (!survivor) return drafts;
  const counter = counterStep(facts, survivor);
  if (counter) drafts.push(counter);
  drafts.push(...attachSteps(survivor, [...cast.winning, ...cast.windowPost, ...cast.retired]));
  const listen = `${survivor.address ?? '127.0.0.1'}:1357`;
  const flags = [
    '--window-post=true',
    '--winning-post=true',
    `--p2p=${cast.retired.some((m) => has(m, 'deal')) || has(survivor, 'deal') ? 'true' : 'false'}`,
    ...(counter ? ['--sctype=alloce', `--sclisten=${listen}`] : []),
  ];
  drafts.push(restartSurvivorStep(facts, survivor, flags));
  drafts.push(verifyStep(facts, survivor));
  return drafts;
}

function verifyStep(facts: RollbackFacts, survivor: MinerFact): Draft {
  const next = facts.deadlines
    .filter((d) => d.liveSectors > 0 && d.state !== 'open')
    .sort((a, b) => a.open - b.open)[0];
  return {
    title: 'Verify, and watch the next deadline',
    does:
      `Exactly one process proves and mines: ${survivor.name}. ` +
      (next
        ? `Watch deadline ${next.index} (epoch ${next.open}, ${next.liveSectors} sectors) land with /deadlines; new faults there mean a storage path is missing.`
        : 'No deadline holds sectors.'),
    shown: `on ${where(survivor)}: ps -eo pid=,args= (role flags); ActorAddress on ${survivor.name}`,
    action: { kind: 'none' },
    check: {
      kind: 'miner-runs',
      miner: survivor.name,
      host: where(survivor),
      windowPost: true,
      winningPost: true,
      sectorCounter: null,
    },
    checkText: `${survivor.name} answers and runs with both PoSt flags`,
    undo: 'nothing to undo',
    minutes: 0,
  };
}

/**
 * Back to the official lotus-miner (FAQ 8): an empty repo for the EXISTING actor on the winning-post-miner, copied to
 * the window-post-miner with its [API] address fixed, then the binary swap. The official binary has no role flags and
 * no shared sector counter, so exactly one official miner may mine and prove: the winning-post-miner, on the empty
 * repo; the window-post-miner's copy is a standby (started too, both would mine: equivocation). The seal- and
 * deal-miners keep their metadata and the fork binary; folding them in is `/rollback-plan single`.
 */
function officialSteps(facts: RollbackFacts, cast: Cast): Draft[] {
  const [winning] = cast.winning;
  const [windowPost] = cast.windowPost;
  const drafts: Draft[] = [pauseStep(facts), windowStep(facts)];
  if (!winning) return drafts;
  const fresh = `${winning.repoPath ?? '/home/lotus/.lotusminer'}-official`;
  const init = [
    'env',
    `LOTUS_MINER_PATH=${fresh}`,
    'lotus-miner',
    'init',
    `--actor=${facts.actor}`,
    `--owner=${facts.owner}`,
    '--no-local-storage',
  ];
  const whost = where(winning);
  drafts.push({
    title: `Initialise an empty repo for ${facts.actor} on ${winning.name}`,
    does:
      `lotus-miner init against the EXISTING actor ${facts.actor} with its owner ${facts.owner}, into the empty ${fresh}: no sector metadata, all of it stays on the seal- and deal-miners. ` +
      'Plain --owner without --actor would create a NEW miner actor: never run it so.',
    shown: `on ${whost}: ${line(init)}`,
    // Never over an existing directory: a second init must not touch a repo that exists.
    action: {
      kind: 'run',
      host: whost,
      argv: ['sh', '-c', 'test ! -e "$1" || { echo "$1 exists" >&2; exit 1; }; shift; exec "$@"', 'sh', fresh, ...init],
    },
    check: { kind: 'command', host: whost, argv: ['cat', '--', `${fresh}/config.toml`], expect: '[API]' },
    checkText: `${fresh}/config.toml exists`,
    undo: `on ${whost}: rm -rf ${fresh}`,
    minutes: 2,
  });
  drafts.push(
    stopStep(
      winning,
      'Stopped FIRST and confirmed down: the next process to mine must be the only one.',
      'winning-post',
    ),
  );
  if (windowPost) {
    const phost = where(windowPost);
    const target = `${windowPost.repoPath ?? '/home/lotus/.lotusminer'}-official`;
    const address = windowPost.address ?? '127.0.0.1';
    drafts.push({
      title: `Copy the empty repo to ${windowPost.name} (standby)`,
      does: `${windowPost.name} gets the same empty repo, ready to take over; it is not started with the official binary while ${winning.name} runs.`,
      shown: `copy ${whost}:${fresh} → ${phost}:${target}`,
      action: { kind: 'copy-dir', from: { host: whost, path: fresh }, to: { host: phost, path: target } },
      check: { kind: 'command', host: phost, argv: ['cat', '--', `${target}/config.toml`], expect: '[API]' },
      checkText: `${target}/config.toml exists on ${phost}`,
      undo: `on ${phost}: rm -rf ${target}`,
      minutes: 1,
    });
    const sed = ['sed', '-i', '-e', `s#/ip4/[0-9.]*/tcp/#/ip4/${address}/tcp/#`, `${target}/config.toml`];
    drafts.push({
      title: `Fix the [API] address of the copy on ${windowPost.name}`,
      does: `A copied repo keeps the old host's ListenAddress: it must be ${address}.`,
      shown: `on ${phost}: ${line(sed)}`,
      action: { kind: 'run', host: phost, argv: sed },
      check: {
        kind: 'command',
        host: phost,
        argv: ['cat', '--', `${target}/config.toml`],
        expect: `/ip4/${address}/tcp/`,
      },
      checkText: `${target}/config.toml listens on ${address}`,
      undo: 'nothing to undo (the copy is removed with the step before)',
      minutes: 0,
    });
    drafts.push(
      stopStep(windowPost, 'Stopped before the official miner starts: one WindowPoSt submitter only.', 'window-post'),
    );
  }
  const start = restartSurvivorStep(facts, { ...winning, repoPath: fresh }, [], facts.settings.officialBinary);
  const unit = dropIn(facts, winning, [], facts.settings.officialBinary);
  if (start.action.kind === 'run-all')
    start.action.commands = start.action.commands.map((c) =>
      c.stdin === undefined ? c : { ...c, stdin: `${unit.text}Environment=LOTUS_MINER_PATH=${fresh}\n` },
    );
  drafts.push({
    ...start,
    title: `Start ${winning.name} on the empty repo with the official binary`,
    does: `The binary swap: ${unit.run} on ${fresh}. The official binary has no role flags: this one miner mines and proves; sector files are found through the storage index, not metadata.`,
    check: {
      kind: 'miner-runs',
      miner: winning.name,
      host: whost,
      windowPost: true,
      winningPost: true,
      sectorCounter: null,
    },
    checkText: `${winning.name} runs ${facts.settings.officialBinary} and answers for ${facts.actor}`,
    restores: windowPost ? ['winning-post', 'window-post'] : ['winning-post'],
    stops: [],
  });
  drafts.push(
    ...attachSteps({ ...winning, repoPath: fresh, storagePaths: [] }, [winning, ...(windowPost ? [windowPost] : [])]),
  );
  return drafts;
}

function upstreamSteps(facts: RollbackFacts, postMiners: MinerFact[]): Draft[] {
  const drafts: Draft[] = [windowStep(facts)];
  for (const m of postMiners) {
    drafts.push({
      title: `Stop the PoSt workers of ${m.name}`,
      does: 'Upstream lotus runs WindowPoSt/WinningPoSt in lotus-worker --windowpost|--winningpost; stopping them hands the proofs back to the miner.',
      shown: `on each PoSt worker host: systemctl stop <its lotus-worker unit>; lotus-miner proving workers on ${m.host ?? m.name}`,
      action: { kind: 'none' },
      check: { kind: 'command', host: where(m), argv: ['lotus-miner', 'proving', 'workers'], expect: '' },
      checkText: 'lotus-miner proving workers lists none',
      undo: 'start the PoSt workers again',
      minutes: 2,
      stops: ['window-post', 'winning-post'],
    });
    drafts.push({
      title: `Unset DisableBuiltinWindowPoSt and DisableBuiltinWinningPoSt on ${m.name}, restart it`,
      does: 'With them set and no PoSt worker connected, PoSt fails; unset, the miner proves itself.',
      shown: `on ${m.host ?? m.name}: edit ${repoOf(m)}/config.toml [Proving]; systemctl restart ${m.unit}`,
      action: { kind: 'none' },
      check: { kind: 'command', host: where(m), argv: ['cat', '--', `${repoOf(m)}/config.toml`], expect: '' },
      checkText: 'the miner answers with both set to false',
      undo: 'set them back and start the PoSt workers',
      minutes: 3,
      restores: ['window-post', 'winning-post'],
    });
  }
  return drafts;
}

/** Per role, the minutes from the step that stops it to the step that brings it back (inclusive). */
export function downtimeOf(steps: readonly RollbackStep[]): RoleDowntime[] {
  const out: RoleDowntime[] = [];
  const marks = (s: RollbackStep) => s.roles ?? [];
  const roles = new Set(steps.flatMap((s) => marks(s).map((m) => m.split(':')[1] as string)));
  for (const role of roles) {
    const from = steps.find((s) => marks(s).includes(`stops:${role}`));
    if (!from) continue;
    const to = steps.find((s) => s.n >= from.n && marks(s).includes(`restores:${role}`));
    const span = steps.filter((s) => s.n >= from.n && s.n <= (to?.n ?? steps.length));
    out.push({ role, minutes: Math.max(1, sum(span.map((s) => s.minutes))), from: from.n, to: to?.n ?? 0 });
  }
  return out;
}

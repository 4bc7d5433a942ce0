import { describe, expect, it } from 'vitest';
import { buildRollbackPlan, type MinerFact, type RollbackFacts } from '../../../src/rollback/rollback-plan.js';

const running = (flags: { window: boolean; winning: boolean; sctype?: 'alloce' | 'get' }, port: number) => ({
  state: 'running' as const,
  pid: port,
  windowPost: flags.window,
  winningPost: flags.winning,
  sectorCounter: flags.sctype,
  sectorCounterListen: flags.sctype ? '10.0.0.1:1357' : undefined,
  commandLine: `/usr/local/bin/lotus-miner run --miner-api=${port} --window-post=${flags.window} --winning-post=${flags.winning}${flags.sctype ? ` --sctype=${flags.sctype} --sclisten=10.0.0.1:1357` : ''}`,
});

function miner(name: string, roles: MinerFact['roles'], extra: Partial<MinerFact> = {}): MinerFact {
  return {
    name,
    actor: 'f01000',
    roles,
    fork: true,
    host: `${name}-host`,
    address: `10.0.0.${name.length}`,
    repoPath: `/home/lotus/${name}`,
    unit: 'lotus-miner',
    apiPort: 2345,
    api: { reachable: true, subsystems: ['Mining', 'Sealing', 'SectorStorage'], sectors: {} },
    process: running({ window: false, winning: false, sctype: 'get' }, 2345),
    storagePaths: ['/storage/store'],
    ...extra,
  };
}

/** The fork's cluster at deadline 23 (empty) with sectors everywhere else, like the simulator's healthy one. */
function facts(options: { deal?: boolean; windowDown?: boolean; allLive?: boolean } = {}): RollbackFacts {
  const miners: MinerFact[] = [
    miner('winning-post-miner', ['winning-post', 'sector-counter'], {
      process: running({ window: false, winning: true, sctype: 'alloce' }, 2345),
    }),
    miner('window-post-miner', ['window-post'], {
      process: options.windowDown
        ? { state: 'absent', detail: 'no lotus-miner run with --miner-api=2345 on window-post-miner-host' }
        : running({ window: true, winning: false }, 2345),
      ...(options.windowDown ? { api: { reachable: false as const, error: 'connection refused' } } : {}),
    }),
    miner('seal-miner', ['seal'], {
      api: { reachable: true, subsystems: ['Sealing'], sectors: { Proving: 138_000, WaitSeed: 4 } },
      storagePaths: ['/storage/sealing', '/storage/store'],
    }),
  ];
  if (options.deal)
    miners.push(
      miner('deal-miner', ['deal'], {
        api: { reachable: true, subsystems: ['Sealing'], sectors: { Proving: 12_000, WaitSeed: 1 } },
        storagePaths: ['/storage/deal-store'],
      }),
    );
  return {
    actor: 'f01000',
    owner: 'f01001',
    now: 0,
    chain: {
      headEpoch: 1380,
      headMs: 0,
      blockDelayMs: 30_000,
      liveSectors: options.deal ? 150_000 : 138_000,
      faultySectors: 0,
    },
    deadlines: Array.from({ length: 48 }, (_, index) => {
      const open = index * 60 + (index < 23 ? 2880 : 0);
      return {
        index,
        open,
        close: open + 60,
        state: index < 23 ? 'passed' : index === 23 ? 'open' : 'upcoming',
        liveSectors: options.allLive || ![11, 23, 35, 47].includes(index) ? 2349 : 0,
        partitionsToProve: options.allLive || ![11, 23, 35, 47].includes(index) ? 1 : 0,
        partitionsProven: 0,
      } as const;
    }),
    activePledgeSchedules: 1,
    counter: { miner: 'winning-post-miner', path: '/home/lotus/winning-post-miner/sectorid', value: 150_123 },
    miners,
    settings: { safeWindowMinutes: 30, dropInDir: '/etc/systemd/system', officialBinary: '/opt/lotus/lotus-miner' },
  };
}

const titles = (plan: ReturnType<typeof buildRollbackPlan>) => plan.steps.map((s) => `${s.n}. ${s.title}`);

describe('the rollback plan from live facts', () => {
  it('given the fork cluster without a deal-miner, then the winning-post-miner is stopped first, the counter carried over and the seal-miner restarted with both PoSt flags', () => {
    const plan = buildRollbackPlan(facts(), 'single');
    expect(titles(plan)).toEqual([
      '1. Stop new pledges',
      '2. Check the chain: inside a safe window',
      '3. Stop winning-post-miner (winning-post)',
      '4. Stop window-post-miner (window-post)',
      '5. Carry the sector counter over to seal-miner',
      '6. Restart seal-miner as the single miner',
      '7. Verify, and watch the next deadline',
    ]);
    expect(plan.survivor).toBe('seal-miner');
    expect(plan.warnings).toEqual([]);
    expect(plan.blockers).toEqual([]);
    expect(plan.window.now).toEqual({ start: 1380, end: 1440, endsAtDeadline: 24 });
    const restart = plan.steps[5];
    expect(restart?.does).toBe(
      'A systemd drop-in starts it as: /usr/local/bin/lotus-miner run --miner-api=2345 --window-post=true --winning-post=true --p2p=false --sctype=alloce --sclisten=10.0.0.10:1357',
    );
    expect(restart?.check).toMatchObject({
      kind: 'miner-runs',
      windowPost: true,
      winningPost: true,
      sectorCounter: 'alloce',
    });
    expect(plan.steps[2]?.shown).toBe('on winning-post-miner-host: sudo -n systemctl stop lotus-miner');
    expect(plan.steps[2]?.check).toEqual({
      kind: 'miner-down',
      miner: 'winning-post-miner',
      host: 'winning-post-miner-host',
    });
    expect(plan.steps[4]?.check).toEqual({
      kind: 'counter-safe',
      host: 'seal-miner-host',
      path: '/home/lotus/seal-miner/sectorid',
      atLeast: 150_123,
    });
    for (const step of plan.steps) expect(step.undo.length).toBeGreaterThan(0);
    expect(plan.downtime.find((d) => d.role === 'winning-post')).toEqual({
      role: 'winning-post',
      minutes: 5,
      from: 3,
      to: 6,
    });
  });

  it('given a deal-miner, then the plan warns that the survivor lists fewer sectors, by how many, waits for its in-flight sectors and attaches its storage', () => {
    const plan = buildRollbackPlan(facts({ deal: true }), 'single');
    expect(plan.metadata).toEqual({ miner: 'seal-miner', sectors: 138_000, chainLive: 150_000, missing: 12_000 });
    expect(plan.warnings[0]).toContain('12000 will be missing from lotus-miner sectors list and info');
    expect(titles(plan)).toContain('2. Wait for in-flight sectors of the miners that are retired');
    expect(plan.steps[1]?.does).toContain('deal-miner: 1 now');
    expect(titles(plan)).toContain('6. Stop deal-miner (deals)');
    expect(titles(plan)).toContain('8. Attach /storage/deal-store to seal-miner');
    expect(plan.steps.find((s) => s.title.startsWith('Restart'))?.does).toContain('--p2p=true');
  });

  it('given the window-post-miner already down, then its step only confirms it and the plan says so', () => {
    const plan = buildRollbackPlan(facts({ windowDown: true }), 'single');
    const step = plan.steps.find((s) => s.title.startsWith('Stop window-post-miner'));
    expect(step?.title).toBe('Stop window-post-miner (window-post), already down: confirm');
    expect(step?.action).toEqual({ kind: 'none' });
    expect(plan.warnings).toContainEqual(expect.stringContaining('window-post-miner is already down'));
  });

  it('given every deadline holding sectors, then there is no safe window and the bot will not carry it out', () => {
    const plan = buildRollbackPlan(facts({ allLive: true }), 'single');
    expect(plan.window.windows).toEqual([]);
    expect(plan.blockers).toContain(
      'no safe window of 30 minutes in the next 24 hours: every stretch has a deadline with live sectors',
    );
  });

  it('given official, then lotus-miner init names the existing actor and its owner, says plain --owner makes a new actor, and the winning-post-miner stops before any PoSt-miner starts', () => {
    const plan = buildRollbackPlan(facts(), 'official');
    const init = plan.steps.find((s) => s.title.startsWith('Initialise'));
    expect(init?.shown).toBe(
      'on winning-post-miner-host: env LOTUS_MINER_PATH=/home/lotus/winning-post-miner-official lotus-miner init --actor=f01000 --owner=f01001 --no-local-storage',
    );
    expect(init?.does).toContain('Plain --owner without --actor would create a NEW miner actor');
    const order = titles(plan);
    const stopWinning = order.findIndex((t) => t.includes('Stop winning-post-miner'));
    const firstStart = order.findIndex((t) => t.includes('Start '));
    expect(stopWinning).toBeGreaterThan(0);
    expect(firstStart).toBeGreaterThan(stopWinning);
    expect(plan.steps.find((s) => s.title.startsWith('Start winning-post-miner'))?.does).toContain(
      '/opt/lotus/lotus-miner run',
    );
  });

  it('given upstream lotus with PoSt workers, then the plan stops the workers and unsets DisableBuiltin…PoSt, and the bot leaves it to a person', () => {
    const f = facts();
    f.miners = [miner('miner', ['winning-post', 'window-post', 'seal'], { fork: false })];
    const plan = buildRollbackPlan(f, 'single');
    expect(plan.layout).toBe('upstream');
    expect(titles(plan)).toEqual([
      '1. Check the chain: inside a safe window',
      '2. Stop the PoSt workers of miner',
      '3. Unset DisableBuiltinWindowPoSt and DisableBuiltinWinningPoSt on miner, restart it',
    ]);
    expect(plan.blockers).toContainEqual(expect.stringContaining('upstream lotus with PoSt workers'));
  });
});

describe('what stops the bot from carrying a plan out', () => {
  it('given a seal-miner whose command line could not be read, then the plan is shown but the bot will not run it', () => {
    const f = facts();
    const seal = f.miners.find((m) => m.name === 'seal-miner') as MinerFact;
    seal.process = { state: 'unknown', detail: 'seal-miner-host did not answer: timed out' };
    expect(buildRollbackPlan(f, 'single').blockers).toContain(
      "seal-miner's command line could not be read (seal-miner-host did not answer: timed out): its restart is built from it",
    );
  });

  it('given the counter miner without a repoPath, then the plan says the bot cannot reach its repo', () => {
    const f = facts();
    const winning = f.miners.find((m) => m.name === 'winning-post-miner') as MinerFact;
    winning.repoPath = undefined;
    expect(buildRollbackPlan(f, 'single').blockers).toContain(
      'winning-post-miner has no repoPath configured: its repo is where the plan reads and writes',
    );
  });
});

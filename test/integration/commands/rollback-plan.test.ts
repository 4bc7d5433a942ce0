import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import type { Config } from '../../../src/config/schema.js';
import type { Reply } from '../../../src/core/reply.js';
import { mergeScenario, parseScenario, type Scenario, scenarioVariants } from '../../../src/simulator/scenario.js';
import {
  installRollbackStandIns,
  type MinerName,
  type RollbackHosts,
  rollbackHosts,
  stopAllMiners,
  unitTag,
} from '../../helpers/rollback-hosts.js';
import { requestIdOf } from '../../helpers/runtime-harness.js';
import { NOON, type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

let sshd: TestSshd;
let s: SimApp | undefined;

const small = (override: unknown = {}): Scenario => parseScenario(mergeScenario(scenarioVariants.small(), override));
/** The small cluster whose deal-miner has nothing between PreCommit and ProveCommit. */
const noDealInFlight = (): Scenario =>
  parseScenario(
    mergeScenario(scenarioVariants.small(), {
      miners: scenarioVariants
        .small()
        .miners.map((m) => (m.name === 'deal-miner' ? { ...m, sealing: [{ state: 'PreCommit1', count: 2 }] } : m)),
    }),
  );

async function cluster(
  options: Parameters<typeof rollbackHosts>[1] & {
    scenario?: Scenario | string;
    now?: number;
    configure?: (config: Config) => void;
  } = {},
): Promise<{ app: SimApp; hosts: RollbackHosts }> {
  const hosts = await rollbackHosts(sshd, options);
  const app = await startSimApp({
    scenario: options.scenario ?? small(options.deal === false ? { chain: { dealMinerSectors: 0 } } : {}),
    ...(options.now === undefined ? {} : { now: options.now }),
    configure(config, sim) {
      hosts.configure(config, sim);
      config.rbac.roles.admin = ['terminal:alice', 'terminal:bob', 'terminal:carol'];
      options.configure?.(config);
    },
  });
  s = app;
  const services = await app.app.runtime.services();
  await hosts.start(async (argv, stdin) => {
    const out = await services.runOnHost('miners-host', argv, stdin === undefined ? {} : { stdin });
    if (out.code !== 0) throw new Error(`${argv.join(' ')}: ${out.stderr}`);
    return out;
  });
  return { app, hosts };
}

/** `lotus-miner run` command lines on the test host now. */
async function minerProcesses(): Promise<string[]> {
  const services = await (s as SimApp).app.runtime.services();
  const out = await services.runOnHost('miners-host', ['ps', '-eo', 'args=']);
  return out.stdout.split('\n').filter((l) => /\/lotus-miner run /.test(l) && !l.includes('miner-forward'));
}
const runs = async (unit: string) =>
  (await minerProcesses()).filter((l) => l.includes(`--unit-tag=${unitTag(sshd, unit)}`));
const text = (reply: Reply) => renderText(reply);

describeWithSshd('/rollback-plan on the simulator and a real sshd with stand-in systemctl and lotus-miner', () => {
  beforeAll(async () => {
    sshd = await startSshd();
    await installRollbackStandIns(sshd);
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.app.runtime
      .services()
      .then((c) => c.runOnHost('miners-host', stopAllMiners(sshd)))
      .catch(() => undefined);
    await s?.close();
    s = undefined;
  });

  it('given a deal-miner, then the plan names each process and its flags from ps, warns by how many sectors the seal-miner list falls short, and stops the winning-post-miner first', async () => {
    const { app } = await cluster();
    const reply = await app.run('victor', '/rollback-plan single');
    const body = text(reply);
    expect(reply.title).toBe('Rollback of f01000 to a single miner (seal-miner): 11 steps');
    expect(body).toContain('Safe window now: until 2026-12-01 00:30 UTC');
    expect(body).toMatch(
      /winning-post-miner \(winning-post, sector-counter\) on miners-host: runs \(pid \d+\): \/bin\/sh \S+\/lotus-miner run --miner-api=\d+ .*--winning-post=true/,
    );
    expect(body).toContain(
      "seal-miner lists 11000 of the chain's 12000 live sectors; 1000 will be missing from lotus-miner sectors list and info. Display only",
    );
    expect(body).toContain(
      'Sectors between PreCommit and ProveCommit on deal-miner would lose their pre-commit deposit',
    );
    expect(body).toMatch(/4\. Stop winning-post-miner \(winning-post\)\n\s+what: Stopped FIRST and confirmed down/);
    expect(body).toContain('run:  on miners-host: sudo -n systemctl stop wnpost-miner');
    expect(body).toContain('Attach /storage/deal-store to seal-miner');
    expect(body).toContain('copy miners-host:');
    expect(body).toContain('Its last number (20000) is copied');
    expect(body).toMatch(/winning-post\s+\d+ min\s+4–10/);
    expect(body).toContain('To carry it out: /rollback-plan execute single');
  });

  it('given no deal-miner, then the plan has no in-flight wait and no missing sectors', async () => {
    const { app } = await cluster({ deal: false });
    const reply = await app.run('victor', '/rollback-plan single');
    const body = text(reply);
    expect(reply.title).toBe('Rollback of f01000 to a single miner (seal-miner): 7 steps');
    expect(body).not.toContain('will be missing');
    expect(body).not.toContain('Wait for in-flight sectors');
    expect(body).toMatch(/Missing from its list:\s+0/);
  });

  it('given the window-post-miner already down, then the plan says so and its step only confirms it', async () => {
    const { app } = await cluster({ deal: false, down: ['window-post-miner'] });
    const body = text(await app.run('victor', '/rollback-plan single'));
    expect(body).toMatch(
      /window-post-miner is already down \(no lotus-miner run with --miner-api=\d+ on miners-host\)/,
    );
    expect(body).toContain('4. Stop window-post-miner (window-post), already down: confirm');
  });

  it('given the window-post-miner already down, when the rollback runs, then its step only confirms it is down and the run finishes', async () => {
    const { app } = await cluster({ deal: false, down: ['window-post-miner'] });
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute single'));
    await app.run('bob', `/approvals approve ${id}`);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.title).toBe('Rollback of f01000 to a single miner done: 7 steps');
    await app.app.jobs.tick();
    const note = app.posted.find((r) => r.title.startsWith('Step 4 of 7 done: '));
    expect(note?.title).toBe('Step 4 of 7 done: Stop window-post-miner (window-post), already down: confirm');
    expect(text(note as Reply)).toContain('nothing to run. Check: no lotus-miner run process of window-post-miner');
  });

  it('given every deadline holding sectors, then there is no safe window in the next 24 hours and execute opens no request', async () => {
    const { app } = await cluster({
      deal: false,
      scenario: parseScenario(
        mergeScenario(scenarioVariants.healthy(), { chain: { emptyDeadlines: [], dealMinerSectors: 0 } }),
      ),
    });
    const plan = await app.run('victor', '/rollback-plan single');
    expect(text(plan)).toContain('No safe window in the next 24 hours');
    const asked = await app.run('alice', '/rollback-plan execute single');
    expect(asked.outcome).toBe('refused');
    expect(text(asked)).toContain(
      'Blocked: no safe window of 30 minutes in the next 24 hours: every stretch has a deadline with live sectors. No approval request was opened.',
    );
  });

  it('given a deadline with sectors open and unproven, then execute is refused outside the window and names the next one', async () => {
    // 01:10 UTC on Dec 1: deadline 1 of the small cluster is open and holds sectors.
    const { app } = await cluster({ deal: false, now: NOON + 13 * 3_600_000 + 10 * 60_000 });
    const asked = await app.run('alice', '/rollback-plan execute single');
    expect(asked.outcome).toBe('refused');
    expect(text(asked)).toMatch(
      /Blocked: now is not inside a safe window of 30 minutes; the next one opens at epoch \d+/,
    );
    expect(await runs('wnpost-miner')).toHaveLength(1);
  });

  it('given one admin approval, and then the requester’s own, then nothing runs; a second admin runs every step, each told in the thread', async () => {
    const { app, hosts } = await cluster({ deal: false });
    const asked = await app.run('alice', '/rollback-plan execute single');
    expect(asked.outcome).toBe('pending-approval');
    const id = requestIdOf(asked);
    expect(text(asked)).toContain('needs 2 approval(s) from another admin');

    const first = await app.run('bob', `/approvals approve ${id}`);
    expect(first.title).toBe(`Approval recorded for ${id}`);
    expect(text(first)).toContain('needs 1 more approval(s) from others');
    const own = await app.run('alice', `/approvals approve ${id}`);
    expect(own.outcome).toBe('refused');
    expect(await runs('wnpost-miner')).toHaveLength(1);
    expect(await runs('wdpost-miner')).toHaveLength(1);

    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.title).toBe('Rollback of f01000 to a single miner done: 7 steps');
    expect(await runs('wnpost-miner')).toEqual([]);
    expect(await runs('wdpost-miner')).toEqual([]);
    const [seal] = await runs('seal-miner');
    expect(seal).toMatch(
      /--window-post=true --winning-post=true --p2p=false --sctype=alloce --sclisten=127\.0\.0\.1:1357$/,
    );
    const services = await app.app.runtime.services();
    expect((await services.runOnHost('miners-host', ['cat', `${hosts.repo('seal-miner')}/sectorid`])).stdout).toBe(
      '20000\n',
    );

    await app.app.jobs.tick();
    const thread = app.posted.map((r) => r.title);
    for (let n = 1; n <= 7; n++)
      expect(thread).toContainEqual(expect.stringMatching(new RegExp(`^Step ${n} of 7 done: `)));
    const status = await app.run('victor', '/rollback-plan status');
    expect(status.title).toBe(`Rollback ${id}: finished`);
  });

  it('given a survivor whose unit ignores the drop-in, then the run stops at that check, later steps do not run, and the state and undo are reported', async () => {
    const { app } = await cluster({ deal: false, ignoreDropIn: ['seal-miner' as MinerName] });
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute single'));
    await app.run('bob', `/approvals approve ${id}`);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.outcome).toBe('failed');
    expect(done.title).toBe('Rollback stopped at step 6 of 7: Restart seal-miner as the single miner');
    const body = text(done);
    expect(body).toMatch(/failed its check: it runs with --window-post=false --winning-post=false --sctype=get/);
    expect(body).toContain('Steps 7–7 were not run.');
    expect(body).toContain('State: steps 1–5 are done');
    expect(body).toMatch(
      /undo step 6 \(Restart seal-miner as the single miner\): on miners-host: sudo -n rm \S+zz-rollback\.conf/,
    );
    expect(body).toContain(
      'undo step 3 (Stop winning-post-miner (winning-post)): on miners-host: sudo -n systemctl start wnpost-miner',
    );
    expect(body.indexOf('undo step 6')).toBeLessThan(body.indexOf('undo step 3'));
    const status = await app.run('victor', '/rollback-plan status');
    expect(status.title).toMatch(new RegExp(`^Rollback ${id}: stopped at step 6: `));
  });

  it('given a deal-miner with a sector between PreCommit and ProveCommit, then the run stops at the wait, before any miner is touched', async () => {
    const { app } = await cluster();
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute single'));
    await app.run('bob', `/approvals approve ${id}`);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.title).toBe(
      'Rollback stopped at step 2 of 11: Wait for in-flight sectors of the miners that are retired',
    );
    expect(text(done)).toContain('deal-miner has 1 sector(s) between PreCommit and ProveCommit');
    expect(await runs('wnpost-miner')).toHaveLength(1);
  });

  it('given a deal-miner with nothing in flight, then the whole fold-back runs and its storage is attached to the seal-miner', async () => {
    const { app, hosts } = await cluster({ scenario: noDealInFlight() });
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute single'));
    await app.run('bob', `/approvals approve ${id}`);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.title).toBe('Rollback of f01000 to a single miner done: 11 steps');
    expect(await runs('deal-miner')).toEqual([]);
    const services = await app.app.runtime.services();
    const storage = (await services.runOnHost('miners-host', ['cat', `${hosts.repo('seal-miner')}/storage.json`]))
      .stdout;
    expect(JSON.parse(storage).StoragePaths.map((p: { Path: string }) => p.Path)).toEqual([
      '/storage/sealing',
      '/storage/store',
      '/storage/deal-sealing',
      '/storage/deal-store',
    ]);
    expect((await runs('seal-miner'))[0]).toContain('--p2p=true');
  });

  it('given official, then an empty repo is initialised for the existing actor, copied to the window-post-miner, and only the winning-post-miner runs the official binary on it', async () => {
    const { app, hosts } = await cluster({ deal: false });
    const plan = text(await app.run('victor', '/rollback-plan official'));
    expect(plan).toContain('lotus-miner init --actor=f01000 --owner=f01001 --no-local-storage');
    expect(plan).toContain('Plain --owner without --actor would create a NEW miner actor');
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute official'));
    await app.run('bob', `/approvals approve ${id}`);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.title).toBe('Rollback of f01000 to the official lotus done: 9 steps');
    const [winning] = await runs('wnpost-miner');
    expect(winning).toMatch(/lotus-miner run --miner-api=\d+ --target=\d+ --unit-tag=wnpost-miner@\w+$/);
    expect(winning).toContain(unitTag(sshd, 'wnpost-miner'));
    expect(await runs('wdpost-miner')).toEqual([]);
    expect((await runs('seal-miner'))[0]).toContain('--sctype=get');
    const services = await app.app.runtime.services();
    const copy = `${hosts.repo('window-post-miner')}-official/config.toml`;
    expect((await services.runOnHost('miners-host', ['cat', copy])).code).toBe(0);
    const storage = (
      await services.runOnHost('miners-host', ['cat', `${hosts.repo('winning-post-miner')}-official/storage.json`])
    ).stdout;
    expect(JSON.parse(storage).StoragePaths).toEqual([{ Path: '/storage/store' }]);
  });

  it('given a request approved after its window has closed, then the run does not start and nothing is touched', async () => {
    const { app } = await cluster({
      deal: false,
      configure(config) {
        config.rbac.approvals['rollback-plan'] = {
          approvals: 2,
          approverRole: 'admin',
          ttl: '24h',
          reasonRequired: false,
        };
      },
    });
    const id = requestIdOf(await app.run('alice', '/rollback-plan execute single'));
    await app.run('bob', `/approvals approve ${id}`);
    // 00:20 UTC: the window ends at 00:30, when deadline 0 opens: 10 minutes are not the 30 the rollback needs.
    app.clock.advance(12 * 3_600_000 + 20 * 60_000);
    const done = await app.run('carol', `/approvals approve ${id}`);
    expect(done.outcome).toBe('refused');
    expect(done.title).toMatch(
      /^Rollback not started: no safe window of 30 minutes now \(epoch \d+\); the next opens at epoch \d+/,
    );
    expect(await runs('wnpost-miner')).toHaveLength(1);
    expect(await runs('wdpost-miner')).toHaveLength(1);
  });
});

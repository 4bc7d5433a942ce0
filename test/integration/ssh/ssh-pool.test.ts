import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import { SshPool, type SshPoolEvent, type SshPoolOptions } from '../../../src/ssh/ssh-pool.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

const accepted = /Accepted publickey for/;
const sessionStarted = /Starting session: command/;

describeWithSshd('SshPool against a real sshd', () => {
  let sshd: TestSshd;
  let pool: SshPool | undefined;
  let events: SshPoolEvent[] = [];
  let eventWaiters: Array<() => void> = [];

  function makePool(options: Partial<SshPoolOptions> = {}): { pool: SshPool; executor: HostExecutor } {
    events = [];
    pool = new SshPool({
      credentials: { privateKeyPath: sshd.clientKeyPath },
      onEvent: (event) => {
        events.push(event);
        for (const wake of eventWaiters) wake();
      },
      ...options,
    });
    return { pool, executor: new HostExecutor(pool) };
  }

  /** Resolves once the pool has reported `count` events of `type`. */
  function poolEvent(type: SshPoolEvent['type'], count = 1): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (events.filter((event) => event.type === type).length < count) return;
        eventWaiters = eventWaiters.filter((waiter) => waiter !== check);
        resolve();
      };
      eventWaiters.push(check);
      check();
    });
  }

  /**
   * Logins sshd has logged so far, counted once `sessions` sessions have started in total: a connection's
   * login line always comes before its sessions' lines, so no login can still be on its way.
   */
  async function loginsAfter(sessions: number): Promise<number> {
    await sshd.waitForLog(sessionStarted, sessions);
    return sshd.count(accepted);
  }

  beforeAll(async () => {
    sshd = await startSshd();
  });

  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  afterAll(async () => {
    await sshd?.stop();
  });

  test('concurrent first callers share one connect, and later commands reuse the connection', async () => {
    const before = sshd.count(accepted);
    const sessionsBefore = sshd.count(sessionStarted);
    const { pool: current, executor } = makePool();
    const first = await Promise.all(Array.from({ length: 12 }, () => executor.run(sshd.host(), ['true'])));
    for (let index = 0; index < 5; index += 1) await executor.run(sshd.host(), ['true']);
    expect(first.every((result) => result.code === 0)).toBe(true);
    expect((await loginsAfter(sessionsBefore + 17)) - before).toBe(1);
    expect(current.stats()).toEqual({ connects: 1, open: 1 });
  });

  test('no more than maxChannelsPerHost commands hold a channel on one host at once', async () => {
    const { pool: current } = makePool({ maxChannelsPerHost: 3 });
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: Array<() => void> = [];
    const entered: Array<() => void> = [];
    const calls = Array.from({ length: 10 }, () =>
      current.withConnection(sshd.host(), async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        for (const wake of entered.splice(0)) wake();
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight -= 1;
      }),
    );
    // Each round: wait until every slot the limit allows is taken, then let one caller finish.
    for (let remaining = 10; remaining > 0; remaining -= 1) {
      while (releases.length < Math.min(3, remaining)) await new Promise<void>((resolve) => entered.push(resolve));
      expect(releases).toHaveLength(Math.min(3, remaining));
      releases.shift()?.();
    }
    await Promise.all(calls);
    expect(maxInFlight).toBe(3);
  });

  test('many more concurrent commands than sshd MaxSessions all succeed', async () => {
    const { executor } = makePool();
    const runs = Array.from({ length: 60 }, (_, index) => executor.run(sshd.host(), ['echo', String(index)]));
    const results = await Promise.all(runs);
    expect(results.map((result) => result.stdout)).toEqual(Array.from({ length: 60 }, (_, index) => `${index}\n`));
  });

  test('after the connection drops, the next command reconnects', async () => {
    const { pool: current, executor } = makePool();
    await executor.run(sshd.host(), ['true']);
    expect(await sshd.dropConnections()).toBeGreaterThan(0);
    await poolEvent('drop');
    const loginsBefore = sshd.count(accepted);
    const sessionsBefore = sshd.count(sessionStarted);
    expect((await executor.run(sshd.host(), ['echo', 'back'])).stdout).toBe('back\n');
    expect((await loginsAfter(sessionsBefore + 1)) - loginsBefore).toBe(1);
    expect(current.stats().connects).toBe(2);
  });

  test('an idle connection is closed, and the next command opens a new one', async () => {
    const { pool: current, executor } = makePool({ idleTimeoutMs: 50 });
    await executor.run(sshd.host(), ['true']);
    await poolEvent('idle-close');
    expect(current.stats().open).toBe(0);
    await executor.run(sshd.host(), ['true']);
    expect(current.stats()).toEqual({ connects: 2, open: 1 });
  });

  test('close() ends every connection and the pool refuses work afterwards', async () => {
    const { pool: current, executor } = makePool();
    const alias = sshd.host(0, { name: 'same-host-other-name' });
    await Promise.all([executor.run(sshd.host(), ['true']), executor.run(alias, ['true'])]);
    // Two names for one account and endpoint share one connection.
    expect(current.stats()).toEqual({ connects: 1, open: 1 });
    const disconnectsBefore = sshd.count(/Disconnected from user/);
    await current.close();
    await sshd.waitForLog(/Disconnected from user/, disconnectsBefore + 1);
    await expect(executor.run(sshd.host(), ['true'])).rejects.toMatchObject({ code: 'SSH_ERROR' });
  });
});

import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ForEachHostProgress, forEachHost } from '../../../src/ssh/for-each-host.js';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import type { SshHost } from '../../../src/ssh/ssh-host.js';
import { SshPool } from '../../../src/ssh/ssh-pool.js';
import { closedPort, describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

describeWithSshd('forEachHost over 50 real sshd endpoints', () => {
  let sshd: TestSshd;
  let pool: SshPool;
  let executor: HostExecutor;

  beforeAll(async () => {
    // 50 ports, each a host of its own to the pool; more than one sshd can listen on, so several processes.
    sshd = await startSshd({ ports: 50 });
    pool = new SshPool({ credentials: { privateKeyPath: sshd.clientKeyPath } });
    executor = new HostExecutor(pool);
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
  });

  test('fans out within the concurrency bound; a dead host fails alone, in input order', async () => {
    const hosts: SshHost[] = sshd.ports.map((_, index) => sshd.host(index));
    const dead = sshd.host(0, { name: 'dead-host', port: await closedPort() });
    hosts.splice(25, 0, dead);
    let inFlight = 0;
    let maxInFlight = 0;
    const progress: ForEachHostProgress<SshHost>[] = [];
    const outcomes = await forEachHost(
      hosts,
      async (host, signal) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          return (await executor.runChecked(host, ['echo', host.name], { signal })).stdout.trim();
        } finally {
          inFlight -= 1;
        }
      },
      { concurrency: 10, perHostTimeoutMs: 15_000, onProgress: (report) => progress.push(report) },
    );

    expect(maxInFlight).toBe(10);
    expect(outcomes.map((outcome) => outcome.host.name)).toEqual(hosts.map((host) => host.name));
    const failed = outcomes.filter((outcome) => !outcome.ok);
    expect(failed.map((outcome) => outcome.host.name)).toEqual(['dead-host']);
    expect(failed[0]?.ok === false && failed[0].error.code).toBe('SSH_CONNECT_REFUSED');
    for (const outcome of outcomes) if (outcome.ok) expect(outcome.value).toBe(outcome.host.name);
    expect(progress.map((report) => report.done)).toEqual(hosts.map((_, index) => index + 1));
    expect(progress.filter((report) => !report.ok).map((report) => report.host.name)).toEqual(['dead-host']);
    // One login per live host: the 50 ports are 50 connections.
    await sshd.waitForLog(/Starting session: command/, 50);
    expect(sshd.count(/Accepted publickey for/)).toBe(50);
  });

  test('a host that hangs times out alone and the others finish', async () => {
    const hosts = sshd.ports.slice(0, 6).map((_, index) => sshd.host(index));
    const outcomes = await forEachHost(
      hosts,
      (host, signal) => {
        // The remote timeout still ends the stuck command on the host soon after the fan-out gave up on it.
        const argv = host.name === 'host-2' ? ['sleep', '30'] : ['true'];
        return executor.run(host, argv, { signal, timeoutMs: 2_000 });
      },
      { concurrency: 3, perHostTimeoutMs: 300 },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.value.code : outcome.error.code))).toEqual([
      0,
      0,
      'SSH_TIMEOUT',
      0,
      0,
      0,
    ]);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/net/prometheus-metrics.js';
import { HostExecutor } from '../../../src/ssh/host-executor.js';
import { SshPool } from '../../../src/ssh/ssh-pool.js';
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

describeWithSshd('SSH commands in /metrics, against a real sshd', () => {
  let sshd: TestSshd;
  let pool: SshPool;
  let metrics: PrometheusMetrics;
  let executor: HostExecutor;

  beforeAll(async () => {
    sshd = await startSshd();
    pool = new SshPool({ credentials: { privateKeyPath: sshd.clientKeyPath } });
    metrics = createPrometheusMetrics({ processMetrics: false });
    executor = new HostExecutor(pool, { metrics });
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.stop();
  });

  it('given commands that succeed, exit non-zero and are not found, then each is counted by host and outcome with its duration', async () => {
    const host = sshd.host(0, { name: 'seal-01' });
    await executor.run(host, ['true']);
    await executor.run(host, ['true']);
    await executor.run(host, ['false']);
    await expect(executor.run(host, ['no-such-program-here'])).rejects.toThrow();
    const families = parsePrometheusText(await metrics.render());
    const count = (outcome: string) =>
      sampleValue(families, 'lotus_chatops_ssh_commands_total', { host: 'seal-01', outcome });
    expect(count('ok')).toBe(2);
    expect(count('exit-nonzero')).toBe(1);
    expect(count('command-not-found')).toBe(1);
    expect(sampleValue(families, 'lotus_chatops_ssh_command_duration_seconds_count', { host: 'seal-01' })).toBe(4);
  });
});

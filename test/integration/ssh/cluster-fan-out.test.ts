import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ClusterServices } from '../../../src/cluster/cluster-services.js';
import { createClusterServices } from '../../../src/cluster/create-cluster-services.js';
import { configSchema } from '../../../src/config/schema.js';
import { FakeClock } from '../../../src/core/clock.js';
import { captureLog } from '../../helpers/runtime-harness.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';

const token = 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl';

describeWithSshd("the cluster's SSH fan-out", () => {
  let sshd: TestSshd;
  let services: ClusterServices | undefined;
  let logLines: string[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    // Each run counts the runs alive at its start, then lingers, so that a fan-out's runs overlap as far as allowed.
    await sshd.program(
      'overlap',
      `#!/bin/sh
mkdir -p "${sshd.scratchDir}/live"
touch "${sshd.scratchDir}/live/$$"
ls "${sshd.scratchDir}/live" | wc -l >> "${sshd.scratchDir}/peaks-$1"
sleep 0.4
rm -f "${sshd.scratchDir}/live/$$"
`,
    );
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await services?.close();
    services = undefined;
  });

  /** Six configured hosts (all this sshd under other names) and `ssh.concurrency`. */
  function start(concurrency: number): ClusterServices {
    const config = configSchema.parse({
      cluster: {
        daemons: [{ name: 'daemon', api: `${token}:/ip4/127.0.0.1/tcp/1234/http` }],
        miners: [{ name: 'seal', actor: 'f01000', api: `${token}:/ip4/127.0.0.1/tcp/2345/http`, roles: ['seal'] }],
        hosts: Array.from({ length: 6 }, (_, i) => ({
          name: `sealer-${i + 1}`,
          address: sshd.address,
          port: sshd.port,
          user: sshd.user,
          hostKey: sshd.hostKeyFingerprint,
        })),
      },
      ssh: { privateKeyPath: sshd.clientKeyPath, concurrency },
    });
    const captured = captureLog();
    logLines = captured.lines;
    services = createClusterServices(config, { log: captured.log, clock: new FakeClock() });
    return services;
  }

  async function peaks(label: string): Promise<number[]> {
    return (await readFile(join(sshd.scratchDir, `peaks-${label}`), 'utf8')).trim().split('\n').map(Number);
  }

  it('given ssh.concurrency 2, when six hosts are read, then never more than two run at once and every host answers', async () => {
    const cluster = start(2);
    const names = cluster.topology.hosts.map((h) => h.name);
    const outcomes = await cluster.forEachHost(names, (host) => cluster.runOnHost(host, ['overlap', 'two']));
    expect(outcomes.map((o) => [o.host.name, o.ok])).toEqual(names.map((n) => [n, true]));
    expect(Math.max(...(await peaks('two')))).toBe(2);
  });

  it('given ssh.concurrency 6, then the six hosts are read at once: the setting, not a fixed bound, decides', async () => {
    const cluster = start(6);
    const names = cluster.topology.hosts.map((h) => h.name);
    await cluster.forEachHost(names, (host) => cluster.runOnHost(host, ['overlap', 'six']));
    expect(Math.max(...(await peaks('six')))).toBeGreaterThan(2);
  });

  it('names each log line of the SSH layer with one component', async () => {
    const cluster = start(1);
    await cluster.runOnHost('sealer-1', ['true']);
    const sshLines = logLines.filter((line) => line.includes('"component":"ssh'));
    expect(sshLines.length).toBeGreaterThan(0);
    for (const line of sshLines) expect(line.match(/"component":/g)).toHaveLength(1);
  });
});

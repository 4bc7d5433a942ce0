import { afterEach, expect, it } from 'vitest';
import { pollCluster } from '../../../src/cluster/cluster-poll.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp;
afterEach(async () => {
  await s?.close();
});

// The collection pass an alert engine will judge (the engine itself is a later feature).
it('reads every daemon, miner and actor in one batch per node, and a node that is down fails alone', async () => {
  s = await startSimApp({ scenario: 'small' });
  const { createClusterServices } = await import('../../../src/cluster/create-cluster-services.js');
  const { captureLog } = await import('../../helpers/runtime-harness.js');
  const services = createClusterServices(s.config, { log: captureLog().log, clock: s.clock });
  try {
    await s.sim.controls.stopNode('window-post-miner');
    s.sim.controls.resetRequestCounts();
    const poll = await pollCluster(services, { concurrency: 4, clock: s.clock });
    expect(poll.startedAt).toBe(s.clock.now());
    expect(poll.daemons.map((d) => [d.name, d.head.ok, d.sync.ok])).toEqual([
      ['daemon-public', true, true],
      ['daemon-internal', true, true],
    ]);
    const byName = Object.fromEntries(poll.miners.map((m) => [m.name, m]));
    expect(byName['window-post-miner']?.workers.ok).toBe(false);
    expect(byName['seal-miner']?.workers.ok).toBe(true);
    expect(poll.actors).toHaveLength(1);
    expect(poll.actors[0]?.provingDeadline.ok).toBe(true);
    expect(poll.failures).toBe(2);
    // Each node is read once per pass: its two reads, nothing more.
    expect(s.sim.controls.requestCounts('seal-miner')).toEqual({ WorkerStats: 1, SectorsSummary: 1 });
  } finally {
    await services.close();
  }
});

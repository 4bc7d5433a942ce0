import { afterEach, expect, it } from 'vitest';
import { TestProxy } from '../../helpers/proxy-server.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await s?.close();
  await proxy?.close();
});

it('given one lotus endpoint marked viaProxy, then only its calls go through the proxy', async () => {
  proxy = await TestProxy.start();
  const url = proxy.url();
  s = await startSimApp({
    scenario: 'small',
    configure: (config) => {
      config.network.proxy = url;
      Object.assign(config.cluster.daemons[1] as object, { viaProxy: true });
    },
  });
  const daemon = `127.0.0.1:${s.sim.node('daemon-internal').port}`;
  const seal = `127.0.0.1:${s.sim.node('seal-miner').port}`;
  const reply = await s.run('alice', '/deadlines');
  expect(reply.outcome).toBeUndefined();
  expect(proxy.tunnelsTo(daemon)).toBeGreaterThan(0);
  await s.run('alice', '/pledge 1');
  expect(proxy.targets().has(seal)).toBe(false);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChatPlatforms } from '../../../src/cli/start-chat-platforms.js';
import { createClusterServices } from '../../../src/cluster/create-cluster-services.js';
import { parseConfigText } from '../../../src/config/load-config.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { startSimulator } from '../../../src/simulator/start-simulator.js';
import { renamed, TestProxy } from '../../helpers/proxy-server.js';
import { createHarness } from '../../helpers/runtime-harness.js';
import { FakeSocketModeServer } from '../../helpers/slack-fake-socket-mode.js';
import { FakeSlackWebApi } from '../../helpers/slack-fake-web-api.js';
import { describeWithSshd, startSshd } from '../../helpers/sshd.js';

const cleanups: Array<() => Promise<unknown>> = [];
let savedProxy: string | undefined;
beforeEach(() => {
  savedProxy = process.env.HTTPS_PROXY;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (savedProxy === undefined) delete process.env.HTTPS_PROXY;
  else process.env.HTTPS_PROXY = savedProxy;
});

/**
 * The bot as `run` starts it with a proxy in the configuration and in HTTPS_PROXY, Slack reached through it; then
 * lotus (and, where given, SSH) calls from the same process. Resolves with what the proxy saw and the cluster.
 */
async function botBehindProxy(
  hosts = '',
): Promise<{ proxy: TestProxy; cluster: ReturnType<typeof createClusterServices>; platformTargets: string[] }> {
  const proxy = await TestProxy.start();
  cleanups.push(() => proxy.close());
  // The operator's shell exports the proxy too: nothing global may pick it up for the cluster's own traffic.
  process.env.HTTPS_PROXY = proxy.url();
  const clock = new FakeClock();
  const sim = await startSimulator({ scenario: 'small', clock });
  cleanups.push(() => sim.close());
  const [api, socket] = await Promise.all([FakeSlackWebApi.start(), FakeSocketModeServer.start()]);
  cleanups.push(() => Promise.all([api.close(), socket.close()]));
  api.socketUrl = renamed(socket.url, 'slack-link.test');
  const config = parseConfigText(
    `
cluster:
  daemons: [{ name: daemon-internal, api: '${sim.apiInfo('daemon-internal')}' }]
  miners: [{ name: seal-miner, actor: ${sim.actor}, api: '${sim.apiInfo('seal-miner')}', roles: [seal] }]
${hosts}
slack:
  botToken: xoxb-test-bot-token
  appToken: xapp-test-app-token
  apiUrl: ${renamed(api.url, 'slack-api.test')}
network:
  proxy: ${proxy.url()}
  timeout: 2s
`,
    {},
  );
  const h = await createHarness({ clock });
  cleanups.push(() => h.close());
  const chat = await startChatPlatforms({
    config,
    app: { runtime: h.runtime, posters: h.posters },
    health: new ConnectionHealth({ clock, log: silentLogger() }),
    log: silentLogger(),
    env: process.env,
    clock,
    slackSocketLinks: 1,
  });
  cleanups.push(() => chat.stop());
  const cluster = createClusterServices(config, { log: silentLogger(), clock });
  cleanups.push(() => cluster.close());
  const platformTargets = [`slack-api.test:${new URL(api.url).port}`, `slack-link.test:${new URL(socket.url).port}`];
  return { proxy, cluster, platformTargets };
}

describe('what the proxy does not carry', () => {
  it('given a proxy in the config and in HTTPS_PROXY, when the bot calls lotus, then lotus is reached directly and only Slack went through the proxy', async () => {
    const { proxy, cluster, platformTargets } = await botBehindProxy();
    const head = await cluster.fullNode().chainHead();
    expect(head.Height).toBeGreaterThan(0);
    expect((await cluster.miner('seal-miner').actorAddress()).length).toBeGreaterThan(0);
    expect([...proxy.targets()].sort()).toEqual(platformTargets.sort());
  });
});

describeWithSshd('what the proxy does not carry over SSH', () => {
  it('given a proxy in the config and in HTTPS_PROXY, when the bot runs a command on a host, then SSH goes directly', async () => {
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());
    const { proxy, cluster, platformTargets } = await botBehindProxy(`
  hosts: [{ name: seal-1, address: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, hostKey: '${sshd.hostKeyFingerprint}' }]
ssh:
  privateKeyPath: ${sshd.clientKeyPath}`);
    const result = await cluster.runOnHost('seal-1', ['id', '-un']);
    expect(result.stdout.trim()).toBe(sshd.user);
    expect([...proxy.targets()].sort()).toEqual(platformTargets.sort());
  });
});

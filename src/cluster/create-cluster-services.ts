import type { Config, MinerConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { OpsError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type Metrics, noMetrics } from '../core/metrics.js';
import { FullNodeApi } from '../lotus/full-node-api.js';
import { MinerApi } from '../lotus/miner-api.js';
import type { MinerRole } from '../lotus/miner-roles.js';
import type { PlatformTransport } from '../net/platform-transport.js';
import { proxySettings } from '../net/proxy-settings.js';
import { forEachHost } from '../ssh/for-each-host.js';
import type { HostExecutor } from '../ssh/host-executor.js';
import type { SshHost } from '../ssh/ssh-host.js';
import type { SshPool } from '../ssh/ssh-pool.js';
import type { ClusterServices } from './cluster-services.js';
import { probeTcp } from './probe-tcp.js';

export interface ClusterServicesDeps {
  log: Logger;
  clock: Clock;
  /** For HTTPS_PROXY/NO_PROXY, when an endpoint opts in to the proxy. */
  env?: NodeJS.ProcessEnv;
  /** Per-call lotus timeout. */
  lotusTimeoutMs?: number;
  /** How lotus is reached directly (the global fetch): the bench times the same reads made one at a time through it. */
  fetch?: typeof globalThis.fetch;
  /** Lotus calls and SSH commands are counted here (/metrics). */
  metrics?: Metrics;
}

export function createClusterServices(config: Config, deps: ClusterServicesDeps): ClusterServices {
  const { cluster } = config;
  const miners = new Map<string, MinerApi>();
  const daemons = new Map<string, FullNodeApi>();
  const metrics = deps.metrics ?? noMetrics;
  const rpcOptions = {
    logger: deps.log.child({ component: 'lotus' }),
    timeoutMs: deps.lotusTimeoutMs ?? 30_000,
    metrics,
  };
  // Lotus is on the cluster's LAN and never goes through the chat platforms' proxy, unless an endpoint says so.
  // The proxy's transport (undici) and the SSH client are loaded when first used: a command that needs neither, such
  // as `exec /help`, starts faster without them.
  let proxied: Promise<PlatformTransport> | undefined;
  const transport = (): Promise<PlatformTransport> => {
    proxied ??= import('../net/platform-transport.js').then(({ createPlatformTransport }) =>
      createPlatformTransport(proxySettings(config.network, deps.env ?? process.env), {
        log: deps.log.child({ component: 'lotus-proxy' }),
        connectTimeoutMs: parseDuration(config.network.timeout),
      }),
    );
    return proxied;
  };
  const proxiedFetch: typeof globalThis.fetch = async (input, init) =>
    (await transport()).fetch(input as never, init as never) as unknown as Response;
  const direct = deps.fetch ? { ...rpcOptions, fetch: deps.fetch } : rpcOptions;
  const optionsFor = (viaProxy: boolean) => (viaProxy ? { ...rpcOptions, fetch: proxiedFetch } : direct);

  const findMiner = (nameOrActor: string): MinerConfig => {
    const byName = cluster.miners.find((m) => m.name === nameOrActor);
    if (byName) return byName;
    // An actor names the cluster's miner set; the first configured process of that actor answers for it.
    const byActor = cluster.miners.find((m) => m.actor === nameOrActor);
    if (byActor) return byActor;
    throw new OpsError('MINER_UNKNOWN', {
      miner: nameOrActor,
      known: cluster.miners.map((m) => `${m.name} (${m.actor})`).join(', '),
    });
  };

  let ssh: Promise<{ pool: SshPool; executor: HostExecutor }> | undefined;
  const sshExecutor = async (): Promise<HostExecutor> => {
    ssh ??= (async () => {
      const [{ SshPool }, { HostExecutor }] = await Promise.all([
        import('../ssh/ssh-pool.js'),
        import('../ssh/host-executor.js'),
      ]);
      // The pool and the executor each name their own component on every line: no second one here.
      const log = deps.log;
      const pool = new SshPool({
        credentials: {
          ...(config.ssh.privateKey === undefined ? {} : { privateKey: config.ssh.privateKey }),
          ...(config.ssh.privateKeyPath === undefined ? {} : { privateKeyPath: config.ssh.privateKeyPath }),
          ...(config.ssh.passphrase === undefined ? {} : { passphrase: config.ssh.passphrase }),
        },
        logger: log,
        connectTimeoutMs: parseDuration(config.ssh.connectTimeout),
      });
      return {
        pool,
        executor: new HostExecutor(pool, {
          logger: log,
          defaultTimeoutMs: parseDuration(config.ssh.commandTimeout),
          metrics,
        }),
      };
    })();
    return (await ssh).executor;
  };
  const sshHost = (name: string): SshHost => {
    const host = cluster.hosts.find((h) => h.name === name);
    if (!host) throw new OpsError('HOST_UNKNOWN', { host: name });
    return {
      name: host.name,
      address: host.address,
      port: host.port,
      user: host.user,
      ...(host.hostKey === undefined ? {} : { hostKey: host.hostKey }),
      ...(config.ssh.knownHostsFile === undefined ? {} : { knownHostsFile: config.ssh.knownHostsFile }),
    };
  };

  const daemonApi = (name: string): FullNodeApi => {
    let api = daemons.get(name);
    if (!api) {
      const daemon = cluster.daemons.find((d) => d.name === name);
      if (!daemon)
        throw new OpsError('LOTUS_ENDPOINT_INVALID', { value: name, detail: 'no daemon of that name is configured' });
      api = FullNodeApi.fromApiInfo(daemon.api, optionsFor(daemon.viaProxy));
      daemons.set(name, api);
    }
    return api;
  };

  const settings = {
    sshConcurrency: config.ssh.concurrency,
    pledgeForkTimeoutMs: parseDuration(config.pledge.forkTimeout),
    workerReconnectTimeoutMs: parseDuration(config.workerEnv.reconnectTimeout),
    rollback: {
      safeWindowMinutes: Math.max(1, Math.round(parseDuration(config.rollback.safeWindow) / 60_000)),
      checkWaitMs: parseDuration(config.rollback.checkWait),
      units: config.rollback.units,
      dropInDir: config.rollback.dropInDir,
      officialBinary: config.rollback.officialBinary,
    },
  };

  return {
    topology: cluster,
    settings,
    fullNode() {
      const daemon = cluster.daemons.find((d) => !d.public) ?? cluster.daemons[0];
      if (!daemon) throw new OpsError('LOTUS_ENDPOINT_INVALID', { value: '(none)', detail: 'no daemon configured' });
      return daemonApi(daemon.name);
    },
    daemon: (name) => daemonApi(name),
    miner(name) {
      let api = miners.get(name);
      if (!api) {
        const miner = findMiner(name);
        api = MinerApi.fromApiInfo(miner.api, optionsFor(miner.viaProxy));
        miners.set(name, api);
      }
      return api;
    },
    findMiner,
    minersWithRole(role: MinerRole) {
      return cluster.miners.filter((m) => m.roles.includes(role));
    },
    async runOnHost(host, argv, options) {
      const target = sshHost(host);
      return (await sshExecutor()).run(target, argv, options);
    },
    forEachHost(hosts, work, options = {}) {
      return forEachHost(
        hosts.map((name) => ({ name })),
        (host, signal) => work(host.name, signal),
        { ...options, concurrency: options.concurrency ?? settings.sshConcurrency },
      );
    },
    probeTcp(address, timeoutMs) {
      return probeTcp(address, timeoutMs);
    },
    async close() {
      await (await ssh)?.pool.close();
      await (await proxied)?.close();
    },
  };
}

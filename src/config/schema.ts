import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { isOpsError } from '../core/errors.js';
import { roles } from '../core/roles.js';
import { parseApiInfo } from '../lotus/api-info.js';
import { minerRoles } from '../lotus/miner-roles.js';
import { parseProxyUrl } from '../net/proxy-settings.js';

/**
 * The configuration file, as zod sees it after ${ENV} interpolation. Every object is strict: an unknown key is an
 * error that names its path, because a misspelt option that is silently ignored is worse than a refusal to start.
 * config/example.yaml documents every option; keep the two in step.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, {
  error: 'must be lower-case letters, digits, ".", "_" or "-" (for example "seal-1")',
});

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, { error: 'must be a duration such as 30s, 15m, 2h or 1d' });

const daemonSchema = z.strictObject({
  name,
  /** lotus's TOKEN:MULTIADDR form (as FULLNODE_API_INFO), a bare multiaddr, or an http(s):// URL. */
  api: z.string().min(1),
  /** The public daemon holds no wallet and is not used by the miners. */
  public: z.boolean().default(false),
  /** Reach this endpoint through network.proxy. Off by default: lotus lives on the cluster's own LAN. */
  viaProxy: z.boolean().default(false),
});

const minerSchema = z.strictObject({
  name,
  /** The miner actor this process works for, e.g. f01234. */
  actor: z.string().regex(/^[ft]0\d+$/, { error: 'must be a miner actor ID such as f01234' }),
  /** lotus-miner's TOKEN:MULTIADDR (as MINER_API_INFO). */
  api: z.string().min(1),
  /** Reach this API through network.proxy (off by default). */
  viaProxy: z.boolean().default(false),
  roles: z.array(z.enum(minerRoles)).min(1),
  /** The configured host this miner runs on, for what is only visible there (command line, sectorid file). */
  host: name.optional(),
  /**
   * LOTUS_MINER_PATH on that host, absolute: the bot logs in as its own user, whose ~ is not the miner's. The sector
   * counter keeps its `sectorid` file there.
   */
  repoPath: z.string().regex(/^\//, { error: 'must be an absolute path, e.g. /home/lotus/.lotusminer' }).optional(),
  /** The --sclisten address of the sector counter (required on the sector-counter miner). */
  sectorCounterListen: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, { error: 'must be HOST:PORT, as in --sclisten=192.168.1.50:1357' })
    .optional(),
  /** Fork build with `lotus-miner sectors mypledge|mypledgeonce`; false for upstream lotus. */
  forkCommands: z.boolean().default(true),
  /** The miner's [Sealing] MaxSealingSectors, when known (0 = unlimited). */
  maxSealingSectors: z.number().int().min(0).optional(),
  /** The workers' AutoPledgeDiff: 0 = batch, 1 = smooth dispatch. Shown in /pledge plans. */
  autoPledgeDiff: z.union([z.literal(0), z.literal(1)]).optional(),
});

const workerKinds = ['AP', 'PC1', 'PC2', 'C2', 'AP+PC1'] as const;

const workerSchema = z.strictObject({
  name,
  kind: z.enum(workerKinds),
  /** The systemd unit that runs this lotus-worker. */
  unit: z.string().min(1).optional(),
  /** The environment file the unit reads. */
  envFile: z.string().min(1).optional(),
  /** The seal- or deal-miner this worker connects to. */
  miner: name.optional(),
  /** LOTUS_WORKER_PATH, absolute: where the fork's myscheduler.json is, when the miner does not report its limits. */
  repoPath: z.string().regex(/^\//, { error: 'must be an absolute path, e.g. /home/lotus/.lotusworker' }).optional(),
  listen: z.string().optional(),
});

const hostSchema = z.strictObject({
  name,
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('lotus-ops'),
  /** SHA256 fingerprint as `ssh-keygen -lf` prints it. Either this or ssh.knownHostsFile must pin the host. */
  hostKey: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { error: 'must be a SHA256 fingerprint as printed by ssh-keygen -lf' })
    .optional(),
  workers: z.array(workerSchema).default([]),
});

const principal = z.string().regex(/^(\*|[a-z-]+:(\*|[A-Za-z0-9._@-]+))$/, {
  error:
    'must be a principal such as slack:U0123, slack-group:S0123, discord:123, discord-role:456, terminal:alice, or a wildcard like slack:*',
});

const approvalRule = z.strictObject({
  /** Approvals needed from people other than the requester. */
  approvals: z.number().int().min(1).max(5).default(1),
  approverRole: z.enum(roles).default('operator'),
  ttl: duration.default('30m'),
  /** Each approver must give a reason (kept in the audit trail). */
  reasonRequired: z.boolean().default(false),
});

const rbacSchema = z.strictObject({
  /** Principals per role. A principal gets the highest role any of its ids or groups matches. */
  roles: z.strictObject({
    admin: z.array(principal).default([]),
    operator: z.array(principal).default([]),
    viewer: z.array(principal).default([]),
  }),
  /**
   * Per command (e.g. "pledge"): approval rules. They may raise the command's own policy (more approvals, a higher
   * approver role, a reason), never lower it; the time to live is taken as given.
   */
  approvals: z.record(z.string(), approvalRule).default({}),
  /** Per command: the only channels it may run in, as platform:channel (e.g. slack:C0123, terminal:*). */
  channels: z.record(z.string(), z.array(principal)).default({}),
});

const slackSchema = z.strictObject({
  enabled: z.boolean().default(true),
  botToken: z.string().min(1),
  /** App-level token (xapp-…) for Socket Mode. */
  appToken: z.string().min(1).optional(),
  signingSecret: z.string().min(1).optional(),
  mode: z.enum(['socket', 'http']).default('socket'),
  port: z.number().int().min(1).max(65535).default(3000),
  apiUrl: z.string().url().optional(),
  /** One `/lotus <command>` instead of one slash command per bot command. */
  singleCommand: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .optional(),
});

const discordSchema = z.strictObject({
  enabled: z.boolean().default(true),
  token: z.string().min(1),
  applicationId: z.string().regex(/^\d+$/),
  guildId: z.string().regex(/^\d+$/).optional(),
  apiUrl: z.string().url().optional(),
});

/**
 * How the bot reaches the chat platforms (Slack, Discord): never lotus or SSH, which stay on the cluster's network.
 * Without `proxy`, HTTPS_PROXY and NO_PROXY from the environment apply.
 */
const networkSchema = z.strictObject({
  /** An http:// or https:// CONNECT proxy for all chat-platform traffic, credentials as http://USER:${PASSWORD}@HOST:PORT. */
  proxy: z
    .string()
    .min(1)
    .check((ctx) => {
      try {
        parseProxyUrl(ctx.value, 'network.proxy');
      } catch (error) {
        ctx.issues.push({
          code: 'custom',
          input: undefined,
          message: error instanceof Error ? error.message.replace(/^network\.proxy /, '') : String(error),
        });
      }
    })
    .optional(),
  /** Hosts reached without the proxy (NO_PROXY syntax: example.com, .example.com, 10.0.0.0/8, host:port, *). */
  noProxy: z.array(z.string().min(1)).optional(),
  /** Each attempt of a platform call, and reaching the proxy or platform. */
  timeout: duration.default('10s'),
  /** Further attempts after a network error, a timeout or a 5xx; rate limits are waited out, not counted. */
  retries: z.number().int().min(0).max(10).default(2),
  health: z
    .strictObject({
      /** A platform unreachable for this long is announced on the other platform (and again when it is back). */
      downAfter: duration.default('2m'),
      /** Channels for those announcements, as platform:channel; a platform's outage goes only to the others. */
      announce: z
        .array(
          z.string().regex(/^(slack|discord):[A-Za-z0-9]+$/, {
            error: 'must be a channel such as slack:C0123 or discord:123456789012345678',
          }),
        )
        .default([]),
    })
    .prefault({}),
});

const terminalSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** The principal the terminal user acts as, e.g. terminal:alice. Defaults to terminal:$USER. */
  as: principal.optional(),
});

/** The checks the alert engine runs (and /status shows); each has its own interval. */
export const alertCheckNames = [
  'daemons',
  'miners',
  'windowpost',
  'funds',
  'sealing',
  'workers',
  'lotus-alerts',
] as const;
export type AlertCheckName = (typeof alertCheckNames)[number];

const alertRouteSchema = z.strictObject({
  /** Which alerts: by severity, check and miner actor; a field left out matches all. */
  severity: z
    .array(z.enum(['info', 'warning', 'critical']))
    .min(1)
    .optional(),
  /** `alertmanager` names the alerts Alertmanager sends (the receiver). */
  checks: z
    .array(z.enum([...alertCheckNames, 'alertmanager']))
    .min(1)
    .optional(),
  actors: z
    .array(z.string().regex(/^[ft]0\d+$/, { error: 'must be a miner actor ID such as f01234' }))
    .min(1)
    .optional(),
  /** Where to post, as platform:channel; a robot is named wecom:NAME, dingtalk:NAME or feishu:NAME (see `robots`). */
  channels: z
    .array(
      z.string().regex(/^(slack|discord|terminal|wecom|dingtalk|feishu):[A-Za-z0-9_-]+$/, {
        error:
          'must be a channel such as slack:C0123, discord:123456789012345678, terminal:ops, or a robot such as wecom:ops-cn',
      }),
    )
    .min(1),
  /**
   * Who is paged on a critical alert (never for less): a Slack user group (slack-group:S0123) or user, a Discord role
   * (discord-role:456) or user. Each platform's message mentions only its own.
   */
  mention: z
    .array(
      z.string().regex(/^(slack|slack-group|discord|discord-role|wecom|dingtalk|feishu|pagerduty):[A-Za-z0-9_.@-]+$/, {
        error:
          'must be slack:U0123, slack-group:S0123, discord:123, discord-role:456, a robot user (wecom:USERID, dingtalk:USERID, feishu:ou_…) or a PagerDuty service (pagerduty:NAME)',
      }),
    )
    .default([]),
  /** The language of the texts this route sends to robots (WeCom, DingTalk, Feishu); chat replies stay English. */
  language: z.enum(['en', 'zh']).optional(),
});

/** "auto" works the floor out from the chain (a day of WindowPoSt gas at today's base fee); a number is FIL. */
const filFloor = z.union([z.literal('auto'), z.number().nonnegative()]);

const alertThresholdsSchema = z.strictObject({
  /** Chain lag (now − the head's timestamp): under `chainSlow` ok, under `chainBehind` slow, else behind. */
  chainSlow: duration.default('45s'),
  chainBehind: duration.default('150s'),
  /** A daemon with fewer peers than this is warned about. */
  minPeers: z.number().int().min(0).default(5),
  /** Messages from the worker or a control address waiting in the message pool. */
  mpoolPending: z.number().int().min(1).default(10),
  /** The open deadline still has unproven partitions this far into its 30-minute window (2/3 = 20 minutes). */
  windowPostLate: duration.default('20m'),
  /** …and is critical in its last stretch. */
  windowPostCritical: duration.default('25m'),
  /** A faulty sector is terminated after 42 days; the fault alert turns critical once it has lasted this long. */
  faultCritical: duration.default('28d'),
  /** Balances in FIL: the worker, each control address, and the miner's available balance. */
  workerBalance: filFloor.default('auto'),
  controlBalance: filFloor.default('auto'),
  availableBalance: z.number().nonnegative().default(1),
  /** Gas units one SubmitWindowedPoSt message uses, for the "auto" floor (lotus's estimates run 30–100 M). */
  windowPostGas: z.number().int().positive().default(100_000_000),
  /** How long a sector may stay in a sealing state; states not named use `default`. */
  sealingState: z.record(z.string(), duration).default({
    default: '24h',
    Packing: '1h',
    AddPiece: '2h',
    PreCommit1: '8h',
    PreCommit2: '2h',
    PreCommitting: '2h',
    PreCommitWait: '2h',
    WaitSeed: '3h',
    Committing: '2h',
    CommitWait: '2h',
    SubmitCommitAggregate: '6h',
    FinalizeSector: '2h',
  }),
  /** A sealing job assigned to a worker and not running for this long. */
  jobAssigned: duration.default('2h'),
  /** A worker left in drain mode (the fork's IsPlanOffline) this long. */
  drainMode: duration.default('4h'),
});

const alertsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  routes: z.array(alertRouteSchema).default([]),
  /** How often each check runs; a check set to `off` does not run (and /status says so). */
  every: z
    .strictObject(
      Object.fromEntries(
        alertCheckNames.map((name) => [name, z.union([duration, z.literal('off')]).optional()]),
      ) as Record<AlertCheckName, z.ZodOptional<z.ZodUnion<[typeof duration, z.ZodLiteral<'off'>]>>>,
    )
    .default({}),
  /** A check still running after this is reported as "cannot check" (a hung host, a node that does not answer). */
  timeout: duration.default('20s'),
  /** Checks run at once. */
  concurrency: z.number().int().min(1).max(32).default(4),
  /** An unacked critical alert is told again after this. */
  renotifyAfter: duration.default('30m'),
  /** A condition that resolves and returns within this stays one alert. */
  flapWindow: duration.default('10m'),
  /** This many new alerts in one pass become one summary message. */
  stormThreshold: z.number().int().min(2).default(8),
  thresholds: alertThresholdsSchema.prefault({}),
});
export type AlertsConfig = z.output<typeof alertsSchema>;
export type AlertRouteConfig = z.output<typeof alertRouteSchema>;

/** An environment variable's name: robots' webhooks and secrets are read from the environment, never the file. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be the name of an environment variable' });

/**
 * A group robot alert routes may name as PLATFORM:NAME: a WeCom (企业微信) group robot, a DingTalk (钉钉) custom
 * robot or a Feishu (飞书) custom bot. Its webhook URL (which holds its key) and its signing secret stay in the
 * environment; the file names the variables.
 */
const robotSchema = z.strictObject({
  name,
  platform: z.enum(['wecom', 'dingtalk', 'feishu']),
  /** The variable holding the robot's webhook URL. */
  webhookEnv: envName,
  /** The variable holding its signing secret (DingTalk 加签, Feishu 签名校验); WeCom robots have none. */
  secretEnv: envName.optional(),
  /** The language of its texts where a route does not say (en or zh). */
  language: z.enum(['en', 'zh']).default('en'),
});
export type RobotConfig = z.output<typeof robotSchema>;

/** A PagerDuty service (an Events API v2 integration) routes page as pagerduty:NAME on critical alerts. */
const pagerDutySchema = z.strictObject({
  name,
  /** The variable holding the integration's routing key. */
  routingKeyEnv: envName,
  /** The Events API endpoint (events.eu.pagerduty.com for EU accounts). */
  url: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
});
export type PagerDutyConfig = z.output<typeof pagerDutySchema>;
/**
 * The bot's own HTTP listener, for /metrics and the Alertmanager receiver. It starts only when one of them is on, and
 * listens on loopback unless told otherwise: metrics and alerts are for the monitoring next to the bot.
 */
const httpSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(9464),
});

const metricsSchema = z.strictObject({
  /** GET /metrics on the HTTP listener, in Prometheus's text format. Off by default. */
  enabled: z.boolean().default(false),
});

const promLabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a Prometheus label name' });

const alertmanagerSchema = z.strictObject({
  /** POST /alertmanager on the HTTP listener: Alertmanager's webhook (payload version 4). Off by default. */
  enabled: z.boolean().default(false),
  /** The bearer token Alertmanager sends (http_config.authorization.credentials), from the environment. */
  token: z
    .string()
    .min(16, { error: 'must be at least 16 characters: make one with `openssl rand -hex 32`' })
    .optional(),
  /** Or HTTP basic auth (http_config.basic_auth), the password from the environment. */
  basicAuth: z
    .strictObject({
      username: z.string().min(1),
      password: z.string().min(16, { error: 'must be at least 16 characters: make one with `openssl rand -hex 32`' }),
    })
    .optional(),
  /** The label whose value is the alert's severity. */
  severityLabel: promLabelName.default('severity'),
  /** Severity label values and what they are here; a value not listed is a warning. */
  severities: z.record(z.string(), z.enum(['info', 'warning', 'critical'])).default({
    critical: 'critical',
    page: 'critical',
    error: 'critical',
    warning: 'warning',
    info: 'info',
    none: 'info',
  }),
  /** A label holding the miner actor (f01234) the alert is about, for routes by actor. */
  actorLabel: promLabelName.optional(),
  /** Requests larger than this are refused (413) before they are read. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  /** Alertmanager's own URL (http://alertmanager:9093): Silence then also creates the silence there (API v2). */
  apiUrl: z.string().url().optional(),
});
export type AlertmanagerConfig = z.output<typeof alertmanagerSchema>;

const sshSchema = z.strictObject({
  privateKeyPath: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  passphrase: z.string().optional(),
  knownHostsFile: z.string().optional(),
  connectTimeout: duration.default('10s'),
  commandTimeout: duration.default('60s'),
  concurrency: z.number().int().min(1).max(256).default(16),
});

export const configSchema = z
  .strictObject({
    cluster: z.strictObject({
      name: z.string().min(1).default('lotus-cluster'),
      daemons: z.array(daemonSchema).min(1),
      miners: z.array(minerSchema).min(1),
      hosts: z.array(hostSchema).default([]),
    }),
    ssh: sshSchema.prefault({}),
    pledge: z
      .strictObject({
        /**
         * How long the fork's `lotus-miner sectors mypledge|mypledgeonce` may run on the miner's host before it is
         * killed there. It allocates sectors through the seal-miner, seconds for a healthy one.
         */
        forkTimeout: duration.default('5m'),
      })
      .prefault({}),
    workerEnv: z
      .strictObject({
        /**
         * After `/worker-env apply` restarts a worker, how long the bot waits for its miner to list it again in
         * WorkerStats. A worker reconnects within seconds once its miner answers; longer means it found no miner.
         */
        reconnectTimeout: duration.default('2m'),
      })
      .prefault({}),
    rbac: rbacSchema.prefault({ roles: {} }),
    /** /rollback-plan: the safe window it needs and how it reaches the miners' units (see README, Rollback). */
    rollback: z
      .strictObject({
        /** The shortest stretch with no deadline holding live sectors opening, in which a rollback may run. */
        safeWindow: duration.default('30m'),
        /** How long a step's check may take to come true (a miner stopping or starting) before the run stops. */
        checkWait: duration.default('60s'),
        /** The systemd unit of each miner, by miner name; a miner not named runs as `lotus-miner`. */
        units: z
          .record(z.string(), z.string().regex(/^[A-Za-z0-9@._-]+$/, { error: 'must be a systemd unit name' }))
          .default({}),
        /** Where the bot writes its systemd drop-ins (with sudo -n), one directory per unit. */
        dropInDir: z
          .string()
          .regex(/^\/[A-Za-z0-9._/-]*$/, { error: 'must be an absolute path' })
          .default('/etc/systemd/system'),
        /** The official lotus-miner binary on the miner hosts, for /rollback-plan official. */
        officialBinary: z
          .string()
          .regex(/^\/[A-Za-z0-9._/-]*$/, { error: 'must be an absolute path' })
          .default('/usr/local/bin/lotus-miner-official'),
      })
      .prefault({}),
    store: z
      .strictObject({
        path: z.string().min(1).default('./data/lotus-chatops.db'),
        /**
         * How long an approved execution may go without its process renewing its lease (every third of this) before
         * the long-lived bot reports it interrupted. Longer than any stall of a healthy process; short enough to hear
         * of a crash soon.
         */
        executionLease: duration
          .refine((d) => parseDuration(d) >= 3_000, { error: 'must be at least 3s' })
          .default('60s'),
        /** How long a write waits for another process's lock on the file before it fails, saying who holds it. */
        busyTimeout: duration.default('5s'),
        /**
         * A PostgreSQL database instead of the SQLite file: postgres://USER@HOST:PORT/DATABASE. Several instances may
         * share it (one leads). The password goes in `password` (from the environment), never in the URL.
         */
        url: z
          .string()
          .check((ctx) => {
            const problem = postgresUrlProblem(ctx.value);
            if (problem) ctx.issues.push({ code: 'custom', input: undefined, message: problem });
          })
          .optional(),
        /** The database user's password, e.g. ${LCOPS_PG_PASSWORD}; without it, PGPASSWORD or ~/.pgpass apply. */
        password: z.string().min(1).optional(),
        /**
         * With PostgreSQL: how long the leading instance's lease lasts without renewal (renewed every third of it). A
         * dead leader's successor leads within this plus a third.
         */
        leaderLease: duration.refine((d) => parseDuration(d) >= 3_000, { error: 'must be at least 3s' }).default('15s'),
      })
      .prefault({}),
    slack: slackSchema.optional(),
    discord: discordSchema.optional(),
    network: networkSchema.prefault({}),
    terminal: terminalSchema.prefault({}),
    alerts: alertsSchema.prefault({}),
    /** Group robots alert routes may name (wecom:NAME, dingtalk:NAME, feishu:NAME). */
    robots: z.array(robotSchema).default([]),
    /** PagerDuty services alert routes may page (pagerduty:NAME in a route's mention). */
    pagerduty: z.array(pagerDutySchema).default([]),
    http: httpSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    alertmanager: alertmanagerSchema.prefault({}),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        pretty: z.boolean().default(false),
      })
      .prefault({}),
  })
  .check((ctx) => {
    const config = ctx.value;
    const problem = (path: PropertyKey[], message: string): void => {
      ctx.issues.push({ code: 'custom', input: undefined, path, message });
    };
    const hostNames = new Set(config.cluster.hosts.map((h) => h.name));
    const minerNames = new Set(config.cluster.miners.map((m) => m.name));
    const checkApi = (value: string, kind: 'full' | 'miner', path: PropertyKey[]) => {
      try {
        parseApiInfo(value, kind);
      } catch (error) {
        // The message names the value's shape, never the token: the loader masks tokens, this must not leak them.
        problem(path, isOpsError(error) ? String(error.params.detail ?? error.message) : 'not a lotus API address');
      }
    };
    config.cluster.daemons.forEach((d, i) => checkApi(d.api, 'full', ['cluster', 'daemons', i, 'api']));
    config.cluster.miners.forEach((m, i) => checkApi(m.api, 'miner', ['cluster', 'miners', i, 'api']));
    uniqueNames(problem, config.cluster.daemons, ['cluster', 'daemons']);
    uniqueNames(problem, config.cluster.miners, ['cluster', 'miners']);
    uniqueNames(problem, config.cluster.hosts, ['cluster', 'hosts']);
    config.cluster.miners.forEach((miner, i) => {
      if (miner.host !== undefined && !hostNames.has(miner.host)) {
        problem(['cluster', 'miners', i, 'host'], `no host named "${miner.host}" under cluster.hosts`);
      }
      if (miner.roles.includes('sector-counter') && miner.sectorCounterListen === undefined) {
        problem(
          ['cluster', 'miners', i, 'sectorCounterListen'],
          'the sector-counter miner needs sectorCounterListen (its --sclisten HOST:PORT)',
        );
      }
    });
    const counters = config.cluster.miners.filter((m) => m.roles.includes('sector-counter'));
    if (new Set(counters.map((m) => m.actor)).size !== counters.length) {
      problem(
        ['cluster', 'miners'],
        'more than one sector-counter for one actor: two counters hand out the same sector numbers',
      );
    }
    config.cluster.hosts.forEach((host, i) => {
      if (host.hostKey === undefined && config.ssh.knownHostsFile === undefined) {
        problem(
          ['cluster', 'hosts', i, 'hostKey'],
          'no host key pinned: set hostKey (ssh-keygen -lf on the host) or ssh.knownHostsFile',
        );
      }
      host.workers.forEach((worker, j) => {
        if (worker.miner !== undefined && !minerNames.has(worker.miner)) {
          problem(
            ['cluster', 'hosts', i, 'workers', j, 'miner'],
            `no miner named "${worker.miner}" under cluster.miners`,
          );
        }
      });
    });
    if (
      config.cluster.hosts.length > 0 &&
      config.ssh.privateKey === undefined &&
      config.ssh.privateKeyPath === undefined
    ) {
      problem(['ssh'], 'hosts are configured but no SSH key: set ssh.privateKeyPath or ssh.privateKey');
    }
    const lag = config.alerts.thresholds;
    if (parseDuration(lag.chainSlow) >= parseDuration(lag.chainBehind)) {
      problem(['alerts', 'thresholds', 'chainBehind'], 'must be longer than chainSlow');
    }
    if (parseDuration(lag.windowPostLate) >= parseDuration(lag.windowPostCritical)) {
      problem(['alerts', 'thresholds', 'windowPostCritical'], 'must be later than windowPostLate');
    }
    if (parseDuration(lag.windowPostCritical) >= 30 * 60_000) {
      problem(['alerts', 'thresholds', 'windowPostCritical'], 'must fall inside the 30-minute deadline window');
    }
    checkOutboundAlerts(config, problem);
    if (config.slack?.enabled && config.slack.mode === 'socket' && config.slack.appToken === undefined) {
      problem(['slack', 'appToken'], 'Socket Mode needs an app-level token (xapp-…)');
    }
    if (config.slack?.enabled && config.slack.mode === 'http' && config.slack.signingSecret === undefined) {
      problem(['slack', 'signingSecret'], 'HTTP mode needs the signing secret');
    }
    const am = config.alertmanager;
    if (am.enabled && (am.token === undefined) === (am.basicAuth === undefined)) {
      problem(
        ['alertmanager'],
        'the receiver needs exactly one of token (bearer) or basicAuth, as the http_config of its webhook_configs sends',
      );
    }
  });

/** What is wrong with a store URL, in words that never repeat a password it holds; undefined when it is fine. */
function postgresUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL such as postgres://lotus_chatops@db.example:5432/lotus_chatops';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    return 'must start with postgres:// (SQLite is chosen with store.path)';
  if (url.password !== '') return 'holds a password: put it in store.password (from the environment) instead';
  if (url.hostname === '' || url.pathname.length <= 1)
    return 'must name a host and a database: postgres://USER@HOST:PORT/DATABASE';
  return undefined;
}

function uniqueNames(
  problem: (path: PropertyKey[], message: string) => void,
  items: Array<{ name: string }>,
  path: PropertyKey[],
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) problem([...path, i, 'name'], `duplicate name "${item.name}"`);
    seen.add(item.name);
  });
}

/** Robots and PagerDuty services are named once; a route names only configured ones; signing fits the platform. */
function checkOutboundAlerts(
  config: {
    robots: RobotConfig[];
    pagerduty: PagerDutyConfig[];
    alerts: { routes: Array<{ channels: string[]; mention: string[] }> };
  },
  problem: (path: PropertyKey[], message: string) => void,
): void {
  const robots = new Set<string>();
  config.robots.forEach((robot, i) => {
    const id = `${robot.platform}:${robot.name}`;
    if (robots.has(id)) problem(['robots', i, 'name'], `duplicate robot "${id}"`);
    robots.add(id);
    if (robot.platform === 'wecom' && robot.secretEnv !== undefined)
      problem(['robots', i, 'secretEnv'], 'WeCom group robots do not sign their messages; leave secretEnv out');
  });
  uniqueNames(problem, config.pagerduty, ['pagerduty']);
  const services = new Set(config.pagerduty.map((p) => p.name));
  config.alerts.routes.forEach((route, i) => {
    route.channels.forEach((channel, j) => {
      if (/^(wecom|dingtalk|feishu):/.test(channel) && !robots.has(channel))
        problem(['alerts', 'routes', i, 'channels', j], `no robot "${channel}" under robots`);
    });
    route.mention.forEach((m, j) => {
      if (m.startsWith('pagerduty:') && !services.has(m.slice('pagerduty:'.length)))
        problem(['alerts', 'routes', i, 'mention', j], `no PagerDuty service "${m.slice(10)}" under pagerduty`);
    });
  });
}

export type Config = z.output<typeof configSchema>;
export type MinerConfig = Config['cluster']['miners'][number];
export type HostConfig = Config['cluster']['hosts'][number];
export type WorkerConfig = HostConfig['workers'][number];
export type DaemonConfig = Config['cluster']['daemons'][number];
export type NetworkConfig = Config['network'];
export type ApprovalRule = z.output<typeof approvalRule>;
export type HttpConfig = Config['http'];

/**
 * The one catalogue of errors the bot can report. Every error a user may see has a code here, a message
 * template and, where there is one, the next step the operator should take. Layers below the runtime throw
 * `OpsError`; the runtime turns it into a reply. Anything that is not an `OpsError` is an internal error:
 * it is logged with a correlation id and the chat only gets a short apology with that id.
 */

type Params = Record<string, string | number | undefined>;

/**
 * What an error means for the person who asked, which decides the reply's outcome (and `exec`'s exit code) and the
 * audit event: `usage` (fix what you typed: exit 2), `refused` (not allowed, or an approval rule said no: exit 1),
 * `failed` (the work could not be done: exit 1), `internal` (a bug: shown only by its reference).
 */
export type ErrorKind = 'usage' | 'refused' | 'failed' | 'internal';

export interface CatalogueEntry {
  /** Message template; `{name}` is replaced by the parameter of that name. */
  message: string;
  /** What the operator should do about it, if anything. */
  hint?: string;
  kind: ErrorKind;
  /** How the reply's title names it, when not by its kind ("not allowed" for access control). */
  title?: string;
}

const catalogue = {
  // Input and usage
  USAGE: { message: '{detail}', kind: 'usage' },
  UNKNOWN_COMMAND: {
    message: 'Unknown command /{command}.{suggestion}',
    hint: 'Type /help for the commands you may run.',
    kind: 'usage',
  },
  INVALID_ARGUMENT: { message: '{detail}', kind: 'usage' },

  // Configuration
  CONFIG_INVALID: { message: 'The configuration has {count} problem(s):\n{detail}', kind: 'usage' },
  CONFIG_NOT_FOUND: { message: 'Configuration file {path} cannot be read: {detail}', kind: 'usage' },
  CONFIG_FILE_REFUSED: { message: 'Configuration file {path} was not read: {detail}.', kind: 'usage' },
  CONFIG_ENV_MISSING: {
    message: '{path}: environment variable ${name} is not set.',
    hint: 'Export it before starting the bot, or put the value in the file.',
    kind: 'usage',
  },

  // Access control and approvals
  FORBIDDEN: {
    message: '/{command} needs the {needed} role; you ({principal}) have {actual}.',
    hint: 'Ask an admin to add you to rbac.roles in the configuration.',
    kind: 'refused',
    title: 'not allowed',
  },
  CHANNEL_NOT_ALLOWED: {
    message: '/{command} may only be run in {allowed}.',
    kind: 'refused',
    title: 'not allowed',
  },
  APPROVAL_NOT_FOUND: {
    message: 'No approval request with id {id}.',
    hint: 'Type /approvals to list the open ones.',
    kind: 'refused',
  },
  APPROVAL_SELF: { message: 'You requested {id}; another person must approve it.', kind: 'refused' },
  APPROVAL_EXPIRED: {
    message: 'Approval request {id} expired at {expiredAt}.',
    hint: 'Run the command again to open a new request.',
    kind: 'refused',
  },
  APPROVAL_CLOSED: { message: 'Approval request {id} is already {status}.', kind: 'refused' },
  APPROVAL_ALREADY_VOTED: {
    message: 'You have already approved {id}; it needs {remaining} more approval(s) from others.',
    kind: 'refused',
  },
  APPROVER_ROLE: {
    message: 'Approving {id} needs the {needed} role; you ({principal}) have {actual}.',
    kind: 'refused',
    title: 'not allowed',
  },
  APPROVAL_REASON_REQUIRED: {
    message: 'Approving {id} needs a reason: /approvals approve {id} REASON.',
    kind: 'refused',
  },
  PLAN_INVALID: {
    message: 'The stored plan of request {id} no longer reads as this command expects ({detail}); it was not run.',
    hint: 'The bot may have been upgraded since the request was opened: run the command again for a fresh plan.',
    kind: 'refused',
  },
  ROLE_LOST: {
    message:
      'Request {id} was not run: its {as} {principal} no longer has the {needed} role under the current configuration (they have {actual}).',
    hint: 'If that is right, nothing is to be done; otherwise restore their role and run the command again.',
    kind: 'refused',
  },
  PLAN_BLOCKED: { message: 'Blocked by a pre-check: {detail}', kind: 'refused' },

  // The store
  STORE_OPEN_FAILED: {
    message: 'The store {path} cannot be opened or written: {detail}.',
    hint: 'Check that the directory exists and that {user} who runs the bot may write the file and its directory (the -wal and -shm files go beside it).',
    kind: 'usage',
  },
  STORE_DAMAGED: {
    message: 'The store {path} is damaged: {detail}. The bot writes nothing to it.',
    hint: 'Stop the bot, keep the damaged file aside for inspection, and restore the latest backup (lotus-chatops backup); or start with an empty store, which loses pending approvals and the audit trail.',
    kind: 'usage',
  },
  STORE_BUSY: {
    message: 'The store {path} is busy: {holder} holds its write lock, and it was not released in time.',
    hint: 'Try again in a moment; if it stays busy, see what that process is doing (store.busyTimeout sets how long to wait).',
    kind: 'failed',
  },
  STORE_UNREACHABLE: {
    message: 'The database {path} does not answer: {detail}.',
    hint: 'Nothing is half-written: a change under way was saved whole or not at all (/approvals and /audit show which). Check that PostgreSQL runs and that this host reaches it; the bot reconnects on its own, so try again once it is back.',
    kind: 'failed',
  },

  // Lotus JSON-RPC
  LOTUS_UNREACHABLE: {
    message: 'Lotus endpoint {endpoint} is unreachable: {detail}.',
    hint: 'Check that the process runs and that its API listens on an address this host can reach.',
    kind: 'failed',
  },
  LOTUS_TIMEOUT: { message: 'Lotus endpoint {endpoint} did not answer {method} within {ms} ms.', kind: 'failed' },
  LOTUS_UNAUTHORIZED: {
    message: 'Lotus endpoint {endpoint} refused the API token (HTTP 401).',
    hint: 'The token is wrong or was made by another node; create one on that node with `{cli} auth create-token --perm {perm}`.',
    kind: 'failed',
  },
  LOTUS_PERMISSION: {
    message: 'The token for {endpoint} may not call {method}: it needs the "{perm}" permission.',
    hint: 'Create a token with `{cli} auth create-token --perm {perm}` and put it in the endpoint.',
    kind: 'failed',
  },
  LOTUS_METHOD_UNKNOWN: {
    message: '{endpoint} does not know {method}; its lotus version is older or newer than this bot expects.',
    kind: 'failed',
  },
  LOTUS_ERROR: { message: '{method} on {endpoint} failed: {detail}', kind: 'failed' },
  LOTUS_BAD_RESPONSE: {
    message: '{method} on {endpoint} answered with a shape lotus does not document: {detail}',
    kind: 'failed',
  },
  ZERO_CONFIG_ACTOR_UNKNOWN: {
    message: 'The miner from MINER_API_INFO did not say its actor when the bot started: {detail}',
    hint: 'Start the bot again once the miner answers, or give a config file that names the miner and its actor.',
    kind: 'failed',
  },
  LOTUS_ENDPOINT_INVALID: { message: 'Cannot read the lotus endpoint "{value}": {detail}', kind: 'usage' },

  // SSH
  SSH_CONNECT_REFUSED: {
    message: 'SSH to {host} ({address}) was refused: nothing listens on port {port}.',
    kind: 'failed',
  },
  SSH_TIMEOUT: { message: 'SSH to {host} timed out after {ms} ms ({phase}).', kind: 'failed' },
  SSH_AUTH_FAILED: {
    message: "SSH to {host} as {user} failed: the server did not accept the bot's key.",
    hint: "Add the bot's public key to ~{user}/.ssh/authorized_keys on {host}.",
    kind: 'failed',
  },
  SSH_HOSTKEY_MISMATCH: {
    message: 'SSH to {host}: the host key {offered} is not the pinned one ({expected}). Connection refused.',
    hint: 'If the host was reinstalled, check the key on the host (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`) and update hostKey in the configuration.',
    kind: 'failed',
  },
  SSH_HOSTKEY_UNKNOWN: {
    message:
      'SSH to {host}: no host key is pinned, and the bot does not trust unknown keys. The host offered {offered}.',
    hint: 'Verify it on the host with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`, then set hostKey: "{offered}" for {host}.',
    kind: 'failed',
  },
  SSH_COMMAND_NOT_FOUND: { message: '{host}: command not found: {command}', kind: 'failed' },
  SSH_EXIT: { message: '{host}: `{command}` exited with {code}: {stderr}', kind: 'failed' },
  SSH_OUTPUT_TOO_LARGE: {
    message: '{host}: `{command}` printed more than {limit} bytes; output cut off.',
    kind: 'failed',
  },
  SSH_ERROR: { message: 'SSH to {host} failed: {detail}', kind: 'failed' },
  HOST_UNKNOWN: { message: 'No host named "{host}" in the configuration.', kind: 'failed' },
  WORKER_UNKNOWN: { message: 'No worker "{worker}" configured on host {host}. Known there: {known}.', kind: 'refused' },
  WORKER_NOT_MANAGED: {
    message:
      '{worker} on {host} has no unit and envFile in the configuration: the bot does not know which file and service are its.',
    hint: "Set unit (e.g. lotus-worker@pc1-0) and envFile (the unit's EnvironmentFile=) for it under cluster.hosts[].workers.",
    kind: 'refused',
  },
  WORKER_ENV_STEP: { message: 'Applying the worker environment stopped at {step}: {detail}.', kind: 'failed' },
  HOST_FACTS_UNREADABLE: {
    message: 'Could not read what {host} is: {detail}.',
    hint: 'The bot runs lscpu, free and (when present) nvidia-smi there: check that they are installed and on PATH for its user.',
    kind: 'failed',
  },

  // Cluster / domain
  MINER_UNKNOWN: { message: 'No miner named "{miner}" in the configuration. Known: {known}.', kind: 'failed' },
  ROLE_REFUSED: { message: '{detail}', kind: 'failed' },
  ALERT_UNKNOWN: {
    message: 'No alert {id}.',
    hint: 'Type /alerts to list the firing ones (ids look like A17), or give a check name: {checks}.',
    kind: 'refused',
  },
  ALERT_RESOLVED: { message: 'Alert {id} is already resolved: there is nothing to {what}.', kind: 'refused' },

  // Alertmanager (its receiver and its API v2)
  ALERTMANAGER_API_FAILED: {
    message: 'Alertmanager did not take {call}: {detail}',
    hint: 'Check alertmanager.apiUrl and that the bot can reach it.',
    kind: 'failed',
  },
  ALERTMANAGER_ALERT_GONE: {
    message: 'Alertmanager no longer knows the alert with fingerprint {fingerprint}: no silence was made there.',
    kind: 'failed',
  },

  // Chat platforms (the codes of one platform are in its adapter: slack-error.ts, discord-error.ts)
  PLATFORM_UNREACHABLE: { message: '{platform} is unreachable ({hop}): {detail}', kind: 'failed' },
  PLATFORM_DNS_FAILED: {
    message: '{platform} is unreachable ({hop}): the name {host} does not resolve ({detail}).',
    hint: 'Behind a firewall the chat platforms are reached through a proxy: set network.proxy (or HTTPS_PROXY); the proxy resolves their names itself.',
    kind: 'failed',
  },
  PLATFORM_TLS_FAILED: {
    message: '{platform} is unreachable ({hop}): TLS to {target} failed: {detail}.',
    hint: 'A proxy that inspects TLS shows its own certificate: start the bot with NODE_EXTRA_CA_CERTS=/path/to/proxy-ca.pem.',
    kind: 'failed',
  },
  PROXY_UNREACHABLE: {
    message: '{platform} is unreachable ({hop}): cannot reach the proxy {proxy}: {detail}.',
    hint: 'Check network.proxy (or HTTPS_PROXY), and that the proxy runs and accepts this host.',
    kind: 'failed',
  },
  PROXY_REFUSED: {
    message: '{platform} is unreachable ({hop}): the proxy {proxy} refused the tunnel to {target} ({detail}).',
    hint: 'Ask for CONNECT to {target} to be allowed on the proxy; if that host is reached without the proxy, list it in network.noProxy.',
    kind: 'failed',
  },
  PROXY_AUTH_FAILED: {
    message: '{platform} is unreachable ({hop}): the proxy {proxy} wants valid credentials ({detail}).',
    hint: 'Give them in network.proxy as http://USER:${PROXY_PASSWORD}@HOST:PORT (or in HTTPS_PROXY), with the password in the environment.',
    kind: 'failed',
  },

  // Alerts to group robots (WeCom, DingTalk, Feishu) and PagerDuty
  OUTBOUND_ENV_MISSING: {
    message: '{path}: environment variable ${name} is not set.',
    hint: "Robots' webhooks and secrets and PagerDuty routing keys are read from the environment only: export it before starting the bot.",
    kind: 'usage',
  },
  OUTBOUND_ENV_INVALID: {
    message: '{path}: ${name} does not hold {what}: {detail}.',
    hint: "Copy the value again from the platform's robot (or integration) settings.",
    kind: 'usage',
  },
  ROBOT_UNKNOWN: {
    message: 'No robot {robot} is configured.',
    hint: 'Add it under robots in the configuration.',
    kind: 'usage',
  },

  INTERNAL: { message: 'Something went wrong on our side.', kind: 'internal' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

/**
 * A catalogue of errors that belong to one part of the bot (an adapter's own: Slack's refused tokens, Discord's
 * refused registrations), made the same way as the core's: a code, a message template, a hint, a kind.
 */
export function errorCatalogue<const C extends Record<string, CatalogueEntry>>(entries: C) {
  return (code: keyof C & string, params: Params = {}, options: { cause?: unknown } = {}): OpsError =>
    new OpsError(code, params, { ...options, entry: entries[code] as CatalogueEntry });
}

function fill(template: string, params: Params): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    return value === undefined ? `{${name}}` : String(value);
  });
}

/** An error the bot knows how to explain. */
export class OpsError extends Error {
  readonly code: string;
  readonly params: Params;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;
  /** How a reply titles it: "failed", "refused", "not allowed". */
  readonly title: string;

  constructor(code: ErrorCode, params?: Params, options?: { cause?: unknown });
  /** An error of another catalogue (`errorCatalogue`), which brings its entry. */
  constructor(code: string, params: Params, options: { cause?: unknown; entry: CatalogueEntry });
  constructor(code: string, params: Params = {}, options: { cause?: unknown; entry?: CatalogueEntry } = {}) {
    const entry: CatalogueEntry = options.entry ?? catalogue[code as ErrorCode];
    super(fill(entry.message, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OpsError';
    this.code = code;
    this.params = params;
    this.hint = entry.hint === undefined ? undefined : fill(entry.hint, params);
    this.kind = entry.kind;
    this.title = entry.title ?? (entry.kind === 'refused' ? 'refused' : 'failed');
  }

  /** Shown to the person in full (bad input, refusals, unreachable hosts); an internal error is shown only by id. */
  get user(): boolean {
    return this.kind !== 'internal';
  }
}

export function isOpsError(error: unknown): error is OpsError {
  return error instanceof OpsError;
}

/** First line of a (possibly multi-line, Go-wrapped) message, cut to a chat-friendly length. */
export function firstLine(text: string, max = 300): string {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

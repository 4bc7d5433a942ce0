#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createApp, type App } from './app.js';
import { checkConfigFile, probeConfigFile } from './cli/check-config.js';
import { runDemo } from './cli/demo.js';
import { resolveConfig } from './cli/resolve-config.js';
import { TerminalAdapter } from './adapters/terminal/terminal-adapter.js';
import { registerCommands } from './adapters/discord/register-commands.js';
import { makeRequestThrough } from './adapters/discord/rest-options.js';
import { startChatPlatforms, type ChatPlatforms } from './cli/start-chat-platforms.js';
import { systemClock } from './core/clock.js';
import { parseDuration } from './core/duration.js';
import { ConnectionHealth } from './net/connection-health.js';
import { createPlatformTransport } from './net/platform-transport.js';
import { proxySettings } from './net/proxy-settings.js';
import { loadCommands } from './core/load-commands.js';
import { terminalPrincipal } from './adapters/terminal/identity.js';
import { splitCommandLine } from './adapters/terminal/command-line.js';
import { renderText } from './adapters/terminal/render.js';
import { isOpsError } from './core/errors.js';
import { createLogger, redactSecrets } from './core/logger.js';

const usage = `lotus-chatops: run a lotus-miner cluster from Slack, Discord or a terminal

Usage:
  lotus-chatops demo                                   the bot on a built-in simulated cluster (no tokens needed)
  lotus-chatops run [--config FILE]                    start every configured adapter
  lotus-chatops exec [--config FILE] [--as PRINCIPAL] "/command args"
                                                       run one command, print the reply
  lotus-chatops check-config --config FILE [--probe]   validate a configuration file; --probe also reaches
                                                       Slack and Discord as the bot would (through the proxy)
  lotus-chatops register-commands --config FILE [--global]
                                                       register the Discord slash commands (guild, or global)

Without --config, run and exec use lotus's own FULLNODE_API_INFO and MINER_API_INFO (one miner; you act as admin).
Exit codes: 0 ok, 1 the command failed or was refused, 2 usage or configuration error.`;

async function main(argv: string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      as: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      global: { type: 'boolean' },
      probe: { type: 'boolean' },
    },
  });
  if (subcommand === undefined || subcommand === 'help' || subcommand === '--help' || values.help) {
    process.stdout.write(`${usage}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  switch (subcommand) {
    case 'check-config':
      if (!values.config) return usageError('check-config needs --config FILE');
      return values.probe ? probeConfigFile(values.config, process.stdout) : checkConfigFile(values.config, process.stdout);
    case 'demo':
      return runDemo({ as: values.as, input: process.stdin, output: process.stdout });
    case 'register-commands':
      return registerDiscordCommands(values.config, values.global === true);
    case 'exec':
      return exec(values.config, values.as, positionals.join(' '));
    case 'run':
      return run(values.config, values.as);
    default:
      return usageError(`unknown subcommand "${subcommand}"`);
  }
}

function usageError(message: string): number {
  process.stderr.write(`lotus-chatops: ${message}\n\n${usage}\n`);
  return 2;
}

async function exec(configPath: string | undefined, as: string | undefined, line: string): Promise<number> {
  const parsed = splitCommandLine(line);
  if (!parsed) return usageError('exec needs a command, e.g. exec "/deadlines"');
  const resolved = await resolveConfig(configPath, process.env);
  const log = createLogger({ level: process.env.LOG_LEVEL ?? resolved.config.log.level });
  const app = await createApp(resolved.config, { log });
  try {
    const principal = terminalPrincipal(as ?? resolved.defaultPrincipal);
    const reply = await app.runtime.dispatch({
      principal,
      channel: { platform: 'terminal', id: 'exec', name: 'exec' },
      command: parsed.command,
      text: parsed.text,
      progress: async (text) => {
        process.stderr.write(`… ${text}\n`);
      },
    });
    process.stdout.write(`${renderText(reply)}\n`);
    if (reply.outcome === 'usage') return 2;
    return reply.outcome === 'refused' || reply.outcome === 'failed' ? 1 : 0;
  } finally {
    await app.close();
  }
}

async function run(configPath: string | undefined, as: string | undefined): Promise<number> {
  const resolved = await resolveConfig(configPath, process.env);
  const { config } = resolved;
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level, pretty: config.log.pretty });
  // The platforms' connection health: written by the adapters, read by /health and the outage announcements.
  const health = new ConnectionHealth({ clock: systemClock, log: log.child({ component: 'health' }) });
  const app = await createApp(config, { log, health });
  const stops: Array<() => Promise<void> | void> = [];
  let chat: ChatPlatforms;
  try {
    // Slack and Discord over the configured proxy (or directly), with the network section's timeouts and retries.
    chat = await startChatPlatforms({ config, app, health, log, env: process.env });
  } catch (error) {
    await shutdown(app);
    throw error;
  }
  stops.push(() => chat.stop());
  const terminalWanted = config.terminal.enabled || (!config.slack?.enabled && !config.discord?.enabled);
  let terminalDone: Promise<void> | undefined;
  if (terminalWanted) {
    const terminal = new TerminalAdapter({
      runtime: app.runtime,
      principal: terminalPrincipal(as ?? config.terminal.as ?? resolved.defaultPrincipal),
      input: process.stdin,
      output: process.stdout,
      banner: `lotus-chatops on ${config.cluster.name}. Type /help.`,
    });
    app.posters.register(terminal);
    terminalDone = terminal.start();
    stops.push(() => terminal.stop());
  }
  log.info(
    { cluster: config.cluster.name, slack: config.slack?.enabled === true, discord: config.discord?.enabled === true, terminal: terminalWanted },
    'lotus-chatops started',
  );
  await waitForShutdown(terminalDone);
  for (const stop of stops) await stop();
  await shutdown(app);
  return 0;
}

async function registerDiscordCommands(configPath: string | undefined, global: boolean): Promise<number> {
  if (!configPath) return usageError('register-commands needs --config FILE');
  const { config } = await resolveConfig(configPath, process.env);
  if (!config.discord) return usageError('register-commands needs a discord section in the configuration');
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level });
  // Through the configured proxy, like every other Discord call.
  const timeoutMs = parseDuration(config.network.timeout);
  const transport = createPlatformTransport(proxySettings(config.network, process.env), { log, connectTimeoutMs: timeoutMs });
  try {
    const summary = await registerCommands({
      config: config.discord,
      commands: await loadCommands(),
      ...(global ? { scope: 'global' as const } : {}),
      log,
      rest: { timeoutMs, retries: config.network.retries, makeRequest: makeRequestThrough(transport.fetch) },
    });
    process.stdout.write(`${summary.text}\n`);
  } finally {
    await transport.close();
  }
  return 0;
}

async function shutdown(app: App): Promise<void> {
  await app.close();
}

function waitForShutdown(terminalDone: Promise<void> | undefined): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    void terminalDone?.then(resolve);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isOpsError(error) && error.user) {
      process.stderr.write(`lotus-chatops: ${redactSecrets(error.message)}\n${error.hint ? `${redactSecrets(error.hint)}\n` : ''}`);
      process.exitCode = error.code.startsWith('CONFIG') || error.code === 'USAGE' || error.code === 'LOTUS_ENDPOINT_INVALID' ? 2 : 1;
      return;
    }
    process.stderr.write(`lotus-chatops: internal error: ${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    process.exitCode = 1;
  },
);

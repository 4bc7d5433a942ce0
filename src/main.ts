#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { splitCommandLine } from './adapters/terminal/command-line.js';
import { terminalPrincipal } from './adapters/terminal/identity.js';
import { renderText } from './adapters/terminal/render.js';
import { createApp } from './app.js';
import { resolveConfig } from './cli/resolve-config.js';
import { isOpsError } from './core/errors.js';
import { createLogger, redactSecrets } from './core/logger.js';
import { explainable } from './core/store-failure.js';

const usage = `lotus-chatops: run a lotus-miner cluster from Slack, Discord or a terminal

Usage:
  lotus-chatops demo                                   the bot on a built-in simulated cluster (no tokens needed)
  lotus-chatops run [--config FILE]                    start every configured adapter
  lotus-chatops exec [--config FILE] [--as PRINCIPAL] "/command args"
                                                       run one command, print the reply
  lotus-chatops check-config --config FILE [--probe]   validate a configuration file; --probe also reaches
                                                       Slack and Discord as the bot would (through the proxy)
  lotus-chatops healthcheck --config FILE              0 when the running bot's heartbeat is fresh (for HEALTHCHECK)
  lotus-chatops backup [--config FILE] [--force] OUT   a consistent copy of the store, taken while the bot runs
  lotus-chatops migrate --config FILE [--from-sqlite DB]
                                                       bring the store's schema up to date; --from-sqlite copies an
                                                       SQLite store's approvals and audit into PostgreSQL (store.url)
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
      force: { type: 'boolean' },
      'from-sqlite': { type: 'string' },
    },
  });
  if (subcommand === undefined || subcommand === 'help' || subcommand === '--help' || values.help) {
    process.stdout.write(`${usage}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  switch (subcommand) {
    // Each subcommand loads only what it needs: `exec` in a cron job should not pay for Bolt and discord.js.
    case 'check-config': {
      if (!values.config) return usageError('check-config needs --config FILE');
      const { checkConfigFile, probeConfigFile } = await import('./cli/check-config.js');
      return values.probe
        ? probeConfigFile(values.config, process.stdout)
        : checkConfigFile(values.config, process.stdout);
    }
    case 'demo': {
      const { runDemo } = await import('./cli/demo.js');
      return runDemo({ as: values.as, input: process.stdin, output: process.stdout });
    }
    case 'register-commands': {
      if (!values.config) return usageError('register-commands needs --config FILE');
      const { registerDiscordCommands } = await import('./cli/register-discord-commands.js');
      return registerDiscordCommands(values.config, values.global === true);
    }
    case 'exec':
      return exec(values.config, values.as, positionals.join(' '));
    case 'healthcheck': {
      if (!values.config) return usageError('healthcheck needs --config FILE');
      const { checkHeartbeat, heartbeatPath } = await import('./cli/heartbeat.js');
      const { loadConfigFile } = await import('./config/load-config.js');
      const { systemClock } = await import('./core/clock.js');
      const storePath = loadConfigFile(values.config, process.env).config.store.path;
      const result = checkHeartbeat(heartbeatPath(storePath), systemClock.now());
      (result.ok ? process.stdout : process.stderr).write(`${result.message}\n`);
      return result.ok ? 0 : 1;
    }
    case 'backup': {
      const [target] = positionals;
      if (target === undefined || positionals.length > 1) return usageError('backup needs one target FILE');
      const { backup } = await import('./cli/backup.js');
      return backup(values.config, target, { force: values.force === true, out: process.stdout, env: process.env });
    }
    case 'migrate': {
      if (!values.config) return usageError('migrate needs --config FILE');
      if (positionals.length > 0) return usageError('migrate takes no arguments besides --config and --from-sqlite');
      const { migrate } = await import('./cli/migrate.js');
      return migrate(values.config, {
        ...(values['from-sqlite'] === undefined ? {} : { fromSqlite: values['from-sqlite'] }),
        out: process.stdout,
        env: process.env,
      });
    }
    case 'run': {
      const { run } = await import('./cli/run.js');
      return run(values.config, values.as);
    }
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

// Output piped into `head` or a closed pager is not an error: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (thrown: unknown) => {
    const error = explainable(thrown);
    if (isOpsError(error) && error.user) {
      process.stderr.write(
        `lotus-chatops: ${redactSecrets(error.message)}\n${error.hint ? `${redactSecrets(error.hint)}\n` : ''}`,
      );
      process.exitCode = error.kind === 'usage' ? 2 : 1;
      return;
    }
    process.stderr.write(
      `lotus-chatops: internal error: ${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    process.exitCode = 1;
  },
);

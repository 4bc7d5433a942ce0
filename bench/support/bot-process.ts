import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot, stopChild } from './processes.js';

export interface BotProcess {
  child: ChildProcess;
  pid: number;
  /** The last few KiB of its stderr (its log), for when something goes wrong. */
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * `lotus-chatops run --config FILE` as the project builds it (dist/src/main.js), with the given environment (and node
 * options, if any). Standard input and output are pipes; stderr is kept (its tail) and never allowed to fill up.
 */
export function startBot(configPath: string, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): BotProcess {
  const main = join(projectRoot(), 'dist', 'src', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', main, 'run', '--config', configPath], {
    env: withoutProxies(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8_000);
  });
  // Reading stdin never blocks the bot; an EPIPE after it exits is not the bench's concern.
  child.stdin?.on('error', () => undefined);
  return {
    child,
    pid: child.pid as number,
    stderrTail: () => tail,
    async stop() {
      child.stdin?.end();
      await stopChild(child);
    },
  };
}

/** Everything the bench talks to is on loopback: a developer's proxy settings must not send the bot elsewhere. */
function withoutProxies(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!/^(https?|all|no)_proxy$/i.test(name)) out[name] = value;
  }
  return out;
}

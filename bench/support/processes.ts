import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder with package.json, whether this runs from dist/bench or elsewhere. */
export function projectRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    if (dirname(dir) === dir) throw new Error('the bench cannot find the project root (package.json)');
  }
}

/** VmRSS of a process from /proc/PID/status, in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Stops a child the bench started: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([done, late])) === 'late') {
    child.kill('SIGKILL');
    await done;
  }
  clearTimeout(timer);
}

export interface SimulatorProcess {
  /** The SIM_* variables config/demo.yaml reads. */
  env: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/support/simulator-process.ts (built) and waits for its endpoints. */
export async function startSimulatorProcess(options: {
  scenario?: string;
  latencyMs?: number;
  storePath: string;
}): Promise<SimulatorProcess> {
  const script = join(projectRoot(), 'dist', 'bench', 'support', 'simulator-process.js');
  const child = spawn(process.execPath, ['--enable-source-maps', script, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await firstLine(child, 60_000);
  const { env } = JSON.parse(line) as { env: Record<string, string> };
  return {
    env,
    pid: child.pid as number,
    async stop() {
      child.stdin?.end();
      const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(late);
    },
  };
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the simulator process said nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining whatever else it writes, so that it never blocks on a full pipe.
      child.stdout?.resume();
      resolve(text.slice(0, end));
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the simulator process exited (${code}) before it was ready`));
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

import { type HostFacts, hostFactsCommand, parseHostFacts } from './host-facts.js';

/** One `lotus-worker run` process on a host: its command line and (when the bot may read it) its environment. */
export interface WorkerProcess {
  pid: number;
  argv: string[];
  /** Undefined when /proc/PID/environ could not be read (another user's process, no sudo rule). */
  env: Map<string, string> | undefined;
}

export interface HostWorkers {
  facts: HostFacts;
  /** The host's own name (`hostname`): what a worker without LOTUS_WORKER_NAME is called by the miner. */
  hostname: string;
  processes: WorkerProcess[];
}

/**
 * The audit's one command per host, fixed text: the hardware facts, the host name, then for each process whose
 * command line runs `lotus-worker run`, its argv and environment, one NUL-separated field per line. The environment
 * is read directly, or with `sudo -n -u USER cat` (the README's rule) when the worker runs as another user.
 */
export const workerAuditCommand = [
  'sh',
  '-c',
  [
    hostFactsCommand[2],
    'echo @@hostname; hostname',
    // One grep reads every command line: a fork per process would cost a busy host a second of CPU per audit. The
    // pattern is written so that this script's own text does not match it (`[r]` matches an r, not "[r]"): neither
    // this shell nor another audit running on the host at the same time is taken for a worker and read.
    'for f in $(grep -las -- "lotus-worke[r]" /proc/[0-9]*/cmdline); do',
    '  d=${f%/cmdline}',
    '  [ -r "$d/cmdline" ] || continue',
    '  cmd=$(tr "\\000" " " < "$d/cmdline" 2>/dev/null) || continue',
    '  case " $cmd" in *"lotus-worke"[r]" run"*) ;; *) continue ;; esac',
    '  case "$cmd" in *"@@"*) continue ;; esac',
    '  echo "@@process ${d#/proc/}"',
    '  tr "\\000" "\\n" < "$d/cmdline"; echo',
    '  echo @@environ',
    // Piped, never captured: a shell's $(…) drops the NUL bytes that separate the variables.
    // As the process's own user through sudo when the bot is not that user (the README's LOTUS_ENVIRON rule).
    '  { cat "$d/environ" 2>/dev/null || sudo -n -u "$(stat -c %U "$d")" cat "$d/environ" 2>/dev/null || echo @@unreadable; } | tr "\\000" "\\n"; echo',
    'done',
  ].join('\n'),
] as const;

export function parseHostWorkers(host: string, output: string): HostWorkers {
  const at = output.indexOf('@@hostname');
  const facts = parseHostFacts(host, at < 0 ? output : output.slice(0, at));
  const rest = at < 0 ? '' : output.slice(at);
  const lines = rest.split('\n');
  const hostname = (lines[1] ?? host).trim() || host;
  const processes: WorkerProcess[] = [];
  let current: { pid: number; argv: string[]; env: string[]; unreadable: boolean } | undefined;
  let section: 'argv' | 'env' = 'argv';
  const flush = () => {
    if (!current) return;
    const argv = current.argv.filter((a) => a !== '');
    // A shell wrapper (sh /path/lotus-worker run …) is the worker all the same: argv from lotus-worker on.
    const from = argv.findIndex((a, i) => /(^|\/)lotus-worker$/.test(a) && argv[i + 1] === 'run');
    if (from >= 0)
      processes.push({
        pid: current.pid,
        argv: argv.slice(from),
        env: current.unreadable ? undefined : toEnv(current.env),
      });
  };
  for (const line of lines.slice(2)) {
    const proc = /^@@process (\d+)$/.exec(line);
    if (proc) {
      flush();
      current = { pid: Number(proc[1]), argv: [], env: [], unreadable: false };
      section = 'argv';
    } else if (!current) continue;
    else if (line === '@@environ') section = 'env';
    else if (line === '@@unreadable') current.unreadable = true;
    else if (section === 'argv') current.argv.push(line);
    else current.env.push(line);
  }
  flush();
  return { facts, hostname, processes };
}

function toEnv(lines: string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return env;
}

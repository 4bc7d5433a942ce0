/**
 * The distributed-miner fork chooses a miner's role by flags to `lotus-miner run`, not by config.toml: every one
 * defaults to on, so a plain `lotus-miner run` does WindowPoSt and WinningPoSt like an official miner. The original
 * patch spelled the PoSt flags --wdpost/--wnpost; later forks --window-post/--winning-post. Both are read.
 */
export interface MinerRunFlags {
  pid: number;
  windowPost: boolean;
  winningPost: boolean;
  /** `alloce` runs the sector counter; `get` asks it for numbers; absent: the miner's own counter. */
  sectorCounter: 'alloce' | 'get' | undefined;
  sectorCounterListen: string | undefined;
  /** --miner-api's port, when given (default 2345). */
  apiPort: number | undefined;
  /** The command line as ps showed it. */
  commandLine: string;
}

const booleanFlags: Record<string, 'windowPost' | 'winningPost'> = {
  'window-post': 'windowPost',
  wdpost: 'windowPost',
  'winning-post': 'winningPost',
  wnpost: 'winningPost',
};

const wrappers = /(^|\/)(sh|bash|dash|env|nohup)$/;

/**
 * The `lotus-miner run` processes in `ps -eo pid=,args=` output: a word whose base name is lotus-miner followed by
 * `run` (directly, or through a wrapper such as `/bin/sh /opt/lotus-miner run …`).
 */
export function minerRunProcesses(psOutput: string): MinerRunFlags[] {
  const found: MinerRunFlags[] = [];
  for (const line of psOutput.split('\n')) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const words = (match[2] as string).trim().split(/\s+/);
    const at = words.findIndex((w, i) => /(^|\/)lotus-miner$/.test(w) && words[i + 1] === 'run');
    // The program itself, or run by a shell or nohup; never an argument (grep lotus-miner run, tail … lotus-miner run).
    if (at < 0 || (at > 0 && !(at === 1 && wrappers.test(words[0] as string)))) continue;
    found.push(parseRunFlags(Number(match[1]), words.slice(at + 2), (match[2] as string).trim()));
  }
  return found;
}

function parseRunFlags(pid: number, args: string[], commandLine: string): MinerRunFlags {
  const flags: MinerRunFlags = {
    pid,
    windowPost: true,
    winningPost: true,
    sectorCounter: undefined,
    sectorCounterListen: undefined,
    apiPort: undefined,
    commandLine,
  };
  for (let i = 0; i < args.length; i++) {
    const match = /^--?([a-z0-9-]+)(?:=(.*))?$/.exec(args[i] as string);
    if (!match) continue;
    const name = match[1] as string;
    // urfave/cli: a boolean takes its value only after "="; other flags take "=value" or the next word.
    const inline = match[2];
    const value = () => inline ?? args[++i];
    const bool = booleanFlags[name];
    if (bool) flags[bool] = inline === undefined ? true : !/^(false|0|f)$/i.test(inline);
    else if (name === 'sctype') {
      const v = value();
      flags.sectorCounter = v === 'alloce' || v === 'get' ? v : undefined;
    } else if (name === 'sclisten') flags.sectorCounterListen = value();
    else if (name === 'miner-api') {
      const port = Number(value());
      flags.apiPort = Number.isInteger(port) ? port : undefined;
    }
  }
  return flags;
}

/** FULLNODE_API_INFO from a /proc/PID/environ (NUL-separated); nothing else of it is kept. */
export function fullNodeApiInfo(environ: string): string | undefined {
  for (const entry of environ.split('\0')) if (entry.startsWith('FULLNODE_API_INFO=')) return entry.slice(18);
  return undefined;
}

import { createHash } from 'node:crypto';

/** A change to one variable of a worker's environment file. `to` undefined removes it. */
export interface EnvChange {
  name: string;
  /** Absent: not in the file (it is stored as JSON, where undefined is left out). */
  from?: string | undefined;
  to?: string | undefined;
  reason: string;
}

const line = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** The variables of an EnvironmentFile (systemd's format: KEY=VALUE, # comments, optional quotes). */
export function readEnvFile(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const raw of text.split('\n')) {
    if (/^\s*(#|;|$)/.test(raw)) continue;
    const match = line.exec(raw);
    if (match) env.set(match[1] as string, unquote(match[2] as string));
  }
  return env;
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  return quoted ? (quoted[1] as string).replace(/\\(["\\$`])/g, '$1') : value;
}

function quote(value: string): string {
  return /^[A-Za-z0-9_./:@,+=-]*$/.test(value) ? value : `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

/**
 * The file with the changes made: a changed variable keeps its place (and its comments around it), a removed one is
 * dropped, a new one is appended under a note saying who added it and when.
 */
export function applyEnvChanges(text: string, changes: readonly EnvChange[], note: string): string {
  const byName = new Map(changes.map((c) => [c.name, c]));
  const done = new Set<string>();
  const out: string[] = [];
  for (const raw of text.replace(/\n$/, '').split('\n')) {
    const match = /^\s*#/.test(raw) ? null : line.exec(raw);
    const change = match ? byName.get(match[1] as string) : undefined;
    if (!change) {
      out.push(raw);
      continue;
    }
    done.add(change.name);
    if (change.to !== undefined) out.push(`${change.name}=${quote(change.to)}`);
  }
  const added = changes.filter((c) => !done.has(c.name) && c.to !== undefined);
  if (added.length > 0) out.push(`# ${note}`, ...added.map((c) => `${c.name}=${quote(c.to as string)}`));
  return `${out.join('\n')}\n`;
}

/** A fingerprint of the file as planned: execution refuses to write over a file that changed since. */
export function envFileHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Variables whose value is a secret: shown by their shape only. MINER_API_INFO keeps its address. */
export function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (/_API_INFO$/.test(name)) {
    const colon = value.indexOf(':');
    return colon > 0 ? `<token>:${value.slice(colon + 1)}` : '<token>';
  }
  if (/TOKEN|SECRET|PASSWORD|KEY$/i.test(name)) return '<hidden>';
  return value;
}

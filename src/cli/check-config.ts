import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { checkConfigText } from '../config/load-config.js';

/** `check-config`: every problem with its path and line, or a short summary of what the file sets up. */
export function checkConfigFile(path: string, out: Writable, env: NodeJS.ProcessEnv = process.env): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    out.write(`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return 2;
  }
  const { config, problems } = checkConfigText(text, env);
  if (problems.length > 0 || !config) {
    out.write(`${path}: ${problems.length} problem(s)\n`);
    for (const p of problems) out.write(`  ${p.line ? `line ${p.line}: ` : ''}${p.path}: ${p.message}\n`);
    return 2;
  }
  const adapters = [
    config.slack?.enabled ? `Slack (${config.slack.mode} mode)` : undefined,
    config.discord?.enabled ? 'Discord' : undefined,
    config.terminal.enabled ? 'terminal' : undefined,
  ].filter(Boolean);
  const roleCount = (['admin', 'operator', 'viewer'] as const).map((r) => `${config.rbac.roles[r].length} ${r}`).join(', ');
  out.write(
    [
      `${path}: OK`,
      `  cluster ${config.cluster.name}: ${config.cluster.daemons.length} daemon(s), ${config.cluster.miners.length} miner(s), ${config.cluster.hosts.length} host(s), ${config.cluster.hosts.reduce((n, h) => n + h.workers.length, 0)} worker(s)`,
      ...config.cluster.miners.map((m) => `  miner ${m.name} (${m.actor}): ${m.roles.join(', ')}`),
      `  adapters: ${adapters.length ? adapters.join(', ') : 'none (run starts the terminal)'}`,
      `  rbac: ${roleCount}`,
      `  store: ${config.store.path}`,
    ].join('\n') + '\n',
  );
  return 0;
}

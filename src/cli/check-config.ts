import type { Writable } from 'node:stream';
import { discordProbeTargets } from '../adapters/discord/discord-probe.js';
import { slackProbeTargets } from '../adapters/slack/slack-probe.js';
import { checkConfigText, loadConfigFile, readConfigFile } from '../config/load-config.js';
import { parseDuration } from '../core/duration.js';
import { isOpsError } from '../core/errors.js';
import { redactSecrets, silentLogger } from '../core/logger.js';
import { createPlatformTransport } from '../net/platform-transport.js';
import { formatProbe, probeEndpoints } from '../net/probe-platforms.js';
import { describeProxy, proxySettings } from '../net/proxy-settings.js';
import { outboundTargets } from './start-outbound-alerts.js';

/** `check-config`: every problem with its path and line, or a short summary of what the file sets up. */
export function checkConfigFile(path: string, out: Writable, env: NodeJS.ProcessEnv = process.env): number {
  let text: string;
  try {
    text = readConfigFile(path);
  } catch (error) {
    if (!isOpsError(error)) throw error;
    out.write(`${error.message}\n`);
    return 2;
  }
  const { config, problems, more } = checkConfigText(text, env);
  if (problems.length > 0 || !config) {
    out.write(
      `${path}: ${problems.length + more} problem(s)${more > 0 ? `, the first ${problems.length} below` : ''}\n`,
    );
    for (const p of problems) out.write(`  ${p.line ? `line ${p.line}: ` : ''}${p.path}: ${p.message}\n`);
    if (more > 0) out.write(`  … and ${more} more\n`);
    return 2;
  }
  // The robots' webhooks and secrets and PagerDuty's routing keys: named by the file, read from the environment.
  let outbound: string | undefined;
  if (config.robots.length > 0 || config.pagerduty.length > 0) {
    try {
      outboundTargets(config, env);
    } catch (error) {
      if (!isOpsError(error)) throw error;
      out.write(`${path}: ${error.message}${error.hint ? `\n  ${error.hint}` : ''}\n`);
      return 2;
    }
    outbound = [
      config.robots.length > 0 ? `robots ${config.robots.map((r) => `${r.platform}:${r.name}`).join(', ')}` : '',
      config.pagerduty.length > 0 ? `PagerDuty ${config.pagerduty.map((p) => p.name).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  }
  const adapters = [
    config.slack?.enabled ? `Slack (${config.slack.mode} mode)` : undefined,
    config.discord?.enabled ? 'Discord' : undefined,
    config.terminal.enabled ? 'terminal' : undefined,
  ].filter(Boolean);
  const roleCount = (['admin', 'operator', 'viewer'] as const)
    .map((r) => `${config.rbac.roles[r].length} ${r}`)
    .join(', ');
  out.write(
    [
      `${path}: OK`,
      `  cluster ${config.cluster.name}: ${config.cluster.daemons.length} daemon(s), ${config.cluster.miners.length} miner(s), ${config.cluster.hosts.length} host(s), ${config.cluster.hosts.reduce((n, h) => n + h.workers.length, 0)} worker(s)`,
      ...config.cluster.miners.map((m) => `  miner ${m.name} (${m.actor}): ${m.roles.join(', ')}`),
      `  adapters: ${adapters.length ? adapters.join(', ') : 'none (run starts the terminal)'}`,
      `  rbac: ${roleCount}`,
      `  store: ${config.store.path}`,
      `  chat platforms: ${networkLine(config.network, env)}`,
      ...(outbound ? [`  alerts also to: ${outbound} (their variables are set)`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}

/** How chat-platform traffic would leave, from the config and the environment, without going online. */
function networkLine(network: Parameters<typeof proxySettings>[0], env: NodeJS.ProcessEnv): string {
  let settings: ReturnType<typeof proxySettings>;
  try {
    settings = proxySettings(network, env);
  } catch (error) {
    return `not usable: ${error instanceof Error ? error.message.replace(/^The configuration has 1 problem\(s\):\n/, '') : String(error)}`;
  }
  if (!settings.proxy) return 'reached directly (no network.proxy, no HTTPS_PROXY); check-config --probe tries them';
  const from = settings.source === 'config' ? 'network.proxy' : 'HTTPS_PROXY';
  const except = settings.noProxy.length ? `, except ${settings.noProxy.join(', ')}` : '';
  return `through the proxy ${describeProxy(settings.proxy)} (from ${from})${except}; check-config --probe tries them`;
}

/**
 * `check-config --probe`: the plain check, then every chat-platform endpoint tried the way the bot would reach it
 * (through network.proxy or HTTPS_PROXY, unless NO_PROXY names it), saying which hop failed: DNS, the proxy
 * (unreachable, refused, wanting credentials), TLS, or the platform's refusal of the bot's credentials. Exit 0 when
 * every endpoint answered, 1 when one did not, 2 for a configuration problem. The plain check never goes online.
 */
export async function probeConfigFile(
  path: string,
  out: Writable,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const checked = checkConfigFile(path, out, env);
  if (checked !== 0) return checked;
  const config = loadConfigFile(path, env).config;
  const settings = proxySettings(config.network, env);
  const timeoutMs = parseDuration(config.network.timeout);
  const transport = createPlatformTransport(settings, { log: silentLogger(), connectTimeoutMs: timeoutMs });
  try {
    const targets = [
      ...(config.slack?.enabled ? slackProbeTargets(config.slack, transport, timeoutMs) : []),
      ...(config.discord?.enabled ? discordProbeTargets(config.discord, transport, timeoutMs) : []),
    ];
    if (targets.length === 0) {
      out.write('No chat platform is enabled: nothing to probe.\n');
      return 0;
    }
    const route = settings.proxy
      ? `through the proxy ${describeProxy(settings.proxy)} (from ${settings.source === 'config' ? 'network.proxy' : 'HTTPS_PROXY'})`
      : 'directly (no proxy set)';
    out.write(
      `Probing the chat platforms ${route}${settings.noProxy.length ? `; not through it: ${settings.noProxy.join(', ')}` : ''}:\n`,
    );
    const probes = await probeEndpoints(settings, targets, timeoutMs);
    out.write(`${redactSecrets(formatProbe(probes))}\n`);
    const failed = probes.filter((p) => !p.ok);
    out.write(failed.length === 0 ? 'Every endpoint answered.\n' : `${failed.length} endpoint(s) failed.\n`);
    return failed.length === 0 ? 0 : 1;
  } finally {
    await transport.close();
  }
}

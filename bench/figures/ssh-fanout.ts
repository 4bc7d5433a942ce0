import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { ClusterServices } from '../../src/cluster/cluster-services.js';
import { forEachHost } from '../../src/ssh/for-each-host.js';
import { HostExecutor } from '../../src/ssh/host-executor.js';
import { quoteArgv } from '../../src/ssh/quote-argv.js';
import type { SshHost } from '../../src/ssh/ssh-host.js';
import { SshPool } from '../../src/ssh/ssh-pool.js';
import { recommendWorkerEnv } from '../../src/workers/worker-env-recommend.js';
import { workerAuditCommand } from '../../src/workers/worker-processes.js';
import type { FigureResult, Row } from '../lib/report.js';
import { formatMs, median, round, spread, timed } from '../lib/stats.js';
import { sshdMissing, startSshdFarm } from '../support/sshd-farm.js';

const run = promisify(execFile);
const HOSTS = 100;
const CONCURRENCY = 16;
const PSSH = '/usr/bin/parallel-ssh';

/**
 * What `/worker-env audit` runs on each host: the hardware facts (lscpu, free, nvidia-smi when present), then every
 * lotus-worker process's command line and environment. One remote command, the same for all three contenders (ours
 * wraps it in `timeout -s KILL`, as HostExecutor always does).
 */
const argv = [...workerAuditCommand];
const remote = quoteArgv(argv);

interface Pass {
  ms: number;
  ok: number;
  bytes: number;
}

/** A host's answer is right when it has the hardware facts and got as far as the process list. */
function looksRight(stdout: string): boolean {
  return stdout.includes('@@topology') && stdout.includes('@@hostname');
}

/** Figure 2: the SSH fan-out seam of `/worker-env audit` over 100 sshd "hosts" on loopback. */
export async function sshFigure(options: { runs: number }): Promise<FigureResult> {
  const started = performance.now();
  const missing = sshdMissing();
  if (missing !== undefined) {
    return {
      id: 'ssh',
      title: '2. SSH fan-out, 100 hosts',
      rows: [],
      skipped: `needs a real OpenSSH server: ${missing}`,
      details: { reason: missing },
      durationMs: performance.now() - started,
    };
  }
  const farm = await startSshdFarm(HOSTS);
  try {
    const hosts: SshHost[] = farm.ports.map((port, i) => ({
      name: `host-${String(i).padStart(3, '0')}`,
      address: '127.0.0.1',
      port,
      user: farm.user,
      hostKey: farm.hostKeyFingerprint,
    }));
    const hasPssh = existsSync(PSSH);
    let runIndex = 0;
    // A fresh, empty known_hosts per pass for the OpenSSH client (StrictHostKeyChecking off, as the issue says).
    const knownHosts = async () => {
      const path = join(farm.dir, `known_hosts_${runIndex++}`);
      await writeFile(path, '');
      return path;
    };
    const sshOptions = (kh: string) => [
      '-F',
      'none',
      '-i',
      farm.clientKeyPath,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      `UserKnownHostsFile=${kh}`,
      '-o',
      'LogLevel=ERROR',
    ];

    let warmMs: number[] = [];
    // Ours: forEachHost + HostExecutor over a fresh SshPool (an audit after the pool's idle close connects anew);
    // then once more over the same pool, connections kept (an audit right after another).
    const ours = async (): Promise<Pass> => {
      const pool = new SshPool({ credentials: { privateKeyPath: farm.clientKeyPath }, connectTimeoutMs: 10_000 });
      const executor = new HostExecutor(pool, { defaultTimeoutMs: 60_000 });
      const pass = () =>
        forEachHost(hosts, (host, signal) => executor.runChecked(host, argv, { signal }), { concurrency: CONCURRENCY });
      try {
        const { ms, value: outcomes } = await timed(pass);
        const warm = await timed(pass);
        warmMs.push(warm.ms);
        let ok = 0;
        let bytes = 0;
        for (const o of outcomes) {
          if (o.ok && looksRight(o.value.stdout)) ok++;
          if (o.ok) bytes += o.value.stdout.length;
        }
        return { ms, ok, bytes };
      } finally {
        await pool.close();
      }
    };
    // A shell loop over the OpenSSH client: one `ssh` per host, each waiting for the previous one.
    const sshLoop = async (): Promise<Pass> => {
      const kh = await knownHosts();
      const { ms, value } = await timed(async () => {
        let ok = 0;
        let bytes = 0;
        for (const port of farm.ports) {
          try {
            const args = [...sshOptions(kh), '-p', String(port), `${farm.user}@127.0.0.1`, remote];
            const { stdout } = await run('/usr/bin/ssh', args, { maxBuffer: 16 << 20 });
            if (looksRight(stdout)) ok++;
            bytes += stdout.length;
          } catch {
            // Counted as not ok.
          }
        }
        return { ok, bytes };
      });
      return { ms, ...value };
    };
    // parallel-ssh (Debian pssh) at the same concurrency, each host's output saved to a file.
    const pssh = async (): Promise<Pass> => {
      const kh = await knownHosts();
      const out = join(farm.dir, `pssh-out-${runIndex}`);
      await rm(out, { recursive: true, force: true });
      await mkdir(out);
      const hostsFile = join(farm.dir, 'pssh-hosts');
      await writeFile(hostsFile, farm.ports.map((p) => `${farm.user}@127.0.0.1:${p}`).join('\n') + '\n');
      const { ms } = await timed(() =>
        run(
          PSSH,
          ['-h', hostsFile, '-p', String(CONCURRENCY), '-t', '60', '-o', out, '-x', sshOptions(kh).join(' '), remote],
          { maxBuffer: 16 << 20 },
        ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' })),
      );
      let ok = 0;
      let bytes = 0;
      for (const file of await readdir(out)) {
        const text = await readFile(join(out, file), 'utf8');
        bytes += text.length;
        if (looksRight(text)) ok++;
      }
      return { ms, ok, bytes };
    };

    // What a login costs the OpenSSH client with its default key exchange (OpenSSH 9.x: the post-quantum hybrid
    // sntrup761x25519) and with curve25519-sha256, the one ssh2 (ours) negotiates: so that a reader can tell how much
    // of the difference is the design and how much the cryptography.
    const perLogin = async (extra: string[]): Promise<number> => {
      const kh = await knownHosts();
      const port = String(farm.ports[0]);
      const { ms } = await timed(async () => {
        for (let i = 0; i < 10; i++) {
          await run('/usr/bin/ssh', [...sshOptions(kh), ...extra, '-p', port, `${farm.user}@127.0.0.1`, 'true']);
        }
      });
      return ms / 10;
    };

    // `/worker-env recommend` on one host, as the command runs it: its SSH commands counted at the cluster seam.
    const recommendOnce = async (): Promise<{ ms: number; commands: number; workers: number }> => {
      const pool = new SshPool({ credentials: { privateKeyPath: farm.clientKeyPath }, connectTimeoutMs: 10_000 });
      const executor = new HostExecutor(pool, { defaultTimeoutMs: 60_000 });
      const [host] = hosts;
      let commands = 0;
      const cluster = {
        topology: {
          name: 'bench',
          daemons: [],
          miners: [{ name: 'seal-miner', api: 'TOKEN:/ip4/127.0.0.1/tcp/2345/http', roles: ['seal'] }],
          hosts: [{ ...host, workers: [] }],
        },
        runOnHost: (_name: string, command: readonly string[], runOptions?: { maxOutputBytes?: number }) => {
          commands++;
          return executor.run(host as SshHost, command, runOptions);
        },
      } as unknown as ClusterServices;
      try {
        const { ms, value } = await timed(() =>
          recommendWorkerEnv(cluster, { host: host?.name ?? '', kind: 'pc1', sector: '32G' }),
        );
        return { ms, commands, workers: value.attachments?.length ?? 0 };
      } finally {
        await pool.close();
      }
    };

    // Warm-up: page cache, sshd's first re-exec, the JIT.
    await ours();
    warmMs = [];
    const loginMs = {
      opensshDefault: await perLogin([]),
      curve25519: await perLogin(['-o', 'KexAlgorithms=curve25519-sha256']),
    };
    // The sequential loop is slow (a login at a time) and steady: at most 2 runs of it keep the bench short.
    const loopRuns = Math.min(options.runs, 2);
    const samples = { ours: [] as Pass[], sshLoop: [] as Pass[], pssh: [] as Pass[] };
    for (let i = 0; i < options.runs; i++) {
      samples.ours.push(await ours());
      if (i < loopRuns) samples.sshLoop.push(await sshLoop());
      if (hasPssh) samples.pssh.push(await pssh());
    }

    const recommends = [];
    for (let i = 0; i < options.runs; i++) recommends.push(await recommendOnce());
    const ms = (list: Pass[]) => median(list.map((p) => p.ms));
    const okOf = (list: Pass[]) => Math.min(...list.map((p) => p.ok));
    const range = (list: Pass[]) => {
      const r = spread(list.map((p) => p.ms));
      return `${formatMs(r.min)}–${formatMs(r.max)}`;
    };
    const o = ms(samples.ours);
    const warm = median(warmMs);
    const l = ms(samples.sshLoop);
    const common = `${HOSTS} hosts on ${farm.processes} sshd processes`;
    const kexNote =
      `one OpenSSH login: ${formatMs(loginMs.opensshDefault)} with its default kex (sntrup761x25519), ` +
      `${formatMs(loginMs.curve25519)} with curve25519 as ours negotiates`;
    const rows: Row[] = [
      {
        figure: `2. SSH fan-out, ${HOSTS} hosts (cold)`,
        ours: { value: round(o), unit: 'ms', text: formatMs(o) },
        baseline: { value: round(l), unit: 'ms', text: formatMs(l), name: 'sequential ssh loop' },
        ratio: o / l,
        notes:
          `${common}; ours: forEachHost+HostExecutor at ${CONCURRENCY}, new connections, ` +
          `median of ${options.runs} (${range(samples.ours)}), ${okOf(samples.ours)}/${HOSTS} ok, ` +
          `${formatMs(warm)} again over the pooled connections; ` +
          `loop: median of ${loopRuns} (${range(samples.sshLoop)}), ${okOf(samples.sshLoop)}/${HOSTS} ok; ${kexNote}`,
      },
    ];
    if (hasPssh) {
      const p = ms(samples.pssh);
      rows.push({
        figure: `2. SSH fan-out vs parallel-ssh`,
        ours: { value: round(o), unit: 'ms', text: formatMs(o) },
        baseline: { value: round(p), unit: 'ms', text: formatMs(p), name: `parallel-ssh -p ${CONCURRENCY}` },
        ratio: o / p,
        notes:
          `${common}; pssh: median of ${options.runs} (${range(samples.pssh)}), ` +
          `${okOf(samples.pssh)}/${HOSTS} ok, default OpenSSH kex`,
      });
    } else {
      rows.push({
        figure: '2. SSH fan-out vs parallel-ssh',
        ours: { value: round(o), unit: 'ms', text: formatMs(o) },
        baseline: { value: Number.NaN, unit: 'ms', text: 'not installed', name: 'parallel-ssh' },
        ratio: Number.NaN,
        notes: `${PSSH} not installed (apt-get install pssh)`,
      });
    }
    const recommendMs = median(recommends.map((r) => r.ms));
    const recommendCommands = Math.max(...recommends.map((r) => r.commands));
    rows.push({
      figure: '2. /worker-env recommend, one host',
      ours: { value: recommendCommands, unit: 'commands', text: `${recommendCommands} SSH command(s)` },
      baseline: { value: 2, unit: 'commands', text: '2 round trips', name: "the issue's bound" },
      ratio: recommendCommands / 2,
      notes:
        `this machine's own lscpu, free and (absent) nvidia-smi over a new connection; ` +
        `${formatMs(recommendMs)} median of ${recommends.length} including the login; ` +
        `${recommends[0]?.workers ?? 0} PC1 worker(s) proposed`,
    });
    return {
      id: 'ssh',
      title: '2. SSH fan-out, 100 hosts',
      rows,
      details: {
        hosts: HOSTS,
        sshdProcesses: farm.processes,
        concurrency: CONCURRENCY,
        remoteCommand: remote,
        runs: { ours: options.runs, sshLoop: loopRuns, pssh: hasPssh ? options.runs : 0 },
        opensshLoginMs: { default: round(loginMs.opensshDefault), curve25519: round(loginMs.curve25519) },
        samples,
        oursPooledAgainMs: warmMs,
        medianMs: {
          oursCold: round(o),
          oursPooled: round(warm),
          sshLoop: round(l),
          pssh: hasPssh ? round(ms(samples.pssh)) : null,
        },
        parallelSsh: hasPssh ? PSSH : 'not installed',
        recommend: recommends,
      },
      durationMs: performance.now() - started,
    };
  } finally {
    await farm.stop();
  }
}

import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import { parseApiInfo } from '../../src/lotus/api-info.js';
import type { SimulatedCluster } from '../../src/simulator/start-simulator.js';
import { eventually } from './eventually.js';
import { closedPort, type TestSshd } from './sshd.js';

function listening(port: number): Promise<void> {
  return eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
  );
}

/**
 * The four miners of the demo on one real sshd host, each a stand-in `lotus-miner run` process started by a stand-in
 * `systemctl` from its unit (and the bot's drop-in, when there is one). The stand-in forwards its `--miner-api` port
 * to the simulated miner, so that the miner's API answers exactly while its process runs: stopping the unit takes
 * the API down, as on a real host. `lotus-miner storage attach` and `init` write the repo files lotus would.
 */

export const unitOf = {
  'winning-post-miner': 'wnpost-miner',
  'window-post-miner': 'wdpost-miner',
  'seal-miner': 'seal-miner',
  'deal-miner': 'deal-miner',
} as const;
export type MinerName = keyof typeof unitOf;

const flagsOf: Record<MinerName, string> = {
  'winning-post-miner': '--window-post=false --winning-post=true --p2p=false --sctype=alloce --sclisten=127.0.0.1:1357',
  'window-post-miner': '--window-post=true --winning-post=false --p2p=false --sctype=get --sclisten=127.0.0.1:1357',
  'seal-miner': '--window-post=false --winning-post=false --p2p=false --sctype=get --sclisten=127.0.0.1:1357',
  'deal-miner': '--window-post=false --winning-post=false --p2p=true --sctype=get --sclisten=127.0.0.1:1357',
};

const storageOf: Record<MinerName, string[]> = {
  'winning-post-miner': ['/storage/store'],
  'window-post-miner': ['/storage/store'],
  'seal-miner': ['/storage/sealing', '/storage/store'],
  'deal-miner': ['/storage/deal-sealing', '/storage/deal-store'],
};

/**
 * What this sshd's miner processes carry in their `--unit-tag` after the unit (`wnpost-miner@TAG`): test files run
 * at the same time on one machine, each with its own sshd, and one file's `systemctl stop` or clean-up must never
 * kill another's miners.
 */
export function unitTagSuffix(sshd: TestSshd): string {
  return basename(dirname(sshd.scratchDir)).replace(/[^A-Za-z0-9]/g, '');
}

/** The `--unit-tag` value of a unit's miner on this sshd, e.g. `wnpost-miner@lcopssshdMoTP5b`. */
export function unitTag(sshd: TestSshd, unit: string): string {
  return `${unit}@${unitTagSuffix(sshd)}`;
}

/** Stops every stand-in miner of this sshd (a test's clean-up), and no other's. */
export function stopAllMiners(sshd: TestSshd): string[] {
  return ['sh', '-c', `pkill -f "unit-tag=[^ ]*@${unitTagSuffix(sshd)}( |$)" || true`];
}

/** Installs the stand-in programs on the test host (once per sshd). */
export async function installRollbackStandIns(sshd: TestSshd): Promise<void> {
  const tag = unitTagSuffix(sshd);
  const dir = sshd.scratchDir;
  const node = process.execPath;
  // The API forwarder: listens on --miner-api and pipes every connection to --target.
  await writeFile(
    join(sshd.binDir, 'miner-forward.cjs'),
    `const net = require('node:net');
const arg = (name) => (process.argv.find((a) => a.startsWith('--' + name + '=')) || '').split('=')[1];
net.createServer((c) => { const u = net.connect(Number(arg('target')), '127.0.0.1'); c.pipe(u).pipe(c); u.on('error', () => c.destroy()); c.on('error', () => u.destroy()); })
  .listen(Number(arg('miner-api')), '127.0.0.1');
`,
    { mode: 0o644 },
  );
  await sshd.program(
    'lotus-miner',
    `#!/bin/sh
case "$1" in
run) "${node}" "${sshd.binDir}/miner-forward.cjs" "$@" & wait ;;
storage)
  [ "$2" = attach ] || exit 2
  "${node}" -e 'const fs=require("fs");const f=process.argv[1];const d=JSON.parse(fs.readFileSync(f,"utf8"));d.StoragePaths.push({Path:process.argv[2]});fs.writeFileSync(f,JSON.stringify(d))' "$LOTUS_MINER_PATH/storage.json" "$3" ;;
init) mkdir -p "$LOTUS_MINER_PATH" && printf '[API]\\n  ListenAddress = "/ip4/127.0.0.1/tcp/2345/http"\\n' > "$LOTUS_MINER_PATH/config.toml" && echo '{"StoragePaths":[]}' > "$LOTUS_MINER_PATH/storage.json" ;;
*) exit 2 ;;
esac
`,
  );
  await sshd.program('sudo', '#!/bin/sh\n[ "$1" = "-n" ] && shift\n[ "$1" = "-u" ] && shift 2\nexec "$@"\n');
  // systemctl stop|start|restart UNIT: units/UNIT holds CMD; a drop-in's last ExecStart= wins, unless the unit
  // is marked IGNORE_DROPIN (a unit the bot's drop-in does not reach). HANG_STOP makes a stop hang (a stuck host).
  await sshd.program(
    'systemctl',
    `#!/bin/sh
set -u
case "$1" in daemon-reload) exit 0 ;; esac
unit="$2"; conf="${dir}/units/$unit"
[ -f "$conf" ] || { echo "Failed to $1 $unit.service: Unit $unit.service not found." >&2; exit 5; }
. "$conf"
stop() { pkill -f "unit-tag=$unit@${tag}( |\\$)" 2>/dev/null; i=0; while pgrep -f "unit-tag=$unit@${tag}( |\\$)" >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }
start() {
  run="$CMD"
  dropin="${dir}/dropins/$unit.d/zz-rollback.conf"
  if [ -f "$dropin" ] && [ "\${IGNORE_DROPIN:-0}" != 1 ]; then run=$(sed -n 's/^ExecStart=\\(..*\\)$/\\1/p' "$dropin" | tail -n 1); fi
  setsid nohup sh -c "exec $run" >/dev/null 2>&1 &
}
case "$1" in
stop) [ -f "${dir}/hang-stop-$unit" ] && sleep 600; stop ;;
start) start ;;
restart) stop; start ;;
*) exit 3 ;;
esac
exit 0
`,
  );
}

export interface RollbackHosts {
  /** The configuration change: hosts, miners on the test host with forwarded API ports, rollback settings. */
  configure(config: Config, sim: SimulatedCluster): void;
  /** Writes units, repos and drop-in directory over SSH as the bot's user, and starts every miner's unit. */
  start(
    run: (argv: string[], stdin?: string) => Promise<{ code: number; stdout: string; stderr: string }>,
  ): Promise<void>;
  repo(miner: MinerName): string;
}

/** The demo's miners (deal-miner optional) placed on the test host. */
export async function rollbackHosts(
  sshd: TestSshd,
  options: { deal?: boolean; sectorId?: number; ignoreDropIn?: MinerName[]; down?: MinerName[] } = {},
): Promise<RollbackHosts> {
  const dir = sshd.scratchDir;
  const names: MinerName[] = ['winning-post-miner', 'window-post-miner', 'seal-miner'];
  if (options.deal !== false) names.push('deal-miner');
  const ports = new Map<MinerName, number>();
  for (const name of names) ports.set(name, await closedPort());
  const targets = new Map<MinerName, number>();
  const repo = (m: MinerName) => join(dir, 'repos', m);
  return {
    repo,
    configure(config, sim) {
      config.ssh.privateKeyPath = sshd.clientKeyPath;
      config.ssh.commandTimeout = '20s';
      config.cluster.hosts.push({
        name: 'miners-host',
        address: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        hostKey: sshd.hostKeyFingerprint,
        workers: [],
      });
      config.cluster.miners = config.cluster.miners.filter((m) => names.includes(m.name as MinerName));
      for (const miner of config.cluster.miners) {
        const name = miner.name as MinerName;
        const [token] = sim.apiInfo(name, 'admin').split(':');
        const target = Number(/:(\d+)$/.exec(parseApiInfo(miner.api, 'miner')[0]?.display ?? '')?.[1]);
        targets.set(name, target);
        Object.assign(miner, {
          api: `${token}:/ip4/127.0.0.1/tcp/${ports.get(name)}/http`,
          host: 'miners-host',
          repoPath: repo(name),
          forkCommands: true,
        });
      }
      config.rollback = {
        ...config.rollback,
        units: Object.fromEntries(names.map((n) => [n, unitOf[n]])),
        dropInDir: join(dir, 'dropins'),
        checkWait: '5s',
        officialBinary: join(sshd.binDir, 'lotus-miner'),
      };
    },
    async start(run) {
      await run([
        'sh',
        '-c',
        'rm -rf "$1/units" "$1/repos" "$1/dropins"; mkdir -p "$1/units" "$1/repos" "$1/dropins"',
        'sh',
        dir,
      ]);
      for (const name of names) {
        const cmd = `${sshd.binDir}/lotus-miner run --miner-api=${ports.get(name)} --target=${targets.get(name)} --unit-tag=${unitTag(sshd, unitOf[name])} ${flagsOf[name]}`;
        const unit = `CMD="${cmd}"\nIGNORE_DROPIN=${options.ignoreDropIn?.includes(name) ? 1 : 0}\n`;
        await run(['sh', '-c', 'cat > "$1"', 'sh', join(dir, 'units', unitOf[name])], unit);
        await run(['mkdir', '-p', repo(name)]);
        const storage = JSON.stringify({ StoragePaths: storageOf[name].map((Path) => ({ Path })) });
        await run(['sh', '-c', 'cat > "$1"', 'sh', join(repo(name), 'storage.json')], storage);
        if (!options.down?.includes(name)) await run(['systemctl', 'start', unitOf[name]]);
      }
      await run(
        ['sh', '-c', 'cat > "$1"', 'sh', join(repo('winning-post-miner'), 'sectorid')],
        `${options.sectorId ?? 20_000}\n`,
      );
      // The test goes on once every started miner's API port accepts connections.
      for (const name of names.filter((n) => !options.down?.includes(n))) await listening(ports.get(name) as number);
    },
  };
}

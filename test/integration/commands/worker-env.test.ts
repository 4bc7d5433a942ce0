import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import type { Config } from '../../../src/config/schema.js';
import { requestIdOf } from '../../helpers/runtime-harness.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { closedPort, describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';
import {
  freeText,
  lscpuParsable,
  lscpuText,
  type MachineSpec,
  machines,
  nvidiaSmiText,
} from '../../helpers/worker-hosts.js';

let sshd: TestSshd;
let s: SimApp | undefined;

/** The stand-ins on the test host print what the machine of the test is. */
async function becomes(machine: MachineSpec): Promise<void> {
  const dir = sshd.scratchDir;
  await writeFile(join(dir, 'lscpu.txt'), `${lscpuText(machine)}\n`);
  await writeFile(join(dir, 'lscpu-p.txt'), `${lscpuParsable(machine)}\n`);
  await writeFile(join(dir, 'free.txt'), `${freeText(machine)}\n`);
  const gpus = nvidiaSmiText(machine);
  await writeFile(join(dir, 'nvidia-smi.txt'), gpus === undefined ? '' : `${gpus}\n`);
}

function withHost(config: Config): void {
  config.ssh.privateKeyPath = sshd.clientKeyPath;
  config.cluster.hosts.push({
    name: 'sealer-09',
    address: sshd.address,
    port: sshd.port,
    user: sshd.user,
    hostKey: sshd.hostKeyFingerprint,
    workers: [],
  });
}

describeWithSshd('/worker-env recommend over SSH', () => {
  beforeAll(async () => {
    sshd = await startSshd();
    const dir = sshd.scratchDir;
    await sshd.program(
      'lscpu',
      `#!/bin/sh\nif [ "$1" = "-p=CPU,CORE,SOCKET,NODE,CACHE" ]; then cat ${dir}/lscpu-p.txt; else cat ${dir}/lscpu.txt; fi\n`,
    );
    await sshd.program('free', `#!/bin/sh\ncat ${dir}/free.txt\n`);
    // A stand-in worker: a shell that sleeps, so that ps shows `sh …/lotus-worker run …` with the environment given.
    await sshd.program('lotus-worker', '#!/bin/sh\nsleep 600\n');
    // sudo -n [-u USER] CMD runs CMD: the test user has no sudo rights, and the rule itself is the README's to show.
    await sshd.program('sudo', '#!/bin/sh\n[ "$1" = "-n" ] && shift\n[ "$1" = "-u" ] && shift 2\nexec "$@"\n');
    // systemctl restart UNIT: kills the unit's worker and starts it again from its env file, as systemd would
    // (units/UNIT says which file and flags; IGNORE_ENV=1 plays a unit that does not read the file).
    await sshd.program(
      'systemctl',
      `#!/bin/sh
[ "$1" = restart ] || exit 3
conf="${dir}/units/$2"
[ -f "$conf" ] || { echo "Failed to restart $2.service: Unit $2.service not found." >&2; exit 5; }
. "$conf"
pkill -f "unit-tag=$2" 2>/dev/null
if [ "$IGNORE_ENV" = 1 ]; then
  setsid nohup env LOTUS_WORKER_NAME="$NAME" lotus-worker run $FLAGS --unit-tag="$2" >/dev/null 2>&1 &
else
  (set -a; . "$ENVFILE"; set +a; exec setsid nohup lotus-worker run $FLAGS --unit-tag="$2" >/dev/null 2>&1) &
fi
exit 0
`,
    );
    // No GPU: the real nvidia-smi fails when no driver answers; the stand-in prints nothing and exits as it would.
    await sshd.program(
      'nvidia-smi',
      `#!/bin/sh\nif [ -s ${dir}/nvidia-smi.txt ]; then cat ${dir}/nvidia-smi.txt; else echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9; fi\n`,
    );
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('given an EPYC 7302 with 2 TiB, then the PC1 layout says 1 producer, why, and that the FAQ’s 2 does not fit', async () => {
    await becomes(machines.epyc7302);
    s = await startSimApp({ scenario: 'small', configure: withHost });
    const reply = await s.run('victor', '/worker-env recommend sealer-09');
    const text = renderText(reply);
    expect(reply.title).toBe('Worker environment for sealer-09: 1 PC1 worker(s), 32G sectors');
    expect(text).toContain('AMD EPYC 7302 16-Core Processor: 1 socket(s), 16 cores (32 threads), 1 NUMA node(s)');
    expect(text).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1');
    expect(text).toContain('ENV_CPU_CORE_BEGIN_NUM=0');
    expect(text).toContain('ENV_CPU_CORE_END_NUM=8');
    expect(text).toMatch(/FAQ suggests FIL_PROOFS_MULTICORE_SDR_PRODUCERS=2 for an EPYC 7302/);
    // The miner's address without its token: the token never reaches a chat.
    expect(text).toMatch(/MINER_API_INFO=<TOKEN>:\/ip4\/127\.0\.0\.1\/tcp\/\d+\/http/);
    expect(text).not.toContain(s.config.cluster.miners[2]?.api.split(':')[0] as string);
    // The env file also goes as a file, the same text as its code block.
    const [file] = reply.attachments ?? [];
    expect(reply.attachments).toHaveLength(1);
    expect(file?.filename).toMatch(/^sealer-09-pc1-\d+\.env$/);
    for (const line of (file?.text ?? '').trimEnd().split('\n')) expect(text).toContain(line);
    expect(file?.text).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1\n');
  });

  it('given an 8-GPU box, then eight C2 workers, one per GPU', async () => {
    await becomes(machines.eightGpu);
    s = await startSimApp({ scenario: 'small', configure: withHost });
    const reply = await s.run('victor', '/worker-env recommend sealer-09 kind=c2');
    expect(reply.title).toBe('Worker environment for sealer-09: 8 C2 worker(s), 32G sectors');
    const text = renderText(reply);
    for (let gpu = 0; gpu < 8; gpu++) expect(text).toContain(`CUDA_VISIBLE_DEVICES=${gpu}\n`);
    expect(text).toContain('# BELLMAN_NO_GPU must be unset (not even BELLMAN_NO_GPU=0)');
    expect(reply.attachments?.map((a) => a.text.match(/CUDA_VISIBLE_DEVICES=(\d)/)?.[1])).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  });

  it('given a box without GPU, when C2 workers are asked for, then none are proposed and the reply says why', async () => {
    await becomes(machines.epyc7402);
    s = await startSimApp({ scenario: 'small', configure: withHost });
    const reply = await s.run('victor', '/worker-env recommend sealer-09 kind=c2');
    expect(reply.severity).toBe('warning');
    expect(renderText(reply)).toContain('sealer-09 has no GPU that nvidia-smi can see');
  });

  it('given a host that is not configured, then the answer names it', async () => {
    s = await startSimApp({ scenario: 'small', configure: withHost });
    const reply = await s.run('victor', '/worker-env recommend sealer-99');
    expect(reply.outcome).toBe('failed');
    expect(renderText(reply)).toContain('No host named "sealer-99" in the configuration.');
  });

  describe('/worker-env audit', () => {
    afterEach(async () => {
      await s?.app.runtime
        .services()
        .then((c) => c.runOnHost('sealer-09', ['sh', '-c', 'pkill -f "lotus-worker run" || true']));
    });

    /** Starts a stand-in lotus-worker on the test host, over SSH as the bot's user, with this environment. */
    async function startWorker(env: Record<string, string>, flags: string[]): Promise<void> {
      const cluster = await (s as SimApp).app.runtime.services();
      const assignments = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      const line = ['env', ...assignments, 'lotus-worker', 'run', ...flags].map((w) => `'${w}'`).join(' ');
      await cluster.runOnHost('sealer-09', ['sh', '-c', `setsid nohup ${line} >/dev/null 2>&1 &`]);
    }

    it('given planted drift on a host and an unreachable host, then the audit reports each finding, the summary first, and the host that failed', async () => {
      await becomes(machines.eightGpu);
      const unreachable = await closedPort();
      s = await startSimApp({
        scenario: 'small',
        configure(config) {
          withHost(config);
          const [host] = config.cluster.hosts.slice(-1);
          host?.workers.push({ name: 'sealer-02', kind: 'PC1', miner: 'seal-miner' });
          config.cluster.hosts.push({
            ...(host as Config['cluster']['hosts'][number]),
            name: 'sealer-10',
            port: unreachable,
            workers: [{ name: 'sealer-10', kind: 'C2', miner: 'seal-miner' }],
          });
        },
      });
      const api = '<secret-token>:/ip4/127.0.0.1/tcp/2345/http';
      await startWorker(
        {
          LOTUS_WORKER_NAME: 'sealer-01',
          MINER_API_INFO: api,
          FIL_PROOFS_USE_MULTICORE_SDR: '1',
          FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '4',
          ENV_CPU_CORE_BEGIN_NUM: '0',
          ENV_CPU_CORE_END_NUM: '8',
          FIL_PROOFS_PARENT_CACHE: '/data/parents',
          FIL_PROOFS_MAXIMIZE_CACHING: '1',
        },
        ['--listen=127.0.0.1:3450', '--precommit2=false', '--commit=false'],
      );
      await startWorker(
        {
          LOTUS_WORKER_NAME: 'pc1-b',
          MINER_API_INFO: api,
          FIL_PROOFS_USE_MULTICORE_SDR: '1',
          FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '3',
          ENV_CPU_CORE_BEGIN_NUM: '4',
          ENV_CPU_CORE_END_NUM: '12',
        },
        ['--listen=127.0.0.1:3451', '--precommit2=false', '--commit=false'],
      );
      await startWorker(
        {
          LOTUS_WORKER_NAME: 'c2-a',
          MINER_API_INFO: api,
          CUDA_VISIBLE_DEVICES: '0',
          BELLMAN_NO_GPU: '0',
          NUM_HANDLES: '10',
          TMPDIR: '/tmp/shared',
        },
        ['--listen=127.0.0.1:3452', '--addpiece=false', '--precommit1=false', '--precommit2=false'],
      );
      await startWorker(
        {
          LOTUS_WORKER_NAME: 'c2-b',
          MINER_API_INFO: api,
          CUDA_VISIBLE_DEVICES: '0',
          NUM_HANDLES: '10',
          NUM_KERNELS: '2',
          TMPDIR: '/tmp/shared',
        },
        ['--listen=127.0.0.1:3453', '--addpiece=false', '--precommit1=false', '--precommit2=false'],
      );
      const progress: string[] = [];
      const reply = await s.app.runtime.dispatch({
        principal: { id: 'terminal:victor', groups: [] },
        channel: { platform: 'terminal', id: 'test' },
        command: 'worker-env',
        text: 'audit',
        progress: async (text) => void progress.push(text),
      });
      const text = renderText(reply);
      expect(reply.title).toBe('Worker environments: 0 clean, 1 with drift, 1 unreachable');
      expect(text).toMatch(
        /^\[✗\] Worker environments[^\n]*\n\n2 host\(s\): 0 clean, 1 with drift, 1 unreachable; 4 worker process\(es\) read\./,
      );
      expect(progress).toContain('2 of 2 hosts read');
      expect(text).toContain('sealer-10: not read:');
      for (const finding of [
        'obsolete: rust-fil-proofs no longer reads it; drop it',
        "4: 4 producers need 5 cores in one L3 group; this host's hold 4, so 3 fits",
        'core ranges overlap: [0, 8) and [4, 12)',
        'BELLMAN_NO_GPU=0: with the bellperson these clusters run, any value, even 0, forces C2 onto the CPU; unset it',
        'missing: set NUM_KERNELS=2 before starting a C2 worker',
        '2 workers on GPU 0',
        '2 GPU workers share TMPDIR /tmp/shared',
        'missing: the ~56 GiB parent cache goes to /var/tmp/filecoin-parents',
        'the miners do not see it',
        'the miner sees it, but no lotus-worker process of that name runs here',
      ])
        expect(text).toContain(finding);
      // sealer-01 is connected to the simulated seal-miner: it is not reported as unseen.
      expect(text).not.toMatch(/sealer-01\s+✗ unseen/);
      expect(text).not.toContain('secret-token');
    });
  });

  describe('/worker-env apply and restore', () => {
    const envFile = () => join(sshd.scratchDir, 'sealer-01.env');
    const original = [
      '# sealer-01: PC1 worker',
      'LOTUS_WORKER_NAME=sealer-01',
      'MINER_API_INFO=eyJsecret.token:/ip4/127.0.0.1/tcp/2345/http',
      'FIL_PROOFS_USE_MULTICORE_SDR=1',
      'FIL_PROOFS_MULTICORE_SDR_PRODUCERS=1',
      'ENV_CPU_CORE_BEGIN_NUM=0',
      'ENV_CPU_CORE_END_NUM=4',
      'FIL_PROOFS_PARENT_CACHE=/data/parents',
      'FIL_PROOFS_MAXIMIZE_CACHING=1',
      '',
    ].join('\n');

    afterEach(async () => {
      await s?.app.runtime
        .services()
        .then((c) => c.runOnHost('sealer-09', ['sh', '-c', 'pkill -f "lotus-worker run" || true']));
    });

    /** The host's env file and unit, written and started over SSH as the bot's user would find them. */
    async function setUp(unit: { ignoreEnv?: boolean; reconnectTimeout?: string } = {}): Promise<void> {
      await becomes(machines.eightGpu);
      s = await startSimApp({
        scenario: 'small',
        configure(config) {
          withHost(config);
          if (unit.reconnectTimeout) config.workerEnv.reconnectTimeout = unit.reconnectTimeout;
          config.cluster.hosts.at(-1)?.workers.push({
            name: 'sealer-01',
            kind: 'PC1',
            miner: 'seal-miner',
            unit: 'lotus-worker@sealer-01',
            envFile: envFile(),
          });
        },
      });
      const cluster = await s.app.runtime.services();
      await cluster.runOnHost(
        'sealer-09',
        ['sh', '-c', 'mkdir -p "$1/units"; cat > "$2"', 'sh', sshd.scratchDir, envFile()],
        { stdin: original },
      );
      await cluster.runOnHost(
        'sealer-09',
        ['sh', '-c', 'cat > "$1"', 'sh', join(sshd.scratchDir, 'units', 'lotus-worker@sealer-01')],
        {
          stdin: `ENVFILE=${envFile()}\nNAME=sealer-01\nFLAGS="--listen=127.0.0.1:3450 --precommit2=false --commit=false"\nIGNORE_ENV=${unit.ignoreEnv ? 1 : 0}\n`,
        },
      );
      await cluster.runOnHost('sealer-09', ['sudo', '-n', 'systemctl', 'restart', 'lotus-worker@sealer-01']);
    }
    const fileNow = async () =>
      (await (await (s as SimApp).app.runtime.services()).runOnHost('sealer-09', ['cat', '--', envFile()])).stdout;

    it('given PC1 jobs running on the worker, then the plan names them and refuses without force', async () => {
      await setUp();
      const reply = await s!.run('alice', '/worker-env apply sealer-09 sealer-01');
      expect(reply.outcome).toBe('refused');
      expect(renderText(reply)).toMatch(
        /sealer-01 runs PC1 of sector \d+.*a restart would kill them \(add force to do it anyway\)/s,
      );
      expect(await fileNow()).toBe(original);
    });

    it('given force and a second operator, then the file is written with a backup, the worker restarted and checked, and restore puts it back', async () => {
      await setUp();
      const plan = await s!.run('alice', '/worker-env apply sealer-09 sealer-01 force');
      expect(plan.outcome).toBe('pending-approval');
      const planText = renderText(plan);
      expect(planText).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS');
      expect(planText).toContain('(removed)');
      expect(planText).not.toContain('eyJsecret');
      const done = await s!.run('bob', `/approvals approve ${requestIdOf(plan)}`);
      expect(done.title).toBe('sealer-01 runs with its new environment');
      const written = await fileNow();
      expect(written).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=3\n');
      expect(written).toContain('ENV_CPU_CORE_END_NUM=16\n');
      expect(written).toContain('MINER_API_INFO=eyJsecret.token:/ip4/127.0.0.1/tcp/2345/http\n');
      expect(written).toContain('FIL_PROOFS_PARENT_CACHE=/data/parents\n');
      expect(written).not.toContain('MAXIMIZE_CACHING');
      expect(written.startsWith('# sealer-01: PC1 worker\n')).toBe(true);
      const restore = done.actions?.find((a) => a.command.startsWith('/worker-env restore '));
      expect(restore?.command).toMatch(/^\/worker-env restore sealer-09 sealer-01 \d{8}T\d{6}Z$/);

      const back = await s!.run('alice', (restore?.command ?? '').slice(1));
      expect(back.outcome).toBe('pending-approval');
      const restored = await s!.run('bob', `/approvals approve ${requestIdOf(back)}`);
      expect(restored.title).toBe('sealer-01 runs again with its earlier environment and its miner sees it');
      expect(await fileNow()).toBe(original);
    });

    it('given a worker its miner no longer lists after the restart, then the apply fails, names the wait and offers the restore', async () => {
      await setUp({ reconnectTimeout: '1s' });
      const plan = await s!.run('alice', '/worker-env apply sealer-09 sealer-01 force');
      s!.sim.controls.removeWorker('seal-miner', 'sealer-01');
      const done = await s!.run('bob', `/approvals approve ${requestIdOf(plan)}`);
      expect(done.outcome).toBe('failed');
      expect(renderText(done)).toContain('seal-miner does not list sealer-01 1 s after the restart');
      expect(done.actions?.[0]?.command).toMatch(/^\/worker-env restore sealer-09 sealer-01 /);
      expect(await fileNow()).toContain('FIL_PROOFS_MULTICORE_SDR_PRODUCERS=3\n');
    });

    it('given a unit that does not read the file, then the check fails, says so and offers the restore', async () => {
      await setUp({ ignoreEnv: true, reconnectTimeout: '1s' });
      const plan = await s!.run('alice', '/worker-env apply sealer-09 sealer-01 force');
      const done = await s!.run('bob', `/approvals approve ${requestIdOf(plan)}`);
      expect(done.outcome).toBe('failed');
      expect(renderText(done)).toContain('does its unit read');
      expect(done.actions?.[0]?.command).toMatch(/^\/worker-env restore sealer-09 sealer-01 /);
    });
  });
});

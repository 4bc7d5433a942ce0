import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import type { Config } from '../../../src/config/schema.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../helpers/sshd.js';
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
  });

  it('given an 8-GPU box, then eight C2 workers, one per GPU', async () => {
    await becomes(machines.eightGpu);
    s = await startSimApp({ scenario: 'small', configure: withHost });
    const reply = await s.run('victor', '/worker-env recommend sealer-09 kind=c2');
    expect(reply.title).toBe('Worker environment for sealer-09: 8 C2 worker(s), 32G sectors');
    const text = renderText(reply);
    for (let gpu = 0; gpu < 8; gpu++) expect(text).toContain(`CUDA_VISIBLE_DEVICES=${gpu}\n`);
    expect(text).toContain('# BELLMAN_NO_GPU must be unset (not even BELLMAN_NO_GPU=0)');
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
});

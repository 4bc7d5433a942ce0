import { describe, expect, it } from 'vitest';
import type { ClusterServices } from '../../../../src/cluster/cluster-services.js';
import { executePledge, PLEDGE_JOURNAL } from '../../../../src/cluster/pledge/pledge-executor.js';
import { captureLog, fakeCluster } from '../../../helpers/runtime-harness.js';

/** A seal-miner whose PledgeSector answers 1001, 1002, … and then hangs on call `hangOn`, as a dying lotus would. */
function miner(hangOn: number) {
  let calls = 0;
  const cluster = {
    ...fakeCluster,
    miner: () => ({
      call: async (method: string) => {
        if (method !== 'PledgeSector') throw new Error(`unexpected ${method}`);
        calls += 1;
        if (calls >= hangOn) await new Promise(() => undefined);
        return { Miner: 1000, Number: 1000 + calls };
      },
    }),
  } as unknown as ClusterServices;
  return { cluster, calls: () => calls };
}

describe('the pledge executor', () => {
  it('given PledgeSector hangs on the third sector, then the first two are in the journal while the execution is still running', async () => {
    const { cluster, calls } = miner(3);
    const journal: Array<{ kind: string; data: Record<string, unknown> }> = [];
    void executePledge(
      {
        cluster,
        log: captureLog().log,
        progress: async () => undefined,
        journal: { append: async (kind, data) => void journal.push({ kind, data }) },
      },
      { miner: 'seal-miner', actor: 'f01000', mode: 'single', sectors: 5, via: 'api' },
    );
    while (calls() < 3) await new Promise((resolve) => setImmediate(resolve));
    // The process could die here: what lotus already returned must be on record.
    expect(journal).toEqual([
      { kind: PLEDGE_JOURNAL, data: { miner: 'seal-miner', actor: 'f01000', sectors: [1001], via: 'PledgeSector' } },
      { kind: PLEDGE_JOURNAL, data: { miner: 'seal-miner', actor: 'f01000', sectors: [1002], via: 'PledgeSector' } },
    ]);
  });
});

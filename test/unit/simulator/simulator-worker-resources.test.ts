import { describe, expect, test } from 'vitest';
import { effectiveResources, visibleGpus } from '../../../src/simulator/worker-resources.js';

describe('worker resources from env, as lotus-worker computes them', () => {
  test('without overrides PC1 runs on one core and C2 takes the GPU', () => {
    const table = effectiveResources({});
    const GiB = 2 ** 30;
    const pc1 = table['seal/v0/precommit/1']['8'];
    const c2 = table['seal/v0/commit/2']['9'];
    expect(pc1).toMatchObject({ MinMemory: 56 * GiB, MaxParallelism: 1, GPUUtilization: 0 });
    expect(c2).toMatchObject({ MaxMemory: 190 * GiB, GPUUtilization: 1, MaxParallelismGPU: 6 });
  });

  test('multicore SDR gives PC1 producers + 1 cores', () => {
    const multicore = effectiveResources({ FIL_PROOFS_USE_MULTICORE_SDR: '1' });
    expect(multicore['seal/v0/precommit/1']['8']?.MaxParallelism).toBe(4);
    const two = effectiveResources({ FIL_PROOFS_USE_MULTICORE_SDR: '1', FIL_PROOFS_MULTICORE_SDR_PRODUCERS: '2' });
    expect(two['seal/v0/precommit/1']['8']?.MaxParallelism).toBe(3);
  });

  test('<SHORT>_<SIZE>_<FIELD> overrides one size, <SHORT>_<FIELD> every size', () => {
    const table = effectiveResources({ PC1_32G_MAX_CONCURRENT: '7', GET_MAX_CONCURRENT: '3' });
    expect(table['seal/v0/precommit/1']['8']?.MaxConcurrent).toBe(7);
    expect(table['seal/v0/precommit/1']['9']?.MaxConcurrent).toBe(0);
    expect(table['seal/v0/fetch']['9']?.MaxConcurrent).toBe(3);
  });

  test('CUDA_VISIBLE_DEVICES narrows the GPUs a worker reports', () => {
    expect(visibleGpus(['A', 'B'], { CUDA_VISIBLE_DEVICES: '1' })).toEqual(['B']);
    expect(visibleGpus(['A', 'B'], {})).toEqual(['A', 'B']);
  });
});

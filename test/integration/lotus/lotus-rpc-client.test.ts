import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { FakeClock } from '../../../src/core/clock.js';
import { parseApiInfo } from '../../../src/lotus/api-info.js';
import { countRuns } from '../../../src/lotus/bitfield.js';
import { FullNodeApi } from '../../../src/lotus/full-node-api.js';
import { MinerApi } from '../../../src/lotus/miner-api.js';
import { RpcClient, type RpcClientOptions } from '../../../src/lotus/rpc-client.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/index.js';
import { opsFailure } from '../../helpers/ops-failure.js';

let sim: SimulatedCluster;
const noSleep = { sleep: async () => {} };

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'small', clock: new FakeClock() });
});
afterAll(() => sim?.close());
afterEach(async () => {
  sim.controls.clearFailures();
  sim.controls.setLatency(0);
  sim.controls.resetRequestCounts();
  for (const node of [...sim.fullNodes, ...sim.miners]) {
    sim.controls.rawResponses(node.name, null);
    sim.controls.dropResponses(node.name, false);
    await sim.controls.startNode(node.name);
  }
});

const fullApi = (apiInfo: string, options: Partial<RpcClientOptions> = {}) =>
  FullNodeApi.fromApiInfo(apiInfo, { ...noSleep, ...options });
const minerApi = (apiInfo: string, options: Partial<RpcClientOptions> = {}) =>
  MinerApi.fromApiInfo(apiInfo, { ...noSleep, ...options });

describe('given a reachable node', () => {
  test('when the bot reads the head, then it gets a validated tipset whose timestamp matches its height', async () => {
    const head = await fullApi(sim.apiInfo('daemon-internal')).chainHead();
    expect(head.Blocks[0]?.Timestamp).toBe(1598306400 + head.Height * 30);
  });

  test('when every State call is pinned to one tipset key, then they all read that tipset', async () => {
    const api = fullApi(sim.apiInfo('daemon-internal'));
    const head = await api.chainHead();
    const deadline = await api.stateMinerProvingDeadline(sim.actor, head.Cids);
    expect(deadline.CurrentEpoch).toBe(head.Height);
  });

  test('when a token of another node is used, then it fails as unauthorized with the command to make one', async () => {
    const foreign = `${sim.node('daemon-public').tokens.admin}:${sim.node('daemon-internal').multiaddr}`;
    const error = await opsFailure(fullApi(foreign).chainHead());
    expect(error.code).toBe('LOTUS_UNAUTHORIZED');
    expect(error.hint).toContain('lotus auth create-token --perm read');
    expect(error.message).not.toContain(sim.node('daemon-public').tokens.admin);
  });

  test('when a read token calls WorkerStats, then the error names the admin permission and the miner CLI', async () => {
    const error = await opsFailure(minerApi(sim.apiInfo('seal-miner', 'read')).workerStats());
    expect(error.code).toBe('LOTUS_PERMISSION');
    expect(error.params).toMatchObject({ method: 'WorkerStats', perm: 'admin', cli: 'lotus-miner' });
    expect(error.hint).toContain('lotus-miner auth create-token --perm admin');
  });

  test('when no token is given, then read methods work as lotus allows', async () => {
    const api = minerApi(sim.node('seal-miner').multiaddr);
    await expect(api.actorAddress()).resolves.toBe(sim.actor);
  });

  test('when the node does not know a method, then the error says its lotus version differs', async () => {
    const rpc = new RpcClient({ endpoints: parseApiInfo(sim.apiInfo('seal-miner'), 'miner'), api: 'miner' });
    const error = await opsFailure(rpc.call('SectorsFrobnicate', [], z.unknown()));
    expect(error.code).toBe('LOTUS_METHOD_UNKNOWN');
    expect(error.message).toContain('Filecoin.SectorsFrobnicate');
  });

  test('when lotus returns a multi-line error, then only its first line is shown', async () => {
    const message = 'loading state: bad root\n  github.com/x/y.go:12\n  more';
    sim.controls.failMethod('daemon-internal', 'StateMinerPower', message);
    const error = await opsFailure(fullApi(sim.apiInfo('daemon-internal')).stateMinerPower(sim.actor));
    expect(error.code).toBe('LOTUS_ERROR');
    expect(error.params.detail).toBe('loading state: bad root');
  });

  test('when the endpoint is a miner but the path the full node one, then the error points at the path', async () => {
    const wrongPath = fullApi(sim.apiInfo('seal-miner'));
    const error = await opsFailure(wrongPath.chainHead());
    expect(error.code).toBe('LOTUS_BAD_RESPONSE');
    expect(error.message).toContain('/rpc/v0');
  });
});

describe('given a node that answers badly', () => {
  test('when the body is not JSON, then the call fails as a bad response with the HTTP status', async () => {
    sim.controls.rawResponses('daemon-internal', { status: 200, body: '{"jsonrpc":"2.0","id":1,"resu' });
    const error = await opsFailure(fullApi(sim.apiInfo('daemon-internal')).chainHead());
    expect(error.code).toBe('LOTUS_BAD_RESPONSE');
    expect(error.message).toContain('not JSON');
  });

  test('when a result has a field of the wrong type, then the error names the method and the field path', async () => {
    sim.controls.overrideResult('daemon-internal', 'StateMinerSectorCount', { Live: '12', Active: 12, Faulty: 0 });
    const error = await opsFailure(fullApi(sim.apiInfo('daemon-internal')).stateMinerSectorCount(sim.actor));
    expect(error.code).toBe('LOTUS_BAD_RESPONSE');
    expect(error.params.method).toBe('StateMinerSectorCount');
    expect(error.params.detail).toMatch(/^field result\.Live: /);
  });

  test('when a bitfield has a zero-length run after the start, then it is rejected as lotus would', async () => {
    sim.controls.overrideResult('daemon-internal', 'StateMinerFaults', [3, 0, 2]);
    const error = await opsFailure(fullApi(sim.apiInfo('daemon-internal')).stateMinerFaults(sim.actor));
    expect(error.code).toBe('LOTUS_BAD_RESPONSE');
  });

  test('when the reply adds fields lotus may add later, then the known fields still parse', async () => {
    const count = { Live: 3, Active: 2, Faulty: 1, Future: 'x' };
    sim.controls.overrideResult('daemon-internal', 'StateMinerSectorCount', count);
    const api = fullApi(sim.apiInfo('daemon-internal'));
    await expect(api.stateMinerSectorCount(sim.actor)).resolves.toMatchObject({ Live: 3 });
  });

  test('when the node takes longer than the timeout, then the call fails with a timeout naming the call', async () => {
    sim.controls.setLatency(10_000, 'daemon-internal');
    const error = await opsFailure(fullApi(sim.apiInfo('daemon-internal'), { timeoutMs: 50, retries: 0 }).chainHead());
    expect(error.code).toBe('LOTUS_TIMEOUT');
    expect(error.params).toMatchObject({ method: 'ChainHead', ms: 50 });
  });
});

describe('given a node that is down', () => {
  test('when the bot calls it, then the error is unreachable with host:port and never the token', async () => {
    await sim.controls.stopNode('window-post-miner');
    const node = sim.node('window-post-miner');
    const error = await opsFailure(minerApi(node.apiInfo, { retries: 1 }).actorAddress());
    expect(error.code).toBe('LOTUS_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${node.port}`);
    expect(error.message).toContain('connection refused');
    expect(error.message).not.toContain(node.tokens.admin);
  });

  test('when a second endpoint is listed, then the call fails over to it and stays there', async () => {
    await sim.controls.stopNode('daemon-internal');
    const api = fullApi(`${sim.apiInfo('daemon-internal')},${sim.apiInfo('daemon-public')}`);
    await expect(api.chainHead()).resolves.toMatchObject({ Height: expect.any(Number) });
    await api.version();
    expect(sim.controls.requestCounts('daemon-public')).toEqual({ ChainHead: 1, Version: 1 });
    expect(api.rpc.counters().requests).toBe(3);
  });

  test('when a read loses its reply, then it is retried with backoff', async () => {
    sim.controls.dropResponses('seal-miner', true);
    const delays: number[] = [];
    const sleep = async (ms: number) => void delays.push(ms);
    const api = minerApi(sim.apiInfo('seal-miner'), { retries: 2, backoffMs: 100, sleep });
    const error = await opsFailure(api.sectorsSummary());
    expect(error.code).toBe('LOTUS_UNREACHABLE');
    expect(sim.controls.requestCounts('seal-miner')).toEqual({ SectorsSummary: 3 });
    expect(delays).toEqual([100, 200]);
  });

  test('when PledgeSector loses its reply, then it is not sent again: exactly one sector was created', async () => {
    const api = minerApi(sim.apiInfo('seal-miner'), { retries: 5 });
    const before = (await api.sectorsSummary()).Packing ?? 0;
    sim.controls.dropResponses('seal-miner', true);
    const error = await opsFailure(api.pledgeSector());
    sim.controls.dropResponses('seal-miner', false);
    expect(error.code).toBe('LOTUS_UNREACHABLE');
    expect(sim.controls.requestCounts('seal-miner').PledgeSector).toBe(1);
    expect((await api.sectorsSummary()).Packing).toBe(before + 1);
  });

  test('when PledgeSector cannot connect at all, then it fails over, since nothing was delivered', async () => {
    await sim.controls.stopNode('deal-miner');
    const api = minerApi(`${sim.apiInfo('deal-miner')},${sim.apiInfo('seal-miner')}`);
    await expect(api.pledgeSector()).resolves.toMatchObject({ Miner: 1000 });
    expect(sim.controls.requestCounts('seal-miner').PledgeSector).toBe(1);
  });
});

describe('given an HTTP batch', () => {
  test('when one item fails, then the others still carry their results, in order', async () => {
    const api = fullApi(sim.apiInfo('daemon-internal'));
    const [head, partitions, count] = await api.rpc.batch([
      api.request('ChainHead', []),
      api.request('StateMinerPartitions', [sim.actor, 99, []]),
      api.request('StateMinerSectorCount', [sim.actor, []]),
    ] as const);
    expect(head.ok && head.value.Height).toBeGreaterThan(0);
    expect(partitions.ok).toBe(false);
    if (!partitions.ok) expect(partitions.error.params.detail).toBe('invalid deadline 99');
    expect(count.ok && count.value.Live).toBe(12_000);
    expect(api.rpc.counters()).toMatchObject({ requests: 1, batches: 1 });
  });

  test('when all 48 deadlines are read in one batch or in parallel, then both give the same partitions', async () => {
    const api = fullApi(sim.apiInfo('daemon-internal'));
    const head = await api.chainHead();
    api.rpc.resetCounters();
    const batched = await api.stateMinerPartitionsAll(sim.actor, head.Cids);
    expect(api.rpc.counters()).toEqual({ requests: 1, batches: 1, byMethod: { StateMinerPartitions: 48 } });
    const parallel = await api.stateMinerPartitionsAll(sim.actor, head.Cids, { strategy: 'parallel', concurrency: 6 });
    expect(parallel).toEqual(batched);
    expect(batched.flat().reduce((n, p) => n + countRuns(p.LiveSectors), 0)).toBe(12_000);
  });
});

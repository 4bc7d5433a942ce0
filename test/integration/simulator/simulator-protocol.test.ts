import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { type SimulatedCluster, startSimulator } from '../../../src/simulator/index.js';

let sim: SimulatedCluster;

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'small', clock: new FakeClock() });
});
afterAll(() => sim?.close());

async function post(node: string, body: string, headers: Record<string, string> = {}, path?: string) {
  const url = path ? sim.node(node).url.replace(/\/rpc\/v\d$/, path) : sim.node(node).url;
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

const call = (method: string, params?: unknown, id: unknown = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: `Filecoin.${method}`, ...(params === undefined ? {} : { params }) });

describe('the simulator speaks JSON-RPC as go-jsonrpc does', () => {
  test('without a token only read methods work', async () => {
    const read = await post('seal-miner', call('ActorAddress', []));
    expect(JSON.parse(read.text)).toEqual({ jsonrpc: '2.0', id: 1, result: 'f01000' });
    const admin = await post('seal-miner', call('WorkerStats', []));
    expect(admin.status).toBe(200);
    const message = "missing permission to invoke 'WorkerStats' (need 'admin')";
    expect(JSON.parse(admin.text).error).toEqual({ code: 1, message });
  });

  test('a bad token, or one without the Bearer prefix, gets HTTP 401 with an empty body', async () => {
    const forged = await post('seal-miner', call('ActorAddress', []), { authorization: 'Bearer eyJ.bad.token' });
    expect(forged).toEqual({ status: 401, text: '' });
    const withoutBearer = { authorization: sim.node('seal-miner').tokens.admin };
    const bare = await post('seal-miner', call('ActorAddress', []), withoutBearer);
    expect(bare).toEqual({ status: 401, text: '' });
  });

  test('a token in ?token= works when there is no Authorization header', async () => {
    const node = sim.node('seal-miner');
    const url = `${node.url}?token=${node.tokens.write}`;
    const response = await fetch(url, { method: 'POST', body: call('PledgeSector', []) });
    expect(JSON.parse(await response.text()).result).toMatchObject({ Miner: 1000 });
  });

  test('a write token may pledge but not read workers', async () => {
    const headers = { authorization: `Bearer ${sim.node('seal-miner').tokens.write}` };
    const stats = await post('seal-miner', call('WorkerStats', []), headers);
    expect(JSON.parse(stats.text).error.message).toBe("missing permission to invoke 'WorkerStats' (need 'admin')");
  });

  test('an unknown method is -32601 with HTTP 500', async () => {
    const response = await post('daemon-internal', call('ChainFrob', []));
    expect(response.status).toBe(500);
    expect(JSON.parse(response.text).error).toEqual({ code: -32601, message: "method 'Filecoin.ChainFrob' not found" });
  });

  test('a wrong parameter count is -32602 with lotus text; absent or null params mean zero', async () => {
    const wrong = await post('daemon-internal', call('StateMinerInfo', ['f01000']));
    expect(wrong.status).toBe(500);
    expect(JSON.parse(wrong.text).error).toEqual({
      code: -32602,
      message: "wrong param count (method 'Filecoin.StateMinerInfo'): 1 != 2",
    });
    expect(JSON.parse((await post('daemon-internal', call('Version'))).text).result.APIVersion).toBe(131840);
    expect(JSON.parse((await post('daemon-internal', call('Version', null))).text).result.Agent).toBe('lotus');
  });

  test('params that are not an array, or do not decode, are -32700', async () => {
    const named = await post('daemon-internal', call('StateMinerInfo', { miner: 'f01000' }));
    expect(JSON.parse(named.text).error.code).toBe(-32700);
    const badAddress = await post('daemon-internal', call('StateMinerInfo', [42, []]));
    expect(JSON.parse(badAddress.text).error.message).toMatch(
      /^unmarshaling params for 'Filecoin.StateMinerInfo' \(param: \*address.Address\)/,
    );
    const garbage = await post('daemon-internal', '{"jsonrpc":');
    expect(garbage.status).toBe(500);
    expect(JSON.parse(garbage.text).error.code).toBe(-32700);
  });

  test('an empty body is -32600 with HTTP 400', async () => {
    const response = await post('daemon-internal', '');
    expect(response.status).toBe(400);
    const invalid = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request' } };
    expect(JSON.parse(response.text)).toEqual(invalid);
  });

  test('a batch is answered in order with HTTP 200 even when an item fails', async () => {
    const items = [call('ActorAddress', [], 'a'), call('Nope', [], 'b'), call('ActorSectorSize', ['f01000'], 3)];
    const batch = `[${items.join(',')}]`;
    const response = await post('seal-miner', batch);
    expect(response.status).toBe(200);
    const replies = JSON.parse(response.text) as Array<{ id: unknown; result?: unknown; error?: { code: number } }>;
    expect(replies.map((i) => i.id)).toEqual(['a', 'b', 3]);
    expect(replies[0]?.result).toBe('f01000');
    expect(replies[1]?.error?.code).toBe(-32601);
    expect(replies[2]?.result).toBe(34359738368);
  });

  test('a notification inside a batch leaves its comma behind, so the reply is not JSON (lotus quirk)', async () => {
    const notification = JSON.stringify({ jsonrpc: '2.0', method: 'Filecoin.ActorAddress', params: [] });
    const response = await post('seal-miner', `[${call('ActorAddress', [])},${notification}]`);
    expect(() => JSON.parse(response.text)).toThrow();
  });

  test('the miner serves /rpc/v0 only; the full node also v0, and health checks', async () => {
    expect((await post('seal-miner', call('ActorAddress', []), {}, '/rpc/v1')).status).toBe(404);
    expect(JSON.parse((await post('daemon-internal', call('Version', []), {}, '/rpc/v0')).text).result).toBeDefined();
    const ready = await fetch(sim.node('daemon-internal').url.replace('/rpc/v1', '/health/readyz'));
    expect(ready.status).toBe(200);
  });

  test('every node has its own secret: an admin token of one miner is refused by another', async () => {
    const otherMiners = { authorization: `Bearer ${sim.node('seal-miner').tokens.admin}` };
    const response = await post('deal-miner', call('ActorAddress', []), otherMiners);
    expect(response.status).toBe(401);
  });

  test('the sector counter accepts TCP connections', async () => {
    const { createConnection } = await import('node:net');
    const connected = await new Promise<boolean>((resolve) => {
      const socket = createConnection(sim.sectorCounter.port, sim.sectorCounter.host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    expect(connected).toBe(true);
  });
});

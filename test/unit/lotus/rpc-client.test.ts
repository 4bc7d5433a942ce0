import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { LotusEndpoint } from '../../../src/lotus/api-info.js';
import { RpcClient } from '../../../src/lotus/rpc-client.js';
import { opsFailure } from '../../helpers/ops-failure.js';

type Answer = { status: number; body: string } | Error;

/** A fetch that records what it was sent and plays back scripted answers, per endpoint URL. */
function scriptedFetch(script: Record<string, Answer[]>) {
  const sent: Array<{ url: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    sent.push({ url, headers: init?.headers as Record<string, string>, body: JSON.parse(String(init?.body)) });
    const answer = script[url]?.shift();
    if (!answer) throw new Error(`unscripted request to ${url}`);
    if (answer instanceof Error) throw answer;
    return new Response(answer.body, { status: answer.status });
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

function networkError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
}

const a: LotusEndpoint = { url: 'http://a:1234/rpc/v1', token: 'secret-token-a', display: 'a:1234' };
const b: LotusEndpoint = { url: 'http://b:1234/rpc/v1', display: 'b:1234' };
const ok = (id: number, result: unknown) => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id, result }) });

function client(script: Record<string, Answer[]>, endpoints = [a], retries = 2) {
  const delays: number[] = [];
  const { fetch, sent } = scriptedFetch(script);
  const sleep = async (ms: number) => void delays.push(ms);
  const rpc = new RpcClient({ endpoints, api: 'full', fetch, retries, backoffMs: 10, sleep });
  return { rpc, sent, delays };
}

describe('the JSON-RPC envelope', () => {
  test('a call is a positional JSON-RPC 2.0 request in the Filecoin namespace with a bearer token', async () => {
    const { rpc, sent } = client({ [a.url]: [ok(1, 7)] });
    await expect(rpc.call('StateNetworkVersion', [[]], z.number())).resolves.toBe(7);
    expect(sent[0]?.body).toEqual({ jsonrpc: '2.0', id: 1, method: 'Filecoin.StateNetworkVersion', params: [[]] });
    expect(sent[0]?.headers.authorization).toBe('Bearer secret-token-a');
  });

  test('without a token no Authorization header is sent', async () => {
    const { rpc, sent } = client({ [b.url]: [ok(1, 'f01000')] }, [b]);
    await rpc.call('ActorAddress', [], z.string());
    expect(sent[0]?.headers.authorization).toBeUndefined();
  });

  test('an error-only method answering without a result key (lotus before 1.27.1) reads as null', async () => {
    const { rpc } = client({ [a.url]: [{ status: 200, body: '{"jsonrpc":"2.0","id":1}' }] });
    await expect(rpc.call('SealingAbort', [], z.null())).resolves.toBeNull();
  });

  test('a JSON-RPC error with HTTP 500 is read from the body, not treated as a transport failure', async () => {
    const message = "wrong param count (method 'Filecoin.X'): 1 != 2";
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32602, message } });
    const { rpc, sent } = client({ [a.url]: [{ status: 500, body }] });
    const error = await opsFailure(rpc.call('X', [1], z.unknown()));
    expect(error.code).toBe('LOTUS_ERROR');
    expect(error.params.rpcCode).toBe(-32602);
    expect(sent).toHaveLength(1);
  });

  test('a reply to another id is refused', async () => {
    const { rpc } = client({ [a.url]: [ok(99, 1)] });
    expect((await opsFailure(rpc.call('ChainHead', [], z.unknown()))).params.detail).toContain('does not match');
  });

  test('HTTP 401 with an empty body is an unauthorized token, with the permission the method needs', async () => {
    const { rpc } = client({ [a.url]: [{ status: 401, body: '' }] });
    const error = await opsFailure(rpc.call('StateMinerInfo', ['f01000', []], z.unknown()));
    expect(error.code).toBe('LOTUS_UNAUTHORIZED');
    expect(error.params).toEqual({ endpoint: 'a:1234', cli: 'lotus', perm: 'read' });
    expect(`${error.message} ${error.hint}`).not.toContain('secret-token-a');
  });

  test('the 401 hint asks for the permission the configured token should have, when it is known', async () => {
    const { fetch } = scriptedFetch({ [a.url]: [{ status: 401, body: '' }] });
    const rpc = new RpcClient({ endpoints: [a], api: 'miner', fetch, tokenPermission: 'admin' });
    const error = await opsFailure(rpc.call('ActorAddress', [], z.unknown()));
    expect(error.hint).toContain('lotus-miner auth create-token --perm admin');
  });
});

describe('retries and fail-over', () => {
  test('a read that meets a 503 from a proxy is retried, same request id, with doubling backoff', async () => {
    const busy = { status: 503, body: '<html>busy</html>' };
    const { rpc, delays } = client({ [a.url]: [busy, busy, ok(1, 5)] });
    await expect(rpc.call('StateNetworkVersion', [[]], z.number())).resolves.toBe(5);
    expect(delays).toEqual([10, 20]);
    expect(rpc.counters()).toEqual({ requests: 3, batches: 0, byMethod: { StateNetworkVersion: 3 } });
  });

  test('a write whose connection was reset after sending is not retried nor sent elsewhere', async () => {
    const { rpc, sent } = client({ [a.url]: [networkError('ECONNRESET')], [b.url]: [ok(1, {})] }, [a, b]);
    const error = await opsFailure(rpc.call('PledgeSector', [], z.unknown(), { write: true }));
    expect(error.code).toBe('LOTUS_UNREACHABLE');
    expect(error.params.detail).toBe('connection reset');
    expect(sent.map((s) => s.url)).toEqual([a.url]);
  });

  test('a write refused at connect goes to the next endpoint, since it never arrived', async () => {
    const sector = { Miner: 1000, Number: 9 };
    const { rpc, sent } = client({ [a.url]: [networkError('ECONNREFUSED')], [b.url]: [ok(1, sector)] }, [a, b]);
    await expect(rpc.call('PledgeSector', [], z.unknown(), { write: true })).resolves.toEqual(sector);
    expect(sent.map((s) => s.url)).toEqual([a.url, b.url]);
  });

  test('when every endpoint fails, the error lists what happened at each', async () => {
    const script = { [a.url]: [networkError('ECONNREFUSED')], [b.url]: [networkError('ENOTFOUND')] };
    const { rpc } = client(script, [a, b], 0);
    const error = await opsFailure(rpc.call('ChainHead', [], z.unknown()));
    expect(error.params.endpoint).toBe('a:1234, b:1234');
    expect(error.params.detail).toBe(
      'a:1234: connection refused (nothing listens on that port); b:1234: host name not found',
    );
  });

  test('a call cancelled by the caller is not retried and keeps the caller reason', async () => {
    const controller = new AbortController();
    const fetch = (async (_input: unknown, init?: RequestInit) => {
      controller.abort(new Error('user went away'));
      init?.signal?.throwIfAborted();
      throw new Error('unreachable');
    }) as typeof globalThis.fetch;
    const rpc = new RpcClient({ endpoints: [a], api: 'full', fetch, sleep: async () => {} });
    const call = rpc.call('ChainHead', [], z.unknown(), { signal: controller.signal });
    await expect(call).rejects.toThrow('user went away');
    expect(rpc.counters().requests).toBe(1);
  });
});

describe('batches', () => {
  test('items are matched by id; a missing reply and a bad shape fail only their own item', async () => {
    const body = JSON.stringify([
      { jsonrpc: '2.0', id: 2, result: 'x' },
      { jsonrpc: '2.0', id: 1, result: 5 },
    ]);
    const { rpc, sent } = client({ [a.url]: [{ status: 200, body }] });
    const [first, second, third] = await rpc.batch([
      rpc.request('A', [], z.number()),
      rpc.request('B', [], z.number()),
      rpc.request('C', [], z.number()),
    ] as const);
    expect(first).toEqual({ ok: true, value: 5 });
    expect(second.ok || second.error.params.detail).toMatch(/^field result: /);
    expect(third.ok || third.error.params.detail).toContain('no item with id 3');
    expect((sent[0]?.body as Array<{ id: number }>).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  test('a batch lotus cannot parse answers one error object, which fails the whole batch', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    const { rpc } = client({ [a.url]: [{ status: 500, body }] });
    const error = await opsFailure(rpc.batch([rpc.request('A', [], z.unknown()), rpc.request('A', [], z.unknown())]));
    expect(error.code).toBe('LOTUS_ERROR');
    expect(error.params.method).toBe('2 × A');
  });

  test('a batch holding a write is never retried', async () => {
    const { rpc, sent } = client({ [a.url]: [{ status: 503, body: '' }] });
    const requests = [rpc.request('ActorAddress', [], z.string()), rpc.request('PledgeSector', [], z.unknown(), true)];
    const error = await opsFailure(rpc.batch(requests));
    expect(error.code).toBe('LOTUS_UNREACHABLE');
    expect(sent).toHaveLength(1);
  });
});

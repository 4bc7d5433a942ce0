import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { whileLeading } from '../../../src/cli/while-leading.js';
import { FakeClock } from '../../../src/core/clock.js';
import { Leadership } from '../../../src/core/leadership.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { StoreError } from '../../../src/store/store-error.js';
import { captureLog } from '../../helpers/runtime-harness.js';

/** The lease logic itself (the PostgreSQL side is in test/integration/store); two handles on one file, one clock. */
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function instances(count: number, clock: FakeClock, shared = true) {
  const path = join(mkdtempSync(join(tmpdir(), 'lcops-lead-')), 'store.db');
  return Array.from({ length: count }, (_, i) => {
    const store = new SqliteStore(path);
    stores.push(store);
    const self = { id: `host-${i}:1:0`, pid: 1, host: `host-${i}`, startedAt: 0 };
    return { store, leadership: new Leadership({ store, clock, log: captureLog().log, self, shared, ttlMs: 15_000 }) };
  });
}

/** Something that runs only while its instance leads, counting starts and stops. */
function gateway(leadership: Leadership) {
  const seen = { starts: 0, stops: 0 };
  const stop = whileLeading(
    leadership,
    {
      name: 'the gateway',
      async start() {
        seen.starts++;
        return {
          async stop() {
            seen.stops++;
          },
        };
      },
    },
    captureLog().log,
  );
  return { seen, stop };
}

describe('leadership', () => {
  it('given two instances, when the leader stops renewing, then the gateway moves: started on the new leader, stopped on the old one when it comes back', async () => {
    const clock = new FakeClock();
    const [a, b] = instances(2, clock);
    if (!a || !b) throw new Error('no instances');
    const onA = gateway(a.leadership);
    const onB = gateway(b.leadership);
    await a.leadership.tick();
    await b.leadership.tick();
    await a.leadership.tick();
    expect([onA.seen, onB.seen]).toEqual([
      { starts: 1, stops: 0 },
      { starts: 0, stops: 0 },
    ]);
    clock.advance(15_000);
    await b.leadership.tick();
    // host-0 comes back after its lease ran out: it no longer leads and stops its gateway.
    await a.leadership.tick();
    expect(onA.seen).toEqual({ starts: 1, stops: 1 });
    expect(onB.seen).toEqual({ starts: 1, stops: 0 });
    expect(a.leadership.leading()).toBe(false);
    await onB.stop();
    expect(onB.seen).toEqual({ starts: 1, stops: 1 });
  });

  it('given a leader that cannot reach the store, when its lease runs out, then it steps down by itself', async () => {
    const clock = new FakeClock();
    const [a] = instances(1, clock);
    if (!a) throw new Error('no instance');
    const onA = gateway(a.leadership);
    await a.leadership.tick();
    expect(a.leadership.leading()).toBe(true);
    a.store.claimLeadership = async () => {
      throw new StoreError('unreachable', 'db:5432/ops', 'connect ECONNREFUSED');
    };
    clock.advance(5_000);
    await a.leadership.tick();
    expect(a.leadership.leading()).toBe(true);
    clock.advance(10_000);
    // Without a renewal it is not the leader the moment the lease ends, even before the next tick says so.
    expect(a.leadership.leading()).toBe(false);
    await a.leadership.tick();
    expect(onA.seen).toEqual({ starts: 1, stops: 1 });
  });

  it('given one instance on SQLite (not shared), then it always leads and only keeps its heartbeat', async () => {
    const clock = new FakeClock();
    const [a] = instances(1, clock, false);
    if (!a) throw new Error('no instance');
    expect(a.leadership.leading()).toBe(true);
    await a.leadership.tick();
    expect(await a.store.leadership('leader')).toBeUndefined();
    expect((await a.leadership.status()).instances.map((i) => i.id)).toEqual(['host-0:1:0']);
  });

  it('given a take-over, when it is handled, then what is said about it comes after what it starts (the announcement can use the gateway)', async () => {
    const clock = new FakeClock();
    const [a, b] = instances(2, clock);
    if (!a || !b) throw new Error('no instances');
    const order: string[] = [];
    b.leadership.afterChange(({ leading, previous }) => {
      order.push(`said: leading=${leading} after ${previous}`);
    });
    whileLeading(
      b.leadership,
      {
        name: 'the gateway',
        async start() {
          order.push('gateway started');
          return { async stop() {} };
        },
      },
      captureLog().log,
    );
    await a.leadership.tick();
    clock.advance(15_000);
    await b.leadership.tick();
    expect(order).toEqual(['gateway started', 'said: leading=true after host-0:1:0']);
  });
});

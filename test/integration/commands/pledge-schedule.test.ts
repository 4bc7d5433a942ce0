import { afterEach, describe, expect, it } from 'vitest';
import { renderText } from '../../../src/adapters/terminal/render.js';
import { MinerApi } from '../../../src/lotus/miner-api.js';
import { requestIdOf } from '../../helpers/runtime-harness.js';
import { type SimApp, startSimApp } from '../../helpers/sim-app.js';

let s: SimApp;
afterEach(async () => {
  await s?.close();
});

async function sectorsOnSealMiner(): Promise<number> {
  return (await MinerApi.fromApiInfo(s.sim.apiInfo('seal-miner', 'read')).call('SectorsList', [])).length;
}

const minutes = (n: number) => n * 60_000;

describe('/pledge every=…: one approval, a schedule of rounds', () => {
  it('given an approved schedule, then each due round pledges its sectors and nothing runs between rounds', async () => {
    s = await startSimApp({ scenario: 'small' });
    const plan = await s.run('alice', '/pledge 2 every=15m');
    expect(plan.title).toBe('Pledge plan: 2 sector(s) every 15 min on seal-miner');
    expect(renderText(plan)).toMatch(
      /Schedule:\s+a round every 15 min until \/pledge stop \(about 192 sectors a day\)/,
    );
    expect(renderText(plan)).toMatch(/Collateral per round:/);
    const started = await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    expect(started.title).toBe('Pledge schedule S1 started: 2 sector(s) every 15 min on seal-miner');

    const before = await sectorsOnSealMiner();
    await s.app.jobs.tick();
    expect(await sectorsOnSealMiner()).toBe(before + 2);
    s.clock.advance(minutes(10));
    await s.app.jobs.tick();
    expect(await sectorsOnSealMiner()).toBe(before + 2);
    s.clock.advance(minutes(5));
    await s.app.jobs.tick();
    expect(await sectorsOnSealMiner()).toBe(before + 4);

    const status = renderText(await s.run('victor', '/pledge status'));
    expect(status).toMatch(/S1\s+seal-miner\s+2 \(single\)\s+15 min\s+active\s+2\s+in 15 min\s+terminal:alice/);
  });

  it('given a pre-check that fails, then the schedule pauses itself, says so in the channel, and resumes when it passes', async () => {
    s = await startSimApp({ scenario: 'small' });
    const plan = await s.run('alice', '/pledge 1 every=15m');
    await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    await s.sim.controls.stopSectorCounter();
    const before = await sectorsOnSealMiner();
    await s.app.jobs.tick();
    expect(await sectorsOnSealMiner()).toBe(before);
    // The demo configuration also posts alerts to the terminal (the counter being down is one): only the schedule's here.
    const schedule = () => s.posted.map((r) => r.title).filter((t) => t.startsWith('Pledge schedule'));
    expect(schedule()).toEqual(['Pledge schedule S1 paused']);
    expect(renderText(s.posted[0] as never)).toContain('A pre-check failed: Sector counter:');
    expect(renderText(await s.run('victor', '/pledge status'))).toMatch(/S1 .* paused: Sector counter/);

    await s.sim.controls.startSectorCounter();
    s.clock.advance(minutes(15));
    await s.app.jobs.tick();
    expect(schedule()).toEqual(['Pledge schedule S1 paused', 'Pledge schedule S1 resumed']);
    expect(await sectorsOnSealMiner()).toBe(before + 1);
  });

  it('given /pledge stop, then no further round runs and the audit trail has it', async () => {
    s = await startSimApp({ scenario: 'small' });
    const plan = await s.run('alice', '/pledge 1 every=1h');
    await s.run('bob', `/approvals approve ${requestIdOf(plan)}`);
    await s.app.jobs.tick();
    const afterFirst = await sectorsOnSealMiner();
    const stopped = await s.run('bob', '/pledge stop');
    expect(stopped.title).toBe('Pledge schedule S1 stopped');
    expect(renderText(stopped)).toContain('It ran 1 round(s).');
    s.clock.advance(minutes(120));
    await s.app.jobs.tick();
    expect(await sectorsOnSealMiner()).toBe(afterFirst);
    const events = (await s.app.store.queryAudit({ limit: 50 })).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['schedule.started', 'schedule.stopped']));
    expect(renderText(await s.run('bob', '/pledge stop'))).toContain('No pledge schedule is running');
  });

  it.each([
    ['every=30s', 'every must be minutes or hours'],
    ['every=0m', 'every must be from 1m to 24h'],
    ['every=48h', 'every must be from 1m to 24h'],
  ])('given %s, then a clear usage error', async (arg, message) => {
    s = await startSimApp({ scenario: 'small' });
    const reply = await s.run('alice', `/pledge 1 ${arg}`);
    expect(reply.outcome).toBe('usage');
    expect(renderText(reply)).toContain(message);
  });
});

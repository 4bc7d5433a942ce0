import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const hour = 3_600_000;

describe('connection health', () => {
  it('given an adapter reporting, when its link changes, then the state, since when and the change are kept and logged once', () => {
    const clock = new FakeClock();
    const { log, lines } = captureLog();
    const health = new ConnectionHealth({ clock, log });
    const slack = health.reporter('slack');
    slack.state('connected');
    const connectedAt = clock.now();
    clock.advance(1_000);
    slack.state('connected');
    expect(health.snapshot('slack')).toMatchObject({ state: 'connected', since: connectedAt, reconnects24h: 0 });
    slack.state('reconnecting', { hop: 'Socket Mode WebSocket', detail: 'the proxy refused the tunnel' });
    expect(health.snapshot('slack')).toMatchObject({
      state: 'reconnecting',
      since: clock.now(),
      reconnects24h: 1,
      lastProblem: { hop: 'Socket Mode WebSocket', detail: 'the proxy refused the tunnel' },
    });
    const changes = lines.filter((l) => l.includes('Slack link'));
    expect(changes).toHaveLength(2);
    expect(changes[1]).toContain('"hop":"Socket Mode WebSocket"');
  });

  it('given reconnects and gaps over more than a day, when read, then only the last 24 h count', () => {
    const clock = new FakeClock();
    const health = new ConnectionHealth({ clock, log: captureLog().log });
    const slack = health.reporter('slack');
    for (const gap of [4_800, 5_200]) {
      slack.state('connected');
      slack.state('reconnecting');
      slack.gap(gap);
      clock.advance(20 * hour);
    }
    slack.state('connected');
    expect(health.snapshot('slack')).toMatchObject({
      reconnects24h: 1,
      gaps: { last: 5_200, longest24h: 5_200, count24h: 1 },
    });
  });

  it('given listeners, when a state changes, then they hear it; a problem alone goes to problem listeners', () => {
    const health = new ConnectionHealth({ clock: new FakeClock(), log: captureLog().log });
    const states: string[] = [];
    const problems: string[] = [];
    health.onChange((h) => states.push(`${h.platform} ${h.state}`));
    health.onProblem((platform, p) => problems.push(`${platform} ${p.hop}`));
    const discord = health.reporter('discord');
    discord.problem('REST /channels', 'no answer within the timeout');
    discord.state('connected');
    expect(states).toEqual(['discord connected']);
    expect(problems).toEqual(['discord REST /channels']);
  });
});

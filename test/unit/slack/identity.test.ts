import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackClientOptions } from '../../../src/adapters/slack/client-options.js';
import { SlackIdentity } from '../../../src/adapters/slack/identity.js';
import { FakeClock } from '../../../src/core/clock.js';
import { captureLog } from '../../helpers/runtime-harness.js';
import { FakeSlackWebApi } from '../../helpers/slack-fake-web-api.js';

let api: FakeSlackWebApi;
beforeEach(async () => {
  api = await FakeSlackWebApi.start();
  api.userGroups = [
    { id: 'S0OPS', handle: 'ops', users: ['UCAROL', 'UDAVE'] },
    { id: 'S0ONCALL', handle: 'oncall', users: ['UCAROL'] },
  ];
});
afterEach(async () => {
  await api.close();
});

function identity(
  operators: string[],
  clock = new FakeClock(),
): { identity: SlackIdentity; clock: FakeClock; lines: string[] } {
  const client = new webApi.WebClient(
    'xoxb-test',
    slackClientOptions({ apiUrl: api.url, retryConfig: { retries: 0 } }),
  );
  const { log, lines } = captureLog();
  return {
    identity: new SlackIdentity({
      client,
      rbac: { roles: { admin: [], operator: operators, viewer: [] } },
      clock,
      log,
      ttlMs: 60_000,
    }),
    clock,
    lines,
  };
}

describe('Slack identity', () => {
  it('given no rule names a Slack user group, when a user is resolved, then groups are never fetched', async () => {
    const { identity: id } = identity(['slack:UALICE']);
    expect(await id.principalOf('UCAROL', 'carol')).toEqual({ id: 'slack:UCAROL', groups: [], displayName: 'carol' });
    expect(api.callsOf('usergroups.list')).toEqual([]);
  });

  it('given a slack-group rule, when users are resolved, then each gets the groups they are in, from one cached fetch', async () => {
    const { identity: id } = identity(['slack-group:S0OPS']);
    const [carol, dave, erin] = await Promise.all([
      id.principalOf('UCAROL'),
      id.principalOf('UDAVE'),
      id.principalOf('UERIN'),
    ]);
    expect(carol?.groups).toEqual(['slack-group:S0OPS', 'slack-group:S0ONCALL']);
    expect(dave?.groups).toEqual(['slack-group:S0OPS']);
    expect(erin?.groups).toEqual([]);
    expect(api.callsOf('usergroups.list')).toHaveLength(1);
  });

  it('given the cache is older than its TTL, when a user is resolved, then membership is fetched again', async () => {
    const { identity: id, clock } = identity(['slack-group:S0OPS']);
    await id.principalOf('UCAROL');
    clock.advance(59_000);
    await id.principalOf('UCAROL');
    expect(api.callsOf('usergroups.list')).toHaveLength(1);
    api.userGroups = [{ id: 'S0OPS', handle: 'ops', users: ['UDAVE'] }];
    clock.advance(2_000);
    expect((await id.principalOf('UCAROL')).groups).toEqual([]);
    expect(api.callsOf('usergroups.list')).toHaveLength(2);
  });

  it('given Slack fails, when a user is resolved, then the recent list is used, and an old one grants nothing', async () => {
    const { identity: id, clock, lines } = identity(['slack-group:S0OPS']);
    await id.principalOf('UCAROL');
    clock.advance(61_000);
    api.script('usergroups.list', { body: { ok: false, error: 'missing_scope', needed: 'usergroups:read' } });
    expect((await id.principalOf('UCAROL')).groups).toContain('slack-group:S0OPS');
    expect(lines.some((l) => l.includes('cannot read Slack user groups') && l.includes('usergroups:read'))).toBe(true);
    // No new attempt within a minute of the failure.
    expect(api.callsOf('usergroups.list')).toHaveLength(2);
    clock.advance(2 * 60 * 60_000);
    api.script('usergroups.list', { status: 500 });
    expect((await id.principalOf('UCAROL')).groups).toEqual([]);
  });

  it('given Slack fails before any list was read, when a user is resolved, then they get no group roles', async () => {
    const { identity: id } = identity(['slack-group:S0OPS']);
    api.script('usergroups.list', { body: { ok: false, error: 'invalid_auth' } });
    expect((await id.principalOf('UCAROL')).groups).toEqual([]);
  });
});

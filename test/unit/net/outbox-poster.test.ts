import { describe, expect, it } from 'vitest';
import type { ChannelPoster } from '../../../src/core/channel-poster.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { ChannelRef } from '../../../src/core/command.js';
import { OpsError } from '../../../src/core/errors.js';
import type { Reply } from '../../../src/core/reply.js';
import { OutboxPoster } from '../../../src/net/outbox-poster.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const channel: ChannelRef = { platform: 'slack', id: 'C0OPS' };
const reply = (title: string): Reply => ({ title, blocks: [] });
const unreachable = (): OpsError =>
  new OpsError('PLATFORM_UNREACHABLE', {
    platform: 'Slack',
    hop: 'Web API chat.postMessage',
    detail: 'no answer within the timeout',
  });

/** A poster whose platform is down until `up` is set. */
function platform(): ChannelPoster & { up: boolean; posted: string[]; refuse?: boolean } {
  const p = {
    platform: 'slack',
    up: false,
    posted: [] as string[],
    refuse: false,
    async post(_c: ChannelRef, r: Reply) {
      if (p.refuse) throw new OpsError('SLACK_NOT_IN_CHANNEL', { channel: 'C0OPS', error: 'not_in_channel' });
      if (!p.up) throw unreachable();
      p.posted.push(r.title);
    },
  };
  return p;
}

describe('the outbox', () => {
  it('passes the end of an approval on to the platform, so that its request message is updated', async () => {
    const closed: string[] = [];
    const inner: ChannelPoster = {
      platform: 'slack',
      async post() {},
      async approvalClosed(id, outcome) {
        closed.push(`${id}: ${outcome.title}`);
      },
    };
    const outbox = new OutboxPoster(inner, { clock: new FakeClock(), log: captureLog().log });
    await outbox.approvalClosed('K7M2Q9', reply('Destroyed disk-1'));
    expect(closed).toEqual(['K7M2Q9: Destroyed disk-1']);
  });

  it('given the platform is unreachable, when messages are posted, then they wait and go out in order once it is back', async () => {
    const inner = platform();
    const { log, lines } = captureLog();
    const outbox = new OutboxPoster(inner, { clock: new FakeClock(), log });
    await outbox.post(channel, reply('first'));
    await outbox.post(channel, reply('second'));
    expect(outbox.waiting).toBe(2);
    expect(
      lines.some(
        (l) => l.includes('waits in the outbox') && l.includes('Slack is unreachable (Web API chat.postMessage)'),
      ),
    ).toBe(true);
    inner.up = true;
    await outbox.flush();
    expect(inner.posted).toEqual(['first', 'second']);
    expect(outbox.waiting).toBe(0);
  });

  it('given the platform refuses a post, then it fails at once and nothing waits', async () => {
    const inner = platform();
    inner.refuse = true;
    const outbox = new OutboxPoster(inner, { clock: new FakeClock(), log: captureLog().log });
    await expect(outbox.post(channel, reply('x'))).rejects.toMatchObject({ code: 'SLACK_NOT_IN_CHANNEL' });
    expect(outbox.waiting).toBe(0);
  });

  it('given a full outbox or a message too old, then the dropped message is logged as an error with its title, never silently', async () => {
    const inner = platform();
    const clock = new FakeClock();
    const { log, lines } = captureLog();
    const outbox = new OutboxPoster(inner, { clock, log, capacity: 2, maxAgeMs: 60_000 });
    await outbox.post(channel, reply('oldest'));
    await outbox.post(channel, reply('middle'));
    await outbox.post(channel, reply('newest'));
    expect(outbox.waiting).toBe(2);
    const dropped = lines.filter((l) => l.includes('was never posted'));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toContain('"title":"oldest"');
    clock.advance(120_000);
    inner.up = true;
    await outbox.flush();
    expect(inner.posted).toEqual([]);
    expect(lines.filter((l) => l.includes('was never posted'))).toHaveLength(3);
  });
});

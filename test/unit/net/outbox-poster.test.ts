import { describe, expect, it } from 'vitest';
import { slackErrors } from '../../../src/adapters/slack/slack-error.js';
import type { ChannelPoster, MessageRef } from '../../../src/core/channel-poster.js';
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

/** A poster whose platform is down until `up` is set; it records what it did, in order. */
function platform(): ChannelPoster & { up: boolean; posted: string[]; refuse?: boolean } {
  const attempt = (what: string): void => {
    if (p.refuse) throw slackErrors('SLACK_NOT_IN_CHANNEL', { channel: 'C0OPS', error: 'not_in_channel' });
    if (!p.up) throw unreachable();
    p.posted.push(what);
  };
  const p = {
    platform: 'slack',
    up: false,
    posted: [] as string[],
    refuse: false,
    async post(c: ChannelRef, r: Reply) {
      attempt(r.title);
      return { platform: 'slack', channelId: c.id, messageIds: [`ts-${p.posted.length}`] };
    },
    async update(ref: MessageRef, r: Reply) {
      attempt(`update ${ref.messageIds[0]}: ${r.title}`);
    },
    async replyInThread(ref: MessageRef, r: Reply) {
      attempt(`thread ${ref.messageIds[0]}: ${r.title}`);
    },
  };
  return p;
}

describe('the outbox', () => {
  it('given the platform is unreachable, when a message is updated and answered, then both wait and happen in order once it is back', async () => {
    const inner = platform();
    const outbox = new OutboxPoster(inner, { clock: new FakeClock(), log: captureLog().log });
    const ref: MessageRef = { platform: 'slack', channelId: 'C0OPS', messageIds: ['1.5'] };
    await outbox.update(ref, reply('Approved'));
    await outbox.replyInThread(ref, reply('Destroyed disk-1'));
    expect(outbox.waiting).toBe(2);
    inner.up = true;
    await outbox.flush();
    expect(inner.posted).toEqual(['update 1.5: Approved', 'thread 1.5: Destroyed disk-1']);
  });

  it('given the platform is reachable, when a message is posted, then its reference comes back to be kept', async () => {
    const inner = platform();
    inner.up = true;
    const outbox = new OutboxPoster(inner, { clock: new FakeClock(), log: captureLog().log });
    expect(await outbox.post(channel, reply('first'))).toEqual({
      platform: 'slack',
      channelId: 'C0OPS',
      messageIds: ['ts-1'],
    });
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

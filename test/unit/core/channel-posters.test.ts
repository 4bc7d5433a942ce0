import { describe, expect, it } from 'vitest';
import { type ChannelPoster, ChannelPosters, type MessageRef } from '../../../src/core/channel-poster.js';
import type { Reply } from '../../../src/core/reply.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const reply: Reply = { title: 'Destroyed disk-1', severity: 'success', blocks: [] };
const slackRef: MessageRef = { platform: 'slack', channelId: 'C0OPS', messageIds: ['1.0'] };

function recorder(platform: string, seen: string[], fail = false): ChannelPoster {
  const act = async (what: string): Promise<void> => {
    if (fail) throw new Error(`${what} refused`);
    seen.push(`${platform} ${what}`);
  };
  return {
    platform,
    post: async (channel) => {
      await act(`post ${channel.id}`);
      return { platform, channelId: channel.id, messageIds: ['m1'] };
    },
    update: (ref) => act(`update ${ref.messageIds.join(',')}`),
    replyInThread: (ref) => act(`thread ${ref.messageIds.join(',')}`),
  };
}

describe('ChannelPosters', () => {
  it('given posters for two platforms, when a message is posted, updated and answered, then each goes to the platform it names', async () => {
    const seen: string[] = [];
    const posters = new ChannelPosters(captureLog().log);
    posters.register(recorder('slack', seen));
    posters.register(recorder('discord', seen));
    const ref = await posters.post({ platform: 'discord', id: '42' }, reply);
    expect(ref).toEqual({ platform: 'discord', channelId: '42', messageIds: ['m1'] });
    expect(await posters.update(slackRef, reply)).toBe(true);
    expect(await posters.replyInThread(slackRef, reply)).toBe(true);
    expect(seen).toEqual(['discord post 42', 'slack update 1.0', 'slack thread 1.0']);
  });

  it('given a platform with no adapter here, when something is posted to it, then it is skipped and nothing throws', async () => {
    const posters = new ChannelPosters(captureLog().log);
    expect(await posters.post({ platform: 'discord', id: '42' }, reply)).toBeUndefined();
    expect(await posters.update(slackRef, reply)).toBe(false);
    expect(posters.serves('slack')).toBe(false);
  });

  it('given a poster that fails, when a message is updated, then the failure is logged and reported as not done, never thrown', async () => {
    const { log, lines } = captureLog();
    const posters = new ChannelPosters(log);
    posters.register(recorder('slack', [], true));
    await expect(posters.update(slackRef, reply)).resolves.toBe(false);
    await expect(posters.replyInThread(slackRef, reply)).resolves.toBe(false);
    expect(lines.join('')).toContain('updating a message failed');
    expect(lines.join('')).toContain('update 1.0 refused');
  });
});

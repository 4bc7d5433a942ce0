import { describe, expect, it } from 'vitest';
import { type ChannelPoster, ChannelPosters, RequestMessages } from '../../../src/core/channel-poster.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { Reply } from '../../../src/core/reply.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const outcome: Reply = { title: 'Destroyed disk-1', severity: 'success', blocks: [] };

describe('ChannelPosters.approvalClosed', () => {
  it('given a poster that fails to show a closed request, when a request closes, then the error is logged and the other posters still hear of it', async () => {
    const { log, lines } = captureLog();
    const posters = new ChannelPosters(log);
    const heard: string[] = [];
    const failing: ChannelPoster = {
      platform: 'slack',
      post: async () => undefined,
      approvalClosed: async () => {
        throw new Error('chat.update refused');
      },
    };
    const working: ChannelPoster = {
      platform: 'discord',
      post: async () => undefined,
      approvalClosed: async (id) => {
        heard.push(id);
      },
    };
    posters.register(failing);
    posters.register(working);
    posters.register({ platform: 'terminal', post: async () => undefined });
    await expect(posters.approvalClosed('K7M2Q9', outcome)).resolves.toBeUndefined();
    expect(heard).toEqual(['K7M2Q9']);
    expect(lines.join('')).toContain('could not show a closed approval request');
  });
});

describe('RequestMessages', () => {
  it('given a request being decided by a click, when it is closed meanwhile, then only the click shows it', () => {
    const messages = new RequestMessages<string>(new FakeClock());
    messages.remember('A', 'message-a');
    messages.claim('A');
    expect(messages.close('A', outcome)).toBeUndefined();
    expect(messages.release('A', true)).toBeUndefined();
    expect(messages.close('A', outcome)).toBeUndefined();
  });

  it('given a click that did not decide the request, when it was closed elsewhere meanwhile, then that outcome is handed back to show', () => {
    const messages = new RequestMessages<string>(new FakeClock());
    messages.remember('A', 'message-a');
    messages.claim('A');
    messages.close('A', outcome);
    expect(messages.release('A', false)).toEqual({ where: 'message-a', outcome });
  });

  it('given a request remembered over an hour ago, when it closes, then its message is no longer known', () => {
    const clock = new FakeClock();
    const messages = new RequestMessages<string>(clock);
    messages.remember('A', 'message-a');
    clock.advance(61 * 60_000);
    expect(messages.close('A', outcome)).toBeUndefined();
  });

  it('given more than 500 requests, when another is remembered, then the oldest is forgotten', () => {
    const messages = new RequestMessages<string>(new FakeClock());
    for (let i = 0; i <= 500; i++) messages.remember(`R${i}`, `message-${i}`);
    expect(messages.close('R0', outcome)).toBeUndefined();
    expect(messages.close('R500', outcome)).toBe('message-500');
  });
});

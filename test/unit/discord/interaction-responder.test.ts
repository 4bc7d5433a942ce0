import { describe, expect, it } from 'vitest';
import type { MessageEdit } from '../../../src/adapters/discord/channel-messages.js';
import { type DeferredInteraction, InteractionResponder } from '../../../src/adapters/discord/interaction-responder.js';
import type { DiscordMessage } from '../../../src/adapters/discord/render.js';
import { FakeClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { block } from '../../../src/core/reply.js';

/** discord.js's side of an acknowledged interaction: records calls; edits can be held until the test lets them go. */
class FakeInteraction implements DeferredInteraction {
  readonly channelId = '1180000000000000003';
  readonly user = { id: '1180000000000000111' };
  readonly calls: string[] = [];
  hold = false;
  private readonly held: Array<() => void> = [];
  private readonly callWaiters: Array<{ count: number; resolve: () => void }> = [];

  editReply(options: MessageEdit): Promise<unknown> {
    this.record(`edit ${options.embeds.map((e) => e.description ?? e.title).join(' | ')}`);
    return this.hold ? new Promise<void>((resolve) => this.held.push(resolve)) : Promise.resolve();
  }

  followUp(options: DiscordMessage & { flags?: number }): Promise<unknown> {
    this.record(`followUp${options.flags ? ` flags=${options.flags}` : ''} ${options.embeds[0]?.title ?? ''}`);
    return Promise.resolve();
  }

  deleteReply(): Promise<void> {
    this.record('delete');
    return Promise.resolve();
  }

  releaseAll(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  /** Resolves once `count` calls have been made. */
  calledTimes(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.callWaiters.push({ count, resolve }));
  }

  private record(call: string): void {
    this.calls.push(call);
    for (const waiter of [...this.callWaiters]) {
      if (this.calls.length < waiter.count) continue;
      this.callWaiters.splice(this.callWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

function setup() {
  const interaction = new FakeInteraction();
  const clock = new FakeClock();
  const posted: string[] = [];
  const responder = new InteractionResponder(interaction, {
    clock,
    log: silentLogger(),
    receivedAt: clock.now(),
    label: '/slow',
    channelMessages: {
      async post(channelId, message, mention) {
        posted.push(
          `${channelId} ${mention?.users?.length ? `<@${mention.users.join(' ')}> ` : ''}${message.embeds[0]?.title ?? ''}`,
        );
        return { id: '1' };
      },
      async edit() {},
    },
  });
  return { interaction, clock, posted, responder };
}

const final = { title: 'Done', blocks: [block.text('all good')] };

describe('answering an acknowledged interaction', () => {
  it('given progress while an edit is still on its way, then only the newest progress is shown next, and the answer last', async () => {
    const { interaction, responder } = setup();
    interaction.hold = true;
    await responder.progress('step 1');
    await interaction.calledTimes(1);
    await responder.progress('step 2');
    await responder.progress('step 3');
    interaction.releaseAll();
    await interaction.calledTimes(2);
    await responder.finish(final);
    expect(interaction.calls).toEqual(['edit ⏳ step 1', 'edit ⏳ step 3', 'edit all good']);
  });

  it('given progress that has not been shown yet when the answer is ready, then the answer is never overwritten', async () => {
    const { interaction, responder } = setup();
    interaction.hold = true;
    await responder.progress('step 1');
    await interaction.calledTimes(1);
    await responder.progress('step 2');
    const done = responder.finish(final);
    await responder.progress('too late');
    interaction.releaseAll();
    await done;
    expect(interaction.calls).toEqual(['edit ⏳ step 1', 'edit all good']);
  });

  it('given a reply for the asker only, then the public deferred reply is deleted and the answer follows as ephemeral', async () => {
    const { interaction, responder } = setup();
    await responder.finish({ ...final, ephemeral: true });
    expect(interaction.calls).toEqual(['delete', 'followUp flags=64 Done']);
  });

  it('given the token near its end, then progress is skipped and the answer goes to the channel, mentioning the asker', async () => {
    const { interaction, clock, posted, responder } = setup();
    clock.advance(14 * 60_000 + 1);
    await responder.progress('step 1');
    await responder.finish(final);
    expect(interaction.calls).toEqual([]);
    expect(posted).toEqual([`${interaction.channelId} <@${interaction.user.id}> Done`]);
  });
});

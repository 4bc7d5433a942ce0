import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { ChannelRef } from '../../../src/core/command.js';
import type { Reply } from '../../../src/core/reply.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { OutageAnnouncer } from '../../../src/net/outage-announcer.js';
import { captureLog } from '../../helpers/runtime-harness.js';

function setup() {
  const clock = new FakeClock();
  const { log } = captureLog();
  const health = new ConnectionHealth({ clock, log });
  const posted: Array<{ channel: ChannelRef; reply: Reply }> = [];
  const announcer = new OutageAnnouncer({
    health,
    posters: {
      async post(channel, reply) {
        posted.push({ channel, reply });
        return true;
      },
    },
    channels: [
      { platform: 'slack', id: 'C0OPS' },
      { platform: 'discord', id: '123' },
    ],
    downAfterMs: 2 * 60_000,
    clock,
    log,
  });
  return { clock, health, posted, announcer };
}

describe('outage announcements', () => {
  it('given Slack away for longer than the threshold, then Discord alone is told once, and again when Slack is back', async () => {
    const { clock, health, posted, announcer } = setup();
    const slack = health.reporter('slack');
    health.reporter('discord').state('connected');
    slack.state('connected');
    slack.state('reconnecting', {
      hop: 'Socket Mode WebSocket',
      detail: 'the proxy refused the tunnel to wss-primary.slack.com:443 (HTTP 403)',
    });
    clock.advance(60_000);
    await announcer.check();
    expect(posted).toHaveLength(0);
    clock.advance(90_000);
    await announcer.check();
    await announcer.check();
    expect(posted.map((p) => `${p.channel.platform}:${p.channel.id} ${p.reply.title}`)).toEqual([
      'discord:123 Slack is unreachable',
    ]);
    expect(JSON.stringify(posted[0]?.reply.blocks)).toContain('HTTP 403');
    clock.advance(60_000);
    slack.state('connected');
    await announcer.check();
    expect(posted.map((p) => p.reply.title)).toEqual(['Slack is unreachable', 'Slack is back']);
    expect(JSON.stringify(posted[1]?.reply.blocks)).toContain('(4 min)');
  });

  it('given a DingTalk robot failing for longer than the threshold, then Slack and Discord are told that its alert messages wait, not that commands are lost', async () => {
    const { clock, health, posted, announcer } = setup();
    const robot = health.reporter('dingtalk:ops-cn', { kind: 'webhook' });
    await announcer.check();
    expect(posted).toHaveLength(0);
    robot.state('reconnecting', { hop: 'webhook', detail: 'DingTalk answered HTTP 502' });
    clock.advance(3 * 60_000);
    await announcer.check();
    expect(posted.map((p) => `${p.channel.platform}:${p.channel.id} ${p.reply.title}`)).toEqual([
      'slack:C0OPS DingTalk robot ops-cn is unreachable',
      'discord:123 DingTalk robot ops-cn is unreachable',
    ]);
    const text = JSON.stringify(posted[0]?.reply.blocks);
    expect(text).toContain('Alert messages for DingTalk robot ops-cn wait');
    expect(text).toContain('HTTP 502');
    expect(text).not.toContain('Commands typed');
  });

  it('given a blip shorter than the threshold, then nothing is announced', async () => {
    const { clock, health, posted, announcer } = setup();
    const discord = health.reporter('discord');
    discord.state('connected');
    discord.state('reconnecting');
    clock.advance(30_000);
    discord.state('connected');
    clock.advance(10 * 60_000);
    await announcer.check();
    expect(posted).toHaveLength(0);
  });
});

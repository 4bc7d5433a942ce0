import { afterEach, describe, expect, it } from 'vitest';
import type { RobotPoster } from '../../../src/adapters/robots/robot-poster.js';
import { type OutboundAlerts, startOutboundAlerts } from '../../../src/cli/start-outbound-alerts.js';
import { type Config, configSchema } from '../../../src/config/schema.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { PageEvent } from '../../../src/core/pager.js';
import { block, type Reply } from '../../../src/core/reply.js';
import { ConnectionHealth, platformName } from '../../../src/net/connection-health.js';
import { startDingtalkFakeRobot } from '../../helpers/dingtalk-fake-robot.js';
import { startFeishuFakeBot } from '../../helpers/feishu-fake-bot.js';
import { startPagerDutyFake } from '../../helpers/pagerduty-fake-events.js';
import { TestProxy } from '../../helpers/proxy-server.js';
import { captureLog } from '../../helpers/runtime-harness.js';
import { startWecomFakeRobot } from '../../helpers/wecom-fake-robot.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const minimal = {
  cluster: {
    daemons: [{ name: 'daemon-internal', api: 'http://127.0.0.1:1234/rpc/v1' }],
    miners: [{ name: 'seal-miner', actor: 'f01000', api: 'http://127.0.0.1:2345/rpc/v0', roles: ['seal'] }],
  },
};

/** A configuration with these robots and PagerDuty services, parsed as the loader would. */
function configWith(extra: { robots?: unknown[]; pagerduty?: unknown[] }): Config {
  return configSchema.parse({ ...minimal, ...extra });
}

function outbound(config: Config, env: NodeJS.ProcessEnv, clock: FakeClock, health?: ConnectionHealth) {
  const { log, lines } = captureLog();
  const out = startOutboundAlerts({ config, env, log, clock, ...(health ? { health } : {}) });
  cleanups.push(() => out.stop());
  return { out, lines };
}

function robot(out: OutboundAlerts, platform: string): RobotPoster {
  return out.robots.find((r) => r.platform === platform) as RobotPoster;
}

const note = (n: number): Reply => ({ title: `message ${n}`, severity: 'warning', blocks: [block.text(`body ${n}`)] });

const page = (n: number): PageEvent => ({
  action: 'trigger',
  dedupKey: `check:subject-${n}`,
  summary: `A${n}: something`,
  severity: 'critical',
  source: 'test-cluster',
});

describe('a storm to each platform keeps its published rate limit', () => {
  it('given 30 messages at once to a DingTalk robot, then 20 go out in the first minute and the rest in the next, and the robot never answers an error', async () => {
    const clock = new FakeClock();
    const fake = await startDingtalkFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'dingtalk', webhookEnv: 'HOOK', secretEnv: 'SECRET' }] }),
      { HOOK: fake.webhook, SECRET: fake.secret },
      clock,
    );
    const poster = robot(out, 'dingtalk');
    for (let n = 1; n <= 30; n++) await poster.post({ platform: 'dingtalk', id: 'ops' }, note(n));
    expect(fake.accepted).toHaveLength(20);
    expect(poster.waiting).toBe(10);
    clock.advance(59_000);
    await out.flush();
    expect(fake.accepted).toHaveLength(20);
    clock.advance(1_000);
    await out.flush();
    expect(fake.accepted.map((m) => m.title)).toEqual(Array.from({ length: 30 }, (_, i) => `message ${i + 1}`));
    expect(fake.errors).toEqual([]);
    expect(fake.server.exchanges).toHaveLength(30);
  });

  it('given more messages to a WeCom robot than a minute lets through, then the oldest are held back and replaced by one message that counts them', async () => {
    const clock = new FakeClock();
    const fake = await startWecomFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out, lines } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'wecom', webhookEnv: 'HOOK', language: 'zh' }] }),
      { HOOK: fake.webhook },
      clock,
    );
    const poster = robot(out, 'wecom');
    for (let n = 1; n <= 50; n++) await poster.post({ platform: 'wecom', id: 'ops' }, note(n));
    expect(fake.accepted).toHaveLength(20);
    clock.advance(60_000);
    await out.flush();
    expect(fake.accepted).toHaveLength(40);
    expect(fake.accepted[20]).toContain('有 10 条告警消息未发送到此群：超出了机器人的频率限制');
    expect(fake.accepted[21]).toContain('message 31');
    clock.advance(60_000);
    await out.flush();
    expect(fake.accepted.at(-1)).toContain('message 50');
    expect(fake.errors).toEqual([]);
    expect(lines.join('\n')).toContain('the oldest are held back and counted in one message');
  });

  it('given 12 messages at once to a Feishu bot, then at most 5 go out in any second', async () => {
    const clock = new FakeClock();
    const fake = await startFeishuFakeBot({ clock });
    cleanups.push(() => fake.close());
    const { out } = outbound(
      configWith({ robots: [{ name: 'oncall', platform: 'feishu', webhookEnv: 'HOOK', secretEnv: 'SECRET' }] }),
      { HOOK: fake.webhook, SECRET: fake.secret },
      clock,
    );
    const poster = robot(out, 'feishu');
    for (let n = 1; n <= 12; n++) await poster.post({ platform: 'feishu', id: 'oncall' }, note(n));
    expect(fake.accepted).toHaveLength(5);
    clock.advance(1_000);
    await out.flush();
    expect(fake.accepted).toHaveLength(10);
    clock.advance(1_000);
    await out.flush();
    expect(fake.accepted).toHaveLength(12);
    expect(fake.errors).toEqual([]);
  });

  it('given 130 events at once to PagerDuty, then 120 go out in the first minute and the rest in the next, in order', async () => {
    const clock = new FakeClock();
    const fake = await startPagerDutyFake({ clock });
    cleanups.push(() => fake.close());
    const { out } = outbound(
      configWith({ pagerduty: [{ name: 'oncall', routingKeyEnv: 'KEY', url: fake.url }] }),
      { KEY: fake.routingKey },
      clock,
    );
    for (let n = 1; n <= 130; n++) await out.pager?.send('oncall', page(n));
    expect(fake.events).toHaveLength(120);
    clock.advance(60_000);
    await out.flush();
    expect(fake.events.map((e) => e.dedupKey)).toEqual(Array.from({ length: 130 }, (_, i) => `check:subject-${i + 1}`));
    expect(fake.refusals).toEqual([]);
  });
});

describe('a rate-limit answer is waited out, not a crash', () => {
  it('given a DingTalk robot someone else has just used 20 times, when the bot posts, then it rests for the 10-minute penalty without asking again and then delivers', async () => {
    const clock = new FakeClock();
    const fake = await startDingtalkFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out, lines } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'dingtalk', webhookEnv: 'HOOK', secretEnv: 'SECRET' }] }),
      { HOOK: fake.webhook, SECRET: fake.secret },
      clock,
    );
    fake.usedElsewhere(20);
    const poster = robot(out, 'dingtalk');
    await poster.post({ platform: 'dingtalk', id: 'ops' }, note(1));
    await poster.post({ platform: 'dingtalk', id: 'ops' }, note(2));
    expect(fake.errors.map((e) => e.errcode)).toEqual([130101]);
    expect(poster.waiting).toBe(2);
    clock.advance(5 * 60_000);
    await out.flush();
    expect(fake.server.exchanges).toHaveLength(1);
    clock.advance(5 * 60_000);
    await out.flush();
    expect(fake.accepted.map((m) => m.title)).toEqual(['message 1', 'message 2']);
    expect(lines.join('\n')).toContain('the platform says its rate limit was exceeded');
  });

  it('given PagerDuty answering 429, then the event waits a minute and goes out', async () => {
    const clock = new FakeClock();
    const fake = await startPagerDutyFake({ clock });
    cleanups.push(() => fake.close());
    const { out } = outbound(
      configWith({ pagerduty: [{ name: 'oncall', routingKeyEnv: 'KEY', url: fake.url }] }),
      { KEY: fake.routingKey },
      clock,
    );
    // Another sender used the integration up just now: the bot's own count does not know it.
    fake.usedElsewhere(120);
    await out.pager?.send('oncall', page(1));
    expect(fake.refusals.map((r) => r.status)).toEqual([429]);
    clock.advance(60_000);
    await out.flush();
    expect(fake.events.map((e) => e.dedupKey)).toEqual(['check:subject-1']);
  });
});

describe('a platform that is down', () => {
  it('given WeCom answering 502, then the messages wait, are tried again after 30 s, and go out in order once it is back', async () => {
    const clock = new FakeClock();
    const fake = await startWecomFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out, lines } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'wecom', webhookEnv: 'HOOK' }] }),
      { HOOK: fake.webhook },
      clock,
    );
    fake.down = true;
    const poster = robot(out, 'wecom');
    await poster.post({ platform: 'wecom', id: 'ops' }, note(1));
    await poster.post({ platform: 'wecom', id: 'ops' }, note(2));
    expect(fake.server.exchanges).toHaveLength(1);
    expect(poster.waiting).toBe(2);
    fake.down = false;
    clock.advance(29_000);
    await out.flush();
    expect(fake.accepted).toEqual([]);
    clock.advance(1_000);
    await out.flush();
    expect(fake.accepted.map((c) => c.split('\n')[0])).toEqual(['**message 1**', '**message 2**']);
    expect(lines.join('\n')).toContain('WeCom answered HTTP 502');
  });
});

describe('robots in /health', () => {
  it('given a WeCom robot that answers 502 and then comes back, then its health goes from connected (nothing sent yet) to reconnecting with the problem and messages waiting, and back to connected with none', async () => {
    const clock = new FakeClock();
    const fake = await startWecomFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const health = new ConnectionHealth({ clock, log: captureLog().log });
    const { out } = outbound(
      configWith({
        robots: [{ name: 'ops', platform: 'wecom', webhookEnv: 'HOOK' }],
        pagerduty: [{ name: 'oncall', routingKeyEnv: 'PD_KEY' }],
      }),
      { HOOK: fake.webhook, PD_KEY: 'a'.repeat(32) },
      clock,
      health,
    );
    // Listed from the start, as nothing is known against them yet.
    expect(health.platforms().map((p) => [p.platform, p.kind, p.state])).toEqual([
      ['wecom:ops', 'webhook', 'connected'],
      ['pagerduty:oncall', 'webhook', 'connected'],
    ]);
    expect(platformName('wecom:ops')).toBe('WeCom robot ops');

    fake.down = true;
    const poster = robot(out, 'wecom');
    await poster.post({ platform: 'wecom', id: 'ops' }, note(1));
    await poster.post({ platform: 'wecom', id: 'ops' }, note(2));
    const down = health.snapshot('wecom:ops');
    expect(down.state).toBe('reconnecting');
    expect(down.lastProblem).toMatchObject({ hop: 'webhook', detail: expect.stringContaining('502') });
    expect(down.outbox).toEqual({ waiting: 2, dropped24h: 0 });
    expect(down.lastProblem?.detail).not.toContain(fake.webhook);

    fake.down = false;
    clock.advance(30_000);
    await out.flush();
    const back = health.snapshot('wecom:ops');
    expect(back.state).toBe('connected');
    expect(back.reconnects24h).toBe(1);
    expect(back.outbox).toEqual({ waiting: 0, dropped24h: 0 });
  });
});

describe('what the platforms refuse', () => {
  it('given a DingTalk secret that is not the robot’s, then the robot answers 310000, the message is dropped with an error in the log and not tried again', async () => {
    const clock = new FakeClock();
    const fake = await startDingtalkFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out, lines } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'dingtalk', webhookEnv: 'HOOK', secretEnv: 'SECRET' }] }),
      { HOOK: fake.webhook, SECRET: 'SECnot-the-robots-secret-at-all' },
      clock,
    );
    await robot(out, 'dingtalk').post({ platform: 'dingtalk', id: 'ops' }, note(1));
    clock.advance(60_000);
    await out.flush();
    expect(fake.errors.map((e) => e.errcode)).toEqual([310000]);
    expect(fake.server.exchanges).toHaveLength(1);
    const log = lines.join('\n');
    expect(log).toContain('an alert message was not delivered and was dropped');
    expect(log).toContain('310000 sign not match');
    expect(log).not.toContain('SECnot-the-robots-secret-at-all');
  });

  it('given an alert text far longer than WeCom takes, then it is cut to 4096 bytes of UTF-8 on a character boundary and taken', async () => {
    const clock = new FakeClock();
    const fake = await startWecomFakeRobot({ clock });
    cleanups.push(() => fake.close());
    const { out } = outbound(
      configWith({ robots: [{ name: 'ops', platform: 'wecom', webhookEnv: 'HOOK' }] }),
      { HOOK: fake.webhook },
      clock,
    );
    const long: Reply = {
      title: '严重 A1: 扇区封装卡住',
      severity: 'error',
      blocks: [block.text('扇区'.repeat(2_000))],
      mentions: ['wecom:zhangsan'],
    };
    await robot(out, 'wecom').post({ platform: 'wecom', id: 'ops' }, long);
    expect(fake.errors).toEqual([]);
    const [content = ''] = fake.accepted;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content).toContain('…');
    expect(content).not.toContain('\uFFFD');
    expect(content.endsWith('<@zhangsan>')).toBe(true);
  });
});

describe('through the proxy Slack and Discord use', () => {
  it('given HTTPS_PROXY, then robots and PagerDuty are reached through it, by names only the proxy resolves', async () => {
    const clock = new FakeClock();
    const proxy = await TestProxy.start();
    cleanups.push(() => proxy.close());
    const wecom = await startWecomFakeRobot({ clock, host: 'qyapi.test' });
    const pd = await startPagerDutyFake({ clock });
    cleanups.push(() => wecom.close());
    cleanups.push(() => pd.close());
    const pdUrl = pd.url.replace('127.0.0.1', 'events.pagerduty.test');
    const { out } = outbound(
      configWith({
        robots: [{ name: 'ops', platform: 'wecom', webhookEnv: 'HOOK' }],
        pagerduty: [{ name: 'oncall', routingKeyEnv: 'KEY', url: pdUrl }],
      }),
      { HOOK: wecom.webhook, KEY: pd.routingKey, HTTPS_PROXY: proxy.url() },
      clock,
    );
    await robot(out, 'wecom').post({ platform: 'wecom', id: 'ops' }, note(1));
    await out.pager?.send('oncall', page(1));
    expect(wecom.accepted).toHaveLength(1);
    expect(pd.events).toHaveLength(1);
    expect(proxy.tunnelsTo(new URL(wecom.webhook).host)).toBe(1);
    expect(proxy.tunnelsTo(new URL(pdUrl).host)).toBe(1);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type OutboundAlerts, startOutboundAlerts } from '../../../src/cli/start-outbound-alerts.js';
import type { Config } from '../../../src/config/schema.js';
import { type DingtalkFakeRobot, startDingtalkFakeRobot } from '../../helpers/dingtalk-fake-robot.js';
import { type FeishuFakeBot, startFeishuFakeBot } from '../../helpers/feishu-fake-bot.js';
import { type PagerDutyFake, startPagerDutyFake } from '../../helpers/pagerduty-fake-events.js';
import { NOON, type SimApp, startSimApp } from '../../helpers/sim-app.js';
import { startWecomFakeRobot, type WecomFakeRobot } from '../../helpers/wecom-fake-robot.js';

interface Bed {
  s: SimApp;
  outbound: OutboundAlerts;
  wecom: WecomFakeRobot;
  dingtalk: DingtalkFakeRobot;
  feishu: FeishuFakeBot;
  pd: PagerDutyFake;
}

let bed: Bed | undefined;
afterEach(async () => {
  if (!bed) return;
  await bed.outbound.stop();
  await bed.s.close();
  await Promise.all([bed.wecom.close(), bed.dingtalk.close(), bed.feishu.close(), bed.pd.close()]);
  bed = undefined;
});

/**
 * The bot on the simulated cluster with alerts on, routed to a WeCom robot (English), a DingTalk robot (Chinese) and,
 * for critical alerts, a Feishu bot and PagerDuty; each a loopback fake of its wire format on the test's clock, with
 * the webhooks, secrets and routing key given through the environment only.
 */
async function start(configure?: (config: Config) => void): Promise<Bed> {
  let sim: SimApp | undefined;
  const clock = { now: () => sim?.clock.now() ?? NOON };
  const [wecom, dingtalk, feishu, pd] = await Promise.all([
    startWecomFakeRobot({ clock }),
    startDingtalkFakeRobot({ clock }),
    startFeishuFakeBot({ clock }),
    startPagerDutyFake({ clock }),
  ]);
  const env = {
    WECOM_OPS_WEBHOOK: wecom.webhook,
    DINGTALK_OPS_WEBHOOK: dingtalk.webhook,
    DINGTALK_OPS_SECRET: dingtalk.secret,
    FEISHU_ONCALL_WEBHOOK: feishu.webhook,
    FEISHU_ONCALL_SECRET: feishu.secret,
    PAGERDUTY_ROUTING_KEY: pd.routingKey,
  };
  let outbound: OutboundAlerts | undefined;
  sim = await startSimApp({
    scenario: 'small',
    configure(config) {
      config.robots = [
        { name: 'ops', platform: 'wecom', webhookEnv: 'WECOM_OPS_WEBHOOK', language: 'en' },
        {
          name: 'ops-cn',
          platform: 'dingtalk',
          webhookEnv: 'DINGTALK_OPS_WEBHOOK',
          secretEnv: 'DINGTALK_OPS_SECRET',
          language: 'en',
        },
        {
          name: 'oncall',
          platform: 'feishu',
          webhookEnv: 'FEISHU_ONCALL_WEBHOOK',
          secretEnv: 'FEISHU_ONCALL_SECRET',
          language: 'en',
        },
      ];
      config.pagerduty = [{ name: 'oncall', routingKeyEnv: 'PAGERDUTY_ROUTING_KEY', url: pd.url }];
      config.alerts = {
        ...config.alerts,
        enabled: true,
        routes: [
          { channels: ['wecom:ops'], mention: ['wecom:zhangsan'] },
          { channels: ['dingtalk:ops-cn'], mention: ['dingtalk:lisi'], language: 'zh' },
          { severity: ['critical'], channels: ['feishu:oncall'], mention: ['pagerduty:oncall', 'feishu:ou_7d8a6e'] },
        ],
      };
      configure?.(config);
    },
    appOptions(config, log, clock) {
      outbound = startOutboundAlerts({ config, env, log, clock });
      return outbound.pager ? { pager: outbound.pager } : {};
    },
  });
  const out = outbound as OutboundAlerts;
  for (const robot of out.robots) sim.app.posters.register(robot);
  sim.app.startBackgroundWork({ timer: false });
  bed = { s: sim, outbound: out, wecom, dingtalk, feishu, pd };
  return bed;
}

/** One tick of the jobs after `ms` on the test clock, the chat brought in step, and what waits flushed. */
async function pass(b: Bed, ms = 0): Promise<void> {
  b.s.clock.advance(ms);
  await b.s.app.jobs.tick();
  await b.s.app.settled();
  await b.outbound.flush();
}

describe('alerts to WeCom and DingTalk robots', () => {
  it('given a condition that turns critical and clears, then the WeCom robot gets the alert, the change and the resolution as short follow-ups quoting its id, paging the route’s member on critical', async () => {
    const b = await start();
    await pass(b);
    expect(b.wecom.accepted).toEqual([]);

    b.s.sim.controls.setDaemonLag('daemon-internal', 3);
    await pass(b, 30_000);
    expect(b.wecom.accepted).toHaveLength(1);
    const [raised = ''] = b.wecom.accepted;
    expect(raised).toContain('**Warning A1: daemon-internal is slow');
    expect(raised).toContain('Check: daemons');
    expect(raised).toContain('Ack or silence it in chat: /alerts ack A1');
    expect(raised).not.toContain('<@zhangsan>');

    // A repeat of the same condition sends nothing.
    await pass(b, 30_000);
    expect(b.wecom.accepted).toHaveLength(1);

    b.s.sim.controls.setDaemonLag('daemon-internal', 10);
    await pass(b, 30_000);
    expect(b.wecom.accepted).toHaveLength(2);
    expect(b.wecom.accepted[1]).toContain('A1 is now CRITICAL (Warning → CRITICAL)');
    expect(b.wecom.accepted[1]).toContain('daemon-internal is behind the chain');
    expect(b.wecom.accepted[1]).toContain('<@zhangsan>');

    b.s.sim.controls.setDaemonLag('daemon-internal', 0);
    await pass(b, 30_000);
    expect(b.wecom.accepted).toHaveLength(3);
    expect(b.wecom.accepted[2]).toMatch(/A1 resolved after \d/);
    expect(b.wecom.accepted[2]).not.toContain('<@zhangsan>');
    expect(b.wecom.errors).toEqual([]);
  });

  it('given a signing DingTalk robot on a Chinese route, then each message carries a signature the robot checks, in Chinese, paging through its at field', async () => {
    const b = await start();
    await pass(b);
    b.s.sim.controls.setDaemonLag('daemon-internal', 3);
    await pass(b, 30_000);
    b.s.sim.controls.setDaemonLag('daemon-internal', 10);
    await pass(b, 30_000);

    expect(b.dingtalk.errors).toEqual([]);
    expect(b.dingtalk.accepted.map((m) => m.title)).toEqual([
      '警告 A1: daemon-internal is slow: height 6591118, 2 min behind',
      'A1 级别变为严重 (警告 → 严重)',
    ]);
    expect(b.dingtalk.accepted[0]?.text).toContain('检查项: daemons');
    expect(b.dingtalk.accepted[0]?.text).toContain('请在聊天中确认或静默：/alerts ack A1');
    expect(b.dingtalk.accepted[1]?.atUserIds).toEqual(['lisi']);
    expect(b.dingtalk.accepted[1]?.text).toContain('@lisi');
    // Each request was signed at its own time, and checked by the robot.
    const stamps = b.dingtalk.server.exchanges.map((e) => e.request.url.searchParams.get('timestamp'));
    expect(stamps).toEqual([String(NOON + 30_000), String(NOON + 60_000)]);
  });
});

describe('critical alerts paged through PagerDuty', () => {
  it('given a route that pages, when a critical alert is raised, acked in chat and resolved, then PagerDuty gets trigger, acknowledge and resolve with one dedup key, and the Feishu bot the same story', async () => {
    const b = await start();
    await pass(b);
    b.s.sim.controls.setDaemonLag('daemon-internal', 10);
    await pass(b, 30_000);
    expect(b.pd.events).toEqual([
      {
        action: 'trigger',
        dedupKey: 'daemons:daemon-internal',
        summary: 'A1: daemon-internal is behind the chain: height 6591111, 5 min behind',
        severity: 'critical',
      },
    ]);
    expect(b.pd.incidents.get('daemons:daemon-internal')).toBe('triggered');

    const reply = await b.s.run('alice', '/alerts ack A1');
    expect(reply.outcome ?? 'ok').toBe('ok');
    await pass(b);
    expect(b.pd.events.map((e) => `${e.action} ${e.dedupKey}`)).toEqual([
      'trigger daemons:daemon-internal',
      'acknowledge daemons:daemon-internal',
    ]);
    expect(b.pd.incidents.get('daemons:daemon-internal')).toBe('acknowledged');

    b.s.sim.controls.setDaemonLag('daemon-internal', 0);
    await pass(b, 30_000);
    expect(b.pd.events.map((e) => `${e.action} ${e.dedupKey}`)).toEqual([
      'trigger daemons:daemon-internal',
      'acknowledge daemons:daemon-internal',
      'resolve daemons:daemon-internal',
    ]);
    expect(b.pd.incidents.get('daemons:daemon-internal')).toBe('resolved');
    expect(b.pd.refusals).toEqual([]);

    expect(b.feishu.errors).toEqual([]);
    expect(b.feishu.accepted.map((m) => `${m.template} ${m.title}`)).toEqual([
      'red CRITICAL A1: daemon-internal is behind the chain: height 6591111, 5 min behind',
      'blue A1 acked by terminal:alice',
      expect.stringMatching(/^green A1 resolved after \d/),
    ]);
    expect(b.feishu.accepted[0]?.markdown).toContain('<at id=ou_7d8a6e></at>');
  });

  it('given a warning-only alert, then nothing is paged', async () => {
    const b = await start();
    await pass(b);
    b.s.sim.controls.setDaemonLag('daemon-internal', 3);
    await pass(b, 30_000);
    b.s.sim.controls.setDaemonLag('daemon-internal', 0);
    await pass(b, 30_000);
    expect(b.wecom.accepted).toHaveLength(2);
    expect(b.pd.events).toEqual([]);
    expect(b.feishu.accepted).toEqual([]);
  });
});

describe('a storm of alerts to the robots', () => {
  it('given many new alerts at once, then each robot gets the one summary message', async () => {
    const b = await start((config) => {
      config.alerts.stormThreshold = 3;
    });
    await pass(b);
    for (const worker of ['sealer-01', 'sealer-02', 'sealer-03', 'pc2-01'])
      b.s.sim.controls.removeWorker('seal-miner', worker);
    await pass(b, 60_000);
    expect(b.wecom.accepted).toHaveLength(1);
    expect(b.wecom.accepted[0]).toContain('4 alerts at once: 4 from the workers check');
    expect(b.wecom.accepted[0]).toContain('Check: several');
    expect(b.dingtalk.accepted).toHaveLength(1);
    expect(b.dingtalk.accepted[0]?.text).toContain('其下有 4 条告警，各自独立恢复：');
    expect(b.dingtalk.accepted[0]?.text).toContain('检查项: 多项');
  });
});

describe('secrets of the robots and PagerDuty', () => {
  it('given the webhooks, secrets and routing key in the environment, then no log line holds them, even when a delivery fails', async () => {
    const b = await start();
    await pass(b);
    b.s.sim.controls.setDaemonLag('daemon-internal', 10);
    await b.dingtalk.close();
    await pass(b, 30_000);
    const log = b.s.logLines.join('\n');
    expect(log).toContain('could not deliver an alert message now');
    for (const secret of [b.wecom.webhook, b.dingtalk.webhook, b.dingtalk.secret, b.feishu.secret, b.pd.routingKey])
      expect(log).not.toContain(secret);
    expect(log).not.toContain(new URL(b.dingtalk.webhook).searchParams.get('access_token'));
    expect(log).not.toContain(new URL(b.wecom.webhook).searchParams.get('key'));
    expect(log).not.toContain(new URL(b.feishu.webhook).pathname.split('/').at(-1));
  });
});

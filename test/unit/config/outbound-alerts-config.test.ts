import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkConfigFile } from '../../../src/cli/check-config.js';
import { outboundTargets } from '../../../src/cli/start-outbound-alerts.js';
import { checkConfigText, parseConfigText } from '../../../src/config/load-config.js';
import { OpsError } from '../../../src/core/errors.js';
import { minimalConfigText } from '../../helpers/config-text.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const robots = `
robots:
  - name: ops-cn
    platform: dingtalk
    webhookEnv: DINGTALK_OPS_WEBHOOK
    secretEnv: DINGTALK_OPS_SECRET
    language: zh
  - name: ops
    platform: wecom
    webhookEnv: WECOM_OPS_WEBHOOK
pagerduty:
  - name: oncall
    routingKeyEnv: PAGERDUTY_ROUTING_KEY
`;

const problemsOf = (text: string) => checkConfigText(text, {}).problems.map((p) => `${p.path}: ${p.message}`);

describe('robots and PagerDuty in the configuration', () => {
  it('given routes naming configured robots and a PagerDuty service, then they are valid, with robots in English unless they say', () => {
    const config = parseConfigText(
      minimalConfigText(`${robots}
alerts:
  routes:
    - channels: [dingtalk:ops-cn, wecom:ops]
      mention: [dingtalk:lisi, pagerduty:oncall]
      language: zh
`),
      {},
    );
    expect(config.robots.map((r) => `${r.platform}:${r.name} ${r.language}`)).toEqual([
      'dingtalk:ops-cn zh',
      'wecom:ops en',
    ]);
    expect(config.pagerduty[0]?.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(config.alerts.routes[0]?.language).toBe('zh');
  });

  it('given a route naming a robot or a PagerDuty service that is not configured, then each is a problem at its path', () => {
    expect(
      problemsOf(
        minimalConfigText(`${robots}
alerts:
  routes:
    - channels: [feishu:oncall, dingtalk:ops-cn]
      mention: [pagerduty:nobody]
      language: fr
`),
      ),
    ).toEqual(['alerts.routes[0].language: unknown value "fr"; expected one of "en", "zh"']);
    expect(
      problemsOf(
        minimalConfigText(`${robots}
alerts:
  routes:
    - channels: [feishu:oncall, dingtalk:ops-cn]
      mention: [pagerduty:nobody]
`),
      ),
    ).toEqual([
      'alerts.routes[0].channels[0]: no robot "feishu:oncall" under robots',
      'alerts.routes[0].mention[0]: no PagerDuty service "nobody" under pagerduty',
    ]);
  });

  it('given a WeCom robot with a signing secret, then it is refused: WeCom robots do not sign', () => {
    expect(
      problemsOf(
        minimalConfigText(`
robots:
  - name: ops
    platform: wecom
    webhookEnv: WECOM_OPS_WEBHOOK
    secretEnv: WECOM_OPS_SECRET
`),
      ),
    ).toEqual(['robots[0].secretEnv: WeCom group robots do not sign their messages; leave secretEnv out']);
  });
});

describe('the robots’ webhooks and secrets from the environment', () => {
  const config = parseConfigText(minimalConfigText(robots), {});
  const env = {
    DINGTALK_OPS_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=4c1bd0c0ffee5e7a1d2b3c4d5e6f',
    DINGTALK_OPS_SECRET: 'SEC0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    WECOM_OPS_WEBHOOK: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
    PAGERDUTY_ROUTING_KEY: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  };

  it('given every variable, then the targets hold them, and a log line that would show one shows [redacted]', () => {
    const targets = outboundTargets(config, env);
    expect(targets.robots.get('dingtalk')).toEqual([
      { name: 'ops-cn', webhook: env.DINGTALK_OPS_WEBHOOK, secret: env.DINGTALK_OPS_SECRET },
    ]);
    expect(targets.services).toEqual([
      { name: 'oncall', routingKey: env.PAGERDUTY_ROUTING_KEY, url: 'https://events.pagerduty.com/v2/enqueue' },
    ]);
    const { log, lines } = captureLog();
    log.warn(
      { detail: `posting to ${env.WECOM_OPS_WEBHOOK.split('?')[0]}?key=9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f` },
      'x',
    );
    log.warn(`signed with ${env.DINGTALK_OPS_SECRET} for routing key ${env.PAGERDUTY_ROUTING_KEY}`);
    const text = lines.join('\n');
    expect(text).not.toContain('9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f');
    expect(text).not.toContain(env.DINGTALK_OPS_SECRET);
    expect(text).not.toContain(env.PAGERDUTY_ROUTING_KEY);
    expect(text).toContain('[redacted]');
  });

  it('given a variable that is not set, then the start is refused naming the variable', () => {
    const { DINGTALK_OPS_SECRET: _, ...rest } = env;
    expect(() => outboundTargets(config, rest)).toThrow(
      new OpsError('OUTBOUND_ENV_MISSING', { path: 'robots[0].secretEnv', name: 'DINGTALK_OPS_SECRET' }),
    );
  });

  it('given a webhook of the wrong shape or a routing key that is not one, then the start is refused without showing the value', () => {
    const wrong = 'https://oapi.dingtalk.com/robot/send?token=4c1bd0c0ffee5e7a1d2b3c4d5e6f';
    const error = (() => {
      try {
        outboundTargets(config, { ...env, DINGTALK_OPS_WEBHOOK: wrong });
      } catch (e) {
        return e as OpsError;
      }
    })();
    expect(error?.code).toBe('OUTBOUND_ENV_INVALID');
    expect(error?.message).toBe(
      'robots[0].webhookEnv: $DINGTALK_OPS_WEBHOOK does not hold a DingTalk webhook URL: a DingTalk robot webhook ends in /robot/send?access_token=TOKEN.',
    );
    expect(() => outboundTargets(config, { ...env, PAGERDUTY_ROUTING_KEY: 'short-key' })).toThrow(
      /PAGERDUTY_ROUTING_KEY does not hold a PagerDuty routing key: an Events API v2 integration key is 32 letters and digits/,
    );
  });
});

describe('check-config and the robots’ variables', () => {
  const write = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'lcops-outbound-'));
    const path = join(dir, 'bot.yaml');
    writeFileSync(path, text);
    return path;
  };
  const run = (path: string, env: NodeJS.ProcessEnv) => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    return { code: checkConfigFile(path, out, env), text: () => text };
  };

  it('given a robot whose variable is not set, then check-config exits 2 naming the variable', () => {
    const result = run(write(minimalConfigText(robots)), {
      WECOM_OPS_WEBHOOK: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k3y-of-the-robot',
    });
    expect(result.code).toBe(2);
    expect(result.text()).toContain('robots[0].webhookEnv: environment variable $DINGTALK_OPS_WEBHOOK is not set.');
  });

  it('given every variable, then check-config names the robots and services and shows none of the values', () => {
    const env = {
      DINGTALK_OPS_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=t0ken-of-the-dingtalk-robot',
      DINGTALK_OPS_SECRET: 'SECsecret-of-the-dingtalk-robot',
      WECOM_OPS_WEBHOOK: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k3y-of-the-robot',
      PAGERDUTY_ROUTING_KEY: 'b1b2c3d4e5f60718293a4b5c6d7e8f90',
    };
    const result = run(write(minimalConfigText(robots)), env);
    expect(result.code).toBe(0);
    expect(result.text()).toContain(
      'alerts also to: robots dingtalk:ops-cn, wecom:ops; PagerDuty oncall (their variables are set)',
    );
    for (const value of Object.values(env)) expect(result.text()).not.toContain(value);
  });
});

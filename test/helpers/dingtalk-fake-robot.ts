import { createHmac } from 'node:crypto';
import type { Clock } from '../../src/core/clock.js';
import {
  countWithin,
  type FakeAnswer,
  record,
  startWebhookFakeServer,
  type WebhookFakeServer,
} from './webhook-fake-server.js';

/**
 * A DingTalk (钉钉) custom robot with the 加签 security setting, as its docs describe it: POST
 * /robot/send?access_token=TOKEN&timestamp=MS&sign=SIGN, where SIGN is base64(HmacSHA256(secret, "MS\nsecret"))
 * URL-encoded and MS within an hour of DingTalk's clock; errcode 0 when taken, 310000 when the signature does not
 * match, 300001 for an unknown token; past 20 messages a minute, 130101 and the robot is throttled for 10 minutes.
 * It computes the signature itself, from its own copy of the secret, and never trusts the sender's.
 */
export interface DingtalkFakeRobot {
  webhook: string;
  secret: string;
  accepted: Array<{ title: string; text: string; atUserIds: string[] }>;
  errors: Array<{ errcode: number; errmsg: string }>;
  server: WebhookFakeServer;
  usedElsewhere(count: number): void;
  close(): Promise<void>;
}

export const DINGTALK_TOKEN = 'ff6cd723bdb4455fe18e0c9b7f0ba30dbeff007f5';
export const DINGTALK_SECRET = 'SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee';

export async function startDingtalkFakeRobot(options: { clock: Clock; host?: string }): Promise<DingtalkFakeRobot> {
  const accepted: DingtalkFakeRobot['accepted'] = [];
  const errors: DingtalkFakeRobot['errors'] = [];
  const sent: number[] = [];
  let throttledUntil = 0;
  const fail = (errcode: number, errmsg: string): FakeAnswer => {
    errors.push({ errcode, errmsg });
    return { status: 200, body: { errcode, errmsg } };
  };
  const server = await startWebhookFakeServer((req) => {
    if (req.method !== 'POST' || req.url.pathname !== '/robot/send') return { status: 404 };
    const q = req.url.searchParams;
    if (q.get('access_token') !== DINGTALK_TOKEN) return fail(300001, 'token is not exist');
    const now = options.clock.now();
    const timestamp = Number(q.get('timestamp'));
    const sign = q.get('sign');
    const expected = createHmac('sha256', DINGTALK_SECRET).update(`${timestamp}\n${DINGTALK_SECRET}`).digest('base64');
    if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > 3_600_000 || sign !== expected)
      return fail(310000, 'sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]');
    if (now < throttledUntil) return fail(130101, 'send too fast, exceed 20 times per minute');
    const body = record(req.body);
    const markdown = record(body?.markdown);
    if (body?.msgtype !== 'markdown' || typeof markdown?.title !== 'string' || typeof markdown.text !== 'string')
      return fail(40035, '缺少参数 json');
    if (countWithin(sent, now, 60_000) >= 20) {
      throttledUntil = now + 10 * 60_000;
      return fail(130101, 'send too fast, exceed 20 times per minute');
    }
    sent.push(now);
    const at = record(body.at);
    accepted.push({
      title: markdown.title,
      text: markdown.text,
      atUserIds: Array.isArray(at?.atUserIds) ? (at.atUserIds as string[]) : [],
    });
    return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  }, options);
  return {
    webhook: `${server.origin}/robot/send?access_token=${DINGTALK_TOKEN}`,
    secret: DINGTALK_SECRET,
    accepted,
    errors,
    server,
    usedElsewhere(count) {
      for (let i = 0; i < count; i++) sent.push(options.clock.now());
    },
    close: () => server.close(),
  };
}

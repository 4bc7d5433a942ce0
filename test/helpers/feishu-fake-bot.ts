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
 * A Feishu (飞书) custom bot with 签名校验, as its docs describe it: POST /open-apis/bot/v2/hook/ID with `timestamp`
 * (seconds, within an hour) and `sign` = base64(HmacSHA256 keyed with "timestamp\nsecret" over an empty message) in
 * the body; {"code":0,"msg":"success"} when taken, 19021 when the signature fails, 19001 for an unknown hook; past 100
 * messages a minute or 5 a second, 11232 "frequency limited".
 */
export interface FeishuFakeBot {
  webhook: string;
  secret: string;
  accepted: Array<{ title: string; template: string; markdown: string }>;
  errors: Array<{ code: number; msg: string }>;
  server: WebhookFakeServer;
  close(): Promise<void>;
}

export const FEISHU_HOOK = '2d1e0c8a-5b7f-4c61-9a3e-0f4b8d9e7c21';
export const FEISHU_SECRET = 'qXh1bU9mZ2xvZ3MtZmVpc2h1LXNlY3JldA';

export async function startFeishuFakeBot(options: { clock: Clock; host?: string }): Promise<FeishuFakeBot> {
  const accepted: FeishuFakeBot['accepted'] = [];
  const errors: FeishuFakeBot['errors'] = [];
  const sent: number[] = [];
  const fail = (code: number, msg: string): FakeAnswer => {
    errors.push({ code, msg });
    return { status: 200, body: { code, msg, data: {} } };
  };
  const server = await startWebhookFakeServer((req) => {
    if (req.method !== 'POST' || req.url.pathname !== `/open-apis/bot/v2/hook/${FEISHU_HOOK}`)
      return fail(19001, 'param invalid: incoming webhook access token invalid');
    const body = record(req.body);
    const now = options.clock.now();
    const timestamp = Number(body?.timestamp);
    const expected = createHmac('sha256', `${body?.timestamp}\n${FEISHU_SECRET}`).update('').digest('base64');
    if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > 3600 || body?.sign !== expected)
      return fail(19021, 'sign match fail or timestamp is not within one hour from current time');
    const card = record(body?.card);
    const header = record(card?.header);
    const elements = Array.isArray(card?.elements) ? (card.elements as unknown[]).map(record) : [];
    const markdown = elements.find((e) => e?.tag === 'markdown')?.content;
    if (body?.msg_type !== 'interactive' || !card || typeof markdown !== 'string') return fail(9499, 'Bad Request');
    if (countWithin(sent, now, 60_000) >= 100 || countWithin(sent, now, 1_000) >= 5)
      return fail(11232, 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1]');
    sent.push(now);
    accepted.push({
      title: String(record(header?.title)?.content ?? ''),
      template: String(header?.template ?? ''),
      markdown,
    });
    return { status: 200, body: { code: 0, msg: 'success', data: {} } };
  }, options);
  return {
    webhook: `${server.origin}/open-apis/bot/v2/hook/${FEISHU_HOOK}`,
    secret: FEISHU_SECRET,
    accepted,
    errors,
    server,
    close: () => server.close(),
  };
}

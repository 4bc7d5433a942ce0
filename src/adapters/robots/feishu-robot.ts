import { createHmac } from 'node:crypto';
import { DeliveryError } from '../../net/delivery-queue.js';
import { fitBytes } from './robot-markdown.js';
import { bytes, describeBody, numberField, type RobotWire, readHttpStatus } from './robot-wire.js';

/** The bot keeps a Feishu card's markdown under this many bytes (a request may hold 20 KB). */
export const FEISHU_MAX_BYTES = 4000;
/** "frequency limited": more than 100 messages a minute or 5 a second from one bot. */
const RATE_LIMITED = 11232;

/**
 * The signature of Feishu's 签名校验 setting: HmacSHA256 keyed with "timestamp\nsecret" over an empty message, base64,
 * sent in the body beside `timestamp` (seconds); Feishu refuses a timestamp more than an hour away (code 19021).
 */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

const template = { error: 'red', warning: 'orange', success: 'green', info: 'blue' } as const;

/**
 * Feishu (飞书) custom bot: POST an interactive card (a coloured header and one markdown element) to
 * …/open-apis/bot/v2/hook/ID, with `timestamp` and `sign` when it signs; it answers {"code":0,"msg":"success"}.
 * Members are paged with <at id=…></at> in the markdown. At most 100 messages a minute and 5 a second per bot.
 */
export const feishuWire: RobotWire = {
  platform: 'feishu',
  label: 'Feishu',
  windows: [
    { max: 100, perMs: 60_000 },
    { max: 5, perMs: 1_000 },
  ],
  rateLimitedBackoffMs: 60_000,
  webhookProblem: (url) =>
    /\/open-apis\/bot\/v2\/hook\/[^/]+$/.test(url.pathname)
      ? undefined
      : 'a Feishu bot webhook ends in /open-apis/bot/v2/hook/ID',
  request(target, message, now) {
    const mentions = message.mentions.map((user) => `<at id=${user}></at>`).join(' ');
    const room = FEISHU_MAX_BYTES - (mentions ? bytes(mentions) + 1 : 0);
    const content = fitBytes(message.markdown || message.title, room);
    const seconds = Math.floor(now / 1000);
    return {
      url: target.webhook,
      body: {
        ...(target.secret ? { timestamp: String(seconds), sign: feishuSign(seconds, target.secret) } : {}),
        msg_type: 'interactive',
        card: {
          header: { title: { tag: 'plain_text', content: message.title }, template: template[message.severity] },
          elements: [{ tag: 'markdown', content: mentions ? `${content}\n${mentions}` : content }],
        },
      },
    };
  },
  read(status, body) {
    const code = numberField(body, 'code', 'StatusCode');
    // Read before the status: a rate-limit answer may come with a 4xx.
    if (code === RATE_LIMITED) throw new DeliveryError('rate-limited', `Feishu${describeBody(body)}`);
    readHttpStatus('Feishu', status, body);
    if (code === 0) return;
    throw new DeliveryError('refused', `Feishu refused the message${describeBody(body) || ': an answer without code'}`);
  },
};

import { createHmac } from 'node:crypto';
import { DeliveryError } from '../../net/delivery-queue.js';
import { fitBytes } from './robot-markdown.js';
import { bytes, describeBody, numberField, type RobotWire, readHttpStatus } from './robot-wire.js';

/** The bot keeps a DingTalk markdown text under this many bytes: a long alert is read on a phone. */
export const DINGTALK_MAX_BYTES = 4000;
/** "send too fast, exceed 20 times per minute": the robot is then throttled for 10 minutes. */
const RATE_LIMITED = 130101;

/**
 * The signature of DingTalk's 加签 security setting: HmacSHA256 keyed with the secret over "timestamp\nsecret",
 * base64. It travels URL-encoded in the `sign` query parameter beside `timestamp` (milliseconds); DingTalk refuses a
 * timestamp more than an hour away from its clock.
 */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/**
 * DingTalk (钉钉) custom robot: POST {"msgtype":"markdown","markdown":{"title","text"},"at":{"atUserIds"}} to
 * …/robot/send?access_token=TOKEN (&timestamp&sign when it signs); it answers {"errcode":0,"errmsg":"ok"}, or e.g.
 * 310000 (signature, keyword or IP refused). At most 20 messages a minute per robot, or it is throttled for 10 minutes.
 */
export const dingtalkWire: RobotWire = {
  platform: 'dingtalk',
  label: 'DingTalk',
  windows: [{ max: 20, perMs: 60_000 }],
  rateLimitedBackoffMs: 10 * 60_000,
  webhookProblem: (url) =>
    url.searchParams.get('access_token')
      ? undefined
      : 'a DingTalk robot webhook ends in /robot/send?access_token=TOKEN',
  request(target, message, now) {
    const url = new URL(target.webhook);
    if (target.secret) {
      url.searchParams.set('timestamp', String(now));
      url.searchParams.set('sign', dingtalkSign(now, target.secret));
    }
    // DingTalk highlights a paged member only where the text names them too.
    const mentions = message.mentions.map((user) => `@${user}`).join(' ');
    const room = DINGTALK_MAX_BYTES - (mentions ? bytes(mentions) + 1 : 0);
    const text = fitBytes([`### ${message.title}`, message.markdown].filter(Boolean).join('\n\n'), room);
    return {
      url: url.toString(),
      body: {
        msgtype: 'markdown',
        markdown: { title: message.title.slice(0, 64), text: mentions ? `${text}\n\n${mentions}` : text },
        at: { atUserIds: message.mentions, isAtAll: false },
      },
    };
  },
  read(status, body) {
    const code = numberField(body, 'errcode');
    // Read before the status: a rate-limit answer may come with a 4xx.
    if (code === RATE_LIMITED) throw new DeliveryError('rate-limited', `DingTalk${describeBody(body)}`);
    readHttpStatus('DingTalk', status, body);
    if (code === 0) return;
    throw new DeliveryError(
      'refused',
      `DingTalk refused the message${describeBody(body) || ': an answer without errcode'}`,
    );
  },
};

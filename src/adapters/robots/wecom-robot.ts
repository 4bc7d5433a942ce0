import { DeliveryError } from '../../net/delivery-queue.js';
import { fitBytes } from './robot-markdown.js';
import { bytes, describeBody, numberField, type RobotWire, readHttpStatus } from './robot-wire.js';

/** markdown.content holds at most 4096 bytes of UTF-8 (WeCom's group robot docs). */
export const WECOM_MAX_BYTES = 4096;
/** "api freq out of limit": more than 20 messages a minute from one robot. */
const RATE_LIMITED = 45009;

/**
 * WeCom (企业微信) group robot: POST {"msgtype":"markdown","markdown":{"content":…}} to the webhook
 * (…/cgi-bin/webhook/send?key=KEY); it answers {"errcode":0,"errmsg":"ok"}. A member is paged with <@userid> in the
 * content. At most 20 messages a minute per robot.
 */
export const wecomWire: RobotWire = {
  platform: 'wecom',
  label: 'WeCom',
  windows: [{ max: 20, perMs: 60_000 }],
  rateLimitedBackoffMs: 60_000,
  webhookProblem: (url) =>
    url.searchParams.get('key') ? undefined : 'a WeCom robot webhook ends in /cgi-bin/webhook/send?key=KEY',
  request(target, message) {
    const mentions = message.mentions.map((user) => `<@${user}>`).join(' ');
    const title =
      message.severity === 'error' ? `<font color="warning">**${message.title}**</font>` : `**${message.title}**`;
    const room = WECOM_MAX_BYTES - (mentions ? bytes(mentions) + 1 : 0);
    const content = fitBytes([title, message.markdown].filter(Boolean).join('\n'), room);
    return {
      url: target.webhook,
      body: { msgtype: 'markdown', markdown: { content: mentions ? `${content}\n${mentions}` : content } },
    };
  },
  read(status, body) {
    const code = numberField(body, 'errcode');
    // Read before the status: a rate-limit answer may come with a 4xx.
    if (code === RATE_LIMITED) throw new DeliveryError('rate-limited', `WeCom${describeBody(body)}`);
    readHttpStatus('WeCom', status, body);
    if (code === 0) return;
    throw new DeliveryError(
      'refused',
      `WeCom refused the message${describeBody(body) || ': an answer without errcode'}`,
    );
  },
};

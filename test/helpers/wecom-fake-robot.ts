import type { Clock } from '../../src/core/clock.js';
import {
  countWithin,
  type FakeAnswer,
  record,
  startWebhookFakeServer,
  type WebhookFakeServer,
} from './webhook-fake-server.js';

/**
 * A WeCom (企业微信) group robot as its docs describe it: POST /cgi-bin/webhook/send?key=KEY with a JSON body of
 * msgtype text (content ≤ 2048 bytes) or markdown (content ≤ 4096 bytes, UTF-8); {"errcode":0,"errmsg":"ok"} when
 * taken; 93000 for a key that is not the robot's; 45009 past 20 messages a minute. Time is the test's clock.
 */
export interface WecomFakeRobot {
  webhook: string;
  /** The markdown (or text) contents it took, in order. */
  accepted: string[];
  /** Error answers it gave. */
  errors: Array<{ errcode: number; errmsg: string }>;
  server: WebhookFakeServer;
  /** Messages sent to the same robot by someone else, now (they count against its rate limit). */
  usedElsewhere(count: number): void;
  /** While true, WeCom's front end answers 502 (an outage on its side). */
  down: boolean;
  close(): Promise<void>;
}

export const WECOM_KEY = '693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa';

export async function startWecomFakeRobot(options: { clock: Clock; host?: string }): Promise<WecomFakeRobot> {
  const accepted: string[] = [];
  const errors: WecomFakeRobot['errors'] = [];
  const sent: number[] = [];
  const fail = (errcode: number, errmsg: string): FakeAnswer => {
    errors.push({ errcode, errmsg });
    return { status: 200, body: { errcode, errmsg } };
  };
  const state = { down: false };
  const server = await startWebhookFakeServer((req) => {
    if (state.down) return { status: 502 };
    if (req.method !== 'POST' || req.url.pathname !== '/cgi-bin/webhook/send') return { status: 404 };
    if (req.url.searchParams.get('key') !== WECOM_KEY) return fail(93000, 'invalid webhook url');
    const body = record(req.body);
    if (!body) return fail(40008, 'invalid message type');
    const now = options.clock.now();
    let content: unknown;
    if (body.msgtype === 'markdown') {
      content = record(body.markdown)?.content;
      if (typeof content !== 'string' || content === '') return fail(41009, 'missing markdown.content');
      if (Buffer.byteLength(content) > 4096) return fail(40058, 'markdown.content exceed max length 4096');
    } else if (body.msgtype === 'text') {
      content = record(body.text)?.content;
      if (typeof content !== 'string' || content === '') return fail(41009, 'missing text.content');
      if (Buffer.byteLength(content) > 2048) return fail(40058, 'text.content exceed max length 2048');
    } else return fail(40008, 'invalid message type');
    if (countWithin(sent, now, 60_000) >= 20) return fail(45009, 'api freq out of limit');
    sent.push(now);
    accepted.push(content as string);
    return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  }, options);
  return {
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    webhook: `${server.origin}/cgi-bin/webhook/send?key=${WECOM_KEY}`,
    accepted,
    errors,
    server,
    usedElsewhere(count) {
      for (let i = 0; i < count; i++) sent.push(options.clock.now());
    },
    close: () => server.close(),
  };
}

import { DeliveryError, type RateWindow } from '../../net/delivery-queue.js';
import type { RobotMessage } from './robot-markdown.js';

/** A robot as the bot reaches it: its webhook URL and signing secret, read from the environment. */
export interface RobotTarget {
  name: string;
  webhook: string;
  secret?: string;
}

/** What one platform's robot webhook takes and answers, from its published docs. */
export interface RobotWire {
  platform: 'wecom' | 'dingtalk' | 'feishu';
  /** For logs and errors: WeCom, DingTalk, Feishu. */
  label: string;
  /** The published rate limit per robot. */
  windows: readonly RateWindow[];
  /** The penalty after the platform says the limit was exceeded. */
  rateLimitedBackoffMs: number;
  /** What is wrong with a webhook URL's shape, if anything (said without the URL, which holds the key). */
  webhookProblem(url: URL): string | undefined;
  /** The POST for one message at `now` (signatures are made of the time). */
  request(target: RobotTarget, message: RobotMessage, now: number): { url: string; body: unknown };
  /** Reads the answer: returns when the message was taken, else throws a DeliveryError saying what to do. */
  read(status: number, body: unknown): void;
}

/**
 * The common reading of an HTTP answer before the platform's own code: 429 and 5xx are waited out, another non-2xx
 * status is a refusal.
 */
export function readHttpStatus(label: string, status: number, body: unknown): void {
  if (status === 429) throw new DeliveryError('rate-limited', `${label} answered HTTP 429`);
  if (status >= 500) throw new DeliveryError('unreachable', `${label} answered HTTP ${status}`);
  if (status < 200 || status >= 300)
    throw new DeliveryError('refused', `${label} answered HTTP ${status}${describeBody(body)}`);
}

/** `{"errcode":N,"errmsg":"…"}` (WeCom, DingTalk) or `{"code":N,"msg":"…"}` (Feishu), as a short text for the log. */
export function describeBody(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const code = b.errcode ?? b.code ?? b.StatusCode;
  const msg = b.errmsg ?? b.msg ?? b.StatusMessage;
  return code === undefined ? '' : `: ${String(code)} ${typeof msg === 'string' ? msg.slice(0, 200) : ''}`.trimEnd();
}

export function numberField(body: unknown, ...names: string[]): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  for (const name of names) {
    const value = (body as Record<string, unknown>)[name];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

export function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

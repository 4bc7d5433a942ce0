import { OpsError } from '../../core/errors.js';
import { platformNetworkError } from '../../net/platform-error.js';
import type { SlackFetch } from './client-options.js';
import type { SlackBlock } from './render.js';
import { slackErrors } from './slack-error.js';

export interface ResponsePayload {
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  text: string;
  blocks?: SlackBlock[];
}

/** Slack accepts five posts to one response_url within 30 minutes. */
const maxUses = 5;

/**
 * One command's or click's response_url. Posted with our own fetch and timeout (Bolt's `respond()` has no timeout),
 * counting uses so the sixth post is never attempted.
 */
export class ResponseUrl {
  private uses = 0;

  constructor(
    readonly url: string,
    private readonly fetch: SlackFetch,
    private readonly timeoutMs: number,
  ) {}

  get remaining(): number {
    return maxUses - this.uses;
  }

  async send(payload: ResponsePayload): Promise<void> {
    if (this.uses >= maxUses)
      throw slackErrors('SLACK_CALL_FAILED', { method: 'response_url', detail: `used ${maxUses} times already` });
    this.uses++;
    let status: number;
    try {
      const response = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      // Read to the end, so the connection goes back to the pool.
      await response.arrayBuffer();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw (
        platformNetworkError('Slack', 'response_url', error) ??
        new OpsError('PLATFORM_UNREACHABLE', { platform: 'Slack', hop: 'response_url', detail }, { cause: error })
      );
    }
    if (status < 200 || status >= 300)
      throw slackErrors('SLACK_CALL_FAILED', { method: 'response_url', detail: `HTTP ${status}` });
  }
}

import type { webApi } from '@slack/bolt';

export type SlackFetch = webApi.FetchFunction;
export type SlackRetryOptions = webApi.RetryOptions;

export interface SlackClientSettings {
  /** Slack's Web API base, or GovSlack's, or a corporate gateway's. */
  apiUrl?: string;
  /** Transport for every Web API call (and response_url posts): the seam for a proxy. */
  fetch?: SlackFetch;
  retryConfig?: SlackRetryOptions;
  /** Per attempt, in ms. */
  timeoutMs?: number;
}

export const defaultSlackApiUrl = 'https://slack.com/api/';

/**
 * Two retries, 1 s and then 4 s apart, each attempt cut off after 10 s: a Slack outage makes a command's answer fail
 * within about 35 s instead of hanging its listener. web-api's own default retries for about 30 minutes, and
 * socket-mode writes {retries: 100} into any client options that name no policy.
 */
export const defaultRetryConfig: SlackRetryOptions = { retries: 2, factor: 4, minTimeout: 1_000, maxTimeout: 5_000 };
export const defaultTimeoutMs = 10_000;

/**
 * Only for the Socket Mode link's own client (apps.connections.open): after a refresh or a lost link it must ride out
 * an outage of any length (a proxy down for the night), because socket-mode 3.1 gives up for good on a request error
 * once the retries are spent, and leaves an unhandled rejection that would end the process. So it never gives up:
 * attempts 1 s apart at first, then every 30 s. No command waits on these; starting the adapter has its own bound
 * (startTimeoutMs), and a refused token is not retried at all.
 */
export const socketLinkRetryConfig: SlackRetryOptions = {
  forever: true,
  factor: 1.5,
  minTimeout: 1_000,
  maxTimeout: 30_000,
};

/**
 * The options of every Web API client the adapter or Bolt builds. Each call gets a fresh object, because Bolt and
 * socket-mode write into the options they are given (logger, fetch, retryConfig).
 */
export function slackClientOptions(settings: SlackClientSettings): webApi.WebClientOptions {
  const apiUrl = settings.apiUrl ?? defaultSlackApiUrl;
  return {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { ...(settings.retryConfig ?? defaultRetryConfig) },
    timeout: settings.timeoutMs ?? defaultTimeoutMs,
    // A 429 is waited out (for the Retry-After Slack names) and retried within the retry budget above, rather than
    // rejected: the answer to a command or an approval outcome matters more than a second's delay, and chat.postMessage
    // allows only about one message per second per channel. RATE_LIMITED events are logged by the adapter.
    rejectRateLimitedCalls: false,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  };
}

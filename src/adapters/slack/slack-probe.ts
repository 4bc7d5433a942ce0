import { webApi } from '@slack/bolt';
import type { PlatformTransport } from '../../net/platform-transport.js';
import type { ProbeTarget } from '../../net/probe-platforms.js';
import { defaultSlackApiUrl, type SlackFetch, slackClientOptions } from './client-options.js';
import type { SlackConfig } from './slack-adapter.js';
import { slackError } from './slack-error.js';

/**
 * What check-config --probe tries for Slack, over the transport the bot would use: the Web API with the bot token
 * (auth.test), in Socket Mode the app-level token (apps.connections.open) and the WebSocket host it names, and Slack's
 * response_url host. One attempt each, no retries.
 */
export function slackProbeTargets(config: SlackConfig, transport: PlatformTransport, timeoutMs: number): ProbeTarget[] {
  const apiUrl = config.apiUrl ?? defaultSlackApiUrl;
  const client = (token: string): webApi.WebClient =>
    new webApi.WebClient(
      token,
      slackClientOptions({
        apiUrl,
        fetch: transport.fetch as unknown as SlackFetch,
        retryConfig: { retries: 0 },
        timeoutMs,
      }),
    );
  const appToken = config.appToken;
  const targets: ProbeTarget[] = [
    {
      name: 'Slack Web API',
      url: apiUrl,
      check: async () => {
        const answer = await client(config.botToken)
          .auth.test()
          .catch((error: unknown) => {
            throw slackError('auth.test', error, { token: 'bot' });
          });
        const detail = `bot token accepted: @${answer.user ?? '?'} in ${answer.team ?? answer.team_id ?? 'the workspace'}`;
        if (config.mode !== 'socket' || appToken === undefined) return { detail };
        return {
          detail,
          next: {
            name: 'Slack Socket Mode (app-level token)',
            url: apiUrl,
            check: async () => {
              const opened = await client(appToken)
                .apps.connections.open({})
                .catch((error: unknown) => {
                  throw slackError('apps.connections.open', error, { token: 'app' });
                });
              const socketUrl = new URL(opened.url ?? '');
              // The WebSocket's address only, never its ticket (the query), which stands for the app token.
              return {
                detail: 'app-level token accepted',
                next: { name: 'Slack Socket Mode WebSocket', url: `${socketUrl.protocol}//${socketUrl.host}/` },
              };
            },
          },
        };
      },
    },
  ];
  if (config.apiUrl === undefined) targets.push({ name: 'Slack response_url host', url: 'https://hooks.slack.com/' });
  return targets;
}

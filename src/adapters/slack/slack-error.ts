import { webApi } from '@slack/bolt';
import { errorCatalogue, OpsError } from '../../core/errors.js';
import { platformNetworkError } from '../../net/platform-error.js';

/** What Slack itself refused or failed, in the operator's words (the core's catalogue has the rest). */
export const slackErrors = errorCatalogue({
  SLACK_BOT_TOKEN_REFUSED: {
    message: 'Slack refused the bot token: {error}.',
    hint: 'Set slack.botToken to the Bot User OAuth Token (xoxb-…) from the app\'s "OAuth & Permissions" page; reinstall the app if the token was revoked.',
    kind: 'failed',
  },
  SLACK_APP_TOKEN_REFUSED: {
    message: 'Slack refused the app-level token for Socket Mode: {error}.',
    hint: 'Set slack.appToken to an app-level token (xapp-…) with the connections:write scope ("Basic Information" → "App-Level Tokens"), and turn Socket Mode on in the app settings.',
    kind: 'failed',
  },
  SLACK_NOT_IN_CHANNEL: {
    message: 'The bot cannot post in Slack channel {channel}: {error}.',
    hint: 'Invite the bot to the channel (/invite @lotus-chatops); for public channels the chat:write.public scope also works.',
    kind: 'failed',
  },
  SLACK_MISSING_SCOPE: {
    message: 'Slack {method} needs a scope the app lacks ({needed}).',
    hint: 'Add it under "OAuth & Permissions" (config/slack-manifest.yaml lists every scope the bot uses) and reinstall the app.',
    kind: 'failed',
  },
  SLACK_CALL_FAILED: { message: 'Slack {method} failed: {detail}.', kind: 'failed' },
  SLACK_LISTEN_FAILED: {
    message: 'Cannot listen for Slack requests on port {port}: {detail}.',
    hint: 'Another process may hold the port; change slack.port, or use Socket Mode (slack.mode: socket), which needs no port.',
    kind: 'failed',
  },
});

const channelErrors = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'restricted_action']);
const authErrors = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);

/**
 * A failed Web API call as an error the catalogue can explain: which method, what Slack said and what to fix. The
 * original error stays as `cause` for the log.
 */
export function slackError(
  method: string,
  error: unknown,
  where: { channel?: string; token?: 'bot' | 'app' } = {},
): OpsError {
  if (error instanceof OpsError) return error;
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = error.data.error;
    if (authErrors.has(code)) {
      return slackErrors(
        where.token === 'app' ? 'SLACK_APP_TOKEN_REFUSED' : 'SLACK_BOT_TOKEN_REFUSED',
        { error: code },
        { cause: error },
      );
    }
    if (code === 'missing_scope') {
      const needed =
        'needed' in error.data && typeof error.data.needed === 'string' ? error.data.needed : 'unknown scope';
      return slackErrors('SLACK_MISSING_SCOPE', { method, needed }, { cause: error });
    }
    if (channelErrors.has(code)) {
      return slackErrors(
        'SLACK_NOT_IN_CHANNEL',
        { channel: where.channel ?? 'unknown', error: code },
        { cause: error },
      );
    }
    return slackErrors('SLACK_CALL_FAILED', { method, detail: code }, { cause: error });
  }
  if (error instanceof webApi.WebAPIRequestError) {
    // Which hop failed (DNS, the proxy, TLS, a timeout) when the cause says; fetch's own message is only "fetch failed".
    return (
      platformNetworkError('Slack', `Web API ${method}`, error) ??
      new OpsError(
        'PLATFORM_UNREACHABLE',
        { platform: 'Slack', hop: `Web API ${method}`, detail: detailOf(error.original) },
        { cause: error },
      )
    );
  }
  if (error instanceof webApi.WebAPIHTTPError) {
    return slackErrors(
      'SLACK_CALL_FAILED',
      { method, detail: `HTTP ${error.statusCode} ${error.statusMessage}` },
      { cause: error },
    );
  }
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return slackErrors(
      'SLACK_CALL_FAILED',
      { method, detail: `rate limited, retry after ${error.retryAfter} s` },
      { cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return slackErrors('SLACK_CALL_FAILED', { method, detail }, { cause: error });
}

function detailOf(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

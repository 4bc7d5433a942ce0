import { webApi } from '@slack/bolt';
import { OpsError } from '../../core/errors.js';
import { platformNetworkError } from '../../net/platform-error.js';

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
      return new OpsError(
        where.token === 'app' ? 'SLACK_APP_TOKEN_REFUSED' : 'SLACK_BOT_TOKEN_REFUSED',
        { error: code },
        { cause: error },
      );
    }
    if (code === 'missing_scope') {
      const needed =
        'needed' in error.data && typeof error.data.needed === 'string' ? error.data.needed : 'unknown scope';
      return new OpsError('SLACK_MISSING_SCOPE', { method, needed }, { cause: error });
    }
    if (channelErrors.has(code)) {
      return new OpsError(
        'SLACK_NOT_IN_CHANNEL',
        { channel: where.channel ?? 'unknown', error: code },
        { cause: error },
      );
    }
    return new OpsError('SLACK_CALL_FAILED', { method, detail: code }, { cause: error });
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
    return new OpsError(
      'SLACK_CALL_FAILED',
      { method, detail: `HTTP ${error.statusCode} ${error.statusMessage}` },
      { cause: error },
    );
  }
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return new OpsError(
      'SLACK_CALL_FAILED',
      { method, detail: `rate limited, retry after ${error.retryAfter} s` },
      { cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new OpsError('SLACK_CALL_FAILED', { method, detail }, { cause: error });
}

function detailOf(error: Error): string {
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

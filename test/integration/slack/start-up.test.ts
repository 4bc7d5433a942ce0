import { describe, expect, it } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { startSlackTestBed } from '../../helpers/slack-test-bed.js';

async function startFailure(options: Parameters<typeof startSlackTestBed>[0]): Promise<OpsError> {
  const error = await startSlackTestBed(options).then(
    async (bed) => {
      await bed.close();
      throw new Error('the adapter started');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  return error as OpsError;
}

describe('starting the Slack adapter', () => {
  it('given a revoked bot token, when the adapter starts, then it fails saying which token and where to get one', async () => {
    const error = await startFailure({
      beforeStart: (api) => api.script('auth.test', { body: { ok: false, error: 'token_revoked' } }),
    });
    expect(error.code).toBe('SLACK_BOT_TOKEN_REFUSED');
    expect(error.message).toBe('Slack refused the bot token: token_revoked.');
    expect(error.hint).toContain('xoxb-');
  });

  it('given an app-level token Slack refuses, when the adapter starts in Socket Mode, then it fails naming that token', async () => {
    const error = await startFailure({
      beforeStart: (api) => api.script('apps.connections.open', { body: { ok: false, error: 'invalid_auth' } }),
    });
    expect(error.code).toBe('SLACK_APP_TOKEN_REFUSED');
    expect(error.hint).toContain('connections:write');
  });

  it('given a bot token where the app-level token belongs, when the adapter starts, then it refuses before dialling', async () => {
    const error = await startFailure({ config: { appToken: 'xoxb-not-an-app-token' } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('slack.appToken');
  });
});

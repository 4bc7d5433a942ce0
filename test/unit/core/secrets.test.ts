import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load-config.js';
import { captureLog } from '../../helpers/runtime-harness.js';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJBbGxvdyI6WyJ3cml0ZSJdfQ.Zm9vYmFyYmF6cXV1eA';
const slackToken = 'xoxb-123456-7891011-abcdefSECRET';
const inlineSecret = 'plain-inline-secret-9f8e7d';

const config = `
cluster:
  daemons:
    - { name: d1, api: "${'${DAEMON_API}'}" }
  miners:
    - { name: seal, actor: f01234, api: "tok3n-in-file-4242:/ip4/127.0.0.1/tcp/2345/http", roles: [seal] }
slack:
  botToken: ${slackToken}
  appToken: xapp-1-A0-${'${APP_SECRET}'}
  signingSecret: ${inlineSecret}
`;

describe('secrets from the configuration', () => {
  it('never appear in a log line, whichever field, message or error carries them', () => {
    const parsed = parseConfigText(config, {
      DAEMON_API: `${token}:/ip4/10.0.0.1/tcp/1234/http`,
      APP_SECRET: 'app-secret-value-77',
    });
    const { log, lines } = captureLog();
    log.info({ api: parsed.cluster.daemons[0]?.api }, 'daemon configured');
    log.info(`connecting with ${parsed.cluster.miners[0]?.api}`);
    log.error({ err: new Error(`401 from http://10.0.0.1:1234/rpc/v1?token=${token}`) }, 'call failed');
    log.warn({ nested: { deeper: { value: `Bearer ${slackToken}` } } }, 'header');
    log.info({ request: { body: `secret=${inlineSecret}` } }, 'signed');
    log.info({ appToken: 'xapp-1-A0-app-secret-value-77' }, 'socket mode');
    const text = lines.join('');
    expect(lines).toHaveLength(6);
    for (const secret of [token, slackToken, inlineSecret, 'tok3n-in-file-4242', 'app-secret-value-77']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('/ip4/10.0.0.1/tcp/1234/http');
  });
});

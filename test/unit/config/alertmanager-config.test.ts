import { describe, expect, it } from 'vitest';
import { checkConfigText, parseConfigText } from '../../../src/config/load-config.js';
import { redactSecrets } from '../../../src/core/logger.js';
import { minimalConfigText } from '../../helpers/config-text.js';

describe('the http, metrics and alertmanager configuration', () => {
  it('given nothing, then metrics and the receiver are off and the listener would bind loopback', () => {
    const config = parseConfigText(minimalConfigText(''), {});
    expect(config.metrics.enabled).toBe(false);
    expect(config.alertmanager.enabled).toBe(false);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.alertmanager.severityLabel).toBe('severity');
    expect(config.alertmanager.maxBodyBytes).toBe(1024 * 1024);
  });

  it('given the receiver on without credentials, or with both kinds, then the file is refused saying what it needs', () => {
    const none = checkConfigText(minimalConfigText('alertmanager:\n  enabled: true\n'), {});
    expect(none.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'alertmanager: the receiver needs exactly one of token (bearer) or basicAuth, as the http_config of its webhook_configs sends',
    ]);
    const both = checkConfigText(
      minimalConfigText(
        'alertmanager:\n  enabled: true\n  token: ${T}\n  basicAuth:\n    username: am\n    password: ${T}\n',
      ),
      { T: '0123456789abcdef0123' },
    );
    expect(both.problems).toHaveLength(1);
  });

  it('given a short token, then it is refused; given one from the environment, then it never reaches a log line', () => {
    const short = checkConfigText(minimalConfigText('alertmanager:\n  enabled: true\n  token: ${T}\n'), { T: 'short' });
    expect(short.problems[0]?.path).toBe('alertmanager.token');
    const secret = 'am-password-from-env-7f3a9c';
    parseConfigText(
      minimalConfigText('alertmanager:\n  enabled: true\n  basicAuth:\n    username: am\n    password: ${P}\n'),
      {
        P: secret,
      },
    );
    expect(redactSecrets(`Authorization with ${secret}`)).not.toContain(secret);
  });

  it('given a route naming the alertmanager check, then it is accepted', () => {
    const config = parseConfigText(
      minimalConfigText('alerts:\n  routes:\n    - checks: [alertmanager, funds]\n      channels: [slack:C0ALERTS]\n'),
      {},
    );
    expect(config.alerts.routes[0]?.checks).toEqual(['alertmanager', 'funds']);
  });
});

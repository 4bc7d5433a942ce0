import { describe, expect, it } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { redactSecrets } from '../../../src/core/logger.js';
import { bypassesProxy, describeProxy, proxyFor, proxySettings } from '../../../src/net/proxy-settings.js';

const url = (text: string): URL => new URL(text);

describe('where chat-platform traffic goes', () => {
  it('given network.proxy, when HTTPS_PROXY is also set, then the configuration wins', () => {
    const settings = proxySettings({ proxy: 'http://proxy.corp:3128' }, { HTTPS_PROXY: 'http://other:8080' });
    expect(settings).toMatchObject({ source: 'config' });
    expect(settings.proxy?.host).toBe('proxy.corp:3128');
  });

  it('given no network.proxy, when https_proxy or HTTPS_PROXY is set, then that proxy and NO_PROXY apply', () => {
    const settings = proxySettings(undefined, {
      https_proxy: 'proxy.corp:3128',
      NO_PROXY: 'internal.corp, .lan 10.0.0.0/8',
    });
    expect(settings.source).toBe('environment');
    expect(settings.proxy?.href).toBe('http://proxy.corp:3128/');
    expect(settings.noProxy).toEqual(['internal.corp', '.lan', '10.0.0.0/8']);
  });

  it('given nothing, then platforms are dialled directly', () => {
    expect(proxyFor(proxySettings({}, {}), 'https://slack.com/api/')).toBeUndefined();
  });

  it('given a socks or malformed proxy, then it is a configuration error that says what is expected', () => {
    expect(() => proxySettings({ proxy: 'socks5://proxy:1080' }, {})).toThrow(OpsError);
    expect(() => proxySettings(undefined, { HTTPS_PROXY: 'http://proxy:3128/some/path' })).toThrow(
      /HTTPS_PROXY must be the proxy's address only/,
    );
  });

  it('given credentials in the proxy URL, then the password is masked wherever it would be logged and never described', () => {
    const settings = proxySettings({ proxy: 'http://bot:s%40cret-Pa55@proxy.corp:3128' }, {});
    expect(redactSecrets('dialling with s@cret-Pa55')).toBe('dialling with [redacted]');
    expect(describeProxy(settings.proxy as URL)).toBe('http://proxy.corp:3128 as bot');
  });

  it.each([
    ['*', 'https://slack.com/api/', true],
    ['slack.com', 'https://slack.com/api/', true],
    ['slack.com', 'wss://wss-primary.slack.com/link', true],
    ['.slack.com', 'https://slack.com/', true],
    ['slack.com', 'https://notslack.com/', false],
    ['discord.com:443', 'https://discord.com/api', true],
    ['discord.com:8443', 'https://discord.com/api', false],
    ['10.0.0.0/8', 'http://10.1.2.3:8080/', true],
    ['10.0.0.0/8', 'http://11.1.2.3:8080/', false],
    ['127.0.0.1', 'http://127.0.0.1:1234/', true],
    ['[::1]', 'http://[::1]:1234/', true],
  ])('given NO_PROXY %s, when %s is reached, then it bypasses the proxy: %s', (rule, target, bypass) => {
    expect(bypassesProxy([rule], url(target))).toBe(bypass);
  });
});

import { describe, expect, test } from 'vitest';
import { OpsError } from '../../../src/core/errors.js';
import { parseApiInfo } from '../../../src/lotus/api-info.js';

const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIl19.c2lnbmF0dXJl';

function invalid(value: string, kind: 'full' | 'miner' = 'full'): OpsError {
  try {
    parseApiInfo(value, kind);
  } catch (error) {
    expect(error).toBeInstanceOf(OpsError);
    expect((error as OpsError).code).toBe('LOTUS_ENDPOINT_INVALID');
    return error as OpsError;
  }
  throw new Error(`"${value}" was accepted`);
}

describe('lotus API info strings', () => {
  test('TOKEN:MULTIADDR of a full node becomes an HTTP URL on /rpc/v1 with the token kept apart', () => {
    expect(parseApiInfo(`${token}:/ip4/10.0.0.5/tcp/1234/http`, 'full')).toEqual([
      { url: 'http://10.0.0.5:1234/rpc/v1', token, display: '10.0.0.5:1234' },
    ]);
  });

  test('a miner endpoint uses /rpc/v0', () => {
    expect(parseApiInfo(`${token}:/ip4/10.0.0.6/tcp/2345/http`, 'miner')[0]?.url).toBe('http://10.0.0.6:2345/rpc/v0');
  });

  test('a bare multiaddr has no token (read-only access)', () => {
    expect(parseApiInfo('/ip4/127.0.0.1/tcp/1234/http', 'full')).toEqual([
      { url: 'http://127.0.0.1:1234/rpc/v1', display: '127.0.0.1:1234' },
    ]);
  });

  test('ip6 and dns multiaddrs, and /https, /tls or /wss select HTTPS', () => {
    expect(parseApiInfo('/ip6/::1/tcp/1234/http', 'full')[0]).toMatchObject({
      url: 'http://[::1]:1234/rpc/v1',
      display: '[::1]:1234',
    });
    const dns = parseApiInfo(`${token}:/dns/lotus.example.com/tcp/443/https`, 'full');
    expect(dns[0]?.url).toBe('https://lotus.example.com:443/rpc/v1');
    expect(parseApiInfo('/dns4/node-1/tcp/1234/tls/ws', 'full')[0]?.url).toBe('https://node-1:1234/rpc/v1');
    expect(parseApiInfo('/dns6/node-1/tcp/1234/wss', 'miner')[0]?.url).toBe('https://node-1:1234/rpc/v0');
    expect(parseApiInfo('/ip4/10.0.0.5/tcp/1234', 'full')[0]?.url).toBe('http://10.0.0.5:1234/rpc/v1');
  });

  test('URLs are used as given, ws(s) read as http(s), rpc/<v> joined on unless already there', () => {
    expect(parseApiInfo('http://10.0.0.5:1234', 'full')[0]).toEqual({
      url: 'http://10.0.0.5:1234/rpc/v1',
      display: '10.0.0.5:1234',
    });
    expect(parseApiInfo(`${token}:wss://gw.example.com/rpc/v1`, 'full')[0]).toEqual({
      url: 'https://gw.example.com:443/rpc/v1',
      token,
      display: 'gw.example.com:443',
    });
    expect(parseApiInfo('ws://10.0.0.5:2345/', 'miner')[0]?.url).toBe('http://10.0.0.5:2345/rpc/v0');
  });

  test('comma-separated endpoints are kept in order for fail-over', () => {
    const value = `${token}:/ip4/10.0.0.5/tcp/1234/http, ${token}x:/ip4/10.0.0.7/tcp/1234/http`;
    const endpoints = parseApiInfo(value, 'full');
    expect(endpoints.map((e) => [e.display, e.token])).toEqual([
      ['10.0.0.5:1234', token],
      ['10.0.0.7:1234', `${token}x`],
    ]);
  });

  test('bad values are explained, and the token never appears in the message', () => {
    expect(invalid('').message).toContain('empty');
    expect(invalid(`${token}:/ip4/10.0.0.5/udp/1234`).message).toContain('/tcp/<port>');
    expect(invalid(`${token}:/ip4/10.0.0.500/tcp/1234/http`).message).toContain('not an IPv4 address');
    expect(invalid(`${token}:/ip4/10.0.0.5/tcp/99999/http`).message).toContain('not a TCP port');
    expect(invalid(`${token}:/unix/tmp/lotus.sock`).message).toContain('must start with /ip4');
    expect(invalid(`${token}:/ip4/10.0.0.5/tcp/1234/quic`).message).toContain('/quic');
    expect(invalid(`${token}:10.0.0.5:1234`).message).toContain('neither a multiaddr');
    expect(invalid('10.0.0.5').message).toContain('expected TOKEN:MULTIADDR');
    expect(invalid(`${token}:/ip4/10.0.0.5/tcp/1234/http,`).message).toContain('endpoint 2');
    expect(invalid('ftp://host:1234').message).toContain('ftp:');
    for (const error of [invalid(`${token}:/ip4/10.0.0.5/tcp/0/http`), invalid(`${token}:garbage`)]) {
      expect(error.message).not.toContain(token);
      expect(error.message).toContain('<token>');
    }
  });
});

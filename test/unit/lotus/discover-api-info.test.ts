import { describe, expect, test } from 'vitest';
import { discoverApiInfo } from '../../../src/lotus/discover-api-info.js';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe('finding a node API without a config file, as the lotus CLI does', () => {
  test('FULLNODE_API_INFO wins over the repo files', () => {
    const found = discoverApiInfo('full', {
      env: { FULLNODE_API_INFO: 'tok:/ip4/10.0.0.5/tcp/1234/http' },
      readFile: files({ '/home/op/.lotus/api': '/ip4/127.0.0.1/tcp/1234/http' }),
      homeDir: '/home/op',
    });
    expect(found).toEqual({ apiInfo: 'tok:/ip4/10.0.0.5/tcp/1234/http', source: 'FULLNODE_API_INFO' });
  });

  test('a miner reads MINER_API_INFO, then the deprecated STORAGE_API_INFO', () => {
    const env = { STORAGE_API_INFO: 'old:/ip4/10.0.0.6/tcp/2345/http' };
    expect(discoverApiInfo('miner', { env, readFile: files({}) })?.source).toBe('STORAGE_API_INFO');
  });

  test('otherwise the repo api and token files are read and trimmed; the source is the path, not the token', () => {
    const found = discoverApiInfo('miner', {
      env: { LOTUS_MINER_PATH: '/data/lotusminer' },
      readFile: files({
        '/data/lotusminer/api': '/ip4/127.0.0.1/tcp/2345/http\n',
        '/data/lotusminer/token': 'eyJ.x.y\n',
      }),
    });
    expect(found).toEqual({ apiInfo: 'eyJ.x.y:/ip4/127.0.0.1/tcp/2345/http', source: '/data/lotusminer/api' });
  });

  test('a repo without a token file gives a bare multiaddr (read-only); no repo gives nothing', () => {
    const readFile = files({ '/home/op/.lotus/api': '/ip4/127.0.0.1/tcp/1234/http' });
    const found = discoverApiInfo('full', { env: {}, readFile, homeDir: '/home/op' });
    expect(found?.apiInfo).toBe('/ip4/127.0.0.1/tcp/1234/http');
    expect(discoverApiInfo('miner', { env: {}, readFile, homeDir: '/home/op' })).toBeUndefined();
  });
});

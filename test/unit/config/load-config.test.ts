import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkConfigText, parseConfigText } from '../../../src/config/load-config.js';
import { minimalConfigText } from '../../helpers/config-text.js';

const exampleEnv = {
  DAEMON_PUBLIC_API_INFO:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIl19.c2lnbmF0dXJlLXB1YmxpYw:/ip4/10.0.0.1/tcp/1234/http',
  DAEMON_INTERNAL_API_INFO: '/ip4/10.0.0.2/tcp/1234/http',
  WINNING_MINER_API_INFO: 'tok-winning:/ip4/10.0.0.3/tcp/2345/http',
  WINDOW_MINER_API_INFO: 'tok-window:/ip4/10.0.0.4/tcp/2345/http',
  SEAL_MINER_API_INFO: 'tok-seal:/ip4/10.0.0.5/tcp/2345/http',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdef',
  SLACK_APP_TOKEN: 'xapp-1-A111-2222-abcdef',
  DISCORD_BOT_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4.discord-token-value',
};

describe('the configuration', () => {
  it('given config/example.yaml with its variables set, then it is valid and documents every section', () => {
    const text = readFileSync('config/example.yaml', 'utf8');
    const config = parseConfigText(text, exampleEnv);
    expect(config.cluster.miners.map((m) => m.name)).toEqual(['winning', 'window', 'seal']);
    expect(config.cluster.hosts[3]?.workers[0]?.kind).toBe('AP+PC1');
    expect(config.rbac.approvals.pledge?.ttl).toBe('30m');
    expect(config.slack?.botToken).toBe(exampleEnv.SLACK_BOT_TOKEN);
  });

  it('given a minimal file, then defaults fill the rest', () => {
    const config = parseConfigText(minimalConfigText(), {});
    expect(config.store.path).toBe('./data/lotus-chatops.db');
    expect(config.rbac.roles.viewer).toEqual([]);
    expect(config.ssh.concurrency).toBe(16);
    expect(config.cluster.miners[0]?.forkCommands).toBe(true);
  });

  it('given a misspelt role, then the problem names its path, line and the roles that exist', () => {
    const text = minimalConfigText().replace('roles: [seal]', 'roles: [seal, windowpost]');
    const { problems } = checkConfigText(text, {});
    expect(problems).toEqual([
      {
        path: 'cluster.miners[0].roles[1]',
        line: 10,
        message:
          'unknown value "windowpost"; expected one of "winning-post", "window-post", "seal", "deal", "sector-counter"',
      },
    ]);
  });

  it('given an unknown key, then it is an error, not ignored', () => {
    const { problems } = checkConfigText(minimalConfigText('stroe:\n  path: x.db\n'), {});
    expect(problems).toEqual([{ path: 'stroe', line: 11, message: 'unknown key "stroe"' }]);
  });

  it('given several problems, then all of them are reported at once', () => {
    const text = minimalConfigText(`
  hosts:
    - name: pc1
      address: 10.0.0.9
      workers:
        - { name: w1, kind: PC3 }
rbac:
  roles:
    admin: ['not a principal']
`).replace('    - name: seal\n', '    - name: Seal\n');
    const { problems } = checkConfigText(text, {});
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('cluster.miners[0].name');
    expect(paths).toContain('cluster.hosts[0].workers[0].kind');
    expect(paths).toContain('rbac.roles.admin[0]');
  });

  it('given a host without a pinned key, then the config is refused: no "accept any key" default', () => {
    const text = minimalConfigText(`  hosts:\n    - name: pc1\n      address: 10.0.0.9\nssh:\n  privateKeyPath: /k\n`);
    const { problems } = checkConfigText(text, {});
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'cluster.hosts[0].hostKey: no host key pinned: set hostKey (ssh-keygen -lf on the host) or ssh.knownHostsFile',
    ]);
  });

  it('given a reference to an unset environment variable, then the problem names it and where it is used', () => {
    const text = minimalConfigText().replace('api: /ip4/127.0.0.1/tcp/2345/http', 'api: ${SEAL_API_INFO}');
    const { problems } = checkConfigText(text, {});
    expect(problems).toEqual([
      { path: 'cluster.miners[0].api', line: 9, message: 'environment variable ${SEAL_API_INFO} is not set' },
    ]);
  });

  it('given two sector counters for one actor, then the config is refused', () => {
    const text = `
cluster:
  daemons: [{ name: d1, api: /ip4/127.0.0.1/tcp/1234/http }]
  miners:
    - { name: a, actor: f01234, api: /ip4/127.0.0.1/tcp/2345/http, roles: [winning-post, sector-counter], sectorCounterListen: '10.0.0.1:1357' }
    - { name: b, actor: f01234, api: /ip4/127.0.0.1/tcp/2346/http, roles: [window-post, sector-counter], sectorCounterListen: '10.0.0.2:1357' }
`;
    const { problems } = checkConfigText(text, {});
    expect(problems.map((p) => p.message)).toEqual([
      'more than one sector-counter for one actor: two counters hand out the same sector numbers',
    ]);
  });

  it('given broken YAML, then the problem says where', () => {
    const { problems } = checkConfigText('cluster:\n  daemons: [\n', {});
    expect(problems[0]?.path).toBe('(yaml)');
    expect(problems[0]?.line).toBeGreaterThan(0);
  });
});

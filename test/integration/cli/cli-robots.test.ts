import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../../helpers/cli.js';

let configPath: string;

beforeAll(() => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'lcops-cli-robots-'));
  configPath = join(dir, 'bot.yaml');
  writeFileSync(
    configPath,
    `
cluster:
  daemons:
    - name: d1
      api: /ip4/127.0.0.1/tcp/1/http
  miners:
    - name: seal
      actor: f01234
      api: /ip4/127.0.0.1/tcp/1/http
      roles: [seal]
store:
  path: ${join(dir, 'store.db')}
robots:
  - name: ops-cn
    platform: dingtalk
    webhookEnv: DINGTALK_OPS_WEBHOOK
    secretEnv: DINGTALK_OPS_SECRET
alerts:
  routes:
    - channels: [dingtalk:ops-cn]
`,
  );
});

describe('lotus-chatops run with a DingTalk robot', () => {
  it('given its secret variable unset, then run refuses to start, exits 2 and names the variable, never the webhook', async () => {
    const webhook = 'https://oapi.dingtalk.com/robot/send?access_token=a1ccess7oken0f7herobot';
    const result = await runCli(['run', '--config', configPath], { env: { DINGTALK_OPS_WEBHOOK: webhook } });
    expect(result.code).toBe(2);
    const output = result.stdout + result.stderr;
    expect(output).toContain('robots[0].secretEnv: environment variable $DINGTALK_OPS_SECRET is not set.');
    expect(output).not.toContain('a1ccess7oken0f7herobot');
    expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

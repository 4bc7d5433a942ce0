import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkConfigText,
  loadConfigFile,
  maxConfigBytes,
  maxProblemsShown,
  readConfigFile,
} from '../../../src/config/load-config.js';
import { OpsError } from '../../../src/core/errors.js';

const minimal = (extra = '') => `cluster:
  daemons:
    - name: d1
      api: /ip4/127.0.0.1/tcp/1234/http
  miners:
    - name: seal
      actor: f01234
      api: /ip4/127.0.0.1/tcp/2345/http
      roles: [seal]
${extra}`;

function file(content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lcops-hostile-')), 'bot.yaml');
  writeFileSync(path, content);
  return path;
}

function refusal(fn: () => unknown): OpsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OpsError) return error;
    throw error;
  }
  throw new Error('no error');
}

/** `a0: &a0 [lol × 10]`, `a1: &a1 [*a0 × 10]` … `a9`, then `cluster: *a9`: 10^10 strings once expanded. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  lines.push('cluster: *a9');
  return `${lines.join('\n')}\n`;
}

describe('a configuration file that is hostile or broken', () => {
  it('given an alias bomb, then it is refused as one, with the line of the first alias, and nothing is expanded', () => {
    const { problems } = checkConfigText(aliasBomb(), {});
    expect(problems).toEqual([
      {
        path: '(yaml)',
        line: 2,
        message: expect.stringContaining('too many aliases: expanding them would make the configuration enormous'),
      },
    ]);
  });

  it('given a device or a directory, then it is refused without being read', () => {
    expect(refusal(() => readConfigFile('/dev/zero')).message).toBe(
      'Configuration file /dev/zero was not read: it is a device; give the path of a YAML file.',
    );
    expect(refusal(() => readConfigFile(tmpdir())).message).toContain('it is a directory');
  });

  it('given a file over 1 MiB, then it is refused with its size', () => {
    const path = file(minimal(`# ${'x'.repeat(maxConfigBytes)}\n`));
    const error = refusal(() => readConfigFile(path));
    expect(error.code).toBe('CONFIG_FILE_REFUSED');
    expect(error.message).toMatch(/it is larger than 1024 KiB \(\d+ bytes\); a configuration is a few KB/);
  });

  it('given bytes that are not UTF-8, then the byte offset and the line are named', () => {
    const head = Buffer.from(minimal('store:\n  path: /data/'));
    const path = file(Buffer.concat([head, Buffer.from([0xff, 0xfe]), Buffer.from('x.db\n')]));
    expect(refusal(() => readConfigFile(path)).message).toBe(
      `Configuration file ${path} was not read: byte ${head.length} (line 11) is not UTF-8 (0xff); save the file as UTF-8.`,
    );
  });

  it('given a key written twice, then the key and both lines are named', () => {
    const { problems } = checkConfigText(minimal('store:\n  path: a.db\n  path: b.db\n'), {});
    expect(problems).toEqual([
      { path: 'store.path', line: 12, message: 'the key "path" is written twice (lines 11 and 12); keep one' },
    ]);
  });

  it('given 40,000 unknown keys, then the first 50 problems are listed with a count of the rest', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: 1`).join('\n');
    const { problems, more } = checkConfigText(minimal(`terminal:\n${keys}\n`), {});
    expect(problems).toHaveLength(maxProblemsShown);
    expect(problems[0]).toEqual({ path: 'terminal.k0', line: 11, message: 'unknown key "k0"' });
    expect(more).toBe(39_950);
  });

  it('given a file under 1 MiB made of half a million list items, then it is refused before yaml builds them', () => {
    const { problems } = checkConfigText(`cluster: [${Array(500_000).fill('1').join(',')}]\n`, {});
    expect(problems).toEqual([
      { path: '(file)', message: 'more than 100,000 lines or entries; a configuration has a few hundred' },
    ]);
  });

  it('given a huge value, then the message quotes only its start', () => {
    const { problems } = checkConfigText(minimal(`log:\n  level: ${'v'.repeat(100_000)}\n`), {});
    expect(problems[0]?.message.length).toBeLessThan(300);
    expect(problems[0]?.message).toContain('(100002 characters)');
  });

  it('given an environment variable of 50 MB, then it is refused rather than pasted in', () => {
    const { problems } = checkConfigText(minimal('store:\n  path: ${HUGE}\n'), { HUGE: 'x'.repeat(50 * 1024 * 1024) });
    expect(problems).toEqual([
      {
        path: 'store.path',
        line: 11,
        message: `\${HUGE} holds ${50 * 1024 * 1024} bytes; the values taken from the environment may hold 1024 KiB in all`,
      },
    ]);
  });

  it('given a file that is fine, then loading still works end to end', () => {
    expect(loadConfigFile(file(minimal()), {}).config.cluster.miners[0]?.actor).toBe('f01234');
  });
});

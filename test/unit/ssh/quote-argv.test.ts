import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isOpsError } from '../../../src/core/errors.js';
import { quoteArgv } from '../../../src/ssh/quote-argv.js';

/**
 * What a POSIX shell makes of `printf '%s\0' <quoted>`, for several command lines in one shell run (spawning
 * is the slow part): the words printf received, NUL-separated, all lines in a row.
 */
function throughShell(shell: string, commands: string[][]): string[] {
  const script = commands.map((argv) => `printf '%s\\0' ${quoteArgv(argv)}`).join('\n');
  const result = spawnSync(shell, ['-c', script], { encoding: 'buffer' });
  if (result.status !== 0) throw new Error(`${shell} failed: ${result.stderr.toString()}`);
  return result.stdout.toString('utf8').split('\0').slice(0, -1);
}

const shells = ['/bin/sh', '/bin/bash'].filter((shell) => existsSync(shell));

// Any Unicode scalar value except NUL, the one character no argv can carry; ASCII half of the time. (Built by
// hand: fast-check's own 'binary' unit spends most of a second building its tables.)
const nonAscii = fc.integer({ min: 0x80, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff);
const codePoint = fc.oneof(fc.integer({ min: 1, max: 0x7f }), nonAscii).map((c) => String.fromCodePoint(c));
const anyArg = fc.string({ unit: codePoint, maxLength: 40 });
// Text made mostly of what shells treat specially, so that the interesting cases come up often.
const nastyArg = fc.string({
  unit: fc.constantFrom(...[...'\'"$`\\;|&<>(){}[]*?~#!=%^ \t\n-'], 'a', 'é', '🚀', '$(id)', "'\\''", '${IFS}'),
  maxLength: 30,
});

describe('quoteArgv', () => {
  test('single-quotes each word and escapes embedded single quotes', () => {
    expect(quoteArgv(['lotus-miner', 'sectors', 'mypledge'])).toBe("'lotus-miner' 'sectors' 'mypledge'");
    expect(quoteArgv(['echo', "it's"])).toBe("'echo' 'it'\\''s'");
    expect(quoteArgv(['printf', ''])).toBe("'printf' ''");
  });

  test('refuses a NUL byte, a lone surrogate and an empty argv', () => {
    for (const argv of [['echo', 'a\0b'], ['echo', 'x\uD800y'], []]) {
      let caught: unknown;
      try {
        quoteArgv(argv);
      } catch (error) {
        caught = error;
      }
      expect(isOpsError(caught) && caught.code).toBe('INVALID_ARGUMENT');
    }
  });

  test('keeps a whole emoji, whose surrogates come as a pair', () => {
    expect(quoteArgv(['echo', '🚀'])).toBe("'echo' '🚀'");
  });

  for (const shell of shells) {
    describe(`round-trips through ${shell}`, () => {
      const commands = (arg: fc.Arbitrary<string>) =>
        fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 15 });

      // fast-check directly rather than @fast-check/vitest, whose import alone takes over a second.
      test('arbitrary Unicode arguments', () => {
        const property = fc.property(commands(anyArg), (lines) => {
          expect(throughShell(shell, lines)).toEqual(lines.flat());
        });
        fc.assert(property, { numRuns: 40 });
      });

      test('shell metacharacters', () => {
        const property = fc.property(commands(nastyArg), (lines) => {
          expect(throughShell(shell, lines)).toEqual(lines.flat());
        });
        fc.assert(property, { numRuns: 40 });
      });

      test('the classic injections arrive as plain words', () => {
        const argv = ['; rm -rf /', '$(touch /tmp/pwned)', '`id`', "'", '"', 'a\nb', '', '-n', '--', '*', '~', '$HOME'];
        argv.push('ünï 🚀');
        expect(throughShell(shell, [argv])).toEqual(argv);
      });
    });
  }
});

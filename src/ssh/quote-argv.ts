import { OpsError } from '../core/errors.js';

// A lone UTF-16 surrogate cannot be encoded as UTF-8: it would reach the host as U+FFFD, so the argument the
// remote program sees would differ from the one we were given. With the `u` flag a valid pair is one code point
// and does not match.
const loneSurrogate = /[\uD800-\uDFFF]/u;

/**
 * Turns an argv array into one POSIX shell command line: every argument is single-quoted, and an embedded
 * single quote becomes `'\''` (close, escaped quote, reopen). Inside single quotes a POSIX shell interprets
 * nothing, so `$`, backticks, `;`, newlines, globs and backslashes all arrive as themselves. This is the only
 * place in the project where a command string for a remote shell is built.
 *
 * Arguments that cannot round-trip are refused instead of being altered: a NUL byte (no C string can hold one)
 * and a lone surrogate.
 */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new OpsError('INVALID_ARGUMENT', { detail: 'A remote command needs at least a program name.' });
  }
  return argv.map((arg, index) => quoteArg(arg, index)).join(' ');
}

function quoteArg(arg: string, index: number): string {
  if (typeof arg !== 'string') {
    throw new OpsError('INVALID_ARGUMENT', { detail: `Argument ${index} of a remote command is not a string.` });
  }
  if (arg.includes('\0')) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `Argument ${index} of a remote command contains a NUL byte.` });
  }
  if (loneSurrogate.test(arg)) {
    throw new OpsError('INVALID_ARGUMENT', { detail: `Argument ${index} of a remote command is not valid Unicode.` });
  }
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from 'yaml';
import type { z } from 'zod';
import { OpsError } from '../core/errors.js';
import { registerSecret } from '../core/logger.js';
import { type Config, configSchema } from './schema.js';

/** A problem found in a config file, with where it is. */
export interface ConfigProblem {
  /** `cluster.miners[2].roles[0]` */
  path: string;
  /** 1-based line in the file, when the path points at something written there. */
  line?: number;
  message: string;
}

export interface LoadedConfig {
  config: Config;
  /** Where it came from, for messages. */
  source: string;
}

/** Keys whose values are secrets wherever they appear in the file. */
const secretKeys = new Set(['botToken', 'appToken', 'signingSecret', 'token', 'privateKey', 'passphrase', 'password']);

/**
 * A configuration is a few KB; anything past this is a mistake or an attack (a file that never ends, a huge value),
 * refused before it is parsed. Values taken from the environment are held to it too.
 */
export const maxConfigBytes = 1024 * 1024;
/**
 * Lines and YAML entries (see yamlEntryEstimate) a configuration may hold. yaml spends about 10 µs and 1 KB on each:
 * a file inside maxConfigBytes made only of them (half a million list items) would take 7 s and 600 MB to refuse.
 * A real configuration has a few hundred; 40,000 misspelt keys still get their problems listed.
 */
export const maxYamlEntries = 100_000;
/** Problems listed at most; the rest are counted. A file with thousands of mistakes is not read line by line. */
export const maxProblemsShown = 50;

/** Read, interpolate and validate a config file. Throws CONFIG_NOT_FOUND or CONFIG_INVALID listing every problem. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return { config: parseConfigText(readConfigFile(path), env, path), source: path };
}

/**
 * The file's text: a regular file of at most `maxConfigBytes`, valid UTF-8. Never reads more than one byte past the
 * limit, so a device or a file that grows cannot hold the bot up or fill its memory.
 */
export function readConfigFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new OpsError(
      'CONFIG_NOT_FOUND',
      { path, detail: (error as NodeJS.ErrnoException).code ?? String(error) },
      { cause: error },
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory()
        ? 'a directory'
        : stat.isCharacterDevice()
          ? 'a device'
          : stat.isFIFO()
            ? 'a pipe'
            : 'not a regular file';
      throw new OpsError('CONFIG_FILE_REFUSED', { path, detail: `it is ${kind}; give the path of a YAML file` });
    }
    const buffer = Buffer.alloc(maxConfigBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxConfigBytes || stat.size > maxConfigBytes)
      throw new OpsError('CONFIG_FILE_REFUSED', {
        path,
        detail: `it is larger than ${maxConfigBytes / 1024} KiB (${Math.max(stat.size, length)} bytes); a configuration is a few KB`,
      });
    return decodeUtf8(buffer.subarray(0, length), path);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text without its byte-order mark; bytes that are not UTF-8 are refused with where they are. */
function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new OpsError('CONFIG_FILE_REFUSED', {
      path,
      detail: `byte ${offset} (line ${line}) is not UTF-8 (0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')}); save the file as UTF-8`,
    });
  }
}

/** The offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Grow a prefix until it no longer decodes; a sequence cut at the prefix's end is given its four bytes.
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      decoder.decode();
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

/** Validate config text. Exposed for tests and for configs built in memory (the demo, zero-config). */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv, source = '<config>'): Config {
  const check = checkConfigText(text, env);
  if (check.problems.length > 0 || check.config === undefined) {
    throw new OpsError('CONFIG_INVALID', {
      count: check.problems.length + check.more,
      detail: [
        ...check.problems.map((p) => `  ${source}${p.line ? `:${p.line}` : ''}: ${p.path}: ${p.message}`),
        ...(check.more > 0 ? [`  … and ${check.more} more`] : []),
      ].join('\n'),
    });
  }
  return check.config;
}

/** Every problem in the text at once (the first `maxProblemsShown` and a count of the rest), for `check-config`. */
export interface ConfigCheck {
  config?: Config;
  /** The first `maxProblemsShown` problems. */
  problems: ConfigProblem[];
  /** How many more there are, not listed. */
  more: number;
}

export function checkConfigText(text: string, env: NodeJS.ProcessEnv): ConfigCheck {
  const limited = (problems: ConfigProblem[]): ConfigCheck => ({
    problems: problems.slice(0, maxProblemsShown),
    more: Math.max(0, problems.length - maxProblemsShown),
  });
  if (Buffer.byteLength(text) > maxConfigBytes)
    return limited([
      { path: '(file)', message: `larger than ${maxConfigBytes / 1024} KiB; a configuration is a few KB` },
    ]);
  const entries = yamlEntryEstimate(text, maxYamlEntries);
  if (entries > maxYamlEntries)
    return limited([
      {
        path: '(file)',
        message: `more than ${maxYamlEntries.toLocaleString('en-US')} lines or entries; a configuration has a few hundred`,
      },
    ]);
  const lineCounter = new LineCounter();
  // yaml's own unique-key check is quadratic (6 s for 40,000 keys); duplicateKeys below does it in one pass.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const duplicates = duplicateKeys(doc, lineCounter);
  const syntax = doc.errors.map((e) => ({
    path: '(yaml)',
    line: lineCounter.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0] ?? 'YAML syntax error',
  }));
  if (syntax.length > 0 || duplicates.length > 0) return limited([...duplicates, ...syntax]);
  const envProblems = interpolateEnv(doc, env, lineCounter);
  if (envProblems.length > 0) return limited(envProblems);

  let raw: unknown;
  try {
    // yaml refuses to expand aliases past a budget (maxAliasCount): a "billion laughs" file stops here, not in memory.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    if (error instanceof Error && /alias/i.test(error.message)) {
      return limited([
        {
          path: '(yaml)',
          ...lineOfFirstAlias(doc, lineCounter),
          message:
            'too many aliases: expanding them would make the configuration enormous (an alias bomb); write the values out instead of nesting aliases',
        },
      ]);
    }
    throw error;
  }
  registerSecretsIn(raw);
  const result = configSchema.safeParse(raw);
  if (result.success) return { config: result.data, problems: [], more: 0 };
  const index = new KeyIndex(doc);
  return limited(
    result.error.issues
      .slice(0, maxProblemsShown + 1)
      .flatMap((issue) => describeIssue(issue, doc, lineCounter, index)),
  );
}

/** A key written twice in one map: yaml says only that keys must be unique; this names the key and both lines. */
function duplicateKeys(doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Map(_key, map, path) {
      const first = new Map<string, Pair>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const earlier = first.get(name);
        if (!earlier) {
          first.set(name, pair);
          continue;
        }
        const here = lineOf(pair.key, lineCounter);
        const there = lineOf(earlier.key as Node, lineCounter);
        const where = pathOf(path, map);
        problems.push({
          path: where === '(top level)' ? name : `${where}.${name}`,
          ...(here === undefined ? {} : { line: here }),
          message: `the key "${short(name)}" is written twice (lines ${there ?? '?'} and ${here ?? '?'}); keep one`,
        });
        if (problems.length > maxProblemsShown) return visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

function lineOfFirstAlias(doc: Document, lineCounter: LineCounter): { line?: number } {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      line = lineOf(node, lineCounter);
      return visit.BREAK;
    },
  });
  return line === undefined ? {} : { line };
}

/** Replace ${NAME} (and ${NAME:-default}) in every string scalar; a missing variable is a problem with its path. */
function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let added = 0;
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return undefined;
      node.value = node.value.replace(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
        (_m, name: string, fallback?: string) => {
          const value = env[name];
          // Secrets are registered by the key they land in (registerSecretsIn), not here: an actor address or a
          // listen address also comes from the environment and must stay readable.
          if (value !== undefined && value !== '') {
            added += value.length;
            if (value.length > maxConfigBytes || added > maxConfigBytes) {
              problems.push({
                path: pathOf(path, node),
                line: lineOf(node, lineCounter),
                message: `\${${name}} holds ${value.length} bytes; the values taken from the environment may hold ${maxConfigBytes / 1024} KiB in all`,
              });
              return '';
            }
            return value;
          }
          if (fallback !== undefined) return fallback;
          problems.push({
            // The path is worked out only for a problem: most scalars have none.
            path: pathOf(path, node),
            line: lineOf(node, lineCounter),
            message: `environment variable \${${name}} is not set`,
          });
          return '';
        },
      );
      return problems.length > maxProblemsShown ? visit.BREAK : undefined;
    },
  });
  return problems;
}

function pathOf(path: readonly unknown[], leaf: Node): string {
  const parts: PropertyKey[] = [];
  const chain = [...path, leaf];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => p.value === child || p === child);
      if (pair && isScalar(pair.key)) parts.push(String(pair.key.value));
    } else if (isSeq(parent)) {
      parts.push(parent.items.indexOf(child as Node));
    }
  }
  return formatPath(parts);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function lineOf(node: Node | null | undefined, lineCounter: LineCounter): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/**
 * The node at a path in the document, each map's keys indexed once: looking up every unknown key of a map with
 * thousands of them stays linear.
 */
class KeyIndex {
  private readonly maps = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(private readonly doc: Document) {}

  /** The deepest node written on the path (the path may go further than the file does). */
  nodeAt(path: readonly PropertyKey[]): Node | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (const part of path) {
      if (isMap(node)) node = this.pairs(node).get(String(part))?.value;
      else if (isSeq(node) && typeof part === 'number') node = node.items[part];
      else break;
      if (!isNode(node)) break;
      found = node;
    }
    return found;
  }

  /** A key's own node, where a problem about the key (unknown, say) is written. */
  keyAt(path: readonly PropertyKey[], key: string): Node | undefined {
    const map = this.nodeAt(path);
    return isMap(map) ? (this.pairs(map).get(key)?.key as Node | undefined) : undefined;
  }

  private pairs(map: YAMLMap): Map<string, Pair> {
    let pairs = this.maps.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const pair of map.items) if (isScalar(pair.key)) pairs.set(String(pair.key.value), pair);
      this.maps.set(map, pairs);
    }
    return pairs;
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  lineCounter: LineCounter,
  index: KeyIndex,
): ConfigProblem[] {
  const line = lineOf(index.nodeAt(issue.path), lineCounter);
  const base = { path: formatPath(issue.path), ...(line === undefined ? {} : { line }) };
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const keyLine = lineOf(index.keyAt(issue.path, key), lineCounter);
        return {
          path: formatPath([...issue.path, key]),
          ...(keyLine === undefined ? {} : { line: keyLine }),
          message: `unknown key "${short(key)}"`,
        };
      });
    case 'invalid_value': {
      const got = doc.getIn(issue.path as Array<string | number>);
      return [
        {
          ...base,
          message: `unknown value ${shown(got)}; expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ];
    }
    case 'invalid_type': {
      const got = doc.getIn(issue.path as Array<string | number>);
      return [
        {
          ...base,
          message:
            got === undefined
              ? `missing (expected ${issue.expected})`
              : `expected ${issue.expected}, got ${shown(got)}`,
        },
      ];
    }
    default:
      return [{ ...base, message: issue.message }];
  }
}

/** A value as a message quotes it: never more than a line, whatever was written. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return short(text);
}

function short(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}… (${text.length} characters)`;
}

function registerSecretsIn(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(registerSecretsIn);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string' && secretKeys.has(key)) registerSecret(inner);
    if (typeof inner === 'string' && key === 'api') for (const token of apiTokens(inner)) registerSecret(token);
    registerSecretsIn(inner);
  }
}

/** The token parts of lotus's TOKEN:MULTIADDR list, read leniently: the value may still be invalid here. */
function apiTokens(value: string): string[] {
  return value.split(',').flatMap((part) => {
    if (part.startsWith('/') || /^[a-z]+:\/\//.test(part)) return [];
    const i = part.indexOf(':');
    return i > 0 ? [part.slice(0, i)] : [];
  });
}

/**
 * An upper bound, found in one pass without parsing, on the nodes yaml would build from `text`: line breaks, commas,
 * opening brackets, and the indicators `- `, `: ` and `? `. Every node needs one of these. Stops counting past `stopAfter`.
 */
export function yamlEntryEstimate(text: string, stopAfter: number): number {
  let count = 0;
  for (let i = 0; i < text.length && count <= stopAfter; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x2c || c === 0x5b || c === 0x7b) count++;
    else if (c === 0x2d || c === 0x3a || c === 0x3f) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x20 || next === 0x09) count++;
    }
  }
  return count;
}

import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
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
const secretKeys = new Set(['botToken', 'appToken', 'signingSecret', 'token', 'privateKey', 'passphrase']);

/** Read, interpolate and validate a config file. Throws CONFIG_NOT_FOUND or CONFIG_INVALID listing every problem. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OpsError(
      'CONFIG_NOT_FOUND',
      { path, detail: (error as NodeJS.ErrnoException).code ?? String(error) },
      { cause: error },
    );
  }
  return { config: parseConfigText(text, env, path), source: path };
}

/** Validate config text. Exposed for tests and for configs built in memory (the demo, zero-config). */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv, source = '<config>'): Config {
  const problems = checkConfigText(text, env);
  if (problems.problems.length > 0 || problems.config === undefined) {
    throw new OpsError('CONFIG_INVALID', {
      count: problems.problems.length,
      detail: problems.problems
        .map((p) => `  ${source}${p.line ? `:${p.line}` : ''}: ${p.path}: ${p.message}`)
        .join('\n'),
    });
  }
  return problems.config;
}

/** Every problem in the text at once, so `check-config` can show them all. */
export function checkConfigText(text: string, env: NodeJS.ProcessEnv): { config?: Config; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        path: '(yaml)',
        line: lineCounter.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? 'YAML syntax error',
      })),
    };
  }
  const envProblems = interpolateEnv(doc, env, lineCounter);
  if (envProblems.length > 0) return { problems: envProblems };

  const raw: unknown = doc.toJS() ?? {};
  registerSecretsIn(raw);
  const result = configSchema.safeParse(raw);
  if (result.success) return { config: result.data, problems: [] };
  return { problems: result.error.issues.flatMap((issue) => describeIssue(issue, doc, lineCounter)) };
}

/** Replace ${NAME} (and ${NAME:-default}) in every string scalar; a missing variable is a problem with its path. */
function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const keyPath = pathOf(path, node);
      node.value = node.value.replace(
        /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
        (_m, name: string, fallback?: string) => {
          const value = env[name];
          // Secrets are registered by the key they land in (registerSecretsIn), not here: an actor address or a
          // listen address also comes from the environment and must stay readable.
          if (value !== undefined && value !== '') return value;
          if (fallback !== undefined) return fallback;
          problems.push({
            path: keyPath,
            line: lineOf(node, lineCounter),
            message: `environment variable \${${name}} is not set`,
          });
          return '';
        },
      );
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

function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as Array<string | number>, true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const line = lineOf(nodeAt(doc, issue.path), lineCounter);
  const base = { path: formatPath(issue.path), ...(line === undefined ? {} : { line }) };
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const keyLine = lineOf(nodeAt(doc, [...issue.path, key]), lineCounter);
        return {
          path: formatPath([...issue.path, key]),
          ...(keyLine === undefined ? {} : { line: keyLine }),
          message: `unknown key "${key}"`,
        };
      });
    case 'invalid_value': {
      const got = doc.getIn(issue.path as Array<string | number>);
      return [
        {
          ...base,
          message: `unknown value ${JSON.stringify(got)}; expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
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
              : `expected ${issue.expected}, got ${JSON.stringify(got)}`,
        },
      ];
    }
    default:
      return [{ ...base, message: issue.message }];
  }
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

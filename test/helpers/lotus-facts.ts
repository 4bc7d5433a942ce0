import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A JSON shape as test/fixtures/lotus/derive-lotus-fixture.mjs writes it. */
export type Shape = string | Shape[] | { [key: string]: Shape };

export interface MethodFact {
  params: number;
  paramTypes?: string[];
  perm: 'read' | 'write' | 'sign' | 'admin' | null;
  result: Shape;
  notInOpenRpc?: boolean;
}

export interface LotusFacts {
  source: string;
  apis: Record<'full' | 'miner', { version: string; namespace: string; methods: Record<string, MethodFact> }>;
}

/** The committed fixture of lotus API facts (method names, arity, permissions, example-result shapes). */
export function loadLotusFacts(): LotusFacts {
  const path = fileURLToPath(new URL('../fixtures/lotus/lotus-api-facts.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as LotusFacts;
}

export interface ShapeRules {
  /** Paths (`Method.Field[].Sub`, map keys as `*`) where lotus may send null for a Go pointer or nil slice. */
  nullable?: ReadonlySet<string>;
  /** Extra keys allowed at a path (a fork's additions). */
  extraKeys?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Array items checked per array; lists of 150k sector numbers need not be walked in full. */
  maxItems?: number;
}

/**
 * Every difference between a value and a documented shape: missing or unexpected keys, wrong JSON types, nulls
 * where lotus documents none. "null" and "any" in a shape carry no type and accept anything.
 */
export function shapeProblems(actual: unknown, expected: Shape, path: string, rules: ShapeRules = {}): string[] {
  const problems: string[] = [];
  const maxItems = rules.maxItems ?? 200;
  const walk = (value: unknown, shape: Shape, at: string): void => {
    if (shape === 'any' || shape === 'null') return;
    if (value === null) {
      if (!rules.nullable?.has(at)) problems.push(`${at}: null, documented as ${describe(shape)}`);
      return;
    }
    if (typeof shape === 'string') {
      if (typeof value !== shape) problems.push(`${at}: ${jsonType(value)}, documented as ${shape}`);
      return;
    }
    if (Array.isArray(shape)) {
      if (!Array.isArray(value)) {
        problems.push(`${at}: ${jsonType(value)}, documented as array`);
        return;
      }
      const item = shape[0];
      if (item !== undefined) value.slice(0, maxItems).forEach((v) => walk(v, item, `${at}[]`));
      return;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${at}: ${jsonType(value)}, documented as object`);
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(shape);
    if (keys.length === 1 && keys[0] === '*') {
      for (const v of Object.values(record)) walk(v, shape['*'] as Shape, `${at}.*`);
      return;
    }
    const allowed = rules.extraKeys?.get(at);
    for (const key of keys) {
      if (!(key in record)) problems.push(`${at}.${key}: missing`);
      else walk(record[key], shape[key] as Shape, `${at}.${key}`);
    }
    for (const key of Object.keys(record)) {
      if (!(key in shape) && !allowed?.has(key)) problems.push(`${at}.${key}: not in lotus's documented example`);
    }
  };
  walk(actual, expected, path);
  return problems;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describe(shape: Shape): string {
  if (typeof shape === 'string') return shape;
  return Array.isArray(shape) ? 'array' : 'object';
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'slack');

/**
 * Compares `value` with test/fixtures/slack/<name>.golden.json. With UPDATE_GOLDEN=1 the file is rewritten instead,
 * and the change is reviewed as a diff like any code change.
 */
export function expectSlackGolden(name: string, value: unknown): void {
  const path = join(fixtures, `${name}.golden.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path))
    throw new Error(`no golden file ${path}: run the test with UPDATE_GOLDEN=1 and review the file`);
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

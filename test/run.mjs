#!/usr/bin/env node
// The project's one test command (`npm test`): format and import order (Biome; `npm run format` fixes them), type-check
// and build (the CLI tests run the built bot), type-check the tests, run vitest, then print the plain closing line CI reads:
// "vitest: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const bin = (name) => `node_modules/.bin/${name}`;
const lint = spawnSync(bin('biome'), ['check', '.'], { stdio: 'inherit' });
if (lint.status !== 0) {
  console.error('Formatting or import order differs from Biome: run `npm run format`.');
  console.log('vitest: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const build = spawnSync(bin('tsc'), ['-p', 'tsconfig.json'], { stdio: 'inherit' });
// The tests are type-checked too (vitest only strips types), with unused names reported.
const checked = build.status === 0 ? spawnSync(bin('tsc'), ['-p', 'test/tsconfig.json'], { stdio: 'inherit' }) : build;
if (checked.status !== 0) {
  console.log('vitest: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const report = 'vitest.json';
rmSync(report, { force: true });
const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync(bin('vitest'), args, { stdio: 'inherit' });

if (!existsSync(report)) {
  console.log('vitest: 0 passed, 1 failed, 0 skipped');
  process.exit(run.status || 1);
}
const r = JSON.parse(readFileSync(report, 'utf8'));
// A file that fails to load has no failed test of its own; count it, so a broken suite never reads as green.
const failed = r.numFailedTests + (r.numFailedTests === 0 ? (r.numFailedTestSuites ?? 0) : 0);
console.log(`vitest: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
process.exit(run.status === 0 && r.success ? 0 : 1);

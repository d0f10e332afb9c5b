#!/usr/bin/env node
// `npm test`: build, typecheck and lint every project through Nx (cached), then run every
// project's vitest tests in one vitest process, and end with the plain line CI reads:
// `N passed, N failed, N skipped`. Vitest's own summary is decorated and not read by CI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: process.env.NX_SKIP_NX_CACHE ?? '' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

const built = run('npx', ['nx', 'run-many', '-t', 'build', 'typecheck', 'lint', '--output-style=static']);
if (built !== 0) {
  console.log('\nbuild, typecheck or lint failed: tests not run');
  console.log('0 passed, 1 failed');
  process.exit(built);
}

const dir = mkdtempSync(join(tmpdir(), 'mflab-test-'));
const report = join(dir, 'vitest.json');
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
let summary;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A test file that fails to load counts as a failure even though it ran no test.
  const brokenFiles = (json.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  summary = `${json.numPassedTests} passed, ${json.numFailedTests + brokenFiles} failed, ${skipped} skipped`;
} catch (error) {
  summary = `0 passed, 1 failed (no vitest report: ${error.message})`;
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${summary}`);
process.exit(status);

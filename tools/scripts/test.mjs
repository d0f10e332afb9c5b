#!/usr/bin/env node
// `npm test`: build, typecheck and lint every project through Nx (cached), then run every
// project's vitest tests in one vitest process, and end with the plain line CI reads:
// `N passed, N failed, N skipped`. Vitest's own summary is decorated and not read by CI.
import { spawn, spawnSync } from 'node:child_process';
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
const { status, tail } = await runTeed('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
let passed = 0;
let failed = 0;
let skipped = 0;
const reasons = [];
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  passed = json.numPassedTests;
  // A test file that fails to load counts as a failure even though it ran no test.
  const brokenFiles = (json.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  failed = json.numFailedTests + brokenFiles;
} catch (error) {
  failed = 1;
  reasons.push(`no vitest report: ${error.message}`);
}
// Every non-zero exit is a counted failure with its reason: vitest also exits 1 for errors
// outside any test (an unhandled rejection, a worker that crashed after its tests), which its
// JSON report does not count.
if (status !== 0 && failed === 0) {
  failed = 1;
  reasons.push(`vitest exited with code ${status} although no test failed: ${exitReason(tail)}`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`);
process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);

/** Runs a command with its output shown as it comes, keeping the last 64 KiB for the summary. */
function runTeed(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['inherit', 'pipe', 'pipe'], env });
    let tail = '';
    const keep = (chunk, sink) => {
      sink.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-65536);
    };
    child.stdout.on('data', (chunk) => keep(chunk, process.stdout));
    child.stderr.on('data', (chunk) => keep(chunk, process.stderr));
    child.on('error', (error) => resolve({ status: 1, tail: `${tail}\n${error.message}` }));
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), tail }));
  });
}

/** What went wrong outside the tests: the first error line of vitest's "Unhandled Errors" section. */
function exitReason(tail) {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes are what is removed
  const plain = tail.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n').map((l) => l.trim()).filter(Boolean);
  const section = lines.findIndex((l) => /Unhandled (Errors?|Rejection)/.test(l));
  const from = section < 0 ? 0 : section;
  const error = lines.slice(from).find((l) => /^[A-Za-z]*(Error|Exception|Rejection)\b.*:/.test(l));
  const detail = error ?? (section >= 0 ? lines[section] : 'see the output above');
  const text = `${section >= 0 ? 'unhandled error: ' : ''}${detail}`;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/**
 * "Bounded memory and disk on any input" (issue: cases 6–10), end to end through the CLI: each
 * input that used to exhaust memory or disk, hang, or print a wall of text now ends in one line
 * on stderr with exit 2 and nothing written. (The loaders' and parsers' own tests bound memory
 * in child processes and fuzz them; this checks what a user sees.) No assertion on time: a hang
 * is caught by the CLI helper's timeout; the closing note gives the measured times.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, runCli, tempWorkspace, type CliResult } from './helpers/cli.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('bounded');
});
afterAll(() => ws?.dispose());

function expectOneLine(result: CliResult, pattern: RegExp, maxLength = 400): void {
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr.slice(0, 2000)}`).toBe(2);
  expect(result.stderr).not.toMatch(STACK_LINE);
  const lines = linesOf(result.stderr).filter((l) => !l.startsWith('mflab run →'));
  expect(lines).toHaveLength(1);
  expect(lines[0].length).toBeLessThan(maxLength);
  expect(lines[0]).toMatch(pattern);
}

const small = 'model: { width: 64 }\ntrain: { steps: 10 }\nlog: { every: 5, particles: { every: 0 } }\n';

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('6. data files: only regular files, never read whole beyond the budget', () => {
  it('data.path: /dev/zero is refused at once, nothing written', async () => {
    ws.write('zero.yaml', `data: { kind: csv, path: /dev/zero }\n${small}`);
    expectOneLine(await runCli(['run', 'zero.yaml', '--out', ws.path('zero')], { cwd: ws.dir }), /\/dev\/zero.*not a regular file/);
  });

  it.skipIf(!hasMkfifo())('a FIFO as data.path and as CONFIG: refused, no hang (skipped without mkfifo)', async () => {
    const fifo = ws.path('pipe');
    execFileSync('mkfifo', [fifo]);
    ws.write('fifo.yaml', `data: { kind: csv, path: ${fifo} }\n${small}`);
    expectOneLine(await runCli(['run', 'fifo.yaml', '--out', ws.path('fifo')], { cwd: ws.dir }), /pipe.*(FIFO|not a regular file)/);
    expectOneLine(await runCli(['run', fifo, '--out', ws.path('fifo2')], { cwd: ws.dir }), /FIFO/);
  });

  it('mflab run /dev/zero (a config that never ends): refused at once', async () => {
    expectOneLine(await runCli(['run', '/dev/zero', '--out', ws.path('z2')], { cwd: ws.dir }), /\/dev\/zero.*character device, not a regular file/);
  });
});

describe('7. a YAML mapping of 80 000 keys', () => {
  it('is parsed in linear time and refused for its unknown key', async () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    ws.write('keys.yaml', `${keys}\n`);
    expectOneLine(await runCli(['run', 'keys.yaml', '--out', ws.path('keys')], { cwd: ws.dir }), /k0: unknown key/);
  });
});

describe('8. estimates before long or large work', () => {
  it('particle snapshots at width 10⁷: refused naming log.particles.count, nothing written', async () => {
    ws.write('particles.yaml', 'data: { kind: teacher, d: 2, n: 16, nTest: 4 }\nmodel: { width: 10000000 }\ntrain: { steps: 1000 }\nlog: { every: 100, particles: { every: 1, count: 10000000 } }\n');
    expectOneLine(await runCli(['run', 'particles.yaml', '--out', ws.path('particles')], { cwd: ws.dir }), /log\.particles\.(count|every).*--force/);
    expect(existsSync(ws.path('particles'))).toBe(false);
  });

  it('log.every: 1 over 10⁷ steps: refused naming log.every', async () => {
    ws.write('rows.yaml', 'data: { kind: teacher, d: 2, n: 16, nTest: 4 }\nmodel: { width: 8 }\ntrain: { steps: 10000000 }\nlog: { every: 1, particles: { every: 0 } }\n');
    expectOneLine(await runCli(['run', 'rows.yaml', '--out', ws.path('rows')], { cwd: ws.dir }), /log\.every.*--force/);
  });

  it('train.steps: 1e15 is refused even with --force (the step column cannot hold it)', async () => {
    ws.write('steps.yaml', `data: { kind: teacher, d: 2, n: 16, nTest: 4 }\nmodel: { width: 8 }\ntrain: { steps: 1000000000000000 }\nlog: { every: 1000000000, particles: { every: 0 } }\n`);
    expectOneLine(await runCli(['run', 'steps.yaml', '--out', ws.path('steps'), '--force'], { cwd: ws.dir }), /train\.steps/);
  });

  it('data.d: 1000000 is refused up front naming data.d, even with --force, also in a sweep', async () => {
    // With particle logging on (the default), a hard limit on any machine: the snapshot buffer
    // alone would exceed the longest typed array; on this 24 GiB machine, the total memory too.
    const wide = 'data: { kind: teacher, d: 1000000 }\nmodel: { width: 64 }\ntrain: { steps: 10 }\n';
    ws.write('wide.yaml', wide);
    expectOneLine(await runCli(['run', 'wide.yaml', '--out', ws.path('wide'), '--force'], { cwd: ws.dir }), /data\.d/);
    expectOneLine(await runCli(['run', 'wide.yaml', '--out', ws.path('wide')], { cwd: ws.dir }), /data\.d/);
    ws.write('wide-sweep.yaml', `${wide}grid: { seed: [0, 1] }\n`);
    expectOneLine(await runCli(['sweep', 'wide-sweep.yaml', '--out', ws.path('wide-sweep')], { cwd: ws.dir }), /data\.d/);
  });
});

describe('9. huge values are not echoed', () => {
  it('a 10 MB CSV cell: the error names line and column in a short line', async () => {
    writeFileSync(ws.path('big-cell.csv'), `x0,y\n1,1\n${'9'.repeat(5_000_000)}x${'9'.repeat(5_000_000)},1\n`);
    ws.write('cell.yaml', `data: { kind: csv, path: big-cell.csv }\n${small}`);
    expectOneLine(await runCli(['run', 'cell.yaml', '--out', ws.path('cell')], { cwd: ws.dir }), /line 3/);
  });

  it('a 50 MB description: refused in one short line, no run.json written', async () => {
    writeFileSync(ws.path('desc.yaml'), `description: "${'a'.repeat(50_000_000)}"\n${small}`);
    expectOneLine(await runCli(['run', 'desc.yaml', '--out', ws.path('desc')], { cwd: ws.dir }), /desc\.yaml/);
    expect(existsSync(ws.path('desc'))).toBe(false);
  });
});

describe('10. malformed config files', () => {
  it('a billion-laughs YAML: a YAML-worded one-line error', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    ws.write('laughs.yaml', `${lines.join('\n')}\n`);
    const result = await runCli(['run', 'laughs.yaml', '--out', ws.path('laughs')], { cwd: ws.dir });
    expectOneLine(result, /alias/);
    expect(result.stderr).not.toMatch(/JSON/);
  });

  it('10⁵-deep JSON: refused naming the file', async () => {
    ws.write('deep.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expectOneLine(await runCli(['run', 'deep.json', '--out', ws.path('deep')], { cwd: ws.dir }), /deep\.json.*nest/);
  });

  it('duplicate JSON keys: refused naming the key, as YAML does', async () => {
    ws.write('dup.json', '{"seed": 0, "model": {"width": 64}, "seed": 1}\n');
    expectOneLine(await runCli(['run', 'dup.json', '--out', ws.path('dup')], { cwd: ws.dir }), /dup\.json.*duplicate key "seed" at line 1/);
  });
});

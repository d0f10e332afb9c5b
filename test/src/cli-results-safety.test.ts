/**
 * "Never lose or mix results" (issue: cases 1–5 and the exit codes of case 10): each case is
 * first reproduced as a careless user would meet it, then the new behaviour is checked — a
 * one-line refusal with exit 2 and every finished file byte for byte as it was (checksums), or,
 * with --overwrite, the old results moved aside intact.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, readArrow, readRunJson, runCli, startCli, tempWorkspace, waitFor, type CliResult } from './helpers/cli.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('safety');
  ws.write('a.yaml', 'data: { kind: teacher, d: 2, n: 32, nTest: 8 }\nmodel: { width: 64 }\ntrain: { steps: 30, lr: 0.1 }\nlog: { every: 10, particles: { every: 0 } }\n');
  ws.write('b.yaml', 'data: { kind: teacher, d: 2, n: 32, nTest: 8 }\nmodel: { width: 128 }\ntrain: { steps: 30, lr: 0.1 }\nlog: { every: 10, particles: { every: 0 } }\n');
  ws.write('a-sweep.yaml', 'data: { kind: teacher, d: 2, n: 32, nTest: 8 }\nmodel: { width: 64 }\ntrain: { steps: 30, lr: 0.1 }\nlog: { every: 10, particles: { every: 0 } }\ngrid: { seed: [0, 1] }\n');
  ws.write('b-sweep.yaml', 'data: { kind: teacher, d: 2, n: 32, nTest: 8 }\nmodel: { width: 128 }\ntrain: { steps: 30, lr: 0.1 }\nlog: { every: 10, particles: { every: 0 } }\ngrid: { seed: [0, 1] }\n');
});
afterAll(() => ws?.dispose());

/** sha256 of every file under `dir` (relative path → hash), hidden ones included. */
function checksums(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Exit 2 with one line on stderr, no stack trace, matching `pattern`. */
function expectRefused(result: CliResult, pattern: RegExp): void {
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(2);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(linesOf(result.stderr).filter((l) => !l.startsWith('mflab run →'))).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

const ok = (result: CliResult) => expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);

describe('1. a study is continued only by its own config', () => {
  it('sweep b --resume into a study of a (another width): exit 2 naming model.width, the study unchanged', async () => {
    const out = ws.path('study-1');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    const before = checksums(out);
    const result = await runCli(['sweep', 'b-sweep.yaml', '--out', out, '--resume', '--workers', '1'], { cwd: ws.dir });
    expectRefused(result, /another config.*model\.width \(64 → 128\)/);
    expect(checksums(out)).toEqual(before);
    // The same config resumes (nothing to do) and keeps every run.
    const again = await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--resume', '--workers', '1'], { cwd: ws.dir });
    ok(again);
    expect(again.stderr).toMatch(/2 finished runs kept/);
  });

  it('a grid that grows on --resume runs the new cells and keeps the old ones byte for byte', async () => {
    const out = ws.path('study-grow');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    const seed0 = checksums(join(out, 'seed=0'));
    ws.write('a-sweep-more.yaml', readFileSync(ws.path('a-sweep.yaml'), 'utf8').replace('seed: [0, 1]', 'seed: [0, 1, 2]'));
    ok(await runCli(['sweep', 'a-sweep-more.yaml', '--out', out, '--resume', '--workers', '1'], { cwd: ws.dir }));
    expect(checksums(join(out, 'seed=0'))).toEqual(seed0);
    expect(readRunJson(join(out, 'seed=2')).status).toBe('done');
  });

  it('mflab run into a finished sweep cell: refused without --resume, and with --resume when the config differs', async () => {
    const out = ws.path('study-cell');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    const before = checksums(out);
    expectRefused(await runCli(['run', 'b.yaml', '--out', join(out, 'seed=0')], { cwd: ws.dir }), /already holds a run \(status done\).*--resume.*--overwrite.*another --out/);
    expectRefused(await runCli(['run', 'b.yaml', '--out', join(out, 'seed=0'), '--resume'], { cwd: ws.dir }), /another config.*model\.width/);
    expect(checksums(out)).toEqual(before);
  });
});

describe('2. run --resume with another config', () => {
  it('exit 2 before anything is written: run.json, metrics and checkpoint unchanged', async () => {
    const dir = ws.path('run-2');
    ok(await runCli(['run', 'a.yaml', '--out', dir], { cwd: ws.dir }));
    const before = checksums(dir);
    expectRefused(await runCli(['run', 'b.yaml', '--out', dir, '--resume'], { cwd: ws.dir }), /holds a run of another config \(model\.width \(64 → 128\)\)/);
    expect(checksums(dir)).toEqual(before);
    expect(readRunJson(dir).status).toBe('done');
  });
});

describe('3. without --resume, results are never replaced silently', () => {
  it('run and sweep into their own finished results: exit 2 naming --resume, --overwrite and --out', async () => {
    const dir = ws.path('run-3');
    ok(await runCli(['run', 'a.yaml', '--out', dir], { cwd: ws.dir }));
    const out = ws.path('study-3');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    const [runBefore, studyBefore] = [checksums(dir), checksums(out)];
    expectRefused(await runCli(['run', 'b.yaml', '--out', dir], { cwd: ws.dir }), /--resume.*--overwrite.*another --out/);
    expectRefused(await runCli(['sweep', 'b-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }), /already holds a study of another config \(2 runs: 2 done; model\.width \(64 → 128\)\); replace it with --overwrite/);
    expect(checksums(dir)).toEqual(runBefore);
    expect(checksums(out)).toEqual(studyBefore);
  });

  it('the same sweep again without --resume: refused naming --resume; `mflab default` (what `npm start` runs) continues its own study', async () => {
    const out = ws.path('study-same');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    expectRefused(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }), /already holds this study \(2 runs: 2 done\); continue it with --resume/);
    const dflt = ws.path('default-twice');
    ok(await runCli(['default', '--quick', '--out', dflt, '--workers', '1'], { cwd: ws.dir }));
    const runs = checksums(join(dflt, 'model.parameterization=mean-field'));
    const again = await runCli(['default', '--quick', '--out', dflt, '--workers', '1'], { cwd: ws.dir });
    ok(again);
    expect(again.stderr).toMatch(/continuing the same study/);
    expect(checksums(join(dflt, 'model.parameterization=mean-field'))).toEqual(runs);
    expectRefused(await runCli(['default', '--out', dflt, '--workers', '1'], { cwd: ws.dir }), /another config/);
  });

  it('a directory that is not mflab\'s (files named run.json, study.json, index.arrow, metrics.arrows among others) is never written', async () => {
    const dir = ws.path('foreign');
    mkdirSync(dir);
    writeFileSync(join(dir, 'run.json'), '{"mine": true}\n');
    writeFileSync(join(dir, 'metrics.arrows'), 'my own file\n');
    const other = ws.path('foreign-study');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'thesis draft\n');
    writeFileSync(join(other, 'metrics.arrows'), 'my own file\n');
    const before = [checksums(dir), checksums(other)];
    expectRefused(await runCli(['run', 'a.yaml', '--out', dir], { cwd: ws.dir }), /not mflab's/);
    expectRefused(await runCli(['run', 'a.yaml', '--out', dir, '--overwrite'], { cwd: ws.dir }), /not mflab's/);
    expectRefused(await runCli(['sweep', 'a-sweep.yaml', '--out', other], { cwd: ws.dir }), /not empty and holds no mflab study \(holds notes\.txt\)/);
    expectRefused(await runCli(['sweep', 'a-sweep.yaml', '--out', other, '--overwrite'], { cwd: ws.dir }), /holds no mflab study/);
    expect([checksums(dir), checksums(other)]).toEqual(before);
  });

  it('a run that failed before its first step holds no result: the corrected config may run there', async () => {
    const dir = ws.path('run-failed-early');
    ws.write('missing.yaml', 'data: { kind: csv, path: missing.csv }\nmodel: { width: 64 }\ntrain: { steps: 10 }\n');
    const failed = await runCli(['run', 'missing.yaml', '--out', dir], { cwd: ws.dir });
    expect(failed.status).toBe(2);
    expect(readRunJson(dir).status).toBe('failed');
    ok(await runCli(['run', 'a.yaml', '--out', dir], { cwd: ws.dir }));
    expect(readRunJson(dir).status).toBe('done');
  });

  it('--overwrite moves the old results aside, byte for byte, and writes the new ones', async () => {
    const dir = ws.path('run-overwrite');
    ok(await runCli(['run', 'a.yaml', '--out', dir], { cwd: ws.dir }));
    const before = checksums(dir);
    const result = await runCli(['run', 'b.yaml', '--out', dir, '--overwrite'], { cwd: ws.dir });
    ok(result);
    const moved = /moved to (\S+)/.exec(result.stderr)?.[1];
    expect(moved, result.stderr).toBeDefined();
    expect(checksums(moved as string)).toEqual(before);
    expect(readRunJson(dir).config.model.width).toBe(128);
    expectRefused(await runCli(['run', 'a.yaml', '--out', dir, '--overwrite', '--resume'], { cwd: ws.dir }), /exclude each other/);
  });
});

describe('4. symbolic links inside a study are refused by every command', () => {
  it('inspect, report and sweep --resume refuse a linked run directory; nothing is written through the link', async () => {
    const out = ws.path('study-4');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    // The run directory moved elsewhere and replaced by a link to an empty directory.
    const elsewhere = ws.path('elsewhere');
    mkdirSync(elsewhere);
    renameSync(join(out, 'seed=1'), ws.path('seed1-saved'));
    symlinkSync(elsewhere, join(out, 'seed=1'));
    expectRefused(await runCli(['inspect', out], { cwd: ws.dir }), /seed=1: is a symbolic link/);
    expectRefused(await runCli(['report', out], { cwd: ws.dir }), /seed=1: is a symbolic link/);
    expectRefused(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--resume', '--workers', '1'], { cwd: ws.dir }), /seed=1: is a symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe('5. mflab run stops on SIGTERM and SIGHUP like on Ctrl-C', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // (That --resume then continues bitwise is cli-resume.test.ts's, for SIGINT: the stop path is the same.)
    it(`${signal}: flushed, status written, lock released, exit ${code}`, async () => {
      ws.write('long.yaml', 'data: { kind: teacher, d: 2, n: 64, nTest: 8 }\nmodel: { width: 64 }\ntrain: { steps: 200000, lr: 0.05 }\nlog: { every: 20, particles: { every: 0 }, checkpointEvery: 20000 }\n');
      const dir = ws.path(`run-${signal}`);
      const started = startCli(['run', 'long.yaml', '--out', dir, '--workers', '1'], { cwd: ws.dir });
      const metrics = join(dir, 'metrics.arrows');
      await waitFor(() => existsSync(metrics) && statSync(metrics).size > 0, 30_000, 'the first flushed metrics rows');
      started.child.kill(signal);
      const result = await started.result;
      expect(result.status, result.stderr).toBe(code);
      expect(result.stderr).not.toMatch(STACK_LINE);
      const info = readRunJson(dir);
      expect(info.status).toBe('running');
      expect(info.interrupted).toMatch(/--resume/);
      expect(existsSync(join(dir, '.run.lock'))).toBe(false);
      expect(readArrow(metrics).numRows).toBeGreaterThan(0);
    });
  }

  it('report files are replaced atomically: a report killed at any point leaves the old or the new report.html whole', async () => {
    const out = ws.path('study-report');
    ok(await runCli(['sweep', 'a-sweep.yaml', '--out', out, '--workers', '1'], { cwd: ws.dir }));
    ok(await runCli(['report', out], { cwd: ws.dir }));
    for (const delay of [50, 150, 300, 600, 1000]) {
      const started = startCli(['report', out], { cwd: ws.dir });
      await new Promise((r) => setTimeout(r, delay));
      started.child.kill('SIGKILL');
      await started.result;
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html.trimEnd().endsWith('</html>'), `report.html cut after a kill at ${delay} ms`).toBe(true);
    }
  });
});

describe('10. usage errors exit 2', () => {
  it('--out naming a file, and inspect/report of a file', async () => {
    const file = ws.write('a-file.txt', 'x\n');
    expectRefused(await runCli(['run', 'a.yaml', '--out', file], { cwd: ws.dir }), /is a file/);
    expectRefused(await runCli(['sweep', 'a-sweep.yaml', '--out', file], { cwd: ws.dir }), /is a file/);
    expectRefused(await runCli(['inspect', file], { cwd: ws.dir }), /is a file/);
    expectRefused(await runCli(['report', file], { cwd: ws.dir }), /is a file/);
    expect(readFileSync(file, 'utf8')).toBe('x\n');
  });
});

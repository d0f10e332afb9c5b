import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { describeOutputDirectory, describeRunCounts, moveAside } from './output-dir.js';
import { writeRunInfo } from './run-dir.js';
import { listRuns } from './study.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mflab-outdir-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (dir: string, status: 'done' | 'running' = 'done') =>
  writeRunInfo(dir, { config: {}, seed: 0, status, error: null, backend: null, precision: 'f64', versions: {}, timings: {} });

describe('describeOutputDirectory', () => {
  it('tells absent, empty, file, run, study and foreign directories apart', () => {
    expect(describeOutputDirectory(path.join(root, 'nope')).kind).toBe('absent');
    fs.mkdirSync(path.join(root, 'empty'));
    expect(describeOutputDirectory(path.join(root, 'empty')).kind).toBe('empty');
    fs.writeFileSync(path.join(root, 'file'), 'x');
    expect(describeOutputDirectory(path.join(root, 'file'))).toMatchObject({ kind: 'not-a-directory', detail: 'a file' });
    run(path.join(root, 'r'), 'running');
    expect(describeOutputDirectory(path.join(root, 'r'))).toMatchObject({ kind: 'run', status: 'running' });
    run(path.join(root, 's', 'width=64', 'seed=0'));
    run(path.join(root, 's', 'width=64', 'seed=1'), 'running');
    expect(describeOutputDirectory(path.join(root, 's'))).toMatchObject({ kind: 'study', runs: { done: 1, running: 1 } });
    fs.mkdirSync(path.join(root, 'f'));
    fs.writeFileSync(path.join(root, 'f', 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(root, 'f', 'study.json'), '{}');
    expect(describeOutputDirectory(path.join(root, 'f'))).toMatchObject({ kind: 'foreign', detail: "its study.json is not mflab's" });
    // mflab's study.json makes a study even with other files beside it (a scheduler's logs).
    fs.writeFileSync(path.join(root, 'f', 'study.json'), '{"grid": {}, "config": {}}');
    expect(describeOutputDirectory(path.join(root, 'f'))).toMatchObject({ kind: 'study', runs: {} });
    // A foreign run.json never counts as a run.
    fs.mkdirSync(path.join(root, 'g'));
    fs.writeFileSync(path.join(root, 'g', 'run.json'), '{"mine": 1}');
    expect(describeOutputDirectory(path.join(root, 'g')).kind).toBe('foreign');
    fs.mkdirSync(path.join(root, 'h'));
    fs.writeFileSync(path.join(root, 'h', 'metrics.arrows'), 'x');
    fs.writeFileSync(path.join(root, 'h', 'thesis.tex'), 'x');
    expect(describeOutputDirectory(path.join(root, 'h'))).toMatchObject({ kind: 'foreign', detail: 'holds thesis.tex' });
    expect(describeRunCounts({ done: 3, running: 1 })).toBe('4 runs: 3 done, 1 running');
  });
});

describe('moveAside', () => {
  it('renames to a hidden sibling with everything in it, which no study listing picks up', () => {
    const study = path.join(root, 'study');
    run(path.join(study, 'seed=0'));
    const moved = moveAside(path.join(study, 'seed=0'));
    expect(path.basename(moved)).toMatch(/^\.seed=0\.replaced-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    expect(fs.existsSync(path.join(moved, 'run.json'))).toBe(true);
    expect(listRuns(study)).toEqual([]);
    // A second move in the same second gets its own name.
    run(path.join(study, 'seed=0'));
    const again = moveAside(path.join(study, 'seed=0'));
    expect(again).not.toBe(moved);
  });
});

describe('listRuns and links', () => {
  it('refuses a linked run directory (and a dangling hive-named link) with code ELINK, names the link', () => {
    const study = path.join(root, 'study');
    run(path.join(study, 'seed=0'));
    run(path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(study, 'seed=1'));
    expect(() => listRuns(study)).toThrow(StoreError);
    try {
      listRuns(study);
    } catch (err) {
      expect((err as StoreError).code).toBe('ELINK');
      expect((err as StoreError).message).toMatch(/seed=1: is a symbolic link/);
    }
    fs.unlinkSync(path.join(study, 'seed=1'));
    fs.symlinkSync(path.join(root, 'missing'), path.join(study, 'seed=2'));
    expect(() => listRuns(study)).toThrow(/seed=2: is a symbolic link/);
    // A link to a file (a config, say) is no run and is left alone.
    fs.unlinkSync(path.join(study, 'seed=2'));
    fs.writeFileSync(path.join(root, 'config.yaml'), 'x');
    fs.symlinkSync(path.join(root, 'config.yaml'), path.join(study, 'config.yaml'));
    expect(listRuns(study).map((r) => r.relative)).toEqual(['seed=0']);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { parseCsvDataset } from './csv.js';
import { loadDataset } from './load.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mflab-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a fresh file in the temp dir and returns its path. */
async function csvFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Loads `text` as a CSV file and returns the InvalidInputError it must raise. */
async function loadError(name: string, text: string, spec: { d?: number } = {}): Promise<{ error: InvalidInputError; path: string }> {
  const path = await csvFile(name, text);
  let caught: unknown;
  try {
    await loadDataset({ kind: 'csv', path, ...spec }, 0);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  expect(error.message).not.toContain('\n');
  return { error, path };
}

describe('CSV datasets', () => {
  it('reads x0..x{d−1}, y and split, inferring d and keeping file order', async () => {
    const path = await csvFile('good.csv', 'x0,x1,y,split\n1,2,1,train\n3,4,-1,test\n-5e-1, .25 ,+1,train\n');
    const data = await loadDataset({ kind: 'csv', path }, 0);
    expect(data.train).toEqual({ n: 2, d: 2, x: new Float64Array([1, 2, -0.5, 0.25]), y: new Float64Array([1, 1]) });
    expect(data.test).toEqual({ n: 1, d: 2, x: new Float64Array([3, 4]), y: new Float64Array([-1]) });
    expect(data.classification).toBe(true);
    expect(data.sampler).toBeUndefined();
  });

  it('trains on every row without a split column, and calls real targets regression', () => {
    const data = parseCsvDataset('y,x0\n0.5,1\n2,3\n', 'mem.csv');
    expect(data.train).toEqual({ n: 2, d: 1, x: new Float64Array([1, 3]), y: new Float64Array([0.5, 2]) });
    expect(data.test.n).toBe(0);
    expect(data.test.x.length).toBe(0);
    expect(data.classification).toBe(false);
  });

  it('accepts CRLF, a BOM, quoted header names, blank lines and extra columns', () => {
    const data = parseCsvDataset('\ufeff"id","x0","y"\r\n7,1.5,2\r\n\r\n8,2.5,3\r\n', 'mem.csv', 1);
    expect(data.train.x).toEqual(new Float64Array([1.5, 2.5]));
    expect(data.train.y).toEqual(new Float64Array([2, 3]));
  });

  it('names the file, line and column of a non-numeric cell', async () => {
    const { error, path } = await loadError('word.csv', 'x0,x1,y\n1,2,3\n4,abc,6\n');
    expect(error.message).toBe(`data.path: ${path} line 3, column "x1": "abc" is not a number`);
  });

  it('rejects cells that Number() would silently accept: empty, hex, NaN, infinity', async () => {
    expect((await loadError('empty-cell.csv', 'x0,y\n1,\n')).error.message).toMatch(/line 2, column "y": the cell is empty/);
    expect((await loadError('hex.csv', 'x0,y\n0x10,1\n')).error.message).toMatch(/line 2, column "x0": "0x10" is not a number/);
    const nan = await loadError('nan.csv', 'x0,y\n1,2\n3,4\nNaN,1\n');
    expect(nan.error.message).toBe(`data.path: ${nan.path} line 4, column "x0": "NaN" is not a finite number`);
    expect((await loadError('inf.csv', 'x0,y\n1,-inf\n')).error.message).toMatch(/line 2, column "y": "-inf" is not a finite number/);
    expect((await loadError('overflow.csv', 'x0,y\n1e400,1\n')).error.message).toMatch(/line 2, column "x0": .*overflows/);
  });

  it('names the missing column of a short row and the line of a long one', async () => {
    const short = await loadError('short.csv', 'x0,x1,y\n1,2,3\n4,5\n');
    expect(short.error.message).toBe(`data.path: ${short.path} line 3, column "y": missing: the row has 2 cells but the header has 3`);
    const long = await loadError('long.csv', 'x0,y\n1,2\n1,2,3\n');
    expect(long.error.message).toMatch(new RegExp(`^data\\.path: ${long.path} line 3: the row has 3 cells but the header has 2`));
  });

  it('names a missing y or x column', async () => {
    const noY = await loadError('no-y.csv', 'x0,x1,target\n1,2,3\n');
    expect(noY.error.message).toMatch(new RegExp(`^data\\.path: ${noY.path} line 1: no y column`));
    const gap = await loadError('gap.csv', 'x0,x2,y\n1,2,3\n');
    expect(gap.error.message).toMatch(new RegExp(`^data\\.path: ${gap.path} line 1: missing column "x1".*found "x0", "x2", "y"`));
    expect((await loadError('no-x.csv', 'a,y\n1,2\n')).error.message).toMatch(/line 1: no x columns/);
    expect((await loadError('dup.csv', 'x0,x0,y\n1,2,3\n')).error.message).toMatch(/line 1: two columns are named "x0"/);
    expect((await loadError('headerless.csv', '1,2,3\n4,5,6\n')).error.message).toMatch(/line 1: expected a header row/);
  });

  it('rejects an empty file, a header without rows, and a file with only test rows', async () => {
    const empty = await loadError('empty.csv', '');
    expect(empty.error.message).toBe(
      `data.path: ${empty.path}: the file is empty; expected a header row naming columns x0..x{d−1}, y and optionally split`,
    );
    expect((await loadError('blank.csv', '\n  \n')).error.message).toMatch(/the file is empty/);
    expect((await loadError('header-only.csv', 'x0,y\n')).error.message).toMatch(/no data rows/);
    expect((await loadError('all-test.csv', 'x0,y,split\n1,2,test\n')).error.message).toMatch(/no training rows/);
  });

  it('checks split values and the dimension given in the spec', async () => {
    const split = await loadError('split.csv', 'x0,y,split\n1,2,train\n1,2,validation\n');
    expect(split.error.message).toBe(`data.path: ${split.path} line 3, column "split": "validation" is neither "train" nor "test"`);
    const dim = await loadError('dim.csv', 'x0,x1,y\n1,2,3\n', { d: 3 });
    expect(dim.error.field).toBe('data.d');
    expect(dim.error.message).toBe(`data.d: ${dim.path} has 2 x columns (x0..x1), but data.d is 3`);
  });

  it('says when the file cannot be read', async () => {
    const path = join(dir, 'missing.csv');
    await expect(loadDataset({ kind: 'csv', path }, 0)).rejects.toThrow(`data.path: ${path}: cannot read the file (no such file)`);
  });
});

/**
 * What CSV, Arrow and Parquet files share (columns.ts): x* columns in any order and zero-padded,
 * class labels, row caps, standardization, with the same data written in each format.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import type { DataKind, Dataset } from '../types.js';
import { standardizeSplit } from './columns.js';
import { loadDataset } from './load.js';
import { parseParquetDataset } from './parquet.js';
import type { DataSpec } from './spec.js';
import { oneLineInputError } from '../testing/expect-field.js';

let dir = '';
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mflab-tabular-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A column: numbers (float64, or int32 when `int`) or strings. */
type Column = number[] | string[];
type Columns = Record<string, Column>;
const KINDS = ['csv', 'arrow', 'parquet'] as const satisfies readonly DataKind[];
type FileKind = (typeof KINDS)[number];

function arrowTable(columns: Columns): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, values] of Object.entries(columns)) {
    vectors[name] = typeof values[0] === 'string' ? vectorFromArray(values as string[]) : makeVector(new Float64Array(values as number[]));
  }
  return new Table(vectors);
}

function parquetBytes(table: Table): Uint8Array {
  return parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(tableToIPC(table, 'stream')));
}

/** Writes `columns` as a file of `kind` and returns its path. */
async function write(kind: FileKind, columns: Columns): Promise<string> {
  const path = join(dir, `t${files++}.${kind}`);
  if (kind === 'csv') {
    const names = Object.keys(columns);
    const rows = columns[names[0]].length;
    const lines = [names.join(',')];
    for (let r = 0; r < rows; r++) lines.push(names.map((name) => String(columns[name][r])).join(','));
    await writeFile(path, `${lines.join('\n')}\n`);
  } else {
    const table = arrowTable(columns);
    await writeFile(path, kind === 'arrow' ? tableToIPC(table, 'file') : parquetBytes(table));
  }
  return path;
}

const loadError = (spec: DataSpec): Promise<InvalidInputError> => oneLineInputError(loadDataset(spec, 0));

/** Where row r (0-based, header excluded) is named in each format's messages. */
const rowAt = (kind: FileKind, r: number) => (kind === 'csv' ? `line ${r + 2}` : `row ${r}`);

/** Columns out of order and zero-padded, an id column, labels 0..2 and a split. */
const MIXED: Columns = {
  id: [7, 8, 9, 10, 11],
  x02: [0.5, 1, 1.5, 2, 2.5],
  y: [2, 0, 1, 1, 0],
  x00: [1, 2, 3, 4, 5],
  split: ['train', 'test', 'train', 'train', 'test'],
  x01: [-1, -2, -3, -4, -5],
};

const mean = (set: Dataset, c: number) => {
  let s = 0;
  for (let i = 0; i < set.n; i++) s += set.x[i * set.d + c];
  return s / set.n;
};
const std = (set: Dataset, c: number) => {
  const m = mean(set, c);
  let s = 0;
  for (let i = 0; i < set.n; i++) s += (set.x[i * set.d + c] - m) ** 2;
  return Math.sqrt(s / set.n);
};

describe.each(KINDS)('%s files', (kind) => {
  it('orders x* columns by number (zero-padded too) and reads class labels with data.classes', async () => {
    const path = await write(kind, MIXED);
    const data = await loadDataset({ kind, path, classes: 3 }, 0);
    expect(data.train).toEqual({ n: 3, d: 3, x: new Float64Array([1, -1, 0.5, 3, -3, 1.5, 4, -4, 2]), y: new Float64Array([2, 1, 1]) });
    expect(data.test).toEqual({ n: 2, d: 3, x: new Float64Array([2, -2, 1, 5, -5, 2.5]), y: new Float64Array([0, 0]) });
    expect(data.classification).toBe(true);
    expect(data.classes).toBe(3);
    // Without classes the same labels are regression targets (not ±1).
    const plain = await loadDataset({ kind, path }, 0);
    expect(plain.classification).toBe(false);
    expect(plain.classes).toBeUndefined();
  });

  it('names the missing column of a gap, a missing y, and two columns for one input', async () => {
    const gap = await write(kind, { x0: [1], x2: [2], y: [1] });
    expect((await loadError({ kind, path: gap })).message).toMatch(new RegExp(`^data\\.path: ${gap}( line 1)?: missing column "x1" \\(the x columns must be x0\\.\\.x2 without a gap\\)`));
    const noY = await write(kind, { x0: [1], label: [1] });
    expect((await loadError({ kind, path: noY })).message).toMatch(new RegExp(`^data\\.path: ${noY}( line 1)?: no y column: expected columns x0\\.\\.x\\{d−1\\}, y and optionally split; found "x0", "label"`));
    const twice = await write(kind, { x1: [1], x01: [2], x0: [3], y: [1] });
    expect((await loadError({ kind, path: twice })).message).toMatch(/columns "x1" and "x01" both name input x1/);
  });

  it('with data.classes, names the row and value of a label that is fractional, negative or too large', async () => {
    for (const [bad, value] of [[1.5, '1.5'], [-1, '-1'], [3, '3']] as const) {
      const path = await write(kind, { x0: [1, 2, 3], y: [0, 2, bad] });
      const error = await loadError({ kind, path, classes: 3 });
      expect(error.field).toBe('data.classes');
      expect(error.message).toBe(
        `data.classes: ${path} ${rowAt(kind, 2)}, column "y": ${value} is not a class index: with data.classes = 3 every label must be an integer in 0..2`,
      );
    }
  });

  it('caps the training and test rows only when n and nTest are written', async () => {
    const path = await write(kind, MIXED);
    const capped = await loadDataset({ kind, path, n: 2, nTest: 1 }, 0);
    expect(capped.train).toEqual({ n: 2, d: 3, x: new Float64Array([1, -1, 0.5, 3, -3, 1.5]), y: new Float64Array([2, 1]) });
    expect(capped.test).toEqual({ n: 1, d: 3, x: new Float64Array([2, -2, 1]), y: new Float64Array([0]) });
    const noTest = await loadDataset({ kind, path, nTest: 0 }, 0);
    expect([noTest.train.n, noTest.test.n]).toEqual([3, 0]);
    const large = await loadDataset({ kind, path, n: 1000, nTest: 1000 }, 0);
    expect([large.train.n, large.test.n]).toEqual([3, 2]);
    // The ±1 check looks at the kept rows only.
    const pm = await write(kind, { x0: [1, 2, 3], y: [1, -1, 0.5] });
    expect((await loadDataset({ kind, path: pm }, 0)).classification).toBe(false);
    expect((await loadDataset({ kind, path: pm, n: 2 }, 0)).classification).toBe(true);
  });

  it('standardizes with the training statistics after the caps; a constant feature is only centered', async () => {
    const columns: Columns = {
      x0: [1, 2, 4, 8, 100, 3],
      x1: [0.1, 0.1, 0.1, 0.1, 0.1, 7],
      x2: [1e6 + 1, 1e6 + 2, 1e6 + 3, 1e6 + 4, 0, 1e6],
      y: [1, 2, 3, 4, 5, 6],
      split: ['train', 'train', 'train', 'train', 'train', 'test'],
    };
    const path = await write(kind, columns);
    const data = await loadDataset({ kind, path, standardize: true, n: 4 }, 0);
    expect(data.train.n).toBe(4);
    for (const c of [0, 2]) {
      expect(Math.abs(mean(data.train, c))).toBeLessThan(1e-12);
      expect(Math.abs(std(data.train, c) - 1)).toBeLessThan(1e-12);
    }
    expect(Array.from(data.train.x.filter((_, k) => k % 3 === 1))).toEqual([0, 0, 0, 0]);
    // The test row uses the training mean and std: x0 mean 3.75, std √(7.1875); x1 constant 0.1; x2 mean 1e6 + 2.5, std √1.25.
    expect(data.test.x[0]).toBeCloseTo((3 - 3.75) / Math.sqrt(7.1875), 12);
    expect(data.test.x[1]).toBeCloseTo(7 - 0.1, 12);
    expect(data.test.x[2]).toBeCloseTo((1e6 - 1e6 - 2.5) / Math.sqrt(1.25), 9);
    expect(data.train.y).toEqual(new Float64Array([1, 2, 3, 4]));
    // inputScale multiplies every standardized coordinate, train and test.
    const scaled = await loadDataset({ kind, path, standardize: true, n: 4, inputScale: 0.25 }, 0);
    expect(Array.from(scaled.train.x)).toEqual(Array.from(data.train.x, (v) => v * 0.25));
    expect(Array.from(scaled.test.x)).toEqual(Array.from(data.test.x, (v) => v * 0.25));
  });
});

describe('format-specific checks', () => {
  it('CSV: a non-numeric cell names line and column, also with classes and standardize', async () => {
    const path = join(dir, 'word.csv');
    await writeFile(path, 'x0,x1,y\n1,2,0\n4,abc,1\n');
    const error = await loadError({ kind: 'csv', path, classes: 2, standardize: true });
    expect(error.message).toBe(`data.path: ${path} line 3, column "x1": "abc" is not a number`);
  });

  it('Arrow and Parquet: a string y column is named', async () => {
    for (const kind of ['arrow', 'parquet'] as const) {
      const path = await write(kind, { x0: [1, 2], y: ['cat', 'dog'] });
      expect((await loadError({ kind, path })).message).toMatch(new RegExp(`^data\\.path: ${path}: column "y" has type .*Utf8.*; expected a float or integer column`));
    }
  });

  it('Parquet: int64 and int32 columns, a dictionary split, and the same split as the CSV loader', async () => {
    const table = new Table({
      x0: makeVector(BigInt64Array.from([1n, -2n, 3n])),
      x1: makeVector(new Int32Array([4, 5, 6])),
      y: makeVector(new Float32Array([1, -1, 1])),
      split: vectorFromArray(['train', 'test', 'train']),
    });
    const data = await parseParquetDataset(parquetBytes(table), 'mem.parquet');
    expect(data.train).toEqual({ n: 2, d: 2, x: new Float64Array([1, 4, 3, 6]), y: new Float64Array([1, 1]) });
    expect(data.test).toEqual({ n: 1, d: 2, x: new Float64Array([-2, 5]), y: new Float64Array([-1]) });
    expect(data.classification).toBe(true);
    const csv = join(dir, 'same.csv');
    await writeFile(csv, 'x0,x1,y,split\n1,4,1,train\n-2,5,-1,test\n3,6,1,train\n');
    expect(await loadDataset({ kind: 'csv', path: csv }, 0)).toEqual(data);
  });

  it('Parquet: empty, foreign, truncated and corrupt files are one line naming the file', async () => {
    const good = parquetBytes(arrowTable({ x0: [1, 2, 3], y: [1, 2, 3] }));
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty.parquet', new Uint8Array(0), /: the file is empty; expected a Parquet file$/],
      ['text.parquet', new TextEncoder().encode('x0,y\n1,2\n'), /: not a Parquet file \(it does not start with the PAR1 magic\)$/],
      ['cut.parquet', good.subarray(0, good.length - 10), /: truncated Parquet file: it starts with the PAR1 magic but its footer is missing$/],
      ['short.parquet', good.subarray(0, 4), /: truncated Parquet file/],
    ];
    const corrupt = new Uint8Array(good);
    corrupt.fill(0xff, 4, corrupt.length - 4);
    cases.push(['corrupt.parquet', corrupt, /: not a readable Parquet file \(/]);
    for (const [name, bytes, pattern] of cases) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      const error = await loadError({ kind: 'parquet', path });
      expect(error.message.startsWith(`data.path: ${path}: `)).toBe(true);
      expect(error.message).toMatch(pattern);
    }
    const missing = join(dir, 'missing.parquet');
    await expect(loadDataset({ kind: 'parquet', path: missing }, 0)).rejects.toThrow(`data.path: ${missing}: cannot read the file (no such file)`);
    await expect(loadDataset({ kind: 'parquet', path: dir }, 0)).rejects.toThrow(`data.path: ${dir}: cannot read the file (is a directory)`);
  });
});

describe('standardizeSplit', () => {
  it('returns the statistics and leaves an empty training set alone', () => {
    const train = { n: 3, d: 2, x: new Float64Array([1, 5, 2, 5, 3, 5]), y: new Float64Array(3) };
    const test = { n: 1, d: 2, x: new Float64Array([4, 6]), y: new Float64Array(1) };
    const stats = standardizeSplit(train, test);
    expect(stats.mean).toEqual(new Float64Array([2, 5]));
    expect(stats.scale[0]).toBeCloseTo(Math.sqrt(2 / 3), 15);
    expect(stats.scale[1]).toBe(1);
    expect(test.x[0]).toBeCloseTo(2 / Math.sqrt(2 / 3), 12);
    expect(test.x[1]).toBe(1);
    const empty = { n: 0, d: 2, x: new Float64Array(0), y: new Float64Array(0) };
    expect(standardizeSplit(empty, test).scale).toEqual(new Float64Array([1, 1]));
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float16, Float64, Table, Utf8, makeData, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { parseArrowDataset } from './arrow.js';
import { loadDataset } from './load.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mflab-arrow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FORMATS = ['file', 'stream'] as const;

/** Writes `table` (or raw bytes) to a fresh file and returns its path. */
async function arrowFile(name: string, content: Table | Uint8Array, format: 'file' | 'stream' = 'file'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content instanceof Table ? tableToIPC(content, format) : content);
  return path;
}

async function loadError(path: string, d?: number): Promise<InvalidInputError> {
  let caught: unknown;
  try {
    await loadDataset({ kind: 'arrow', path, ...(d === undefined ? {} : { d }) }, 0);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  // One line naming the file, never a stack trace from inside apache-arrow.
  expect(error.message).not.toContain('\n');
  expect(error.message).toContain(path);
  return error;
}

/** A small table with mixed numeric types: float32 x0, int64 x1, int16 y, dictionary-string split. */
function mixedTable(): Table {
  return new Table({
    x0: makeVector(new Float32Array([0.5, 1.5, -2])),
    x1: makeVector(BigInt64Array.from([1n, -2n, 3n])),
    y: makeVector(new Int16Array([1, -1, 1])),
    split: vectorFromArray(['train', 'test', 'train']),
  });
}

describe('Arrow datasets', () => {
  for (const format of FORMATS) {
    it(`reads float, int64 and int16 columns and a split from the IPC ${format} format`, async () => {
      const path = await arrowFile(`mixed.${format}.arrow`, mixedTable(), format);
      const data = await loadDataset({ kind: 'arrow', path }, 0);
      expect(data.train).toEqual({ n: 2, d: 2, x: new Float64Array([0.5, 1, -2, 3]), y: new Float64Array([1, 1]) });
      expect(data.test).toEqual({ n: 1, d: 2, x: new Float64Array([1.5, -2]), y: new Float64Array([-1]) });
      expect(data.classification).toBe(true);
    });
  }

  it('trains on every row without a split column; plain utf8 splits, float16 and extra columns work', () => {
    const half = makeVector(makeData({ type: new Float16(), length: 2, data: new Uint16Array([0x3c00, 0x4000]) })); // 1, 2
    const noSplit = new Table({ y: makeVector(new Float64Array([0.25, 3])), x0: half, id: makeVector(new Int16Array([7, 8])) });
    const data = parseArrowDataset(tableToIPC(noSplit, 'stream'), 'mem.arrows', { d: 1 });
    expect(data.train).toEqual({ n: 2, d: 1, x: new Float64Array([1, 2]), y: new Float64Array([0.25, 3]) });
    expect(data.test.n).toBe(0);
    expect(data.classification).toBe(false);
    const utf8 = new Table({ x0: makeVector(new Float64Array([1, 2])), y: makeVector(new Float64Array([1, 1])), split: vectorFromArray(['test', 'train'], new Utf8()) });
    expect(parseArrowDataset(tableToIPC(utf8), 'mem.arrow').test.x).toEqual(new Float64Array([1]));
  });

  it('names the row and column of a null or NaN', async () => {
    const withNull = new Table({ x0: vectorFromArray([1, null, 3], new Float64()) as Vector, y: makeVector(new Float64Array([1, 2, 3])) });
    const nullPath = await arrowFile('null.arrow', withNull);
    expect((await loadError(nullPath)).message).toBe(`data.path: ${nullPath} row 1, column "x0": null; expected a number`);
    const withNaN = new Table({ x0: makeVector(new Float64Array([1, 2])), y: makeVector(new Float32Array([1, Number.NaN])) });
    const nanPath = await arrowFile('nan.arrows', withNaN, 'stream');
    expect((await loadError(nanPath)).message).toBe(`data.path: ${nanPath} row 1, column "y": NaN is not a finite number`);
    const big = new Table({ x0: makeVector(BigInt64Array.from([2n ** 60n])), y: makeVector(new Float64Array([1])) });
    expect((await loadError(await arrowFile('big.arrow', big))).message).toMatch(/row 0, column "x0": 1152921504606846976 is too large/);
  });

  it('names a missing y or x column, a non-numeric column and a bad split', async () => {
    const noY = new Table({ x0: makeVector(new Float64Array([1])), target: makeVector(new Float64Array([1])) });
    const noYPath = await arrowFile('no-y.arrow', noY);
    expect((await loadError(noYPath)).message).toMatch(new RegExp(`^data\\.path: ${noYPath}: no y column`));
    const gap = new Table({ x1: makeVector(new Float64Array([1])), y: makeVector(new Float64Array([1])) });
    expect((await loadError(await arrowFile('gap.arrow', gap))).message).toMatch(/: missing column "x0".*found "x1", "y"/);
    const text = new Table({ x0: vectorFromArray(['a']), y: makeVector(new Float64Array([1])) });
    expect((await loadError(await arrowFile('text.arrow', text))).message).toMatch(/column "x0" has type Dictionary<Int32, Utf8>; expected a float or integer column/);
    const split = new Table({ x0: makeVector(new Float64Array([1, 2])), y: makeVector(new Float64Array([1, 1])), split: vectorFromArray(['train', 'dev']) });
    expect((await loadError(await arrowFile('split.arrow', split))).message).toMatch(/row 1, column "split": "dev" is neither "train" nor "test"/);
    const numericSplit = new Table({ x0: makeVector(new Float64Array([1])), y: makeVector(new Float64Array([1])), split: makeVector(new Int16Array([0])) });
    expect((await loadError(await arrowFile('nsplit.arrow', numericSplit))).message).toMatch(/column "split" has type Int16; expected a string column/);
  });

  it('checks the dimension given in the spec', async () => {
    const path = await arrowFile('dim.arrow', mixedTable());
    const error = await loadError(path, 3);
    expect(error.field).toBe('data.d');
    expect(error.message).toBe(`data.d: ${path} has 2 x columns (x0..x1), but data.d is 3`);
  });

  it('turns garbage, truncated and empty files into one-line errors naming the path', async () => {
    const text = await arrowFile('text.csv.arrow', new TextEncoder().encode('x0,y\n1,2\n'));
    expect((await loadError(text)).message).toMatch(/: not a readable Arrow IPC file or stream \(/);
    const ones = await arrowFile('ones.arrow', new Uint8Array(64).fill(0xff));
    expect((await loadError(ones)).message).toMatch(/: not a readable Arrow IPC file or stream/);
    const full = tableToIPC(mixedTable(), 'file');
    for (const cut of [full.length - 1, Math.floor(full.length / 2), 8]) {
      const path = await arrowFile(`cut-${cut}.arrow`, full.subarray(0, cut));
      expect((await loadError(path)).message).toBe(
        `data.path: ${path}: truncated Arrow IPC file: it starts with the ARROW1 magic but its footer is missing`,
      );
    }
    const stream = tableToIPC(mixedTable(), 'stream');
    const cutStream = await arrowFile('cut.arrows', stream.subarray(0, Math.floor(stream.length / 2)));
    expect((await loadError(cutStream)).message).toMatch(/: not a readable Arrow IPC file or stream/);
    const empty = await arrowFile('empty.arrow', new Uint8Array(0));
    expect((await loadError(empty)).message).toBe(`data.path: ${empty}: the file is empty; expected an Arrow IPC file or stream`);
  });

  it('agrees with the CSV loader on the same data', async () => {
    const table = new Table({ x0: makeVector(new Float64Array([0.1, -3e5])), x1: makeVector(new Int16Array([4, 5])), y: makeVector(new Float64Array([0.7, -1])) });
    const arrowPath = await arrowFile('same.arrow', table);
    const csvPath = join(dir, 'same.csv');
    await writeFile(csvPath, 'x0,x1,y\n0.1,4,0.7\n-3e5,5,-1\n');
    expect(await loadDataset({ kind: 'arrow', path: arrowPath }, 0)).toEqual(await loadDataset({ kind: 'csv', path: csvPath }, 0));
  });
});

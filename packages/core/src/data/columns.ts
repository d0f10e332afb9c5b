/**
 * What CSV and Arrow files share: the column layout x0..x{d−1}, y, optional split
 * (train/test), and the assembly of parsed rows into a DataSplit. Every error is an
 * InvalidInputError on `data.path` whose detail starts with the file, so a user sees one line
 * naming the file, the row or line, and the column.
 */
import type { DataSplit, Dataset } from '../types.js';
import { InvalidInputError } from '../errors.js';

/** Where the columns a dataset needs sit among a file's columns. */
export interface ColumnPlan {
  /** Input dimension: the number of x columns. */
  readonly d: number;
  /** Index (in the file's column order) of x0, x1, … */
  readonly x: readonly number[];
  readonly y: number;
  /** Index of the `split` column, or −1 when there is none (every row trains). */
  readonly split: number;
}

const X_COLUMN = /^x(0|[1-9][0-9]*)$/;

/**
 * An InvalidInputError on `data.path` reading `<file>[ <location>]: <problem>`, e.g.
 * `data.path: /tmp/a.csv line 17, column "x1": "abc" is not a number`.
 */
export function fileError(source: string, location: string, problem: string): InvalidInputError {
  return new InvalidInputError('data.path', `${source}${location === '' ? '' : ` ${location}`}: ${problem}`);
}

/**
 * Finds x0..x{d−1}, y and split among `names`. Other columns are ignored (an id column does no
 * harm); a gap in the x columns, a missing y, a duplicate name or a d other than `expectedD`
 * (when given) is an error. `where` locates the header in messages (e.g. "line 1" for CSV).
 */
export function planColumns(names: readonly string[], source: string, expectedD: number | undefined, where = ''): ColumnPlan {
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (index.has(name)) throw fileError(source, where, `two columns are named ${JSON.stringify(name)}`);
    index.set(name, i);
  });
  let d = 0;
  for (const name of names) {
    const match = X_COLUMN.exec(name);
    if (match) d = Math.max(d, Number(match[1]) + 1);
  }
  const layout = 'expected columns x0..x{d−1}, y and optionally split';
  const found = `found ${names.map((n) => JSON.stringify(n)).join(', ') || 'no columns'}`;
  if (d === 0) throw fileError(source, where, `no x columns: ${layout}; ${found}`);
  const x: number[] = [];
  for (let c = 0; c < d; c++) {
    const i = index.get(`x${c}`);
    if (i === undefined) throw fileError(source, where, `missing column "x${c}": ${layout}; ${found}`);
    x.push(i);
  }
  const y = index.get('y');
  if (y === undefined) throw fileError(source, where, `missing column "y": ${layout}; ${found}`);
  if (expectedD !== undefined && expectedD !== d) {
    throw new InvalidInputError('data.d', `${source} has ${d} x columns (x0..x${d - 1}), but data.d is ${expectedD}`);
  }
  return { d, x, y, split: index.get('split') ?? -1 };
}

/**
 * Parsed rows in file order: `x` (rows×d, sample-major), `y`, and `isTest[r]` = 1 for rows whose
 * split is "test".
 */
export interface ParsedRows {
  readonly rows: number;
  readonly d: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly isTest: Uint8Array;
}

/**
 * Splits parsed rows into train and test sets (each keeps file order). The task is
 * classification exactly when every target is −1 or +1: a file cannot say otherwise, and ±1
 * targets are what errors and margins need.
 */
export function assembleSplit(parsed: ParsedRows, source: string): DataSplit {
  const { rows, d, x, y, isTest } = parsed;
  let nTest = 0;
  for (let r = 0; r < rows; r++) nTest += isTest[r];
  const nTrain = rows - nTest;
  if (rows === 0) throw fileError(source, '', 'no data rows');
  if (nTrain === 0) throw fileError(source, '', `no training rows: all ${rows} rows have split "test"`);
  const train = { n: nTrain, d, x: new Float64Array(nTrain * d), y: new Float64Array(nTrain) };
  const test = { n: nTest, d, x: new Float64Array(nTest * d), y: new Float64Array(nTest) };
  let classification = true;
  let iTrain = 0;
  let iTest = 0;
  for (let r = 0; r < rows; r++) {
    const target: Dataset = isTest[r] ? test : train;
    const i = isTest[r] ? iTest++ : iTrain++;
    for (let c = 0; c < d; c++) target.x[i * d + c] = x[r * d + c];
    target.y[i] = y[r];
    if (y[r] !== 1 && y[r] !== -1) classification = false;
  }
  return { train, test, classification };
}

/**
 * What the file kinds share: the column layout of CSV, Arrow and Parquet files (x0..x{d−1}, y,
 * optional split), the options every file kind takes (dimension check, class labels, row caps,
 * standardization), and the assembly of parsed rows into a DataSplit. Every error is an
 * InvalidInputError whose detail starts with the file, so a user sees one line naming the file,
 * the row or line, and the column.
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

/**
 * How a file becomes a DataSplit, beyond its bytes: what `data.d`, `data.classes`, `data.n`,
 * `data.nTest` and `data.standardize` ask of it (see DataSpec). Every field is optional.
 */
export interface FileDataOptions {
  /** Expected input dimension (`data.d`): the file's must equal it. */
  readonly d?: number;
  /**
   * y holds class indices 0..classes−1 (`data.classes`, ≥ 2): every label must be an integer in
   * range, and the split is multi-class. Without it, the task is ±1 classification exactly when
   * every target is −1 or +1 (regression otherwise); for IDX files it is inferred.
   */
  readonly classes?: number;
  /** Keep only the first nCap training rows (file order); all when undefined. */
  readonly nCap?: number;
  /** Keep only the first nTestCap test rows (file order); all when undefined. */
  readonly nTestCap?: number;
  /** Standardize every feature with the (capped) training split's statistics (see {@link standardizeSplit}). */
  readonly standardize?: boolean;
  /**
   * The most bytes the parsed arrays (x, y and the split flags) may take: a file claiming more
   * rows × columns is refused before anything that size is allocated. loadDataset sets it from
   * the input memory budget (what the file's bytes leave of it); unlimited when undefined.
   */
  readonly maxBytes?: number;
}

/** Options as the parsers take them: a bare number is the expected d (their older signature). */
export function fileOptions(options: FileDataOptions | number | undefined): FileDataOptions {
  return typeof options === 'number' ? { d: options } : (options ?? {});
}

/** An x column: "x" and a decimal index; leading zeros are allowed (x007 is input 7). */
const X_COLUMN = /^x([0-9]+)$/;

/** How many characters of a value read from a file an error message quotes at most. */
export const QUOTE_LIMIT = 80;

/** Characters JSON.stringify leaves as they are but that break a line on some terminals. */
const LINE_BREAKING = /[\u0085\u2028\u2029]/g;

/** One code point as it appears inside a JSON string literal, on one line. */
function escaped(char: string): string {
  return JSON.stringify(char)
    .slice(1, -1)
    .replace(LINE_BREAKING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value read from a file, quoted for an error message: JSON-escaped (so it stays on one line)
 * and cut to at most `max` characters between the quotes, with its length when cut:
 * `"abc…" (100000000 characters)`. A file is untrusted input and one cell may be 100 MB; an
 * error message echoes only this much of it.
 */
export function quoteValue(value: string, max = QUOTE_LIMIT): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const code = value.codePointAt(i) as number;
    const width = code > 0xffff ? 2 : 1;
    const piece = escaped(value.slice(i, i + width));
    if (out.length + piece.length > max) break;
    out += piece;
    i += width;
  }
  return i === value.length ? `"${out}"` : `"${out}…" (${value.length} characters)`;
}

/**
 * Names read from a file, quoted and comma-separated for an error message, within about
 * `max` characters: each name is cut by {@link quoteValue}, and names beyond the budget become
 * `… (N columns)`.
 */
export function quoteList(names: readonly string[], max = 160, each = 32): string {
  const parts: string[] = [];
  let length = 0;
  for (const name of names) {
    const quoted = quoteValue(name, each);
    if (parts.length > 0 && length + quoted.length + 2 > max) {
      parts.push(`… (${names.length} columns)`);
      break;
    }
    parts.push(quoted);
    length += quoted.length + 2;
  }
  return parts.join(', ');
}

/** A byte count for messages: "512 B", "3.2 MiB", "17.1 GiB", "689 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  // A corrupt header can claim 10^40 bytes, or Infinity.
  if (!(bytes < 2 ** 70)) return 'over 1000 EiB';
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** The environment variable that overrides the input memory budget (see loadDataset). */
export const BUDGET_VARIABLE = 'MFLAB_MAX_INPUT_BYTES';

/**
 * The end of every over-budget message: what the budget is (or, with `left`, what is left of
 * it) and how to raise it.
 */
export function budgetAdvice(bytes: number, left = false): string {
  const what = left ? `more than the ${formatBytes(bytes)} left of the input memory budget` : `over the input memory budget of ${formatBytes(bytes)}`;
  return `${what}; set ${BUDGET_VARIABLE} (bytes) to raise it`;
}

/**
 * Throws when parsed arrays of `rows` rows of `d` inputs (x and y as float64, a split flag per
 * row) would exceed `options.maxBytes`; called before they are allocated, with the row count a
 * file claims.
 */
export function checkParsedSize(rows: number, d: number, source: string, options: FileDataOptions): void {
  const { maxBytes } = options;
  const bytes = rows * ((d + 1) * 8 + 1);
  if (maxBytes !== undefined && bytes > maxBytes) {
    throw fileError(source, '', `${rows} rows of ${d} inputs take ${formatBytes(bytes)} as float64, ${budgetAdvice(maxBytes, true)}`);
  }
}

/** The layout every error about columns repeats. */
export const COLUMN_LAYOUT = 'expected columns x0..x{d−1}, y and optionally split';

/**
 * An InvalidInputError on `field` (default `data.path`) reading `<file>[ <location>]: <problem>`,
 * e.g. `data.path: /tmp/a.csv line 17, column "x1": "abc" is not a number`.
 */
export function fileError(source: string, location: string, problem: string, field = 'data.path'): InvalidInputError {
  return new InvalidInputError(field, `${source}${location === '' ? '' : ` ${location}`}: ${problem}`);
}

/**
 * Finds the x columns, y and split among `names`. The x columns are the names "x" followed by
 * digits, ordered by their number, which must run from 0 without a gap (x0, x1, x2 or
 * x000, x001, x002); other columns are ignored (an id column does no harm). A gap, a missing y,
 * a duplicate name or number, or a d other than `expectedD` (when given) is an error. `where`
 * locates the header in messages (e.g. "line 1" for CSV).
 */
export function planColumns(names: readonly string[], source: string, expectedD: number | undefined, where = ''): ColumnPlan {
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (index.has(name)) throw fileError(source, where, `two columns are named ${quoteValue(name)}`);
    index.set(name, i);
  });
  const byNumber = new Map<number, number>();
  let d = 0;
  names.forEach((name, i) => {
    const match = X_COLUMN.exec(name);
    if (!match) return;
    const c = Number(match[1]);
    const other = byNumber.get(c);
    if (other !== undefined) {
      throw fileError(source, where, `columns ${quoteValue(names[other])} and ${quoteValue(name)} both name input x${c}`);
    }
    byNumber.set(c, i);
    d = Math.max(d, c + 1);
  });
  const found = `found ${quoteList(names) || 'no columns'}`;
  if (d === 0) throw fileError(source, where, `no x columns: ${COLUMN_LAYOUT}; ${found}`);
  const x: number[] = [];
  for (let c = 0; c < d; c++) {
    const i = byNumber.get(c);
    if (i === undefined) throw fileError(source, where, `missing column "x${c}" (the x columns must be x0..x${d - 1} without a gap): ${COLUMN_LAYOUT}; ${found}`);
    x.push(i);
  }
  const y = index.get('y');
  if (y === undefined) throw fileError(source, where, `no y column: ${COLUMN_LAYOUT}; ${found}`);
  checkDimension(d, expectedD, source, `${d} x columns (x0..x${d - 1})`);
  return { d, x, y, split: index.get('split') ?? -1 };
}

/** Throws on `data.d` when the spec gave a dimension other than the file's. */
export function checkDimension(d: number, expectedD: number | undefined, source: string, what: string): void {
  if (expectedD !== undefined && expectedD !== d) {
    throw new InvalidInputError('data.d', `${source} has ${what}, but data.d is ${expectedD}`);
  }
}

/**
 * Checks one label against `data.classes`: it must be an integer in 0..classes−1. The error is
 * on `data.classes` and names the file, the location and the value.
 */
export function checkClassLabel(value: number, classes: number, source: string, location: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= classes) {
    throw fileError(
      source,
      location,
      `${String(value)} is not a class index: with data.classes = ${classes} every label must be an integer in 0..${classes - 1}`,
      'data.classes',
    );
  }
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
 * Splits parsed rows into train and test sets (each keeps file order), keeping the first
 * `nCap`/`nTestCap` rows of each, then standardizes when asked. With `classes` the labels must
 * already have been checked ({@link checkClassLabel}) and the split is multi-class; otherwise
 * the task is classification exactly when every kept target is −1 or +1: a file cannot say
 * otherwise, and ±1 targets are what errors and margins need. When every row trains and none
 * is cut, the parsed buffers become the training set without a copy.
 */
export function assembleSplit(parsed: ParsedRows, source: string, options: FileDataOptions = {}): DataSplit {
  const { rows, d, x, y, isTest } = parsed;
  let nTestAll = 0;
  for (let r = 0; r < rows; r++) nTestAll += isTest[r];
  const nTrainAll = rows - nTestAll;
  if (rows === 0) throw fileError(source, '', 'no data rows');
  if (nTrainAll === 0) throw fileError(source, '', `no training rows: all ${rows} rows have split "test"`);
  const nTrain = Math.min(nTrainAll, options.nCap ?? nTrainAll);
  const nTest = Math.min(nTestAll, options.nTestCap ?? nTestAll);
  let train: Dataset;
  let test: Dataset;
  if (nTestAll === 0 && nTrain === rows) {
    train = { n: rows, d, x, y };
    test = { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) };
  } else {
    train = { n: nTrain, d, x: new Float64Array(nTrain * d), y: new Float64Array(nTrain) };
    test = { n: nTest, d, x: new Float64Array(nTest * d), y: new Float64Array(nTest) };
    let iTrain = 0;
    let iTest = 0;
    for (let r = 0; r < rows && (iTrain < nTrain || iTest < nTest); r++) {
      let target: Dataset;
      let i: number;
      if (isTest[r]) {
        if (iTest === nTest) continue;
        target = test;
        i = iTest++;
      } else {
        if (iTrain === nTrain) continue;
        target = train;
        i = iTrain++;
      }
      target.x.set(x.subarray(r * d, (r + 1) * d), i * d);
      target.y[i] = y[r];
    }
  }
  return finishSplit(train, test, options);
}

/**
 * The last step every file kind shares: labels (multi-class with `classes`, else ±1 detection)
 * and optional standardization.
 */
export function finishSplit(train: Dataset, test: Dataset, options: FileDataOptions): DataSplit {
  if (options.standardize) standardizeSplit(train, test);
  if (options.classes !== undefined) return { train, test, classification: true, classes: options.classes };
  const pm1 = (set: Dataset) => set.y.every((v) => v === 1 || v === -1);
  return { train, test, classification: pm1(train) && pm1(test) };
}

/** Per-feature statistics of a standardization: x ↦ (x − mean) / scale. */
export interface Standardization {
  readonly mean: Float64Array;
  /** The training standard deviation, or 1 for a constant feature (which is only centered). */
  readonly scale: Float64Array;
}

/**
 * Standardizes `train` and `test` in place with the training split's per-feature mean and
 * standard deviation (population form, dividing by n): afterwards every training feature has
 * mean 0 and standard deviation 1, and the test set is transformed with the same (training)
 * statistics, so it carries no information about the test data. A feature that is constant on
 * the training set is only centered (it becomes 0 there), never divided by 0. Two passes
 * (mean, then squared deviations) keep the statistics accurate for large offsets.
 */
export function standardizeSplit(train: Dataset, test: Dataset): Standardization {
  const { n, d } = train;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  if (n === 0) return { mean, scale };
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let c = 0; c < d; c++) {
      const v = train.x[row + c];
      mean[c] += v;
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  for (let c = 0; c < d; c++) mean[c] = min[c] === max[c] ? min[c] : mean[c] / n;
  const squares = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let c = 0; c < d; c++) squares[c] += (train.x[row + c] - mean[c]) ** 2;
  }
  // Exactly constant features (min = max) keep scale 1: rounding in the mean would otherwise
  // turn a constant into ±1 noise.
  // (An underflowing or overflowing variance keeps scale 1 too.)
  for (let c = 0; c < d; c++) {
    const std = Math.sqrt(squares[c] / n);
    if (min[c] !== max[c] && std > 0 && Number.isFinite(std)) scale[c] = std;
  }
  for (const set of [train, test]) {
    const { x } = set;
    for (let i = 0; i < set.n; i++) {
      const row = i * d;
      for (let c = 0; c < d; c++) x[row + c] = (x[row + c] - mean[c]) / scale[c];
    }
  }
  return { mean, scale };
}

/**
 * CSV datasets: a header row naming the columns x0..x{d−1}, y and optionally split
 * (train/test), then one comma-separated row per point (see planColumns for the x columns). Pure (text in, DataSplit out); the
 * file I/O lives in load.ts.
 *
 * Deliberately strict: `Number()` would read "" as 0, "0x1f" as 31 and " 1e3 " as 1000, and a
 * silently mis-read cell poisons a whole run, so every cell must be a plain decimal number
 * (surrounding spaces allowed) and every row must have the header's number of cells. Quoted
 * cells are unquoted, but a quoted cell may not contain a comma.
 */
import type { DataSplit } from '../types.js';
import { assembleSplit, checkClassLabel, checkParsedSize, fileError, fileOptions, planColumns, quoteList, quoteValue, type FileDataOptions } from './columns.js';

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * The longest line (in UTF-16 characters, without its line break) a CSV file may have: 1 MiB
 * holds a row of over 50 000 numbers; a longer one is a broken or hostile file.
 */
export const MAX_CSV_LINE = 1 << 20;
/** The longest cell a CSV file may have: 64 KiB, far beyond any number or column name. */
export const MAX_CSV_CELL = 1 << 16;
/** Entries (float64) the row buffers start with before they grow, so a wide header alone allocates little. */
const INITIAL_ENTRIES = 1 << 16;

/** Removes one pair of surrounding double quotes ("" inside stands for "), after trimming. */
function cellText(raw: string): string {
  const cell = raw.trim();
  if (cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"')) return cell.slice(1, -1).replaceAll('""', '"').trim();
  return cell;
}

/**
 * Where the line that starts at `start` ends: its end without a trailing '\r', and where the
 * next line starts (past `text.length` after the last). Walking lines this way gives what
 * `split('\n')` gives without building the array: a file of millions of lines would hold a
 * string object per line at once.
 */
function lineAt(text: string, start: number): [end: number, next: number] {
  const newline = text.indexOf('\n', start);
  const stop = newline < 0 ? text.length : newline;
  return [stop > start && text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop, stop + 1];
}

/**
 * Throws if line `index` (from `start` to `end` in `text`) is longer than a line, or holds a
 * cell longer than a cell, may be; the error names the first such cell's column (`names`, or
 * its number on the header line), or else the line.
 */
function checkLineLength(text: string, start: number, end: number, index: number, source: string, names: readonly string[] | undefined): void {
  if (end - start <= MAX_CSV_CELL) return;
  const column = (c: number) => (names !== undefined && c < names.length ? `column ${quoteValue(names[c])}` : `column ${c + 1}`);
  let cellStart = start;
  for (let c = 0; cellStart <= end; c++) {
    let cellEnd = text.indexOf(',', cellStart);
    if (cellEnd < 0 || cellEnd > end) cellEnd = end;
    if (cellEnd - cellStart > MAX_CSV_CELL) {
      throw fileError(
        source,
        `line ${index + 1}, ${column(c)}`,
        `${quoteValue(text.slice(cellStart, cellEnd), 40)} is longer than a cell may be (${MAX_CSV_CELL} characters)`,
      );
    }
    cellStart = cellEnd + 1;
  }
  if (end - start > MAX_CSV_LINE) {
    throw fileError(source, `line ${index + 1}`, `the line has ${end - start} characters, more than a line may have (${MAX_CSV_LINE})`);
  }
}

/**
 * Parses a CSV dataset. `source` names the file in error messages (its path, usually);
 * `optionsOrD` carries what the spec asks of the file (dimension check, classes, row caps,
 * standardization: see FileDataOptions; a number is the expected d alone). Line numbers in errors count from 1 with the header on
 * line 1, as editors show them; blank lines are skipped but counted. Every row is checked, also
 * those beyond the row caps. A line may hold at most {@link MAX_CSV_LINE} characters and a cell
 * {@link MAX_CSV_CELL}; error messages quote at most 80 characters of a cell.
 *
 * Errors (InvalidInputError on `data.path`, or `data.d` for a dimension mismatch) read like
 * `data.path: /tmp/a.csv line 17, column "x1": "abc" is not a number`.
 */
export function parseCsvDataset(text: string, source: string, optionsOrD?: FileDataOptions | number): DataSplit {
  const options = fileOptions(optionsOrD);
  // A UTF-8 BOM (Excel writes one) would otherwise become part of the first column's name.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let headerIndex = 0;
  let headerStart = 0;
  let [headerEnd, next] = lineAt(body, 0);
  while (body.slice(headerStart, headerEnd).trim() === '') {
    if (next > body.length) {
      throw fileError(source, '', 'the file is empty; expected a header row naming columns x0..x{d−1}, y and optionally split');
    }
    headerIndex++;
    headerStart = next;
    [headerEnd, next] = lineAt(body, headerStart);
  }
  const header = { index: headerIndex, start: headerStart, end: headerEnd };
  const firstRow = next;
  checkLineLength(body, header.start, header.end, header.index, source, undefined);
  const names = body.slice(header.start, header.end).split(',').map(cellText);
  const headerWhere = `line ${header.index + 1}`;
  if (names.every((name) => DECIMAL.test(name))) {
    throw fileError(source, headerWhere, `expected a header row naming columns x0..x{d−1}, y and optionally split, got numbers`);
  }
  const plan = planColumns(names, source, options.d, headerWhere);
  const { d } = plan;

  let rows = 0;
  for (let start = firstRow; start <= body.length; ) {
    const [end, after] = lineAt(body, start);
    if (body.slice(start, end).trim() !== '') rows++;
    start = after;
  }
  // The buffers grow as rows parse, so a file that merely claims many rows (a wide header over
  // many lines of junk) allocates in proportion to the rows that are actually valid.
  // The budget is checked (for all rows) before the buffers grow, or at once when they start
  // at full size.
  let capacity = Math.min(rows, Math.max(1, Math.floor(INITIAL_ENTRIES / (d + 1))));
  if (capacity === rows) checkParsedSize(rows, d, source, options);
  let x = new Float64Array(capacity * d);
  let y = new Float64Array(capacity);
  let isTest = new Uint8Array(capacity);
  const grow = () => {
    checkParsedSize(rows, d, source, options);
    capacity = Math.min(rows, 2 * capacity);
    const [x2, y2, t2] = [new Float64Array(capacity * d), new Float64Array(capacity), new Uint8Array(capacity)];
    x2.set(x);
    y2.set(y);
    t2.set(isTest);
    [x, y, isTest] = [x2, y2, t2];
  };

  let r = 0;
  for (let index = header.index + 1, start = firstRow; start <= body.length; index++) {
    const [end, after] = lineAt(body, start);
    const content = body.slice(start, end);
    const lineStart = start;
    start = after;
    if (content.trim() === '') continue;
    checkLineLength(body, lineStart, end, index, source, names);
    const where = `line ${index + 1}`;
    const cells = content.split(',');
    if (cells.length < names.length) {
      throw fileError(
        source,
        `${where}, column ${quoteValue(names[cells.length])}`,
        `missing: the row has ${cells.length} cells but the header has ${names.length}`,
      );
    }
    if (cells.length > names.length) {
      throw fileError(source, where, `the row has ${cells.length} cells but the header has ${names.length} (${quoteList(names)})`);
    }
    if (r === capacity) grow();
    const number = (column: number): number => {
      const cell = cellText(cells[column]);
      const at = `${where}, column ${quoteValue(names[column])}`;
      if (cell === '') throw fileError(source, at, 'the cell is empty; expected a number');
      if (NON_FINITE.test(cell)) throw fileError(source, at, `${quoteValue(cell)} is not a finite number`);
      if (!DECIMAL.test(cell)) throw fileError(source, at, `${quoteValue(cell)} is not a number`);
      const value = Number(cell);
      if (!Number.isFinite(value)) throw fileError(source, at, `${quoteValue(cell)} is not a finite number (it overflows float64)`);
      return value;
    };
    for (let c = 0; c < d; c++) x[r * d + c] = number(plan.x[c]);
    y[r] = number(plan.y);
    if (options.classes !== undefined) checkClassLabel(y[r], options.classes, source, `${where}, column "y"`);
    if (plan.split >= 0) {
      const split = cellText(cells[plan.split]);
      if (split !== 'train' && split !== 'test') {
        throw fileError(source, `${where}, column "split"`, `${quoteValue(split)} is neither "train" nor "test"`);
      }
      isTest[r] = split === 'test' ? 1 : 0;
    }
    r++;
  }
  return assembleSplit({ rows, d, x, y, isTest }, source, options);
}

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
import { assembleSplit, checkClassLabel, fileError, fileOptions, planColumns, type FileDataOptions } from './columns.js';

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Removes one pair of surrounding double quotes ("" inside stands for "), after trimming. */
function cellText(raw: string): string {
  const cell = raw.trim();
  if (cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"')) return cell.slice(1, -1).replaceAll('""', '"').trim();
  return cell;
}

/**
 * Parses a CSV dataset. `source` names the file in error messages (its path, usually);
 * `optionsOrD` carries what the spec asks of the file (dimension check, classes, row caps,
 * standardization: see FileDataOptions; a number is the expected d alone). Line numbers in errors count from 1 with the header on
 * line 1, as editors show them; blank lines are skipped but counted. Every row is checked, also
 * those beyond the row caps.
 *
 * Errors (InvalidInputError on `data.path`, or `data.d` for a dimension mismatch) read like
 * `data.path: /tmp/a.csv line 17, column "x1": "abc" is not a number`.
 */
export function parseCsvDataset(text: string, source: string, optionsOrD?: FileDataOptions | number): DataSplit {
  const options = fileOptions(optionsOrD);
  // A UTF-8 BOM (Excel writes one) would otherwise become part of the first column's name.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  const line = (i: number): string => (lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i]);

  let headerAt = 0;
  while (headerAt < lines.length && line(headerAt).trim() === '') headerAt++;
  if (headerAt === lines.length) {
    throw fileError(source, '', 'the file is empty; expected a header row naming columns x0..x{d−1}, y and optionally split');
  }
  const names = line(headerAt).split(',').map(cellText);
  const headerWhere = `line ${headerAt + 1}`;
  if (names.every((name) => DECIMAL.test(name))) {
    throw fileError(source, headerWhere, `expected a header row naming columns x0..x{d−1}, y and optionally split, got numbers`);
  }
  const plan = planColumns(names, source, options.d, headerWhere);
  const { d } = plan;

  let rows = 0;
  for (let i = headerAt + 1; i < lines.length; i++) if (line(i).trim() !== '') rows++;
  const x = new Float64Array(rows * d);
  const y = new Float64Array(rows);
  const isTest = new Uint8Array(rows);

  let r = 0;
  for (let i = headerAt + 1; i < lines.length; i++) {
    const content = line(i);
    if (content.trim() === '') continue;
    const where = `line ${i + 1}`;
    const cells = content.split(',');
    if (cells.length < names.length) {
      throw fileError(
        source,
        `${where}, column ${JSON.stringify(names[cells.length])}`,
        `missing: the row has ${cells.length} cells but the header has ${names.length}`,
      );
    }
    if (cells.length > names.length) {
      throw fileError(source, where, `the row has ${cells.length} cells but the header has ${names.length} (${names.join(',')})`);
    }
    const number = (column: number): number => {
      const cell = cellText(cells[column]);
      const at = `${where}, column ${JSON.stringify(names[column])}`;
      if (cell === '') throw fileError(source, at, 'the cell is empty; expected a number');
      if (NON_FINITE.test(cell)) throw fileError(source, at, `${JSON.stringify(cell)} is not a finite number`);
      if (!DECIMAL.test(cell)) throw fileError(source, at, `${JSON.stringify(cell)} is not a number`);
      const value = Number(cell);
      if (!Number.isFinite(value)) throw fileError(source, at, `${JSON.stringify(cell)} is not a finite number (it overflows float64)`);
      return value;
    };
    for (let c = 0; c < d; c++) x[r * d + c] = number(plan.x[c]);
    y[r] = number(plan.y);
    if (options.classes !== undefined) checkClassLabel(y[r], options.classes, source, `${where}, column "y"`);
    if (plan.split >= 0) {
      const split = cellText(cells[plan.split]);
      if (split !== 'train' && split !== 'test') {
        throw fileError(source, `${where}, column "split"`, `${JSON.stringify(split)} is neither "train" nor "test"`);
      }
      isTest[r] = split === 'test' ? 1 : 0;
    }
    r++;
  }
  return assembleSplit({ rows, d, x, y, isTest }, source, options);
}

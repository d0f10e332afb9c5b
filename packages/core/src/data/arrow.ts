/**
 * Arrow IPC datasets (file `.arrow` or stream `.arrows` format): columns x0..x{d−1}, y of any
 * float or integer type, and optionally a string column split (train/test). Pure (bytes in,
 * DataSplit out); the file I/O lives in load.ts.
 *
 * apache-arrow reports bad input as raw TypeErrors from deep inside its reader ("Cannot read
 * properties of null (reading 'fieldsLength')"), and some garbage even parses as an empty
 * table, so every failure is turned into one InvalidInputError line naming the file.
 */
import { DataType, Precision, tableFromIPC, type Table, type Vector } from 'apache-arrow';
import type { DataSplit } from '../types.js';
import { assembleSplit, checkClassLabel, fileError, fileOptions, planColumns, type FileDataOptions } from './columns.js';

const FILE_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

function hasMagicAt(bytes: Uint8Array, offset: number): boolean {
  if (offset < 0 || offset + FILE_MAGIC.length > bytes.length) return false;
  return FILE_MAGIC.every((b, i) => bytes[offset + i] === b);
}

/** The first line of an error's message: a library's multi-line stack dump is not for users. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}

function readTable(bytes: Uint8Array, source: string): Table {
  if (bytes.length === 0) throw fileError(source, '', 'the file is empty; expected an Arrow IPC file or stream');
  // The file format starts and ends with "ARROW1"; a file cut before its footer cannot be read
  // (STACK-NOTES), and saying "truncated" beats the reader's null dereference.
  if (hasMagicAt(bytes, 0) && !hasMagicAt(bytes, bytes.length - FILE_MAGIC.length)) {
    throw fileError(source, '', 'truncated Arrow IPC file: it starts with the ARROW1 magic but its footer is missing');
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw fileError(source, '', `not a readable Arrow IPC file or stream (${firstLine(error)})`);
  }
  if (table.schema.fields.length === 0) {
    throw fileError(source, '', 'not a readable Arrow IPC file or stream (no schema found)');
  }
  return table;
}

/**
 * Copies a numeric column into out[r*stride + offset]. Float and integer columns of any width
 * are accepted; 64-bit integers arrive as BigInt and are converted when exactly representable.
 */
function readNumeric(vector: Vector, name: string, rows: number, out: Float64Array, stride: number, offset: number, source: string): void {
  const at = (r: number) => `row ${r}, column ${JSON.stringify(name)}`;
  const type = vector.type as DataType;
  if (!DataType.isFloat(type) && !DataType.isInt(type)) {
    throw fileError(source, '', `column ${JSON.stringify(name)} has type ${String(type)}; expected a float or integer column`);
  }
  if (vector.nullCount > 0) {
    for (let r = 0; r < rows; r++) {
      if (!vector.isValid(r)) throw fileError(source, at(r), 'null; expected a number');
    }
  }
  // Float16 shares typeId Float with Float32/64; only its precision tells it apart.
  if (DataType.isFloat(type) && type.precision === Precision.HALF) {
    // toArray() would hand back the raw half-float bits; get() decodes them.
    for (let r = 0; r < rows; r++) {
      const value = vector.get(r) as number;
      if (!Number.isFinite(value)) throw fileError(source, at(r), `${String(value)} is not a finite number`);
      out[r * stride + offset] = value;
    }
    return;
  }
  const values = vector.toArray() as ArrayLike<number | bigint>;
  for (let r = 0; r < rows; r++) {
    const raw = values[r];
    let value: number;
    if (typeof raw === 'bigint') {
      value = Number(raw);
      if (!Number.isSafeInteger(value)) throw fileError(source, at(r), `${raw} is too large to hold exactly in a float64`);
    } else {
      value = raw;
      if (!Number.isFinite(value)) throw fileError(source, at(r), `${String(value)} is not a finite number`);
    }
    out[r * stride + offset] = value;
  }
}

/** The split column: strings (plain or dictionary-encoded) "train" or "test". */
function readSplit(vector: Vector, rows: number, isTest: Uint8Array, source: string): void {
  const type = vector.type as DataType;
  const stringy =
    DataType.isUtf8(type) || DataType.isLargeUtf8(type) || (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)));
  if (!stringy) {
    throw fileError(source, '', `column "split" has type ${String(type)}; expected a string column with values "train" or "test"`);
  }
  for (let r = 0; r < rows; r++) {
    const value: unknown = vector.get(r);
    if (value !== 'train' && value !== 'test') {
      throw fileError(source, `row ${r}, column "split"`, `${value === null ? 'null' : JSON.stringify(value)} is neither "train" nor "test"`);
    }
    isTest[r] = value === 'test' ? 1 : 0;
  }
}

/**
 * Parses an Arrow IPC dataset, in file or stream format. `source` names the file in error
 * messages; `optionsOrD` carries what the spec asks of the file (dimension check, classes, row
 * caps, standardization: see FileDataOptions; a number is the expected d alone). Rows in errors are counted from 0, as Arrow,
 * pandas and polars index them. Note that a stream cut between record batches is
 * indistinguishable from a shorter stream and reads as such.
 */
export function parseArrowDataset(bytes: Uint8Array, source: string, optionsOrD?: FileDataOptions | number): DataSplit {
  return datasetFromArrowTable(readTable(bytes, source), source, fileOptions(optionsOrD));
}

/**
 * The column handling of {@link parseArrowDataset} on an already decoded table (Parquet files
 * arrive here too): x columns and y of any float or integer type, an optional string split.
 */
export function datasetFromArrowTable(table: Table, source: string, options: FileDataOptions = {}): DataSplit {
  const names = table.schema.fields.map((field) => field.name);
  const plan = planColumns(names, source, options.d);
  const { d } = plan;
  const rows = table.numRows;
  const x = new Float64Array(rows * d);
  const y = new Float64Array(rows);
  const isTest = new Uint8Array(rows);
  const column = (index: number): Vector => table.getChildAt(index) as Vector;
  for (let c = 0; c < d; c++) readNumeric(column(plan.x[c]), names[plan.x[c]], rows, x, d, c, source);
  readNumeric(column(plan.y), 'y', rows, y, 1, 0, source);
  const { classes } = options;
  if (classes !== undefined) for (let r = 0; r < rows; r++) checkClassLabel(y[r], classes, source, `row ${r}, column "y"`);
  if (plan.split >= 0) readSplit(column(plan.split), rows, isTest, source);
  return assembleSplit({ rows, d, x, y, isTest }, source, options);
}

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
import { InvalidInputError } from '../errors.js';
import { arrowMetadataProblem } from './arrow-check.js';
import { assembleSplit, checkClassLabel, checkParsedSize, fileError, fileOptions, planColumns, quoteValue, type FileDataOptions } from './columns.js';

const FILE_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

function hasMagicAt(bytes: Uint8Array, offset: number): boolean {
  if (offset < 0 || offset + FILE_MAGIC.length > bytes.length) return false;
  return FILE_MAGIC.every((b, i) => bytes[offset + i] === b);
}

/**
 * The first line of an error's message, at most `max` characters and without control
 * characters: a library's multi-line stack dump is not for users, and a reader's message may
 * quote the file's bytes.
 */
export function firstLine(error: unknown, max = 120): string {
  const message = error instanceof Error ? error.message : String(error);
  // eslint-disable-next-line no-control-regex
  const line = message.split('\n')[0].replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A column's type for messages: a nested type's text names every field, so it is cut. */
function typeText(type: DataType): string {
  const text = String(type);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function readTable(bytes: Uint8Array, source: string): Table {
  if (bytes.length === 0) throw fileError(source, '', 'the file is empty; expected an Arrow IPC file or stream');
  // The file format starts and ends with "ARROW1"; a file cut before its footer cannot be read
  // (STACK-NOTES), and saying "truncated" beats the reader's null dereference.
  if (hasMagicAt(bytes, 0) && !hasMagicAt(bytes, bytes.length - FILE_MAGIC.length)) {
    throw fileError(source, '', 'truncated Arrow IPC file: it starts with the ARROW1 magic but its footer is missing');
  }
  // apache-arrow trusts the lengths in the metadata (see arrow-check.ts): a corrupt one can
  // make it loop for minutes or allocate gigabytes before it fails.
  const problem = arrowMetadataProblem(bytes, hasMagicAt(bytes, 0));
  if (problem !== undefined) throw fileError(source, '', `not a readable Arrow IPC file or stream (corrupt metadata: ${problem})`);
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
  const at = (r: number) => `row ${r}, column ${quoteValue(name)}`;
  checkNumericColumn(vector, name, source);
  if (vector.nullCount > 0) {
    for (let r = 0; r < rows; r++) {
      if (!vector.isValid(r)) throw fileError(source, at(r), 'null; expected a number');
    }
  }
  // Float16 shares typeId Float with Float32/64; only its precision tells it apart.
  const type = vector.type as DataType;
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

/**
 * Throws unless `vector` is a float or integer column whose buffers hold as many values as it
 * has rows. A record batch's length is a claim in the file, and the parsed arrays are
 * allocated for it: a corrupt length must not allocate gigabytes for a few bytes of values.
 */
function checkNumericColumn(vector: Vector, name: string, source: string): void {
  const type = vector.type as DataType;
  if (!DataType.isFloat(type) && !DataType.isInt(type)) {
    throw fileError(source, '', `column ${quoteValue(name)} has type ${typeText(type)}; expected a float or integer column`);
  }
  let row = 0;
  for (const data of vector.data) {
    const values = data.values as ArrayLike<unknown> | undefined;
    const held = values === undefined ? 0 : values.length - data.offset;
    if (held < data.length) {
      throw fileError(source, `row ${row + Math.max(held, 0)}, column ${quoteValue(name)}`, `corrupt Arrow data: the record batch has ${data.length} rows but the column's buffer holds ${Math.max(held, 0)} values`);
    }
    row += data.length;
  }
}

/** The split column: strings (plain or dictionary-encoded) "train" or "test". */
function readSplit(vector: Vector, rows: number, isTest: Uint8Array, source: string): void {
  const type = vector.type as DataType;
  const stringy =
    DataType.isUtf8(type) || DataType.isLargeUtf8(type) || (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)));
  if (!stringy) {
    throw fileError(source, '', `column "split" has type ${typeText(type)}; expected a string column with values "train" or "test"`);
  }
  for (let r = 0; r < rows; r++) {
    const value: unknown = vector.get(r);
    if (value !== 'train' && value !== 'test') {
      throw fileError(source, `row ${r}, column "split"`, `${typeof value === 'string' ? quoteValue(value) : String(value)} is neither "train" nor "test"`);
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
  // A corrupt schema can leave a field without a name (null): it names no column.
  const names = table.schema.fields.map((field) => (typeof field.name === 'string' ? field.name : ''));
  const plan = planColumns(names, source, options.d);
  const { d } = plan;
  let parsed;
  try {
    const rows = table.numRows;
    const column = (index: number): Vector => table.getChildAt(index) as Vector;
    // Every column the dataset reads is checked against its claimed length before anything is
    // allocated for that length.
    for (let c = 0; c < d; c++) checkNumericColumn(column(plan.x[c]), names[plan.x[c]], source);
    checkNumericColumn(column(plan.y), 'y', source);
    checkParsedSize(rows, d, source, options);
    const x = new Float64Array(rows * d);
    const y = new Float64Array(rows);
    const isTest = new Uint8Array(rows);
    for (let c = 0; c < d; c++) readNumeric(column(plan.x[c]), names[plan.x[c]], rows, x, d, c, source);
    readNumeric(column(plan.y), 'y', rows, y, 1, 0, source);
    const { classes } = options;
    if (classes !== undefined) for (let r = 0; r < rows; r++) checkClassLabel(y[r], classes, source, `row ${r}, column "y"`);
    if (plan.split >= 0) readSplit(column(plan.split), rows, isTest, source);
    parsed = { rows, d, x, y, isTest };
  } catch (error) {
    // apache-arrow decodes lazily: a corrupt buffer surfaces here, as a TypeError or RangeError
    // from inside the reader, and is the file's fault.
    if (error instanceof InvalidInputError) throw error;
    throw fileError(source, '', `corrupt Arrow data (${firstLine(error)})`);
  }
  return assembleSplit(parsed, source, options);
}

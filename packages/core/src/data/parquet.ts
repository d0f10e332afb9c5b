/**
 * Parquet datasets: the column layout of CSV and Arrow files (x0..x{d−1}, y of any float or
 * integer type, optional string split). parquet-wasm (arrow-rs compiled to WebAssembly, the
 * reader @mflab/store exports with) decodes the file to an Arrow IPC stream, and the Arrow
 * column handling does the rest. Pure apart from loading the wasm module (bytes in, DataSplit
 * out); the file I/O lives in load.ts.
 */
import { tableFromIPC, type Table } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import type { DataSplit } from '../types.js';
import { datasetFromArrowTable, firstLine } from './arrow.js';
import { fileError, type FileDataOptions } from './columns.js';

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1", at both ends of a Parquet file

let parquetWasm: Promise<typeof ParquetWasm> | undefined;

/** parquet-wasm, loaded at the first Parquet file: compiling its wasm costs every other process nothing. */
function loadParquetWasm(): Promise<typeof ParquetWasm> {
  parquetWasm ??= import('parquet-wasm');
  return parquetWasm;
}

function hasMagicAt(bytes: Uint8Array, offset: number): boolean {
  return offset >= 0 && offset + PARQUET_MAGIC.length <= bytes.length && PARQUET_MAGIC.every((b, i) => bytes[offset + i] === b);
}

/**
 * Parses a Parquet dataset. `source` names the file in error messages; `options` carries what
 * the spec asks of the file (see FileDataOptions). Rows in errors are counted from 0 over the
 * whole file, as pandas and polars index them. A file that is not Parquet, or is truncated or
 * corrupt, is one InvalidInputError line naming the file.
 */
export async function parseParquetDataset(bytes: Uint8Array, source: string, options: FileDataOptions = {}): Promise<DataSplit> {
  if (bytes.length === 0) throw fileError(source, '', 'the file is empty; expected a Parquet file');
  if (!hasMagicAt(bytes, 0)) throw fileError(source, '', 'not a Parquet file (it does not start with the PAR1 magic)');
  if (bytes.length < 12 || !hasMagicAt(bytes, bytes.length - PARQUET_MAGIC.length)) {
    throw fileError(source, '', 'truncated Parquet file: it starts with the PAR1 magic but its footer is missing');
  }
  let parquet: typeof ParquetWasm;
  try {
    parquet = await loadParquetWasm();
  } catch (error) {
    throw fileError(source, '', `cannot read Parquet: parquet-wasm did not load (${firstLine(error)})`);
  }
  let table: Table;
  try {
    const ipc = parquet.readParquet(bytes).intoIPCStream();
    table = tableFromIPC(ipc);
  } catch (error) {
    throw fileError(source, '', `not a readable Parquet file (${firstLine(error)})`);
  }
  return datasetFromArrowTable(table, source, options);
}

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
import { budgetAdvice, fileError, formatBytes, type FileDataOptions } from './columns.js';

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
  if (options.maxBytes !== undefined) checkDecodedSize(bytes, source, options.maxBytes);
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

/** A Parquet footer's own description of the data: what decoding it will take. */
export interface ParquetFooterSizes {
  /** Rows, as FileMetaData.num_rows says. */
  readonly rows: number;
  /** The most columns a row group has. */
  readonly columns: number;
  /** The uncompressed bytes of every row group (RowGroup.total_byte_size, summed). */
  readonly decodedBytes: number;
}

/** A corrupt footer, told apart from a bug in the reader. */
class FooterError extends Error {}

/**
 * A reader of the Thrift compact protocol that Parquet footers are written in, over
 * bytes[pos, end): just enough to skip what it does not need. Every read is bounds-checked and
 * every value consumes at least one byte, so a corrupt footer costs time linear in its length.
 */
class CompactReader {
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) throw new FooterError('the footer ends inside a value');
    return this.bytes[this.pos++];
  }

  /** An unsigned varint, as a float (exact to 2^53, which sizes never reach honestly). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new FooterError('a varint longer than 10 bytes');
  }

  /** A zigzag-encoded signed integer (i16, i32 and i64 all are). */
  integer(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  /** Skips a value of compact type `type` (1–12). */
  skip(type: number, depth: number): void {
    if (depth > 32) throw new FooterError('values nested too deep');
    switch (type) {
      case 1:
      case 2:
        return; // a boolean field's value is its type
      case 3:
        this.byte();
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.advance(8);
        return;
      case 8:
        this.advance(this.varint());
        return;
      case 9:
      case 10: {
        const { size, type: element } = this.listHeader();
        for (let i = 0; i < size; i++) {
          // Booleans in a list take a byte each; in a struct, their type is their value.
          if (element === 1 || element === 2) this.byte();
          else this.skip(element, depth + 1);
        }
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const kinds = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(kinds >> 4, depth + 1);
          this.skip(kinds & 0x0f, depth + 1);
        }
        return;
      }
      case 12:
        this.struct(() => false, depth + 1);
        return;
      default:
        throw new FooterError(`unknown value type ${type}`);
    }
  }

  private advance(length: number): void {
    if (length > this.end - this.pos) throw new FooterError('the footer ends inside a value');
    this.pos += length;
  }

  listHeader(): { size: number; type: number } {
    const b = this.byte();
    return { size: b >> 4 === 15 ? this.varint() : b >> 4, type: b & 0x0f };
  }

  /**
   * Reads a struct's fields up to its stop byte; `read(id, type)` reads the fields it wants and
   * returns true, and the others are skipped.
   */
  struct(read: (id: number, type: number) => boolean, depth = 0): void {
    let id = 0;
    while (true) {
      const b = this.byte();
      if (b === 0) return;
      const type = b & 0x0f;
      id = b >> 4 === 0 ? this.integer() : id + (b >> 4);
      if (!read(id, type)) this.skip(type, depth);
    }
  }
}

/**
 * What a Parquet file's footer says decoding it will take, read without parquet-wasm (whose
 * metadata reader panics asynchronously on some corrupt footers). `bytes` must start and end
 * with PAR1. Throws a FooterError when the footer is not valid Thrift.
 */
export function parquetFooterSizes(bytes: Uint8Array): ParquetFooterSizes {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.length - 8, true);
  if (length > bytes.length - 12) throw new FooterError(`the footer claims ${length} bytes, more than the file holds`);
  const reader = new CompactReader(bytes, bytes.length - 8 - length, bytes.length - 8);
  let rows = 0;
  let columns = 0;
  let decodedBytes = 0;
  reader.struct((id, type) => {
    if (id === 3 && type === 6) rows = reader.integer();
    else if (id === 4 && type === 9) {
      const { size, type: element } = reader.listHeader();
      if (element !== 12) throw new FooterError('row groups that are not structs');
      for (let g = 0; g < size; g++) {
        reader.struct((field, kind) => {
          if (field === 1 && kind === 9) {
            const list = reader.listHeader();
            columns = Math.max(columns, list.size);
            for (let c = 0; c < list.size; c++) reader.skip(list.type, 1);
          } else if (field === 2 && kind === 6) decodedBytes += Math.max(0, reader.integer());
          else return false;
          return true;
        }, 1);
      }
    } else return false;
    return true;
  });
  return { rows: Math.max(0, rows), columns, decodedBytes };
}

/**
 * Refuses, before decoding, a file whose footer says its decoded columns exceed `maxBytes`:
 * they are decoded in wasm memory (which never shrinks), copied out as an Arrow IPC stream,
 * and parsed into float64 arrays, so a small, highly compressed file can need gigabytes. The
 * footer's sizes are claims; a file that lies about them is still bounded by wasm32's 4 GiB.
 */
function checkDecodedSize(bytes: Uint8Array, source: string, maxBytes: number): void {
  let sizes: ParquetFooterSizes;
  try {
    sizes = parquetFooterSizes(bytes);
  } catch (error) {
    if (!(error instanceof FooterError)) throw error;
    throw fileError(source, '', `not a readable Parquet file (corrupt footer: ${error.message})`);
  }
  const { rows, columns, decodedBytes } = sizes;
  // total_byte_size counts pages as encoded (dictionary and run-length encoding shrink
  // them), so the rows decide: each column about 8 bytes a row decoded in wasm, again copied
  // out as IPC, and again as float64, beside the pages.
  const need = decodedBytes + 3 * rows * columns * 8;
  if (need > maxBytes) {
    throw fileError(source, '', `${rows} rows of ${columns} columns take about ${formatBytes(need)} to decode, ${budgetAdvice(maxBytes, true)}`);
  }
}

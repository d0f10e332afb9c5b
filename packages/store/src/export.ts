/**
 * Export of store data to Parquet (through parquet-wasm, the Rust arrow-rs/parquet writer
 * compiled to WebAssembly) and CSV. Both stream: they take record batches one at a time, so a
 * long trajectory is exported without building one big table.
 */
import * as fs from 'node:fs';
import { RecordBatch, Table, type Vector } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import { fsyncDir, tempPathFor, writeFully } from './atomic.js';
import { StoreError, describe, fsError } from './errors.js';
import { encodeStreamBatch, encodeStreamSchema } from './ipc.js';
import * as path from 'node:path';

let parquetWasm: Promise<typeof ParquetWasm> | undefined;

/**
 * parquet-wasm, loaded at the first Parquet export: compiling its wasm would otherwise cost every
 * process that imports the store (a run, each SIGKILL test child) tens of milliseconds at startup.
 */
function loadParquetWasm(): Promise<typeof ParquetWasm> {
  parquetWasm ??= import('parquet-wasm');
  return parquetWasm;
}

/** Rows to export: a Table or any (lazy) sequence of record batches sharing one schema. */
export type BatchSource = Table | Iterable<RecordBatch>;

/** Options of {@link exportParquet}. */
export interface ParquetOptions {
  /** Column compression (default `zstd`). */
  compression?: 'zstd' | 'snappy' | 'uncompressed';
  /** Rows per row group (default 65 536): bounds the writer's memory. */
  rowGroupRows?: number;
}

function batchesOf(source: BatchSource): Iterable<RecordBatch> {
  return source instanceof Table ? source.batches : source;
}

/** Opens `outPath`'s temporary sibling; the export is renamed into place only when complete. */
function openTemp(outPath: string): { temp: string; fd: number } {
  const temp = tempPathFor(outPath);
  try {
    return { temp, fd: fs.openSync(temp, 'w', 0o644) };
  } catch (err) {
    throw fsError(outPath, 'create', err);
  }
}

function finishTemp(outPath: string, temp: string, fd: number, ok: boolean): void {
  let error: unknown = null;
  try {
    if (ok) fs.fsyncSync(fd);
  } catch (err) {
    // A full disk may only show at fsync: the export is then incomplete and must not be renamed.
    error = fsError(outPath, 'fsync', err);
  }
  try {
    fs.closeSync(fd);
  } catch (err) {
    error ??= fsError(outPath, 'close', err);
  }
  if (!ok || error !== null) {
    fs.rmSync(temp, { force: true });
    // When the export already failed, that first error is the one the caller sees.
    if (ok && error !== null) throw error;
    return;
  }
  try {
    fs.renameSync(temp, outPath);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw fsError(outPath, 'rename the finished export to', err);
  }
  fsyncDir(path.dirname(outPath));
}

/**
 * Writes the rows to a Parquet file at `outPath` (replaced atomically when done). Batches are
 * handed to the wasm writer one at a time as Arrow IPC; the schema metadata (config, versions)
 * travels in the Parquet file's Arrow schema. Returns the number of rows written.
 */
export async function exportParquet(source: BatchSource, outPath: string, options: ParquetOptions = {}): Promise<{ rows: number }> {
  let parquet: typeof ParquetWasm;
  try {
    parquet = await loadParquetWasm();
  } catch (err) {
    throw new StoreError(outPath, `cannot export Parquet: parquet-wasm did not load: ${describe(err)}`);
  }
  const compression = {
    zstd: parquet.Compression.ZSTD,
    snappy: parquet.Compression.SNAPPY,
    uncompressed: parquet.Compression.UNCOMPRESSED,
  }[options.compression ?? 'zstd'];
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(compression)
    .setMaxRowGroupSize(options.rowGroupRows ?? 65_536)
    .setCreatedBy('mflab store (parquet-wasm)')
    .build();
  const iterator = batchesOf(source)[Symbol.iterator]();
  const first = iterator.next();
  if (first.done === true) {
    // Nothing streams, so the schema must come from a Table; a bare empty iterable has none.
    if (!(source instanceof Table)) throw new StoreError(outPath, 'nothing to export: no record batches (pass a Table to export an empty one)');
    let bytes: Uint8Array;
    try {
      bytes = parquet.writeParquet(parquet.Table.fromIPCStream(encodeStreamSchema(source.schema)), props);
    } catch (err) {
      throw new StoreError(outPath, `Parquet export failed: ${describe(err)}`);
    }
    const { temp, fd } = openTemp(outPath);
    let done = false;
    try {
      writeFully(fd, bytes, outPath);
      done = true;
    } finally {
      finishTemp(outPath, temp, fd, done);
    }
    return { rows: 0 };
  }
  let pending: RecordBatch | null = first.value;
  let schemaBytes: Uint8Array | null = null;
  let rows = 0;
  const input = new ReadableStream<ParquetWasm.RecordBatch>({
    pull(controller) {
      let batch: RecordBatch;
      if (pending !== null) {
        batch = pending;
        pending = null;
      } else {
        const next = iterator.next();
        if (next.done === true) {
          controller.close();
          return;
        }
        batch = next.value;
      }
      schemaBytes ??= encodeStreamSchema(batch.schema);
      const body = encodeStreamBatch(batch);
      const ipc = new Uint8Array(schemaBytes.byteLength + body.byteLength);
      ipc.set(schemaBytes, 0);
      ipc.set(body, schemaBytes.byteLength);
      const table = parquet.Table.fromIPCStream(ipc);
      try {
        const wasmBatch = table.recordBatch(0);
        if (wasmBatch !== undefined) controller.enqueue(wasmBatch);
      } finally {
        table.free();
      }
      rows += batch.numRows;
    },
  });
  const { temp, fd } = openTemp(outPath);
  let ok = false;
  try {
    let output: ReadableStream<Uint8Array>;
    try {
      output = (await parquet.transformParquetStream(input, props)) as ReadableStream<Uint8Array>;
    } catch (err) {
      throw new StoreError(outPath, `Parquet export failed: ${describe(err)}`);
    }
    try {
      for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) writeFully(fd, chunk, outPath);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(outPath, `Parquet export failed: ${describe(err)}`);
    }
    ok = true;
  } finally {
    finishTemp(outPath, temp, fd, ok);
  }
  return { rows };
}

function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  // Shortest round-trip text: parsing it gives back the exact double (a float32 value stays exact too).
  return String(x);
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes the rows as CSV at `outPath` (replaced atomically when done): a header, then one line
 * per row; a fixed-size list column `a` becomes `a_0 … a_{D-1}`. Numbers are printed in their
 * shortest round-trip form, so parsing the CSV gives back the exact values. Returns the rows written.
 */
export function exportCsv(source: BatchSource, outPath: string): { rows: number } {
  const { temp, fd } = openTemp(outPath);
  let ok = false;
  let rows = 0;
  try {
    let header: string | null = null;
    for (const batch of batchesOf(source)) {
      const cols = batch.schema.fields.map((f, i) => ({ field: f, vec: batch.getChildAt(i) as Vector, size: (f.type as { listSize?: number }).listSize }));
      if (header === null) {
        header = cols.map(({ field, size }) => (size === undefined ? formatCell(field.name) : Array.from({ length: size }, (_, j) => formatCell(`${field.name}_${j}`)).join(','))).join(',');
        writeFully(fd, Buffer.from(header + '\n', 'utf8'), outPath);
      }
      const lines: string[] = [];
      for (let r = 0; r < batch.numRows; r++) {
        const cells: string[] = [];
        for (const { vec, size } of cols) {
          const v = vec.get(r) as unknown;
          if (size === undefined) cells.push(formatCell(v));
          else {
            const inner = v as { get(i: number): unknown } | null;
            for (let j = 0; j < size; j++) cells.push(inner === null ? '' : formatCell(inner.get(j)));
          }
        }
        lines.push(cells.join(','));
      }
      if (lines.length > 0) writeFully(fd, Buffer.from(lines.join('\n') + '\n', 'utf8'), outPath);
      rows += batch.numRows;
    }
    ok = true;
  } finally {
    finishTemp(outPath, temp, fd, ok);
  }
  return { rows };
}

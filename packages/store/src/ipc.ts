/**
 * Low-level Arrow IPC handling. The trajectory streams are read by framing the messages
 * ourselves (continuation marker, metadata length, flatbuffer metadata, body) and handing whole
 * messages to apache-arrow: that way a stream cut by a crash yields exactly its whole record
 * batches, the byte offset of every batch is known (resume truncates at a batch boundary), and
 * garbage is reported as a one-line {@link StoreError} rather than an exception from deep inside
 * the Arrow reader. Every flatbuffer is verified (ipc-verify.ts) before apache-arrow decodes it,
 * and every decoded batch is checked against its schema, since apache-arrow trusts its input.
 */
import * as fs from 'node:fs';
import {
  DataType,
  Message,
  MessageHeader,
  Precision,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  RecordBatchStreamReader,
  RecordBatchStreamWriter,
  Schema,
  Table,
  tableFromIPC,
} from 'apache-arrow';
import { StoreError, describe, fsError } from './errors.js';
import { IpcFormatError, batchProblem, typeProblem, verifyFooter, verifyMessage, type FileBlock, type MessageInfo } from './ipc-verify.js';
import { COLUMNS, META, type FileKind } from './schema.js';

/** The end-of-stream marker of the IPC stream format (continuation, then a zero length). */
export const STREAM_EOS: Uint8Array = new Uint8Array(Int32Array.of(-1, 0).buffer);

const FILE_MAGIC = 'ARROW1';
/** Largest flatbuffer header accepted; a bigger length means the bytes are not Arrow. */
const MAX_METADATA = 1 << 26;
/** Bytes read per window while scanning a stream: several batches are decoded at once. */
const WINDOW = 4 << 20;

/** Length of the first message (the schema) in bytes produced by apache-arrow's stream writer. */
function firstMessageLength(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return 8 + view.getInt32(4, true);
}

/** The IPC stream bytes of a schema message (the start of every stream file). */
export function encodeStreamSchema(schema: Schema): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  return writer.toUint8Array(true).slice();
}

/**
 * The IPC bytes of one record batch message, without the schema: these are appended to an open
 * stream file. (apache-arrow only writes a batch after a schema, so the schema is cut off.)
 */
export function encodeStreamBatch(batch: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.write(batch);
  const bytes = writer.toUint8Array(true);
  return bytes.subarray(firstMessageLength(bytes));
}

/** The bytes of an Arrow IPC file (random-access format, with footer) holding `batches`. */
export function encodeArrowFile(schema: Schema, batches: Iterable<RecordBatch>): Uint8Array {
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  for (const batch of batches) writer.write(batch);
  writer.finish();
  return writer.toUint8Array(true);
}

function isInt32(type: DataType): boolean {
  return DataType.isInt(type) && type.bitWidth === 32 && type.isSigned;
}

function isFloat64(type: DataType): boolean {
  return DataType.isFloat(type) && type.precision === Precision.DOUBLE;
}

function isFloat(type: DataType): boolean {
  return DataType.isFloat(type) && (type.precision === Precision.SINGLE || type.precision === Precision.DOUBLE);
}

/** Why the columns of a stream of this kind are not those §5 fixes, or null. */
function streamColumnsProblem(kind: 'metrics' | 'particles', schema: Schema): string | null {
  const fields = schema.fields;
  const expect = (i: number, name: string, ok: (t: DataType) => boolean, typeName: string): string | null => {
    const f = fields[i];
    return f !== undefined && f.name === name && ok(f.type as DataType) ? null : `column ${i + 1} should be '${name}' (${typeName}), found ${f === undefined ? 'none' : `'${f.name}' (${String(f.type)})`}`;
  };
  if (kind === 'metrics') {
    const head = expect(0, COLUMNS.step, isInt32, 'int32') ?? expect(1, COLUMNS.time, isFloat64, 'float64');
    if (head !== null) return head;
    // Observables are float64, or lists of float64 (per-layer values of deep networks).
    const ok = (t: DataType) => isFloat64(t) || (DataType.isList(t) && isFloat64(t.children[0].type as DataType));
    const bad = fields.slice(2).find((f) => !ok(f.type as DataType));
    return bad === undefined ? null : `observable column '${bad.name}' is ${String(bad.type)}, not float64 or a list of float64`;
  }
  const listOfFloat = (t: DataType) => DataType.isFixedSizeList(t) && isFloat(t.children[0].type as DataType);
  const problem =
    expect(0, COLUMNS.step, isInt32, 'int32') ??
    expect(1, COLUMNS.neuron, isInt32, 'int32') ??
    expect(2, COLUMNS.a, listOfFloat, 'fixed-size list of floats') ??
    expect(
      3,
      COLUMNS.b,
      (t) => {
        // b is a float, or a fixed-size list of floats for k outputs; either way of a's float type.
        const aItem = String((fields[2].type as DataType).children[0].type);
        return String(t) === aItem || (DataType.isFixedSizeList(t) && String(t.children[0].type) === aItem);
      },
      `the float type of '${COLUMNS.a}', or a fixed-size list of it`,
    );
  if (problem !== null) return problem;
  return fields.length === 4 ? null : `${fields.length} columns, expected 4`;
}

/**
 * Checks a decoded schema: column types the store can read back, and (with `expected`) the mflab
 * kind in its metadata and, for the streams, the columns §5 fixes.
 */
function checkSchema(filePath: string, schema: Schema, expected: FileKind | undefined, format: string): void {
  for (const field of schema.fields) {
    const problem = typeProblem(field);
    if (problem !== null) throw new StoreError(filePath, `not an mflab ${expected ?? 'store'} ${format}: ${problem}`);
  }
  if (expected === undefined) return;
  const kind = schema.metadata.get(META.kind);
  if (kind !== expected) {
    const found = kind === undefined ? 'has no mflab.kind metadata' : `is an mflab '${kind}' file`;
    throw new StoreError(filePath, `not an mflab ${expected} ${format}: it is an Arrow ${format} but ${found}`);
  }
  if (expected === 'metrics' || expected === 'particles') {
    const problem = streamColumnsProblem(expected, schema);
    if (problem !== null) throw new StoreError(filePath, `not an mflab ${expected} ${format}: ${problem}`);
  }
}

/** `verifyMessage`, with its problem as a one-line message for the caller to place. */
function tryVerifyMessage(metadata: Uint8Array): MessageInfo | string {
  try {
    return verifyMessage(metadata);
  } catch (err) {
    if (err instanceof IpcFormatError || err instanceof RangeError) return err.message;
    throw err;
  }
}

/** A record batch read from a stream file, with its byte range in the file. */
export interface StreamBatch {
  batch: RecordBatch;
  /** Byte offset of the batch message in the file. */
  offset: number;
  /** Byte offset just past the message. */
  end: number;
}

/** Why the valid part of a stream stops before the end of the file (a crash left a partial tail). */
export interface StreamTail {
  /** Byte offset where the readable prefix ends. */
  offset: number;
  reason: string;
}

interface Frame {
  offset: number;
  end: number;
}

/**
 * An open `.arrows` stream file, read lazily window by window. Construct with
 * {@link StreamFile.open}; iterate {@link StreamFile.batches}; {@link StreamFile.close} when done.
 */
export class StreamFile {
  readonly path: string;
  readonly schema: Schema;
  /** The schema message exactly as stored; every window is decoded behind a copy of it. */
  readonly schemaBytes: Uint8Array;
  /** File size when opened: a writer appending meanwhile is not followed. */
  readonly size: number;
  /** Set once iteration has ended: where and why the readable prefix stops early, or null. */
  tail: StreamTail | null = null;
  /** Whether iteration met the end-of-stream marker (a writer closed the file cleanly). */
  sawEos = false;
  private fd: number | undefined;

  private constructor(filePath: string, fd: number, size: number, schema: Schema, schemaBytes: Uint8Array) {
    this.path = filePath;
    this.fd = fd;
    this.size = size;
    this.schema = schema;
    this.schemaBytes = schemaBytes;
  }

  /**
   * Opens a stream and reads its schema. Throws a one-line {@link StoreError} naming the path when
   * the file is missing, empty, not an Arrow stream, cut inside its schema, or (with
   * `expectedKind`) not the kind of mflab file expected.
   */
  static open(filePath: string, expectedKind?: FileKind): StreamFile {
    let fd: number;
    try {
      fd = fs.openSync(filePath, 'r');
    } catch (err) {
      throw fsError(filePath, 'open', err);
    }
    try {
      let stat: fs.Stats;
      try {
        stat = fs.fstatSync(fd);
      } catch (err) {
        throw fsError(filePath, 'stat', err);
      }
      if (stat.isDirectory()) throw new StoreError(filePath, 'is a directory, expected an Arrow IPC stream file', { code: 'EISDIR' });
      const size = stat.size;
      if (size === 0) throw new StoreError(filePath, 'empty file (0 bytes), not an Arrow IPC stream');
      const head = readAt(fd, filePath, 0, Math.min(size, 8));
      if (size >= 6 && Buffer.from(head.subarray(0, 6)).toString('latin1') === FILE_MAGIC) {
        throw new StoreError(filePath, 'is an Arrow IPC file (ARROW1 magic), expected an Arrow IPC stream');
      }
      if (size < 8) throw new StoreError(filePath, `truncated: ${size} bytes, too short for an Arrow IPC stream`);
      const view = new DataView(head.buffer, head.byteOffset, 8);
      if (view.getInt32(0, true) !== -1) throw new StoreError(filePath, 'not an Arrow IPC stream (no continuation marker at byte 0)');
      const metaLength = view.getInt32(4, true);
      if (metaLength <= 0 || metaLength > MAX_METADATA) throw new StoreError(filePath, `not an Arrow IPC stream (bad schema length ${metaLength})`);
      if (size < 8 + metaLength) throw new StoreError(filePath, `truncated inside the schema message (${size} of ${8 + metaLength} bytes)`);
      const schemaBytes = readAt(fd, filePath, 0, 8 + metaLength);
      const info = tryVerifyMessage(schemaBytes.subarray(8));
      if (typeof info === 'string') throw new StoreError(filePath, `not an Arrow IPC stream (corrupt schema message: ${info})`);
      if (info.headerType !== MessageHeader.Schema) {
        throw new StoreError(filePath, `not an Arrow IPC stream (first message is ${MessageHeader[info.headerType] ?? 'unknown'}, not a schema)`);
      }
      let message: Message;
      try {
        message = Message.decode(schemaBytes.subarray(8));
      } catch (err) {
        throw new StoreError(filePath, `not an Arrow IPC stream (corrupt schema message: ${describe(err)})`);
      }
      let schema: Schema;
      try {
        schema = message.header() as Schema;
      } catch (err) {
        throw new StoreError(filePath, `corrupt schema message: ${describe(err)}`);
      }
      checkSchema(filePath, schema, expectedKind, 'stream');
      return new StreamFile(filePath, fd, size, schema, schemaBytes);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Closes the file descriptor (idempotent). */
  close(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /**
   * Yields the record batches in file order, decoding a window of several messages at a time so
   * memory stays bounded by the window, not the file. Stops quietly at the end-of-stream marker or
   * at a partial tail (recorded in {@link tail}); throws only for a corrupt whole message.
   */
  *batches(): Generator<StreamBatch, void, undefined> {
    const fd = this.fd;
    if (fd === undefined) throw new StoreError(this.path, 'stream file is closed');
    this.tail = null;
    this.sawEos = false;
    const headLen = this.schemaBytes.byteLength;
    let pos = headLen;
    let windowSize = WINDOW;
    while (pos < this.size) {
      // Read a window behind a copy of the schema, so apache-arrow can decode it as a stream.
      const want = Math.min(windowSize, this.size - pos);
      windowSize = WINDOW;
      const buf = new Uint8Array(headLen + want);
      buf.set(this.schemaBytes, 0);
      readInto(fd, this.path, buf, headLen, pos, want);
      const frames: Frame[] = [];
      let at = 0; // offset within the window's data part
      let stop: StreamTail | null = null;
      let eos = false;
      let grow = 0;
      while (at < want) {
        const avail = want - at;
        const fileOffset = pos + at;
        if (avail < 8) {
          if (fileOffset + 8 <= this.size) break; // the header continues in the next window
          stop = { offset: fileOffset, reason: `partial message header (${avail} bytes) at the end` };
          break;
        }
        const view = new DataView(buf.buffer, buf.byteOffset + headLen + at, 8);
        const marker = view.getInt32(0, true);
        const metaLength = view.getInt32(4, true);
        if (marker !== -1) {
          stop = { offset: fileOffset, reason: `no message marker at byte ${fileOffset}` };
          break;
        }
        if (metaLength === 0) {
          eos = true;
          break;
        }
        if (metaLength < 0 || metaLength > MAX_METADATA || (metaLength & 7) !== 0) {
          stop = { offset: fileOffset, reason: `bad message length ${metaLength} at byte ${fileOffset}` };
          break;
        }
        if (8 + metaLength > avail) {
          if (fileOffset + 8 + metaLength > this.size) {
            stop = { offset: fileOffset, reason: `partial message at byte ${fileOffset} (cut inside its header)` };
          } else if (frames.length === 0) {
            grow = 8 + metaLength; // a header larger than the window: re-read with a bigger one
          }
          break;
        }
        const startAt = headLen + at + 8;
        const info = tryVerifyMessage(buf.subarray(startAt, startAt + metaLength));
        if (typeof info === 'string') {
          stop = { offset: fileOffset, reason: `unreadable message at byte ${fileOffset}: ${info}` };
          break;
        }
        if (info.headerType !== MessageHeader.RecordBatch) {
          stop = { offset: fileOffset, reason: `unexpected ${MessageHeader[info.headerType] ?? 'unknown'} message at byte ${fileOffset}` };
          break;
        }
        const bodyLength = info.bodyLength;
        const total = 8 + metaLength + bodyLength;
        if (fileOffset + total > this.size) {
          stop = { offset: fileOffset, reason: `partial record batch at byte ${fileOffset} (${this.size - fileOffset} of ${total} bytes)` };
          break;
        }
        if (total > avail) {
          if (frames.length === 0) grow = total; // one batch larger than the window
          break;
        }
        frames.push({ offset: fileOffset, end: fileOffset + total });
        at += total;
      }
      yield* this.decodeFrames(buf, frames);
      if (frames.length > 0) pos = frames[frames.length - 1].end;
      if (stop !== null) {
        this.tail = stop;
        return;
      }
      if (eos) {
        this.sawEos = true;
        return;
      }
      if (grow > 0) windowSize = grow;
      else if (frames.length === 0) return; // nothing decodable and nothing to wait for
    }
  }

  /**
   * The last whole record batch (null if none), found by reading only the message headers, so
   * the final row of a long run costs a few reads per batch instead of decoding the whole file.
   */
  lastBatch(): RecordBatch | null {
    const fd = this.fd;
    if (fd === undefined) throw new StoreError(this.path, 'stream file is closed');
    let pos = this.schemaBytes.byteLength;
    let last: Frame | null = null;
    const head = new Uint8Array(8);
    const view = new DataView(head.buffer);
    while (pos + 8 <= this.size) {
      readInto(fd, this.path, head, 0, pos, 8);
      const metaLength = view.getInt32(4, true);
      if (view.getInt32(0, true) !== -1 || metaLength <= 0 || metaLength > MAX_METADATA || pos + 8 + metaLength > this.size) break;
      const info = tryVerifyMessage(readAt(fd, this.path, pos + 8, metaLength));
      if (typeof info === 'string') break;
      const total = 8 + metaLength + info.bodyLength;
      if (info.headerType !== MessageHeader.RecordBatch || !Number.isSafeInteger(total) || pos + total > this.size) break;
      last = { offset: pos, end: pos + total };
      pos += total;
    }
    if (last === null) return null;
    const headLen = this.schemaBytes.byteLength;
    const buf = new Uint8Array(headLen + last.end - last.offset);
    buf.set(this.schemaBytes, 0);
    readInto(fd, this.path, buf, headLen, last.offset, last.end - last.offset);
    for (const { batch } of this.decodeFrames(buf, [last])) return batch;
    return null;
  }

  private *decodeFrames(buf: Uint8Array, frames: readonly Frame[]): Generator<StreamBatch, void, undefined> {
    if (frames.length === 0) return;
    const headLen = this.schemaBytes.byteLength;
    const used = headLen + (frames[frames.length - 1].end - frames[0].offset);
    let reader: RecordBatchStreamReader;
    try {
      // Bytes that start with a schema message always give the synchronous stream reader.
      reader = RecordBatchReader.from(buf.subarray(0, used)) as RecordBatchStreamReader;
    } catch (err) {
      throw new StoreError(this.path, `corrupt record batch at byte ${frames[0].offset}: ${describe(err)}`);
    }
    let i = 0;
    while (i < frames.length) {
      let result: IteratorResult<RecordBatch>;
      try {
        result = reader.next();
      } catch (err) {
        throw new StoreError(this.path, `corrupt record batch at byte ${frames[i].offset}: ${describe(err)}`);
      }
      if (result.done) break;
      // apache-arrow clamps buffer regions to the body: check the buffers back every row.
      const problem = batchProblem(result.value, this.schema);
      if (problem !== null) throw new StoreError(this.path, `corrupt record batch at byte ${frames[i].offset}: ${problem}`);
      yield { batch: result.value, offset: frames[i].offset, end: frames[i].end };
      i += 1;
    }
    if (i !== frames.length) throw new StoreError(this.path, `corrupt record batch at byte ${frames[i].offset}: apache-arrow read ${i} of ${frames.length} messages`);
  }
}

function readAt(fd: number, filePath: string, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  readInto(fd, filePath, buf, 0, position, length);
  return buf;
}

function readInto(fd: number, filePath: string, buf: Uint8Array, offset: number, position: number, length: number): void {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    } catch (err) {
      throw fsError(filePath, 'read', err);
    }
    if (n === 0) throw new StoreError(filePath, `file shrank while being read (at byte ${position + done})`);
    done += n;
  }
}

/**
 * Reads a whole Arrow IPC *file* (`checkpoint.arrow`, `index.arrow`) into a Table, checking the
 * magic bytes first so that an empty, cut or foreign file gives a one-line error naming the path.
 */
export function readArrowFile(filePath: string, expectedKind?: FileKind): Table {
  let bytes: Uint8Array;
  try {
    const b = fs.readFileSync(filePath);
    // Own, 8-aligned memory: Arrow views its buffers in place.
    bytes = new Uint8Array(b.byteLength);
    bytes.set(b);
  } catch (err) {
    throw fsError(filePath, 'read', err);
  }
  if (bytes.byteLength === 0) throw new StoreError(filePath, 'empty file (0 bytes), not an Arrow IPC file');
  const head = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  if (head !== FILE_MAGIC) {
    const looksStream = bytes.byteLength >= 4 && new DataView(bytes.buffer).getInt32(0, true) === -1;
    throw new StoreError(filePath, looksStream ? 'is an Arrow IPC stream, expected an Arrow IPC file' : 'not an Arrow IPC file (no ARROW1 magic at byte 0)');
  }
  const tailMagic = bytes.byteLength >= 12 ? Buffer.from(bytes.subarray(bytes.byteLength - 6)).toString('latin1') : '';
  if (tailMagic !== FILE_MAGIC) throw new StoreError(filePath, `truncated Arrow IPC file (${bytes.byteLength} bytes, no footer magic at the end)`);
  // The file is: magic and padding (8 bytes), a stream (schema and batches), the footer, its int32
  // length, magic. The footer and every block it lists are verified before apache-arrow follows them.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footerEnd = bytes.byteLength - 10;
  const footerLength = footerEnd >= 12 ? view.getInt32(footerEnd, true) : 0;
  const footerStart = footerEnd - footerLength;
  if (!(footerLength > 0 && footerStart >= 8)) throw new StoreError(filePath, `corrupt Arrow IPC file: a footer of ${footerLength} bytes does not fit in ${bytes.byteLength} bytes`);
  let blocks: FileBlock[];
  try {
    blocks = verifyFooter(bytes.subarray(footerStart, footerEnd));
  } catch (err) {
    if (err instanceof IpcFormatError || err instanceof RangeError) throw new StoreError(filePath, `corrupt Arrow IPC file: footer: ${err.message}`);
    throw err;
  }
  for (const [i, block] of blocks.entries()) {
    const problem = blockProblem(bytes, view, block, footerStart);
    if (problem !== null) throw new StoreError(filePath, `corrupt Arrow IPC file: record batch ${i} at byte ${block.offset}: ${problem}`);
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new StoreError(filePath, `corrupt Arrow IPC file: ${describe(err)}`);
  }
  checkSchema(filePath, table.schema, expectedKind, 'file');
  for (const [i, batch] of table.batches.entries()) {
    const problem = batchProblem(batch, table.schema);
    if (problem !== null) throw new StoreError(filePath, `corrupt Arrow IPC file: record batch ${i}: ${problem}`);
  }
  return table;
}

/** Why a footer block does not frame a whole, verified record batch message before the footer, or null. */
function blockProblem(bytes: Uint8Array, view: DataView, block: FileBlock, footerStart: number): string | null {
  const { offset } = block;
  if (offset < 8 || offset + 8 > footerStart) return 'offset outside the file body';
  if (view.getInt32(offset, true) !== -1) return 'no message marker';
  const metaLength = view.getInt32(offset + 4, true);
  if (metaLength <= 0 || offset + 8 + metaLength > footerStart) return `bad message length ${metaLength}`;
  const info = tryVerifyMessage(bytes.subarray(offset + 8, offset + 8 + metaLength));
  if (typeof info === 'string') return info;
  if (info.headerType !== MessageHeader.RecordBatch) return `a ${MessageHeader[info.headerType] ?? 'unknown'} message, not a record batch`;
  if (offset + 8 + metaLength + info.bodyLength > footerStart) return `its body of ${info.bodyLength} bytes runs into the footer`;
  return null;
}

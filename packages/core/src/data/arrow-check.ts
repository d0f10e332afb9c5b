/**
 * A structural check of Arrow IPC bytes before apache-arrow reads them. apache-arrow trusts
 * the lengths in an IPC file's flatbuffer metadata: a flipped byte that makes a vector claim
 * 2^28 field nodes has it build 2^28 objects from out-of-bounds reads (gigabytes and tens of
 * seconds for a 1 KB file), and a file footer whose record batch block points at the schema
 * message resets its batch counter, so it reads that block forever. This walks the metadata
 * the reader will decode, with every read bounds-checked, and refuses what it could not
 * finish in time and memory proportional to the file: vectors running past their buffer,
 * more tables than the metadata has bytes (shared or cyclic children, which the reader would
 * expand without end), blocks outside the file or of the wrong message type, message bodies
 * past the end of the data. Pure: bytes in, a problem in words or undefined out.
 *
 * Layouts, from the Arrow format's Message.fbs, Schema.fbs and File.fbs: a flatbuffer starts
 * with the offset of its root table; a table starts with the signed offset back to its
 * vtable, whose uint16 entries (after its own size and the table's) are the fields' offsets
 * in the table, 0 when absent; a vector or string field holds the offset to a uint32 length
 * and the elements after it.
 */

/** The check's verdict on corrupt metadata (not a bug in the check). */
class Corrupt extends Error {}

/** Nesting of Field children the check follows; real schemas nest a few levels. */
const MAX_DEPTH = 64;

/** Message header types (MessageHeader union in Message.fbs). */
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;

/** A flatbuffer within bytes[start, end), with every read bounds-checked. */
class FlatBuffer {
  private readonly view: DataView;
  /** Tables visited: every distinct table takes at least 4 bytes, so a buffer holds at most length/4 of them. */
  private tables = 0;

  constructor(
    bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(at: number, size: number): number {
    if (!(at >= this.start && at + size <= this.end)) throw new Corrupt('metadata points outside its buffer');
    return at;
  }

  u8 = (at: number) => this.view.getUint8(this.check(at, 1));
  u16 = (at: number) => this.view.getUint16(this.check(at, 2), true);
  i32 = (at: number) => this.view.getInt32(this.check(at, 4), true);
  u32 = (at: number) => this.view.getUint32(this.check(at, 4), true);
  i64 = (at: number) => Number(this.view.getBigInt64(this.check(at, 8), true));

  /** The root table. */
  root(): number {
    return this.table(this.start + this.u32(this.start));
  }

  /** A table at `at`, counted against the buffer's size. */
  private table(at: number): number {
    this.check(at, 4);
    if (++this.tables > (this.end - this.start) / 4 + 1) throw new Corrupt('more tables than the metadata has room for (shared or cyclic references)');
    return at;
  }

  /** Where field `index` of `table` is, or 0 when it is absent. */
  field(table: number, index: number): number {
    const vtable = table - this.i32(table);
    const size = this.u16(vtable);
    if (4 + 2 * index + 2 > size) return 0;
    const offset = this.u16(vtable + 4 + 2 * index);
    return offset === 0 ? 0 : this.check(table + offset, 1);
  }

  /** The table that field `index` of `table` points at, or 0. */
  child(table: number, index: number): number {
    const at = this.field(table, index);
    return at === 0 ? 0 : this.table(at + this.u32(at));
  }

  /** Field `index` of `table` as a vector of `size`-byte elements: where they start and how many; checked to fit. */
  vector(table: number, index: number, size: number): { at: number; length: number } {
    const field = this.field(table, index);
    if (field === 0) return { at: 0, length: 0 };
    const start = field + this.u32(field);
    const length = this.u32(start);
    if (length * size > this.end - start - 4) throw new Corrupt(`a vector claims ${length} elements, more than its buffer holds`);
    return { at: start + 4, length };
  }

  /** Each table of a vector of tables. */
  tablesOf(table: number, index: number): number[] {
    const { at, length } = this.vector(table, index, 4);
    const tables: number[] = [];
    for (let i = 0; i < length; i++) tables.push(this.table(at + 4 * i + this.u32(at + 4 * i)));
    return tables;
  }

  /** Field `index` as an int64, or `fallback` when absent. */
  long(table: number, index: number, fallback = 0): number {
    const at = this.field(table, index);
    return at === 0 ? fallback : this.i64(at);
  }
}

/** custom_metadata: KeyValue tables of two strings. */
function checkKeyValues(fb: FlatBuffer, table: number, index: number): void {
  for (const entry of fb.tablesOf(table, index)) {
    fb.vector(entry, 0, 1);
    fb.vector(entry, 1, 1);
  }
}

function checkField(fb: FlatBuffer, field: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new Corrupt('fields nested too deep');
  fb.vector(field, 0, 1); // name
  const type = fb.child(field, 3);
  // Union (type 14) keeps its type ids in a vector of int32.
  if (type !== 0 && fb.field(field, 2) !== 0 && fb.u8(fb.field(field, 2)) === 14) fb.vector(type, 1, 4);
  fb.child(field, 4); // dictionary encoding
  for (const child of fb.tablesOf(field, 5)) checkField(fb, child, depth + 1);
  checkKeyValues(fb, field, 6);
}

function checkSchema(fb: FlatBuffer, schema: number): void {
  if (schema === 0) throw new Corrupt('no schema');
  for (const field of fb.tablesOf(schema, 1)) checkField(fb, field, 0);
  checkKeyValues(fb, schema, 2);
  fb.vector(schema, 3, 8); // features
}

/** A RecordBatch table; `maxRows` bounds its length (dictionaries are cached row by row when read). */
function checkRecordBatch(fb: FlatBuffer, batch: number, maxRows: number): void {
  if (batch === 0) throw new Corrupt('a batch without its record batch');
  const rows = fb.long(batch, 0);
  if (!(rows >= 0 && rows <= maxRows)) throw new Corrupt(`a batch claims ${rows} rows`);
  const nodes = fb.vector(batch, 1, 16);
  for (let i = 0; i < nodes.length; i++) {
    const length = fb.i64(nodes.at + 16 * i);
    if (!(length >= 0 && length <= maxRows)) throw new Corrupt(`a column claims ${length} rows`);
  }
  fb.vector(batch, 2, 16); // buffers
  fb.child(batch, 3); // compression
  fb.vector(batch, 4, 8); // variadic buffer counts
}

/**
 * The message whose metadata flatbuffer is bytes[start, end): returns its header type and
 * body length, having checked what apache-arrow will decode of it.
 */
function checkMessage(bytes: Uint8Array, start: number, end: number): { type: number; bodyLength: number } {
  const fb = new FlatBuffer(bytes, start, end);
  const message = fb.root();
  const typeAt = fb.field(message, 1);
  const type = typeAt === 0 ? 0 : fb.u8(typeAt);
  const bodyLength = fb.long(message, 3);
  if (!(bodyLength >= 0 && bodyLength <= bytes.length)) throw new Corrupt(`a message claims a body of ${bodyLength} bytes`);
  checkKeyValues(fb, message, 4);
  const header = fb.child(message, 2);
  // A value takes at least one bit of the body (Null columns excepted, which datasets never need).
  const maxRows = 8 * bodyLength + 64;
  if (type === SCHEMA) checkSchema(fb, header);
  else if (type === RECORD_BATCH) checkRecordBatch(fb, header, Number.MAX_SAFE_INTEGER);
  else if (type === DICTIONARY_BATCH) {
    if (header === 0) throw new Corrupt('a dictionary batch without its header');
    checkRecordBatch(fb, fb.child(header, 1), maxRows);
  }
  return { type, bodyLength };
}

/**
 * The message framed at `at` (an optional 0xFFFFFFFF continuation marker, an int32 metadata
 * length, the metadata, the body): its type and where the next message starts, or undefined
 * at the end-of-stream marker or the end of the bytes.
 */
function messageAt(bytes: Uint8Array, at: number, end: number): { type: number; next: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at + 4 > end) return undefined;
  let length = view.getInt32(at, true);
  let metadata = at + 4;
  if (length === -1) {
    if (at + 8 > end) return undefined;
    length = view.getInt32(at + 4, true);
    metadata = at + 8;
  }
  if (length === 0) return undefined;
  if (length < 0 || metadata + length > end) throw new Corrupt(`a message claims ${length} metadata bytes, past the end of the data`);
  const { type, bodyLength } = checkMessage(bytes, metadata, metadata + length);
  const bodyEnd = metadata + length + bodyLength;
  if (bodyEnd > end) throw new Corrupt(`a message claims a body of ${bodyLength} bytes, past the end of the data`);
  return { type, next: bodyEnd };
}

/** The ARROW1 magic and its padding before the messages of a file. */
const FILE_HEADER = 8;
/** After the footer: its int32 length and the ARROW1 magic. */
const FILE_TRAILER = 10;

/** The footer of a file: its schema and the blocks of its dictionaries and record batches. */
function checkFile(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FILE_HEADER + FILE_TRAILER + 4) throw new Corrupt('too short for an Arrow file');
  const length = view.getInt32(bytes.length - FILE_TRAILER, true);
  const messagesEnd = bytes.length - FILE_TRAILER - length;
  if (!(length > 0 && messagesEnd >= FILE_HEADER)) throw new Corrupt(`the footer claims ${length} bytes`);
  const fb = new FlatBuffer(bytes, messagesEnd, messagesEnd + length);
  const footer = fb.root();
  checkSchema(fb, fb.child(footer, 1));
  checkKeyValues(fb, footer, 4);
  for (const [index, kind, type] of [
    [2, 'dictionary', DICTIONARY_BATCH],
    [3, 'record batch', RECORD_BATCH],
  ] as const) {
    const blocks = fb.vector(footer, index, 24);
    for (let i = 0; i < blocks.length; i++) {
      // Block: offset int64, metaDataLength int32 (and padding), bodyLength int64.
      const offset = fb.i64(blocks.at + 24 * i);
      if (!(offset >= FILE_HEADER && offset < messagesEnd)) throw new Corrupt(`${kind} ${i} lies outside the file`);
      const message = messageAt(bytes, offset, messagesEnd);
      if (message?.type !== type) throw new Corrupt(`${kind} ${i} is not a ${kind} message`);
    }
  }
}

/** A stream: every message up to the end-of-stream marker (or the end), the first a schema. */
function checkStream(bytes: Uint8Array): void {
  let at = 0;
  for (let index = 0; ; index++) {
    const message = messageAt(bytes, at, bytes.length);
    if (message === undefined) return;
    if (index === 0 && message.type !== SCHEMA) throw new Corrupt('the stream does not start with a schema');
    at = message.next;
  }
}

/**
 * Why apache-arrow should not be given `bytes`, in words, or undefined when their metadata is
 * sound: the file format (starting with the ARROW1 magic) is checked through its footer, the
 * stream format message by message. Takes time and memory linear in the bytes.
 */
export function arrowMetadataProblem(bytes: Uint8Array, isFile: boolean): string | undefined {
  try {
    if (isFile) checkFile(bytes);
    else checkStream(bytes);
    return undefined;
  } catch (error) {
    if (error instanceof Corrupt) return error.message;
    // A DataView read past the end (RangeError) is the file's fault too.
    if (error instanceof RangeError) return 'metadata points outside the file';
    throw error;
  }
}

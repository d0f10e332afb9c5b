/**
 * Checks Arrow IPC bytes before apache-arrow decodes them. apache-arrow trusts its input: a
 * flipped byte in a message's flatbuffer metadata can make it loop over a vector "billions long"
 * (the process dies out of memory) or build a batch whose row count no buffer backs (a reader then
 * spins over garbage rows). So every flatbuffer the store reads is first walked here with bounds
 * checks and a work budget, and every decoded batch is checked against its schema: what reaches
 * apache-arrow is well formed, and what does not becomes a one-line "corrupt ..." error.
 *
 * Only what the store writes is accepted: metadata version V4/V5, little-endian, no dictionaries,
 * no compression, and the column types int32, float32, float64, bool, utf8, list, fixed-size list.
 */
import { DataType, Field, Precision, type Data, type RecordBatch, type Schema } from 'apache-arrow';

/** Corrupt or unsupported IPC metadata; the message says what is wrong (callers add the path). */
export class IpcFormatError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'IpcFormatError';
  }
}

// Flatbuffer enum values of the Arrow format (format/Message.fbs, Schema.fbs).
const METADATA_V4 = 3;
const METADATA_V5 = 4;
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
const TYPE_INT = 2;
const TYPE_FLOAT = 3;
const TYPE_UTF8 = 5;
const TYPE_BOOL = 6;
const TYPE_LIST = 12;
const TYPE_FIXED_SIZE_LIST = 16;
const SUPPORTED_TYPES = new Set([TYPE_INT, TYPE_FLOAT, TYPE_UTF8, TYPE_BOOL, TYPE_LIST, TYPE_FIXED_SIZE_LIST]);
/** Types whose flatbuffer table apache-arrow reads (the others it only names): the widths of its fields. */
const TYPE_TABLE_FIELDS = new Map<number, readonly number[]>([
  [TYPE_INT, [4, 1]], // bitWidth: int, is_signed: bool
  [TYPE_FLOAT, [2]], // precision: short
  [TYPE_FIXED_SIZE_LIST, [4]], // listSize: int
]);
/** Nesting the store never exceeds (a list of floats is depth 1). */
const MAX_FIELD_DEPTH = 8;

interface FbTable {
  pos: number;
  vtable: number;
  vtableSize: number;
  size: number;
}

/**
 * A bounds-checked reader of one flatbuffer. Offsets are followed only forward and inside the
 * buffer, vectors must fit in the bytes after them, and a budget proportional to the buffer size
 * caps the tables and vector elements visited, so that even shared or cyclic references cannot
 * make the walk (or apache-arrow's decode after it) do unbounded work.
 */
class FlatBuffer {
  private readonly view: DataView;
  private budget: number;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = 1024 + bytes.byteLength;
  }

  private need(pos: number, size: number, what: string): void {
    if (!(pos >= 0 && size >= 0 && pos + size <= this.bytes.byteLength)) throw new IpcFormatError(`${what} lies outside the metadata`);
  }

  private spend(n: number, what: string): void {
    this.budget -= n;
    if (this.budget < 0) throw new IpcFormatError(`${what}: more objects than the metadata can hold`);
  }

  root(what: string): FbTable {
    this.need(0, 4, what);
    return this.table(this.view.getUint32(0, true), what);
  }

  private table(pos: number, what: string): FbTable {
    this.spend(1, what);
    this.need(pos, 4, what);
    const vtable = pos - this.view.getInt32(pos, true);
    this.need(vtable, 4, `${what} vtable`);
    // apache-arrow (flatbuffers JS) reads these as signed 16-bit values: so do we.
    const vtableSize = this.view.getInt16(vtable, true);
    const size = this.view.getInt16(vtable + 2, true);
    if (vtableSize < 4 || (vtableSize & 1) !== 0 || size < 4) throw new IpcFormatError(`${what} has a malformed vtable`);
    this.need(vtable, vtableSize, `${what} vtable`);
    this.need(pos, size, what);
    return { pos, vtable, vtableSize, size };
  }

  /** Absolute position of field `index` of `t` (0 when absent); its `width` bytes lie inside the table. */
  field(t: FbTable, index: number, width: number, what: string): number {
    const slot = 4 + 2 * index;
    if (slot >= t.vtableSize) return 0;
    const at = this.view.getInt16(t.vtable + slot, true);
    if (at === 0) return 0;
    if (at < 4 || at + width > t.size) throw new IpcFormatError(`${what} lies outside its table`);
    return t.pos + at;
  }

  private follow(at: number, what: string): number {
    const target = at + this.view.getUint32(at, true);
    this.need(target, 4, what);
    return target;
  }

  /** The table field `index` points to, or null when absent. */
  child(t: FbTable, index: number, what: string): FbTable | null {
    const at = this.field(t, index, 4, what);
    return at === 0 ? null : this.table(this.follow(at, what), what);
  }

  /** Start and length of the vector field `index`, each element `elementSize` bytes; null when absent. */
  vector(t: FbTable, index: number, elementSize: number, what: string): { start: number; length: number } | null {
    const at = this.field(t, index, 4, what);
    if (at === 0) return null;
    const pos = this.follow(at, what);
    const length = this.view.getUint32(pos, true);
    if (length > (this.bytes.byteLength - pos - 4) / elementSize) throw new IpcFormatError(`${what}: vector of ${length} elements overruns the metadata`);
    this.spend(length, what);
    return { start: pos + 4, length };
  }

  /** The tables of a vector of tables (empty when absent). */
  tables(t: FbTable, index: number, what: string): FbTable[] {
    const v = this.vector(t, index, 4, what);
    const out: FbTable[] = [];
    for (let i = 0; v !== null && i < v.length; i++) out.push(this.table(this.follow(v.start + 4 * i, what), what));
    return out;
  }

  string(t: FbTable, index: number, what: string): void {
    this.vector(t, index, 1, what);
  }

  uint8(pos: number): number {
    return this.view.getUint8(pos);
  }

  int16(pos: number): number {
    return this.view.getInt16(pos, true);
  }

  int32(pos: number): number {
    return this.view.getInt32(pos, true);
  }

  /** A non-negative int64 that must be an exact JS number (lengths, offsets). */
  size64(pos: number, what: string): number {
    const v = this.view.getBigInt64(pos, true);
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new IpcFormatError(`${what} ${v} is out of range`);
    return Number(v);
  }
}

function checkVersion(fb: FlatBuffer, t: FbTable, what: string): void {
  const at = fb.field(t, 0, 2, what);
  const version = at === 0 ? 0 : fb.int16(at);
  if (version !== METADATA_V4 && version !== METADATA_V5) throw new IpcFormatError(`${what}: unsupported metadata version ${version}`);
}

function checkKeyValues(fb: FlatBuffer, t: FbTable, index: number, what: string): void {
  for (const kv of fb.tables(t, index, `${what} metadata`)) {
    fb.string(kv, 0, `${what} metadata key`);
    fb.string(kv, 1, `${what} metadata value`);
  }
}

function checkField(fb: FlatBuffer, f: FbTable, depth: number): void {
  if (depth > MAX_FIELD_DEPTH) throw new IpcFormatError(`fields nested deeper than ${MAX_FIELD_DEPTH}`);
  fb.string(f, 0, 'field name');
  fb.field(f, 1, 1, 'field nullable');
  const typeAt = fb.field(f, 2, 1, 'field type');
  const typeId = typeAt === 0 ? 0 : fb.uint8(typeAt);
  if (!SUPPORTED_TYPES.has(typeId)) throw new IpcFormatError(`a field has type id ${typeId}, which the store never writes`);
  const typeTable = fb.child(f, 3, 'field type');
  const widths = TYPE_TABLE_FIELDS.get(typeId);
  if (widths !== undefined) {
    if (typeTable === null) throw new IpcFormatError(`a field of type id ${typeId} lacks its type table`);
    widths.forEach((width, index) => fb.field(typeTable, index, width, 'field type parameter'));
  }
  if (fb.field(f, 4, 4, 'field dictionary') !== 0) throw new IpcFormatError('dictionary-encoded fields are not supported');
  for (const child of fb.tables(f, 5, 'field children')) checkField(fb, child, depth + 1);
  checkKeyValues(fb, f, 6, 'field');
}

function checkSchemaTable(fb: FlatBuffer, s: FbTable): void {
  const endianAt = fb.field(s, 0, 2, 'schema endianness');
  if (endianAt !== 0 && fb.int16(endianAt) !== 0) throw new IpcFormatError('big-endian data is not supported');
  for (const f of fb.tables(s, 1, 'schema fields')) checkField(fb, f, 0);
  checkKeyValues(fb, s, 2, 'schema');
  fb.vector(s, 3, 8, 'schema features');
}

/**
 * Checks a record batch header against its body. Every type the store writes spends at least one
 * bit of body per row (a bool bitmap is the thinnest), so no row count may exceed 8 × the body:
 * apache-arrow allocates null bitmaps by row count before anything could check the rows.
 */
function checkRecordBatchTable(fb: FlatBuffer, r: FbTable, bodyLength: number): void {
  const maxRows = 8 * bodyLength + 8;
  const lengthAt = fb.field(r, 0, 8, 'record batch length');
  const length = lengthAt === 0 ? 0 : fb.size64(lengthAt, 'record batch length');
  if (length > maxRows) throw new IpcFormatError(`record batch claims ${length} rows in a body of ${bodyLength} bytes`);
  const nodes = fb.vector(r, 1, 16, 'record batch nodes');
  for (let i = 0; nodes !== null && i < nodes.length; i++) {
    const rows = fb.size64(nodes.start + 16 * i, 'column length');
    const nulls = fb.size64(nodes.start + 16 * i + 8, 'column null count');
    if (rows > maxRows || nulls > rows) throw new IpcFormatError(`column ${i} claims ${rows} rows (${nulls} null) in a body of ${bodyLength} bytes`);
  }
  const buffers = fb.vector(r, 2, 16, 'record batch buffers');
  for (let i = 0; buffers !== null && i < buffers.length; i++) {
    const offset = fb.size64(buffers.start + 16 * i, 'buffer offset');
    const size = fb.size64(buffers.start + 16 * i + 8, 'buffer length');
    if (offset + size > bodyLength) throw new IpcFormatError(`buffer ${i} (${size} bytes at ${offset}) overruns the body of ${bodyLength} bytes`);
  }
  if (fb.field(r, 3, 4, 'record batch compression') !== 0) throw new IpcFormatError('compressed record batches are not supported');
  fb.vector(r, 4, 8, 'record batch variadic counts');
}

/** What the header of a verified message says. */
export interface MessageInfo {
  /** apache-arrow's MessageHeader: 1 schema, 3 record batch (the only ones accepted). */
  headerType: number;
  bodyLength: number;
}

/**
 * Verifies the flatbuffer metadata of one IPC message (the bytes after the continuation marker and
 * length) and returns its type and body length; throws {@link IpcFormatError} when it is corrupt
 * or uses a feature the store never writes. After this, `Message.decode` of the bytes is safe.
 */
export function verifyMessage(metadata: Uint8Array): MessageInfo {
  const fb = new FlatBuffer(metadata);
  const m = fb.root('message');
  checkVersion(fb, m, 'message');
  const typeAt = fb.field(m, 1, 1, 'message header type');
  const headerType = typeAt === 0 ? 0 : fb.uint8(typeAt);
  const header = fb.child(m, 2, 'message header');
  const bodyAt = fb.field(m, 3, 8, 'message body length');
  const bodyLength = bodyAt === 0 ? 0 : fb.size64(bodyAt, 'message body length');
  checkKeyValues(fb, m, 4, 'message');
  if (headerType !== HEADER_SCHEMA && headerType !== HEADER_RECORD_BATCH) throw new IpcFormatError(`message type ${headerType} is not a schema or a record batch`);
  if (header === null) throw new IpcFormatError('message has no header');
  if (headerType === HEADER_SCHEMA) checkSchemaTable(fb, header);
  else checkRecordBatchTable(fb, header, bodyLength);
  return { headerType, bodyLength };
}

/** A record batch's place in an IPC file, from its footer. */
export interface FileBlock {
  offset: number;
  metaDataLength: number;
  bodyLength: number;
}

/**
 * Verifies the footer flatbuffer of an IPC file (schema included) and returns its record batch
 * blocks; throws {@link IpcFormatError} when it is corrupt or lists dictionary batches.
 */
export function verifyFooter(footer: Uint8Array): FileBlock[] {
  const fb = new FlatBuffer(footer);
  const f = fb.root('footer');
  checkVersion(fb, f, 'footer');
  const schema = fb.child(f, 1, 'footer schema');
  if (schema === null) throw new IpcFormatError('footer has no schema');
  checkSchemaTable(fb, schema);
  const dictionaries = fb.vector(f, 2, 24, 'footer dictionaries');
  if (dictionaries !== null && dictionaries.length > 0) throw new IpcFormatError('dictionary batches are not supported');
  checkKeyValues(fb, f, 4, 'footer');
  const batches = fb.vector(f, 3, 24, 'footer record batches');
  const blocks: FileBlock[] = [];
  for (let i = 0; batches !== null && i < batches.length; i++) {
    const at = batches.start + 24 * i;
    blocks.push({ offset: fb.size64(at, 'block offset'), metaDataLength: fb.int32(at + 8), bodyLength: fb.size64(at + 16, 'block body length') });
  }
  return blocks;
}

/** Why a column type is not one the store writes, or null when it is. */
export function typeProblem(field: Field): string | null {
  const type = field.type as DataType;
  if (DataType.isInt(type)) return type.bitWidth === 32 && type.isSigned ? null : `column '${field.name}' is ${String(type)}, not int32`;
  if (DataType.isFloat(type)) {
    return type.precision === Precision.SINGLE || type.precision === Precision.DOUBLE ? null : `column '${field.name}' is ${String(type)}, not float32 or float64`;
  }
  if (DataType.isBool(type) || DataType.isUtf8(type)) return null;
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const child = type.children.length === 1 ? (type.children[0] as Field | undefined) : undefined;
    if (!(child instanceof Field)) return `list column '${field.name}' does not have exactly one child type`;
    if (DataType.isFixedSizeList(type) && !(type.listSize >= 1)) return `column '${field.name}' has list size ${type.listSize}`;
    return typeProblem(child);
  }
  return `column '${field.name}' has type ${String(type)}, which the store never writes`;
}

/** Why offsets (n + 1 of them) are not a valid partition of `limit` items, or null. */
function offsetsProblem(name: string, offsets: Int32Array | undefined, n: number, limit: number): string | null {
  if (offsets === undefined || offsets.length < n + 1) return `column '${name}' has ${offsets?.length ?? 0} offsets for ${n} rows`;
  if (offsets[0] < 0) return `column '${name}' starts at offset ${offsets[0]}`;
  for (let i = 0; i < n; i++) if (offsets[i + 1] < offsets[i]) return `column '${name}' has decreasing offsets at row ${i}`;
  if (offsets[n] > limit) return `column '${name}' ends at offset ${offsets[n]}, past its ${limit} values`;
  return null;
}

/**
 * Why a decoded column's buffers do not back `length` values of its type, or null. apache-arrow
 * clamps buffer regions that run past the body, so a corrupt batch shows up here as too few bytes.
 */
function dataProblem(data: Data, field: Field, length: number): string | null {
  const name = field.name;
  if (data.length !== length) return `column '${name}' has ${data.length} rows, expected ${length}`;
  const nulls = data.nullCount;
  if (!(nulls >= 0 && nulls <= length)) return `column '${name}' has a null count of ${nulls}`;
  if (nulls > 0) {
    if (!field.nullable) return `column '${name}' is not nullable but has ${nulls} nulls`;
    if ((data.nullBitmap?.byteLength ?? 0) < Math.ceil((data.offset + length) / 8)) return `column '${name}' has a short validity bitmap`;
  }
  if (length === 0) return null; // nothing will be read (apache-arrow gives empty batches no buffers)
  const type = data.type as DataType;
  const values = data.values as ArrayLike<number> | undefined;
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    return (values?.length ?? 0) >= data.offset + length ? null : `column '${name}' has ${values?.length ?? 0} values for ${length} rows`;
  }
  if (DataType.isBool(type)) {
    return ((values as Uint8Array | undefined)?.byteLength ?? 0) >= Math.ceil((data.offset + length) / 8) ? null : `column '${name}' has a short bit buffer`;
  }
  if (DataType.isUtf8(type)) return offsetsProblem(name, data.valueOffsets as Int32Array | undefined, length, (values as Uint8Array | undefined)?.byteLength ?? 0);
  const child = data.children[0] as Data | undefined;
  const childField = (type as DataType).children?.[0] as Field | undefined;
  if (child === undefined || childField === undefined) return `column '${name}' lacks its child values`;
  if (DataType.isList(type)) return offsetsProblem(name, data.valueOffsets as Int32Array | undefined, length, child.length) ?? dataProblem(child, childField, child.length);
  if (DataType.isFixedSizeList(type)) return dataProblem(child, childField, length * type.listSize);
  return `column '${name}' has type ${String(type)}, which the store never writes`;
}

/** Why a decoded record batch is not backed by its buffers, or null when every column is. */
export function batchProblem(batch: RecordBatch, schema: Schema): string | null {
  const columns = batch.data.children;
  if (columns.length !== schema.fields.length) return `${columns.length} columns where the schema has ${schema.fields.length}`;
  if (columns.length === 0 && batch.numRows > 0) return `${batch.numRows} rows but no columns`;
  for (let i = 0; i < columns.length; i++) {
    // apache-arrow pads a column shorter than its batch with nulls and marks it nullable in the
    // batch's own schema: a non-nullable column of the file that became nullable was cut short.
    if (batch.schema.fields[i]?.nullable === true && !schema.fields[i].nullable) return `column '${schema.fields[i].name}' has fewer rows than its batch`;
    const problem = dataProblem(columns[i], schema.fields[i], batch.numRows);
    if (problem !== null) return problem;
  }
  return null;
}

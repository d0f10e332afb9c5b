/**
 * `TrajectoryWriter`: appends metrics rows and particle snapshots to the run's two Arrow IPC
 * streams (`metrics.arrows`, `particles.arrows`), writes checkpoints, and resumes a killed run.
 *
 * Rows are buffered in preallocated typed-array columns (no allocation per row) and written as
 * one record batch per flush: every `flushEveryRows` logged metric rows, after `flushEverySeconds`,
 * at each checkpoint and on close. A crash therefore loses at most the unflushed rows, and the
 * streams on disk always read up to their last whole batch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  RecordBatch,
  Schema,
  Struct,
  makeData,
  type Data,
  type DataType,
} from 'apache-arrow';
import { fsyncDir, removeStaleTemps, writeFileAtomic, writeFully } from './atomic.js';
import { writeCheckpoint, type CheckpointState, type StoredCheckpoint } from './checkpoint.js';
import { StoreError, fsError, InvalidInputError } from './errors.js';
import { STREAM_EOS, StreamFile, encodeStreamBatch, encodeStreamSchema } from './ipc.js';
import { acquireLock, type Lock } from './lock.js';
import { FILES, META, metricsSchema, particlesSchema, type FileKind, type Precision } from './schema.js';

/** A particle snapshot as the core produces it: `a` is count×D neuron-major. */
export interface ParticleSnapshot {
  step: number;
  neurons: Int32Array;
  a: Float64Array;
  b: Float64Array;
}

/** Options of {@link TrajectoryWriter.open}. */
export interface TrajectoryWriterOptions {
  /** The run directory (created if missing). */
  dir: string;
  /** Names of the float64 observable columns after `step` and `time`, in order. */
  observables: readonly string[];
  /**
   * Names of the List<Float64> observable columns after those (per-layer values of a deep
   * network, ARCHITECTURE.md §7), in order; default none.
   */
  listObservables?: readonly string[];
  /** Precision of the particle columns. */
  precision: Precision;
  /** Dimension D of `a` (d + 1 with a bias). Omit to write no particle stream. */
  particleDimension?: number;
  /** Outputs k of `b` (default 1: a float column; k > 1: FixedSizeList[k]). */
  particleOutputs?: number;
  /** The resolved config, stored as JSON in the schema metadata of both streams. */
  config?: unknown;
  /** Package versions, stored in the schema metadata. */
  versions?: Readonly<Record<string, string>>;
  /** Flush after this many logged metric rows (default 64). */
  flushEveryRows?: number;
  /** Flush when this many seconds passed since the last flush (checked at each log call; default 10; 0 disables). */
  flushEverySeconds?: number;
  /** fsync the streams at every flush, not only at checkpoints (default false). */
  fsyncOnFlush?: boolean;
  /** Capacity of the particle buffer in rows (default 16 384); a full buffer is flushed. */
  particleBufferRows?: number;
  /**
   * Continue a run from this checkpoint (see {@link readCheckpoint}): the streams are cut back to
   * the rows with `step ≤ checkpoint.step` and appended to. Without it the streams start afresh.
   */
  resumeFrom?: StoredCheckpoint | { step: number } | null;
  /** How long to wait for another process writing this run to finish, in ms (default 0: fail at once). */
  lockTimeoutMs?: number;
}

type FloatArray = Float32Array | Float64Array;

/** One `.arrows` file open for appending. */
class StreamSink {
  rows = 0;
  lastStep = -1;
  private fd: number | undefined;

  constructor(
    readonly file: string,
    readonly schema: Schema,
  ) {}

  openAppend(): void {
    try {
      this.fd = fs.openSync(this.file, 'a');
    } catch (err) {
      throw fsError(this.file, 'open for appending', err);
    }
  }

  append(bytes: Uint8Array): void {
    // Opened at the first append, not at open(): the schema is already on disk, and the file is
    // then looked up by path at the moment data is written.
    if (this.fd === undefined) this.openAppend();
    writeFully(this.fd as number, bytes, this.file);
  }

  sync(): void {
    if (this.fd === undefined) return;
    try {
      fs.fsyncSync(this.fd);
    } catch (err) {
      throw fsError(this.file, 'fsync', err);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.closeSync(fd);
    } catch (err) {
      throw fsError(this.file, 'close', err);
    }
  }
}

function structBatch(schema: Schema, length: number, children: Data[]): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

function floatData(type: Float32 | Float64, values: FloatArray, length: number): Data {
  return makeData({ type, length, nullCount: 0, data: values.subarray(0, length) } as never);
}

function sameColumns(a: Schema, b: Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i].name && String(f.type) === String(b.fields[i].type));
}

function columnList(s: Schema): string {
  return s.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ');
}

/**
 * The first `n` rows of a batch of one of the store's stream schemas, as a new batch over the
 * same buffers (a prefix needs no copy and no offset bookkeeping).
 */
function headOfBatch(batch: RecordBatch, n: number): RecordBatch {
  const children = batch.data.children.map((child) => headOfData(child, n));
  return structBatch(batch.schema, n, children);
}

function headOfData(data: Data<DataType>, n: number): Data {
  const type = data.type as DataType;
  if (type instanceof FixedSizeList) {
    return makeData({ type, length: n, nullCount: 0, child: headOfData(data.children[0], n * type.listSize) });
  }
  if (type instanceof List) {
    // The store's list batches start at value offset 0: the first n rows are offsets [0, n].
    const offsets = (data.valueOffsets as Int32Array).subarray(0, n + 1);
    return makeData({ type, length: n, nullCount: 0, valueOffsets: offsets, child: headOfData(data.children[0], offsets[n]) });
  }
  // Batches read from a stream start at offset 0, and apache-arrow's `values` are already offset.
  const values = (data.values as Int32Array | Float32Array | Float64Array).subarray(0, n);
  return makeData({ type, length: n, nullCount: 0, data: values } as never);
}

/** Generator of a file's bytes [0, end) in chunks, for copying a stream's valid prefix. */
function* fileChunks(file: string, end: number): Generator<Uint8Array> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw fsError(file, 'open', err);
  }
  try {
    const chunk = new Uint8Array(Math.min(end, 4 << 20) || 1);
    let pos = 0;
    while (pos < end) {
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, Math.min(chunk.byteLength, end - pos), pos);
      } catch (err) {
        throw fsError(file, 'read', err);
      }
      if (n === 0) throw new StoreError(file, `file shrank while being copied (at byte ${pos})`);
      yield chunk.subarray(0, n);
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Cuts a stream back to its rows with `step ≤ maxStep` (dropping a partial tail, an end-of-stream
 * marker and later rows) and records how many rows and which last step remain. When the cut falls
 * at a batch boundary the file is truncated in place (one syscall, idempotent if repeated after a
 * crash); when it falls inside a batch, the valid prefix plus the batch's head is written to a new
 * file that atomically replaces the old one, so a crash during resume never loses rows.
 */
function cutStream(sink: StreamSink, kind: FileKind, maxStep: number): void {
  const sf = StreamFile.open(sink.file, kind);
  let keepEnd = sf.schemaBytes.byteLength;
  let rows = 0;
  let lastStep = -1;
  let head: { offset: number; batch: RecordBatch } | null = null;
  try {
    if (!sameColumns(sf.schema, sink.schema)) {
      throw new StoreError(sink.file, `cannot resume: the stream has columns [${columnList(sf.schema)}] but this run writes [${columnList(sink.schema)}]`);
    }
    for (const { batch, offset, end } of sf.batches()) {
      const steps = batch.data.children[0].values as Int32Array;
      const n = batch.numRows;
      let cut = 0;
      while (cut < n && steps[cut] <= maxStep) cut += 1;
      if (cut > 0) lastStep = steps[cut - 1];
      rows += cut;
      if (cut < n) {
        if (cut > 0) head = { offset, batch: headOfBatch(batch, cut) };
        else keepEnd = offset;
        break;
      }
      keepEnd = end;
    }
  } finally {
    sf.close();
  }
  if (head !== null) {
    const prefix = fileChunks(sink.file, head.offset);
    const tail = encodeStreamBatch(head.batch);
    writeFileAtomic(
      sink.file,
      (function* () {
        yield* prefix;
        yield tail;
      })(),
    );
  } else if (keepEnd < sf.size) {
    try {
      fs.truncateSync(sink.file, keepEnd);
      const fd = fs.openSync(sink.file, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      throw fsError(sink.file, 'truncate', err);
    }
  }
  sink.rows = rows;
  sink.lastStep = lastStep;
}

/**
 * Streams a run's trajectory to `metrics.arrows` and `particles.arrows`, and writes its
 * checkpoints. Open with {@link TrajectoryWriter.open}; always {@link TrajectoryWriter.close}.
 *
 * Protocol for exact resume: log step k's rows first, then call {@link TrajectoryWriter.checkpoint}
 * with the state after k updates. A run restarted with `resumeFrom: readCheckpoint(dir)` continues
 * at step k + 1, and its trajectory is bitwise that of a run never interrupted.
 *
 * @example
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { TrajectoryWriter, openRun } from '@mflab/store';
 * const runDir = join(mkdtempSync(join(tmpdir(), 'mflab-')), 'run');
 * const writer = TrajectoryWriter.open({ dir: runDir, observables: ['risk_train', 'risk_test'], precision: 'f64' });
 * try {
 *   for (let step = 0; step <= 100; step += 10) writer.logMetrics(step, step * 0.1, { risk_train: 1 / (1 + step), risk_test: 1.1 / (1 + step) });
 * } finally {
 *   writer.close();
 * }
 * console.log(openRun(runDir).metrics().numRows); // 11
 */
export class TrajectoryWriter {
  readonly dir: string;
  readonly observables: readonly string[];
  readonly listObservables: readonly string[];
  readonly precision: Precision;
  readonly particleDimension: number | undefined;
  /** k: values of `b` per particle row. */
  readonly particleOutputs: number;

  private readonly metrics: StreamSink;
  private readonly particles: StreamSink | null;
  private readonly lock: Lock;
  private readonly flushEveryRows: number;
  private readonly flushEveryMs: number;
  private readonly fsyncOnFlush: boolean;
  private lastFlush = performance.now();
  private closed = false;
  private failure: unknown = null;

  // Metric row buffers: one preallocated column each.
  private readonly mStep: Int32Array;
  private readonly mTime: Float64Array;
  private readonly mObs: Float64Array[];
  /** List columns: each row's values appended to one growing buffer, and the row offsets. */
  private readonly mLists: { values: Float64Array; offsets: Int32Array }[];
  private mRows = 0;

  // Particle row buffers.
  private readonly pCap: number;
  private readonly pStep: Int32Array;
  private readonly pNeuron: Int32Array;
  private readonly pA: FloatArray;
  private readonly pB: FloatArray;
  private pRows = 0;
  private readonly floatT: Float32 | Float64;

  private constructor(options: TrajectoryWriterOptions, lock: Lock, metrics: StreamSink, particles: StreamSink | null) {
    this.dir = options.dir;
    this.observables = [...options.observables];
    this.listObservables = [...(options.listObservables ?? [])];
    this.precision = options.precision;
    this.particleDimension = options.particleDimension;
    this.particleOutputs = options.particleOutputs ?? 1;
    this.lock = lock;
    this.metrics = metrics;
    this.particles = particles;
    this.flushEveryRows = options.flushEveryRows ?? 64;
    this.flushEveryMs = (options.flushEverySeconds ?? 10) * 1000;
    this.fsyncOnFlush = options.fsyncOnFlush ?? false;
    const k = this.flushEveryRows;
    this.mStep = new Int32Array(k);
    this.mTime = new Float64Array(k);
    this.mObs = this.observables.map(() => new Float64Array(k));
    this.mLists = this.listObservables.map(() => ({ values: new Float64Array(8 * k), offsets: new Int32Array(k + 1) }));
    const D = this.particleDimension ?? 1;
    this.pCap = particles === null ? 0 : Math.max(1, options.particleBufferRows ?? 16_384);
    this.pStep = new Int32Array(this.pCap);
    this.pNeuron = new Int32Array(this.pCap);
    const F = this.precision === 'f32' ? Float32Array : Float64Array;
    this.pA = new F(this.pCap * D);
    this.pB = new F(this.pCap * this.particleOutputs);
    this.floatT = this.precision === 'f32' ? new Float32() : new Float64();
  }

  /**
   * Opens a run directory for writing: takes its lock (a second process writing the same run
   * fails with a one-line error), then either creates fresh streams (their schema written
   * atomically, so a stream on disk always has a whole schema) or, with `resumeFrom`, cuts the
   * existing streams back to the checkpoint and appends to them.
   */
  static open(options: TrajectoryWriterOptions): TrajectoryWriter {
    const { dir } = options;
    const k = options.flushEveryRows ?? 64;
    if (!Number.isInteger(k) || k < 1) throw new InvalidInputError('flushEveryRows', `expected a positive integer, got ${k}`);
    const metadata = new Map<string, string>();
    if (options.config !== undefined) metadata.set(META.config, JSON.stringify(options.config));
    if (options.versions !== undefined) metadata.set(META.versions, JSON.stringify(options.versions));
    metadata.set(META.precision, options.precision);
    const mSchema = metricsSchema(options.observables, metadata, options.listObservables ?? []);
    const pSchema = options.particleDimension === undefined ? null : particlesSchema(options.particleDimension, options.precision, metadata, options.particleOutputs ?? 1);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fsError(dir, 'create run directory', err);
    }
    const lock = acquireLock(path.join(dir, FILES.runLock), { timeoutMs: options.lockTimeoutMs ?? 0, what: 'run directory' });
    try {
      removeStaleTemps(dir);
      const metrics = new StreamSink(path.join(dir, FILES.metrics), mSchema);
      const particles = pSchema === null ? null : new StreamSink(path.join(dir, FILES.particles), pSchema);
      const resume = options.resumeFrom ?? null;
      const stored = (resume as Partial<StoredCheckpoint> | null)?.streamRows;
      const expected = stored ?? { metrics: -1, particles: -1 };
      for (const [sink, kind, want] of [
        [metrics, 'metrics', expected.metrics],
        [particles, 'particles', expected.particles],
      ] as const) {
        if (sink === null) continue;
        const exists = fs.existsSync(sink.file);
        if (resume === null || (!exists && want === 0)) {
          writeFileAtomic(sink.file, encodeStreamSchema(sink.schema));
        } else {
          if (!exists) throw new StoreError(sink.file, `cannot resume from the checkpoint at step ${resume.step}: the stream is missing`, { code: 'ENOENT' });
          cutStream(sink, kind, resume.step);
          if (want >= 0 && sink.rows !== want) {
            throw new StoreError(sink.file, `cannot resume: the stream holds ${sink.rows} rows up to step ${resume.step} but the checkpoint expects ${want} (the stream was cut short)`);
          }
        }
      }
      fsyncDir(dir);
      return new TrajectoryWriter(options, lock, metrics, particles);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Rows written or buffered so far (after a resume: counting the rows kept from before). */
  get rowCounts(): { metrics: number; particles: number } {
    return { metrics: this.metrics.rows + this.mRows, particles: (this.particles?.rows ?? 0) + this.pRows };
  }

  /** The last metrics step logged (−1 if none), e.g. the step a resumed run continues after. */
  get lastStep(): number {
    return this.mRows > 0 ? this.mStep[this.mRows - 1] : this.metrics.lastStep;
  }

  private check(): void {
    if (this.closed) throw new StoreError(this.dir, 'trajectory writer is closed');
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Logs one metrics row. `values` is either the observables in the order given at creation (a
   * reused Float64Array costs nothing) or a record by name (missing names are NaN). A list
   * observable is read from the record by name (an array of numbers; missing: an empty list).
   * Steps must increase.
   */
  logMetrics(step: number, time: number, values: ArrayLike<number> | Readonly<Record<string, number | ArrayLike<number>>>): void {
    this.check();
    if ((step | 0) !== step || step <= this.lastStep) throw new InvalidInputError('step', `metrics step must be an int32 greater than the last one (${this.lastStep}), got ${step}`);
    const i = this.mRows;
    this.mStep[i] = step;
    this.mTime[i] = time;
    const cols = this.mObs;
    if (typeof (values as ArrayLike<number>).length === 'number') {
      const arr = values as ArrayLike<number>;
      if (arr.length !== cols.length) throw new InvalidInputError('values', `expected ${cols.length} observable values, got ${arr.length}`);
      for (let c = 0; c < cols.length; c++) cols[c][i] = arr[c];
    } else {
      const rec = values as Readonly<Record<string, number | ArrayLike<number>>>;
      for (let c = 0; c < cols.length; c++) {
        const v = rec[this.observables[c]];
        cols[c][i] = typeof v === 'number' ? v : NaN;
      }
    }
    for (let c = 0; c < this.mLists.length; c++) {
      const v = Array.isArray(values) || ArrayBuffer.isView(values) ? undefined : (values as Readonly<Record<string, unknown>>)[this.listObservables[c]];
      this.appendList(c, i, v === undefined || typeof v === 'number' ? [] : (v as ArrayLike<number>));
    }
    this.mRows = i + 1;
    if (this.mRows >= this.flushEveryRows) this.flush();
    else this.maybeTimedFlush();
  }

  private appendList(c: number, row: number, v: ArrayLike<number>): void {
    const list = this.mLists[c];
    const start = list.offsets[row];
    const end = start + v.length;
    if (end > list.values.length) {
      const grown = new Float64Array(Math.max(end, 2 * list.values.length));
      grown.set(list.values.subarray(0, start));
      list.values = grown;
    }
    for (let q = 0; q < v.length; q++) list.values[start + q] = v[q];
    list.offsets[row + 1] = end;
  }

  /** Logs a particle snapshot (count rows). Values are rounded to the run's precision. */
  logParticles(snapshot: ParticleSnapshot): void {
    this.check();
    const sink = this.particles;
    const D = this.particleDimension;
    if (sink === null || D === undefined) throw new StoreError(this.dir, 'this writer was opened without particleDimension: no particle stream');
    const { step, neurons, a, b } = snapshot;
    const count = neurons.length;
    if ((step | 0) !== step || step < this.lastParticleStep()) throw new InvalidInputError('step', `particle step must be an int32 not below the last one, got ${step}`);
    const K = this.particleOutputs;
    if (a.length !== count * D || b.length !== count * K) throw new InvalidInputError('snapshot', `expected a of ${count}×${D} and b of ${count}×${K} values, got ${a.length} and ${b.length}`);
    let off = 0;
    while (off < count) {
      if (this.pRows === this.pCap) this.flushParticles();
      const take = Math.min(this.pCap - this.pRows, count - off);
      const at = this.pRows;
      this.pStep.fill(step, at, at + take);
      this.pNeuron.set(neurons.subarray(off, off + take), at);
      this.pA.set(a.subarray(off * D, (off + take) * D), at * D);
      this.pB.set(b.subarray(off * K, (off + take) * K), at * K);
      this.pRows = at + take;
      off += take;
    }
    this.maybeTimedFlush();
  }

  private lastParticleStep(): number {
    return this.pRows > 0 ? this.pStep[this.pRows - 1] : (this.particles?.lastStep ?? -1);
  }

  private maybeTimedFlush(): void {
    if (this.flushEveryMs > 0 && performance.now() - this.lastFlush >= this.flushEveryMs) this.flush();
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      // After a failed write the streams' tails are unknown: refuse further writes; resume repairs them.
      this.failure = err;
      throw err;
    }
  }

  private flushMetrics(): void {
    const n = this.mRows;
    if (n === 0) return;
    const schema = this.metrics.schema;
    const children: Data[] = [
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.mStep.subarray(0, n) }),
      floatData(new Float64(), this.mTime, n),
      ...this.mObs.map((col) => floatData(new Float64(), col, n)),
      ...this.mLists.map((list, c) => {
        const type = schema.fields[2 + this.mObs.length + c].type as List<Float64>;
        // Copies: the buffers are reused for the next rows while the batch may still be referenced.
        const offsets = list.offsets.slice(0, n + 1);
        return makeData({ type, length: n, nullCount: 0, valueOffsets: offsets, child: floatData(new Float64(), list.values.slice(0, offsets[n]), offsets[n]) as Data<Float64> });
      }),
    ];
    const bytes = encodeStreamBatch(structBatch(schema, n, children));
    this.guard(() => this.metrics.append(bytes));
    this.metrics.rows += n;
    this.metrics.lastStep = this.mStep[n - 1];
    this.mRows = 0;
  }

  private flushParticles(): void {
    const sink = this.particles;
    const n = this.pRows;
    if (sink === null || n === 0) return;
    const D = this.particleDimension ?? 1;
    const aType = sink.schema.fields[2].type as FixedSizeList;
    const children: Data[] = [
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.pStep.subarray(0, n) }),
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.pNeuron.subarray(0, n) }),
      makeData({ type: aType, length: n, nullCount: 0, child: floatData(this.floatT, this.pA, n * D) }),
      this.particleOutputs > 1
        ? makeData({ type: sink.schema.fields[3].type as FixedSizeList, length: n, nullCount: 0, child: floatData(this.floatT, this.pB, n * this.particleOutputs) })
        : floatData(this.floatT, this.pB, n),
    ];
    const bytes = encodeStreamBatch(structBatch(sink.schema, n, children));
    this.guard(() => sink.append(bytes));
    sink.rows += n;
    sink.lastStep = this.pStep[n - 1];
    this.pRows = 0;
  }

  /** Writes the buffered rows of both streams as one record batch each (fsync if `fsyncOnFlush`). */
  flush(): void {
    this.check();
    this.flushMetrics();
    this.flushParticles();
    if (this.fsyncOnFlush) this.guard(() => this.syncStreams());
    this.lastFlush = performance.now();
  }

  private syncStreams(): void {
    this.metrics.sync();
    this.particles?.sync();
  }

  /**
   * Flushes and fsyncs both streams, then replaces `checkpoint.arrow` atomically with `state`.
   * Call it after logging step `state.step`'s rows, so that the streams cover the checkpoint.
   */
  checkpoint(state: CheckpointState): void {
    this.flush();
    this.guard(() => this.syncStreams());
    const covers = (sink: StreamSink | null) => (sink === null ? 0 : sink.lastStep <= state.step ? sink.rows : -1);
    this.guard(() => writeCheckpoint(this.dir, state, { metrics: covers(this.metrics), particles: covers(this.particles) }));
  }

  /**
   * Flushes, ends both streams with the end-of-stream marker, fsyncs, closes the files and
   * releases the run lock. Idempotent. After a failed write it only releases what it holds.
   */
  close(): void {
    if (this.closed) return;
    let error: unknown = null;
    try {
      if (this.failure === null) {
        this.flush();
        for (const sink of [this.metrics, this.particles]) {
          if (sink === null) continue;
          sink.append(STREAM_EOS);
          sink.sync();
        }
      }
    } catch (err) {
      error = err;
    }
    this.closed = true;
    for (const sink of [this.metrics, this.particles]) {
      try {
        sink?.close();
      } catch (err) {
        error ??= err;
      }
    }
    this.lock.release();
    if (error !== null) throw error;
  }
}

/**
 * Readers for a run or a whole study. Everything is lazy: batches are read from disk one window
 * at a time as the caller iterates, so memory stays flat however long the trajectory; the
 * Table-returning methods are conveniences that collect those batches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Bool,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  type Data,
  type DataType,
} from 'apache-arrow';
import { readCheckpoint, type StoredCheckpoint } from './checkpoint.js';
import { StoreError, fsError } from './errors.js';
import { StreamFile, type StreamTail } from './ipc.js';
import { readRunInfo, type KeyValue, type RunInfo } from './run-dir.js';
import { FILES, type FileKind } from './schema.js';
import { listRuns, readIndex, type KeyFilter, type RunEntry } from './study.js';

/** Selects particle rows by step: a list of steps or a predicate. */
export type StepFilter = readonly number[] | ((step: number) => boolean);

function stepPredicate(filter: StepFilter | undefined): ((step: number) => boolean) | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') return filter;
  const set = new Set(filter);
  return (s) => set.has(s);
}

/** Yields the row ranges of a batch whose step passes `keep`, as slices. */
function* filterBySteps(batch: RecordBatch, keep: (step: number) => boolean): Generator<RecordBatch> {
  const steps = batch.getChildAt(0)?.toArray() as Int32Array;
  let i = 0;
  while (i < steps.length) {
    if (!keep(steps[i])) {
      i += 1;
      continue;
    }
    const start = i;
    while (i < steps.length && keep(steps[i])) i += 1;
    yield start === 0 && i === steps.length ? batch : batch.slice(start, i);
  }
}

/** Batches of one stream file, with the file closed however the iteration ends. */
function* streamBatches(file: string, kind: FileKind, onTail?: (tail: StreamTail | null) => void): Generator<RecordBatch> {
  const sf = StreamFile.open(file, kind);
  try {
    for (const { batch } of sf.batches()) yield batch;
    onTail?.(sf.tail);
  } finally {
    sf.close();
  }
}

function streamSchema(file: string, kind: FileKind): Schema {
  const sf = StreamFile.open(file, kind);
  sf.close();
  return sf.schema;
}

function collect(schema: Schema, batches: Iterable<RecordBatch>): Table {
  const list = [...batches];
  return list.length === 0 ? new Table(schema) : new Table(schema, list);
}

/**
 * A run directory opened for reading. Nothing is read until asked; a file that is missing, cut
 * inside its schema or not the store's gives a one-line {@link StoreError} naming it. A stream
 * cut by a crash reads up to its last whole batch ({@link RunReader.metricsTail} tells).
 */
export class RunReader {
  readonly dir: string;
  /** Where and why the metrics stream's readable part ended early, after a full iteration; null if it ended cleanly. */
  metricsTail: StreamTail | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** `run.json`. */
  info(): RunInfo {
    return readRunInfo(this.dir);
  }

  /** The latest checkpoint, or null. */
  checkpoint(): StoredCheckpoint | null {
    return readCheckpoint(this.dir);
  }

  /** Path of `metrics.arrows`. */
  get metricsPath(): string {
    return path.join(this.dir, FILES.metrics);
  }

  /** Path of `particles.arrows`. */
  get particlesPath(): string {
    return path.join(this.dir, FILES.particles);
  }

  /** Whether the run has a particle stream. */
  hasParticles(): boolean {
    return fs.existsSync(this.particlesPath);
  }

  /** Schema of `metrics.arrows` (its metadata holds the config and versions). */
  metricsSchema(): Schema {
    return streamSchema(this.metricsPath, 'metrics');
  }

  /** Schema of `particles.arrows`. */
  particlesSchema(): Schema {
    return streamSchema(this.particlesPath, 'particles');
  }

  /** The metrics rows, record batch by record batch, read lazily. */
  metricsBatches(): Generator<RecordBatch> {
    return streamBatches(this.metricsPath, 'metrics', (t) => (this.metricsTail = t));
  }

  /** The particle rows, lazily, optionally only some steps. */
  *particleBatches(steps?: StepFilter): Generator<RecordBatch> {
    const keep = stepPredicate(steps);
    for (const batch of streamBatches(this.particlesPath, 'particles')) {
      if (keep === undefined) yield batch;
      else yield* filterBySteps(batch, keep);
    }
  }

  /** All metrics rows as one Table (collects {@link metricsBatches}). */
  metrics(): Table {
    return collect(this.metricsSchema(), this.metricsBatches());
  }

  /** Particle rows as one Table (collects {@link particleBatches}). */
  particles(steps?: StepFilter): Table {
    return collect(this.particlesSchema(), this.particleBatches(steps));
  }
}

/** Opens a run directory for reading; throws a one-line {@link StoreError} if it is not a directory. */
export function openRun(dir: string): RunReader {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw fsError(dir, 'open run directory', err);
  }
  if (!stat.isDirectory()) throw new StoreError(dir, 'not a directory, expected a run directory', { code: 'ENOTDIR' });
  return new RunReader(dir);
}

const encoder = new TextEncoder();

/** A column holding one value `n` times (the run's swept key), built over typed arrays. */
function constantColumn(type: DataType, value: KeyValue | undefined, n: number): Data {
  if (value === undefined) {
    const nullBitmap = new Uint8Array((n + 7) >> 3);
    if (type instanceof Utf8) return makeData({ type, length: n, nullCount: n, nullBitmap, valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) });
    if (type instanceof Bool) return makeData({ type, length: n, nullCount: n, nullBitmap, data: new Uint8Array((n + 7) >> 3) });
    return makeData({ type, length: n, nullCount: n, nullBitmap, data: new (type instanceof Int32 ? Int32Array : Float64Array)(n) } as never);
  }
  if (type instanceof Utf8) {
    const bytes = encoder.encode(String(value));
    const data = new Uint8Array(bytes.byteLength * n);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      data.set(bytes, i * bytes.byteLength);
      offsets[i + 1] = (i + 1) * bytes.byteLength;
    }
    return makeData({ type, length: n, nullCount: 0, valueOffsets: offsets, data });
  }
  if (type instanceof Bool) return makeData({ type, length: n, nullCount: 0, data: new Uint8Array((n + 7) >> 3).fill(value ? 0xff : 0) });
  const data = type instanceof Int32 ? new Int32Array(n).fill(value as number) : new Float64Array(n).fill(value as number);
  return makeData({ type, length: n, nullCount: 0, data } as never);
}

function keyType(values: readonly (KeyValue | undefined)[]): DataType {
  const present = values.filter((v): v is KeyValue => v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'number')) {
    return present.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31) ? new Int32() : new Float64();
  }
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return new Bool();
  return new Utf8();
}

/**
 * A study directory opened for reading: its runs (filtered by swept keys), its index, and all
 * runs' rows as one lazy sequence of batches with the run's path and swept keys prepended as
 * columns.
 */
export class StudyReader {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The runs, sorted by path, optionally filtered by swept keys. */
  runs(filter?: KeyFilter): RunEntry[] {
    return listRuns(this.dir, filter);
  }

  /** Opens one run. */
  run(entry: RunEntry): RunReader {
    return new RunReader(entry.dir);
  }

  /** The study index (`index.arrow`, rebuilt if the runs changed). */
  index(): Table {
    return readIndex(this.dir);
  }

  /**
   * The metrics of every selected run, lazily: columns `run`, the swept keys, then the union of
   * the runs' metric columns (NaN where a run lacks an observable).
   */
  metricsBatches(filter?: KeyFilter): Generator<RecordBatch> {
    return this.studyBatches('metrics', filter);
  }

  /** The particle rows of every selected run, lazily (all runs must share D and precision). */
  particleBatches(filter?: KeyFilter, steps?: StepFilter): Generator<RecordBatch> {
    return this.studyBatches('particles', filter, steps);
  }

  /** {@link metricsBatches} collected into one Table. */
  metrics(filter?: KeyFilter): Table {
    const { schema, batches } = this.plan('metrics', filter);
    return collect(schema, batches());
  }

  /** {@link particleBatches} collected into one Table. */
  particles(filter?: KeyFilter, steps?: StepFilter): Table {
    const { schema, batches } = this.plan('particles', filter, steps);
    return collect(schema, batches());
  }

  private studyBatches(kind: 'metrics' | 'particles', filter?: KeyFilter, steps?: StepFilter): Generator<RecordBatch> {
    return this.plan(kind, filter, steps).batches();
  }

  /** Works out the common schema from the runs' stream schemas (reading only those), then streams. */
  private plan(kind: 'metrics' | 'particles', filter?: KeyFilter, steps?: StepFilter): { schema: Schema; batches: () => Generator<RecordBatch> } {
    const runs = this.runs(filter).filter((r) => fs.existsSync(path.join(r.dir, kind === 'metrics' ? FILES.metrics : FILES.particles)));
    const keyNames: string[] = [];
    for (const r of runs) for (const k of Object.keys(r.keys)) if (!keyNames.includes(k)) keyNames.push(k);
    const keyTypes = keyNames.map((k) => keyType(runs.map((r) => r.keys[k])));
    const runSchemas = runs.map((r) => (kind === 'metrics' ? new RunReader(r.dir).metricsSchema() : new RunReader(r.dir).particlesSchema()));
    const dataFields: Field[] = [];
    for (const [i, s] of runSchemas.entries()) {
      for (const f of s.fields) {
        const have = dataFields.find((d) => d.name === f.name);
        if (have === undefined) {
          if (kind === 'particles' && i > 0) throw new StoreError(path.join(runs[i].dir, FILES.particles), `has column '${f.name}' that other runs of the study lack`);
          dataFields.push(new Field(f.name, f.type, f.nullable));
        } else if (String(have.type) !== String(f.type)) {
          const file = path.join(runs[i].dir, kind === 'metrics' ? FILES.metrics : FILES.particles);
          throw new StoreError(file, `column '${f.name}' is ${String(f.type)} here but ${String(have.type)} in other runs of the study`);
        }
      }
    }
    for (const k of keyNames) {
      if (k === 'run' || dataFields.some((f) => f.name === k)) throw new StoreError(this.dir, `swept key '${k}' collides with a data column`);
    }
    const fields = [new Field('run', new Utf8(), false), ...keyNames.map((k, i) => new Field(k, keyTypes[i], true)), ...dataFields];
    const schema = new Schema(fields);
    const struct = new Struct(fields);
    const keep = stepPredicate(steps);
    function* batches(): Generator<RecordBatch> {
      for (const [ri, run] of runs.entries()) {
        const reader = new RunReader(run.dir);
        const source = kind === 'metrics' ? reader.metricsBatches() : reader.particleBatches(keep);
        const own = runSchemas[ri];
        for (const batch of source) {
          const n = batch.numRows;
          const children: Data[] = [constantColumn(new Utf8(), run.relative, n), ...keyNames.map((k, i) => constantColumn(keyTypes[i], run.keys[k], n))];
          for (const f of dataFields) {
            const at = own.fields.findIndex((g) => g.name === f.name);
            children.push(at >= 0 ? batch.data.children[at] : makeData({ type: new Float64(), length: n, nullCount: 0, data: new Float64Array(n).fill(NaN) }));
          }
          yield new RecordBatch(schema, makeData({ type: struct, length: n, nullCount: 0, children }));
        }
      }
    }
    return { schema, batches };
  }
}

/** Opens a study directory for reading. */
export function openStudy(dir: string): StudyReader {
  listRuns(dir); // validates the directory now, with a one-line error
  return new StudyReader(dir);
}


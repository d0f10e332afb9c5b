/**
 * `checkpoint.arrow`: the latest full state of a run, from which a killed run resumes. It is an
 * Arrow IPC file (random-access format: it is only ever written whole, never appended), replaced
 * atomically, in a long layout that fits any state: one row per named array
 *
 *     key: utf8 | scalar: bool | values: list<float64>
 *
 * e.g. `step`, `params.a`, `params.b`, `initialParams.a`, `rng.<name>`, `integrator.<name>` — or, for
 * a deep network (ARCHITECTURE.md §7), `params.layers` (L + 1) and `params.weights.<l>`,
 * `params.biases.<l>` for l = 0..L (layer l + 1's tensors, in the model's own layout). All
 * numbers are float64, so parameters round-trip exactly (float32 runs included) and resume is
 * bitwise. Each row is its own record batch, so large parameter arrays are written without copying.
 */
import * as path from 'node:path';
import { Bool, DataType, Float64, List, Precision, RecordBatch, Schema, Struct, Utf8, makeData, type Data } from 'apache-arrow';
import { writeFileAtomic } from './atomic.js';
import { StoreError, InvalidInputError } from './errors.js';
import { encodeArrowFile, readArrowFile } from './ipc.js';
import { CHECKPOINT_COLUMNS, CHECKPOINT_META, FILES, FORMAT_VERSION, META, checkpointSchema } from './schema.js';

/** Parameters of a two-layer network: `a` is m×D neuron-major, `b` m×k (k outputs, absent: 1). */
export interface NetworkParams {
  m: number;
  D: number;
  k?: number;
  a: Float64Array;
  b: Float64Array;
}

/**
 * Parameters of a layered (deep) network: one weight tensor and one bias vector per layer, each
 * flat float64 in the model's own layout (an empty bias where a layer has none).
 */
export interface LayeredParams {
  readonly weights: readonly Float64Array[];
  readonly biases: readonly Float64Array[];
}

/** The parameters a checkpoint holds: a two-layer network's or a layered one's. */
export type CheckpointParams = NetworkParams | LayeredParams;

/** What a run needs to continue exactly where it stopped. */
export interface CheckpointState<P extends CheckpointParams = CheckpointParams> {
  /** Number of updates done: the params are those after `step` updates. */
  step: number;
  params: P;
  initialParams: P;
  /** Position of the counter-based RNG streams (stream name → counter). */
  rng?: Record<string, number>;
  /** Integrator state (e.g. adaptive step size, momentum buffers). */
  integrator?: Record<string, Float64Array | number>;
}

/** A checkpoint read back from disk, with the row counts the streams had when it was written. */
export interface StoredCheckpoint<P extends CheckpointParams = CheckpointParams> extends CheckpointState<P> {
  /** Rows of `metrics.arrows` / `particles.arrows` with step ≤ this step when the checkpoint was written; -1 if unknown. */
  streamRows: { metrics: number; particles: number };
}

const CKPT_META = CHECKPOINT_META;
const { key: KEY, scalar: SCALAR, values: VALUES } = CHECKPOINT_COLUMNS;

const encoder = new TextEncoder();

function entryBatch(schema: Schema, key: string, values: Float64Array, scalar: boolean): RecordBatch {
  const keyBytes = encoder.encode(key);
  const children: Data[] = [
    makeData({ type: new Utf8(), length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, keyBytes.byteLength), data: keyBytes }),
    makeData({ type: new Bool(), length: 1, nullCount: 0, data: Uint8Array.of(scalar ? 1 : 0) }),
    makeData({
      type: schema.fields[2].type as List<Float64>,
      length: 1,
      nullCount: 0,
      valueOffsets: Int32Array.of(0, values.length),
      child: makeData({ type: new Float64(), length: values.length, nullCount: 0, data: values }),
    }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children }));
}

function isFloat64(type: DataType): boolean {
  return DataType.isFloat(type) && type.precision === Precision.DOUBLE;
}

const isLayered = (p: CheckpointParams): p is LayeredParams => 'weights' in p;

function checkLayered(where: string, p: LayeredParams): void {
  if (!Array.isArray(p.weights) || !Array.isArray(p.biases) || p.weights.length === 0 || p.weights.length !== p.biases.length) {
    throw new InvalidInputError(where, 'expected as many weight tensors as bias vectors, at least one');
  }
  p.weights.forEach((w, l) => {
    if (!(w instanceof Float64Array)) throw new InvalidInputError(`${where}.weights[${l}]`, 'expected a Float64Array');
  });
  p.biases.forEach((b, l) => {
    if (!(b instanceof Float64Array)) throw new InvalidInputError(`${where}.biases[${l}]`, 'expected a Float64Array');
  });
}

function checkParams(where: string, p: CheckpointParams): void {
  if (isLayered(p)) {
    checkLayered(where, p);
    return;
  }
  if (!Number.isInteger(p.m) || p.m < 0 || !Number.isInteger(p.D) || p.D < 1) throw new InvalidInputError(where, 'm and D must be integers (m ≥ 0, D ≥ 1)');
  if (!(p.a instanceof Float64Array) || p.a.length !== p.m * p.D) throw new InvalidInputError(`${where}.a`, `expected a Float64Array of m·D = ${p.m * p.D} values`);
  const k = p.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`${where}.k`, 'expected a positive integer');
  if (!(p.b instanceof Float64Array) || p.b.length !== p.m * k) throw new InvalidInputError(`${where}.b`, `expected a Float64Array of m·k = ${p.m * k} values`);
}

/**
 * Writes `dir/checkpoint.arrow` atomically (temp file, fsync, rename). `streamRows` records how
 * many stream rows cover the checkpoint, so that resume can check the streams were not cut short.
 */
export function writeCheckpoint(dir: string, state: CheckpointState, streamRows = { metrics: -1, particles: -1 }): void {
  if (!Number.isInteger(state.step) || state.step < 0) throw new InvalidInputError('step', `expected a non-negative integer, got ${state.step}`);
  checkParams('params', state.params);
  checkParams('initialParams', state.initialParams);
  const metadata = new Map<string, string>([
    [META.kind, 'checkpoint'],
    [META.formatVersion, String(FORMAT_VERSION)],
    [CKPT_META.step, String(state.step)],
    [CKPT_META.metricsRows, String(streamRows.metrics)],
    [CKPT_META.particleRows, String(streamRows.particles)],
  ]);
  const schema = checkpointSchema(metadata);
  const batches: RecordBatch[] = [];
  const scalar = (key: string, v: number) => batches.push(entryBatch(schema, key, Float64Array.of(v), true));
  const array = (key: string, v: Float64Array) => batches.push(entryBatch(schema, key, v, false));
  scalar('step', state.step);
  for (const [prefix, p] of [['params', state.params], ['initialParams', state.initialParams]] as const) {
    if (isLayered(p)) {
      scalar(`${prefix}.layers`, p.weights.length);
      p.weights.forEach((w, l) => array(`${prefix}.weights.${l}`, w));
      p.biases.forEach((b, l) => array(`${prefix}.biases.${l}`, b));
      continue;
    }
    scalar(`${prefix}.m`, p.m);
    scalar(`${prefix}.D`, p.D);
    // k only when > 1: a scalar network's checkpoint stays what it was.
    if ((p.k ?? 1) !== 1) scalar(`${prefix}.k`, p.k as number);
    array(`${prefix}.a`, p.a);
    array(`${prefix}.b`, p.b);
  }
  for (const [name, v] of Object.entries(state.rng ?? {})) {
    if (typeof v !== 'number') throw new TypeError(`rng.${name} must be a number`);
    scalar(`rng.${name}`, v);
  }
  for (const [name, v] of Object.entries(state.integrator ?? {})) {
    if (typeof v === 'number') scalar(`integrator.${name}`, v);
    else if (v instanceof Float64Array) array(`integrator.${name}`, v);
    else throw new TypeError(`integrator.${name} must be a number or a Float64Array`);
  }
  writeFileAtomic(path.join(dir, FILES.checkpoint), encodeArrowFile(schema, batches));
}

/**
 * Reads `dir/checkpoint.arrow`, or returns null when the run has none yet. With `'two-layer'`,
 * a checkpoint of a layered (deep) network is a one-line StoreError, and the type says (a, b).
 */
export function readCheckpoint(dir: string, family: 'two-layer'): StoredCheckpoint<NetworkParams> | null;
export function readCheckpoint(dir: string): StoredCheckpoint | null;
export function readCheckpoint(dir: string, family?: 'two-layer'): StoredCheckpoint | null {
  const file = path.join(dir, FILES.checkpoint);
  try {
    const stored = readCheckpointFile(file);
    if (family === 'two-layer' && (isLayered(stored.params) || isLayered(stored.initialParams))) {
      throw new StoreError(file, "holds a deep network's layers, not a two-layer network's (a, b)");
    }
    return stored;
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ENOENT') return null;
    throw err;
  }
}

/** Reads a checkpoint file; a missing, cut, foreign or inconsistent file throws a one-line {@link StoreError}. */
export function readCheckpointFile(file: string): StoredCheckpoint {
  const table = readArrowFile(file, 'checkpoint');
  const keys = table.getChild(KEY);
  const scalars = table.getChild(SCALAR);
  const values = table.getChild(VALUES);
  if (keys === null || scalars === null || values === null) throw new StoreError(file, `not an mflab checkpoint: missing column '${KEY}', '${SCALAR}' or '${VALUES}'`);
  const valuesType = values.type as DataType;
  if (!DataType.isUtf8(keys.type) || !DataType.isBool(scalars.type) || !DataType.isList(valuesType) || !isFloat64(valuesType.children[0].type as DataType)) {
    throw new StoreError(file, `not an mflab checkpoint: columns are ${KEY}: ${String(keys.type)}, ${SCALAR}: ${String(scalars.type)}, ${VALUES}: ${String(values.type)}; expected utf8, bool, list<float64>`);
  }
  const entries = new Map<string, { scalar: boolean; values: Float64Array }>();
  for (let i = 0; i < table.numRows; i++) {
    const key = keys.get(i) as string | null;
    const vec = values.get(i) as { toArray(): Float64Array } | null;
    if (typeof key !== 'string' || vec === null) throw new StoreError(file, `corrupt checkpoint: row ${i} has no key or values`);
    // Copy: the arrays must not keep the whole file buffer alive, and callers may mutate them.
    entries.set(key, { scalar: scalars.get(i) === true, values: Float64Array.from(vec.toArray()) });
  }
  const num = (key: string): number => {
    const e = entries.get(key);
    if (e === undefined || !e.scalar || e.values.length !== 1) throw new StoreError(file, `corrupt checkpoint: missing scalar '${key}'`);
    return e.values[0];
  };
  const arr = (key: string): Float64Array => {
    const e = entries.get(key);
    if (e === undefined || e.scalar) throw new StoreError(file, `corrupt checkpoint: missing array '${key}'`);
    return e.values;
  };
  const params = (prefix: string): CheckpointParams => {
    if (entries.has(`${prefix}.layers`)) {
      const layers = num(`${prefix}.layers`);
      if (!Number.isInteger(layers) || layers < 1 || layers > entries.size) throw new StoreError(file, `corrupt checkpoint: ${prefix}.layers = ${layers}`);
      return {
        weights: Array.from({ length: layers }, (_, l) => arr(`${prefix}.weights.${l}`)),
        biases: Array.from({ length: layers }, (_, l) => arr(`${prefix}.biases.${l}`)),
      };
    }
    const k = entries.has(`${prefix}.k`) ? num(`${prefix}.k`) : 1;
    const p = { m: num(`${prefix}.m`), D: num(`${prefix}.D`), a: arr(`${prefix}.a`), b: arr(`${prefix}.b`) };
    if (!Number.isInteger(k) || k < 1 || p.a.length !== p.m * p.D || p.b.length !== p.m * k) {
      throw new StoreError(file, `corrupt checkpoint: ${prefix} arrays do not match m=${p.m}, D=${p.D}, k=${k}`);
    }
    return k === 1 ? p : { ...p, k };
  };
  const rng: Record<string, number> = {};
  const integrator: Record<string, Float64Array | number> = {};
  for (const [key, e] of entries) {
    if (key.startsWith('rng.')) rng[key.slice(4)] = num(key);
    else if (key.startsWith('integrator.')) integrator[key.slice(11)] = e.scalar ? e.values[0] : e.values;
  }
  const meta = table.schema.metadata;
  const count = (k: string): number => {
    const v = Number(meta.get(k) ?? '-1');
    return Number.isInteger(v) ? v : -1;
  };
  const step = num('step');
  if (!Number.isInteger(step) || step < 0) throw new StoreError(file, `corrupt checkpoint: step ${step} is not a non-negative integer`);
  return {
    step,
    params: params('params'),
    initialParams: params('initialParams'),
    rng,
    integrator,
    streamRows: { metrics: count(CKPT_META.metricsRows), particles: count(CKPT_META.particleRows) },
  };
}

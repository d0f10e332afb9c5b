/**
 * The store's file names, column names and Arrow schemas (ARCHITECTURE §5, a contract: the CLI,
 * the reports and outside readers such as pyarrow, polars and DuckDB rely on them). Everything
 * else in the package builds on this module, as apache-arrow builds on its type module.
 */
import { Bool, Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { InvalidInputError } from './errors.js';

/** Version of the on-disk layout, written into every schema's metadata. */
export const FORMAT_VERSION = 1;

/** File names inside a run directory and a study directory. */
export const FILES = {
  runJson: 'run.json',
  metrics: 'metrics.arrows',
  particles: 'particles.arrows',
  checkpoint: 'checkpoint.arrow',
  index: 'index.arrow',
  /** The network's outputs on the test set at the final step. */
  outputs: 'outputs.arrow',
  /** What a study is (name, grid, base config, fingerprint): written by the sweep, read by reports. */
  studyJson: 'study.json',
  runLock: '.run.lock',
  studyLock: '.study.lock',
} as const;

/** Column names of the trajectory streams. */
export const COLUMNS = {
  step: 'step',
  time: 'time',
  neuron: 'neuron',
  a: 'a',
  b: 'b',
} as const;

/**
 * The observables of ARCHITECTURE.md §1, in column order: the one list of their names. Core's
 * `ObservableRow` has exactly these fields (besides step and time), the app's metrics columns
 * and reports read them from here. (The store's writer accepts any float64 names.)
 */
export const OBSERVABLES = [
  'risk_train',
  'risk_test',
  'objective',
  'error_train',
  'error_test',
  'move',
  'l2',
  'path',
  'margin',
  'ntk_drift',
] as const;

/**
 * The scalar observables of deep networks (ARCHITECTURE.md §7), float64 columns after
 * {@link OBSERVABLES} in a deep run's `metrics.arrows`: the input–output Jacobian's singular
 * values at initialization (J = ∂h_L/∂x at the first training input), their mean and spread
 * (largest minus smallest: 0 for perfect dynamical isometry) — computed at step 0, NaN on later rows.
 */
export const DEEP_OBSERVABLES = ['jacobian_mean', 'jacobian_spread'] as const;

/**
 * The per-layer observables of deep networks (ARCHITECTURE.md §7): List<Float64> columns in layer
 * order, after {@link DEEP_OBSERVABLES} in a deep run's `metrics.arrows`. `move_layers` has
 * L + 1 entries (the weights of layers 1…L+1), `feature_move`, `feature_scale` and `corr_layers`
 * L (hidden layers 1…L); `corr_layers` is computed at step 0 and NaN-filled on later rows;
 * `ntk_layers` has L + 1 entries (layer l's contribution to the probe NTK, the mean of
 * Θ_l(x, x) over the probe), on the rows where the NTK is logged, NaN-filled on the others. A
 * two-layer run's metrics have none of these columns (its schema is §5's as it always was).
 */
export const LAYER_OBSERVABLES = ['move_layers', 'feature_move', 'feature_scale', 'corr_layers', 'ntk_layers'] as const;

/** Keys of the schema metadata the store writes. */
export const META = {
  /** Which kind of store file this is: one of {@link FileKind}. */
  kind: 'mflab.kind',
  formatVersion: 'mflab.format_version',
  /** The resolved run config, as JSON. */
  config: 'mflab.config',
  /** Package versions (JSON object). */
  versions: 'mflab.versions',
  precision: 'mflab.precision',
  dimension: 'mflab.D',
  /** Outputs per neuron k of a particle stream whose `b` is a FixedSizeList[k] (absent: k = 1). */
  outputs: 'mflab.k',
} as const;

/** The kinds of file the store writes; stored under {@link META.kind}. */
export type FileKind = 'metrics' | 'particles' | 'checkpoint' | 'index' | 'outputs';

/** Floating-point precision of a run: particle columns use it, metrics are always float64. */
export type Precision = 'f32' | 'f64';

/** The Arrow float type of a precision. */
export function floatType(precision: Precision): Float32 | Float64 {
  return precision === 'f32' ? new Float32() : new Float64();
}

function checkPrecision(precision: string): asserts precision is Precision {
  if (precision !== 'f32' && precision !== 'f64') throw new InvalidInputError('precision', `expected 'f32' or 'f64', got '${precision}'`);
}

function baseMetadata(kind: FileKind, extra: ReadonlyMap<string, string> | undefined): Map<string, string> {
  const m = new Map<string, string>(extra ?? []);
  m.set(META.kind, kind);
  m.set(META.formatVersion, String(FORMAT_VERSION));
  return m;
}

/** The Arrow type of a per-layer observable column: a variable-length list of float64, in layer order. */
export function layerListType(): List<Float64> {
  return new List(new Field('item', new Float64(), false));
}

/**
 * Schema of `metrics.arrows`: `step` int32, `time` float64, then one float64 column per
 * observable, then one List<Float64> column per list observable (per-layer values, see
 * {@link LAYER_OBSERVABLES}), all non-nullable (NaN marks "not applicable", as the core does).
 */
export function metricsSchema(observables: readonly string[], metadata?: ReadonlyMap<string, string>, listObservables: readonly string[] = []): Schema {
  const seen = new Set<string>([COLUMNS.step, COLUMNS.time]);
  for (const name of [...observables, ...listObservables]) {
    if (name.length === 0) throw new InvalidInputError('observables', 'observable names must be non-empty');
    if (seen.has(name)) throw new InvalidInputError('observables', `observable name '${name}' is repeated or reserved`);
    seen.add(name);
  }
  const fields = [
    new Field(COLUMNS.step, new Int32(), false),
    new Field(COLUMNS.time, new Float64(), false),
    ...observables.map((name) => new Field(name, new Float64(), false)),
    ...listObservables.map((name) => new Field(name, layerListType(), false)),
  ];
  return new Schema(fields, baseMetadata('metrics', metadata));
}

/**
 * Schema of `particles.arrows`: `step` int32, `neuron` int32, `a` FixedSizeList<float>[D],
 * `b` float — or FixedSizeList<float>[k] for a network with k > 1 outputs (b_j ∈ R^k) — the
 * floats in the run's precision so that an f64 snapshot is exact.
 */
export function particlesSchema(dimension: number, precision: Precision, metadata?: ReadonlyMap<string, string>, outputs = 1): Schema {
  checkPrecision(precision);
  if (!Number.isInteger(dimension) || dimension < 1) throw new InvalidInputError('particleDimension', `expected a positive integer D, got ${dimension}`);
  if (!Number.isInteger(outputs) || outputs < 1) throw new InvalidInputError('particleOutputs', `expected a positive integer k, got ${outputs}`);
  const m = baseMetadata('particles', metadata);
  m.set(META.precision, precision);
  m.set(META.dimension, String(dimension));
  if (outputs > 1) m.set(META.outputs, String(outputs));
  const fields = [
    new Field(COLUMNS.step, new Int32(), false),
    new Field(COLUMNS.neuron, new Int32(), false),
    new Field(COLUMNS.a, new FixedSizeList(dimension, new Field('item', floatType(precision), false)), false),
    new Field(COLUMNS.b, outputs > 1 ? new FixedSizeList(outputs, new Field('item', floatType(precision), false)) : floatType(precision), false),
  ];
  return new Schema(fields, m);
}

/**
 * Schema of `outputs.arrow` (an Arrow file): `point` int32 and `f` float64 — or, for a network
 * with k > 1 outputs, `f` a FixedSizeList<float64>[k] and `prediction` int32 (the argmax class).
 */
export function outputsSchema(outputs = 1, metadata?: ReadonlyMap<string, string>): Schema {
  if (!Number.isInteger(outputs) || outputs < 1) throw new InvalidInputError('outputs', `expected a positive integer k, got ${outputs}`);
  const fields = [
    new Field(OUTPUT_COLUMNS.point, new Int32(), false),
    new Field(OUTPUT_COLUMNS.f, outputs > 1 ? new FixedSizeList(outputs, new Field('item', new Float64(), false)) : new Float64(), false),
    ...(outputs > 1 ? [new Field(OUTPUT_COLUMNS.prediction, new Int32(), false)] : []),
  ];
  return new Schema(fields, baseMetadata('outputs', metadata));
}

/** Column names of `outputs.arrow`. */
export const OUTPUT_COLUMNS = { point: 'point', f: 'f', prediction: 'prediction' } as const;

/** Column names of `checkpoint.arrow` (one row per named array: key, whether it is a scalar, its float64 values). */
export const CHECKPOINT_COLUMNS = { key: 'key', scalar: 'scalar', values: 'values' } as const;

/** Metadata keys of `checkpoint.arrow` beyond the common ones. */
export const CHECKPOINT_META = {
  step: 'mflab.step',
  metricsRows: 'mflab.metrics_rows',
  particleRows: 'mflab.particle_rows',
} as const;

/**
 * Schema of `checkpoint.arrow`: `key` utf8, `scalar` bool, `values` list<float64> — a long
 * layout that fits any state (`step`, `params.a`, `initialParams.b`, `rng.<name>`, `integrator.<name>`).
 */
export function checkpointSchema(metadata: ReadonlyMap<string, string>): Schema {
  return new Schema(
    [
      new Field(CHECKPOINT_COLUMNS.key, new Utf8(), false),
      new Field(CHECKPOINT_COLUMNS.scalar, new Bool(), false),
      new Field(CHECKPOINT_COLUMNS.values, new List(new Field('item', new Float64(), false)), false),
    ],
    new Map(metadata),
  );
}

/**
 * The fixed columns of `index.arrow`, in order around the swept keys: `run` (utf8), then one
 * column per swept key (int32, float64, bool or utf8 as its values are), then `status`, `error`
 * (utf8, nullable), `step` (int32), `time` (float64) and the final value of every observable
 * (float64, null where a run has none).
 */
export const INDEX_COLUMNS = { run: 'run', status: 'status', error: 'error', step: COLUMNS.step, time: COLUMNS.time } as const;

/** Metadata key of `index.arrow`: the digest of the run files it was built from. */
export const INDEX_FINGERPRINT = 'mflab.fingerprint';

/**
 * Names and types shared across @mflab/core (one module, as tfjs-core keeps its kernel names).
 * The string unions are the config vocabulary of ARCHITECTURE.md §6.
 */

/** Model families (registry keys of kernels and engines): today the two-layer network of §1. */
export const TWO_LAYER = 'two-layer';

export type Parameterization = 'mean-field' | 'ntk' | 'lazy';
export const PARAMETERIZATIONS: readonly Parameterization[] = ['mean-field', 'ntk', 'lazy'];

/**
 * `square` and `logistic` are the scalar losses of ARCHITECTURE.md §1 (k = 1 output; square on
 * multi-class data is square loss on one-hot targets, k = C outputs); `softmax` is multi-class
 * cross-entropy on integer labels, ℓ(f, y) = logsumexp(f) − f_y (k = C outputs).
 */
export type LossName = 'square' | 'logistic' | 'softmax';
export const LOSSES: readonly LossName[] = ['square', 'logistic', 'softmax'];

export type InitKind = 'gaussian' | 'sphere' | 'uniform-b';
export const INIT_KINDS: readonly InitKind[] = ['gaussian', 'sphere', 'uniform-b'];

export type Precision = 'f32' | 'f64';
export const PRECISIONS: readonly Precision[] = ['f32', 'f64'];

/** `train.backend`: `auto` picks (see selectKernel); the others name a step kernel. */
export type BackendName = 'auto' | 'wasm' | 'tfjs' | 'reference';
export const BACKENDS: readonly BackendName[] = ['auto', 'wasm', 'tfjs', 'reference'];

export type IntegratorName = 'gd' | 'sgd';
export const INTEGRATORS: readonly IntegratorName[] = ['gd', 'sgd'];

/** Step size η_t: `constant` η, or `cosine` η (1 + cos(π t / T)) / 2 over the T steps of the run. */
export type LrSchedule = 'constant' | 'cosine';
export const SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];

export type DataKind = 'teacher' | 'gaussian-mixture' | 'stripe' | 'checkerboard' | 'circle' | 'csv' | 'arrow' | 'parquet' | 'idx';
export const DATA_KINDS: readonly DataKind[] = ['teacher', 'gaussian-mixture', 'stripe', 'checkerboard', 'circle', 'csv', 'arrow', 'parquet', 'idx'];

/**
 * n points in R^d held sample-major (row i is x[i*d .. i*d+d)) with targets y (regression
 * values, or ±1 labels for classification).
 */
export interface Dataset {
  readonly n: number;
  readonly d: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/**
 * A generator of fresh i.i.d. samples for population SGD. Sample `index` is a pure function of
 * (data seed, index), so batch k of size B is indices [kB, (k+1)B) whatever the thread count.
 */
export interface PopulationSampler {
  readonly d: number;
  /** Writes samples start..start+count−1 into x (count×d, sample-major) and y (count). */
  sample(start: number, count: number, x: Float64Array, y: Float64Array): void;
}

/** What a data spec resolves to: a train set, a test set (possibly empty), and, for generated data, a sampler. */
export interface DataSplit {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly sampler?: PopulationSampler;
  /** Whether targets are labels (±1, or class indices when `classes` is set): errors and margins are meaningful. */
  readonly classification: boolean;
  /**
   * Multi-class data: y holds class indices 0..classes−1 (classes ≥ 2) and the network has
   * k = classes outputs. Absent for regression and ±1 labels (k = 1).
   */
  readonly classes?: number;
}

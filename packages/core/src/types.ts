/**
 * Names and types shared across @mflab/core (one module, as tfjs-core keeps its kernel names).
 * The string unions are the config vocabulary of ARCHITECTURE.md §6.
 */

/** Model families (registry keys of kernels and engines): the two-layer network of §1. */
export const TWO_LAYER = 'two-layer';
/**
 * The deep fully connected (and residual) network of ARCHITECTURE.md §7, L hidden layers. A config
 * routes to it when `model.depth` ≥ 2 or it writes any deep-only key (see `modelFamilyOf`).
 */
export const DEEP = 'deep';
/** Every model family, as registry keys. */
export const MODEL_FAMILIES: readonly string[] = [TWO_LAYER, DEEP];

/**
 * `model.activation` (deep networks, ARCHITECTURE.md §7): φ of every hidden layer — `relu`
 * max(z, 0), `tanh`, `erf` (the error function), `linear` (deep linear networks). The two-layer
 * network of §1 is always ReLU; writing the key routes a config to the `deep` family.
 */
export type Activation = 'relu' | 'tanh' | 'erf' | 'linear';
/** Every {@link Activation}: the values `model.activation` accepts. */
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'erf', 'linear'];

/**
 * `model.parameterization`: for the two-layer network a row of the table in ARCHITECTURE.md §1,
 * which fixes the output scale s, the risk weight κ, the weight-decay weight ρ and the
 * learning-rate factor γ of eqs. (1)–(2) (see `scalingOf`). `mean-field` (s = 1/m, γ = m): each
 * neuron moves O(η) per step whatever the width m; `ntk` (s = 1/√m, γ = 1): standard GD in NTK
 * scaling; `lazy` (s = α/m, κ = 1/α², with α = `model.alpha`): α = 1 is mean-field, large α the
 * lazy regime. Deep networks (§7) read it as an abc-parametrization preset (`ABC_PRESETS`):
 * `mean-field`, `ntk`, and the deep-only `standard` (SP) and `mup` (μP), which route a config to
 * the `deep` family even at depth 1; `lazy` is `mean-field` with output multiplier α and κ = 1/α².
 */
export type Parameterization = 'mean-field' | 'ntk' | 'lazy' | 'standard' | 'mup';
/** Every {@link Parameterization}, §1's rows first: the values `model.parameterization` accepts. */
export const PARAMETERIZATIONS: readonly Parameterization[] = ['mean-field', 'ntk', 'lazy', 'standard', 'mup'];
/** The parameterizations of the two-layer network (the rows of ARCHITECTURE.md §1's table). */
export type TwoLayerParameterization = 'mean-field' | 'ntk' | 'lazy';
/** Every {@link TwoLayerParameterization}; the others (`standard`, `mup`) are deep-only. */
export const TWO_LAYER_PARAMETERIZATIONS: readonly TwoLayerParameterization[] = ['mean-field', 'ntk', 'lazy'];

/**
 * `square` and `logistic` are the scalar losses of ARCHITECTURE.md §1 (k = 1 output; square on
 * multi-class data is square loss on one-hot targets, k = C outputs); `softmax` is multi-class
 * cross-entropy on integer labels, ℓ(f, y) = logsumexp(f) − f_y (k = C outputs).
 */
export type LossName = 'square' | 'logistic' | 'softmax';
/** Every {@link LossName}: the values `loss` accepts (ARCHITECTURE.md §6). */
export const LOSSES: readonly LossName[] = ['square', 'logistic', 'softmax'];

/**
 * `model.init.kind`: how w(0) is drawn (ARCHITECTURE.md §1 "Initialization"), each draw then
 * multiplied by τ = `model.init.scale`. `gaussian`: a_j ~ N(0, σ_a² I_D), b_j ~ N(0, σ_b²);
 * `sphere`: a_j uniform on the unit sphere of R^D, b_j = ±1; `uniform-b`: a_j on the unit
 * sphere, b_j ~ U[0, 1] (Chizat's illustration). Neuron j's draws depend only on (seed, j) (§4).
 * Deep networks (§7) take `gaussian` (per-layer σ_w², σ_b²) and the deep-only `orthogonal`
 * (scaled Haar matrices), which routes a config to the `deep` family.
 */
export type InitKind = 'gaussian' | 'sphere' | 'uniform-b' | 'orthogonal';
/** Every {@link InitKind}: the values `model.init.kind` accepts (the two-layer kinds first). */
export const INIT_KINDS: readonly InitKind[] = ['gaussian', 'sphere', 'uniform-b', 'orthogonal'];
/** The init kinds of the two-layer network (§1). */
export type TwoLayerInitKind = 'gaussian' | 'sphere' | 'uniform-b';
/** Every {@link TwoLayerInitKind}. */
export const TWO_LAYER_INIT_KINDS: readonly TwoLayerInitKind[] = ['gaussian', 'sphere', 'uniform-b'];

/**
 * `train.precision`: the floating-point type a step kernel computes in — `f64` (the reference
 * kernel's only one) or `f32` (the tfjs kernel's only one; the wasm kernels have both, f32 with
 * twice the SIMD lanes). In f32, partial outputs are still summed across neuron blocks in
 * float64. The host copies of parameters and outputs are float64 either way; particle snapshots
 * are stored in the run's precision (ARCHITECTURE.md §5).
 */
export type Precision = 'f32' | 'f64';
/** Every {@link Precision}: the values `train.precision` accepts. */
export const PRECISIONS: readonly Precision[] = ['f32', 'f64'];

/** `train.backend`: `auto` picks (see selectKernel); the others name a step kernel. */
export type BackendName = 'auto' | 'wasm' | 'native' | 'tfjs' | 'reference';
/** Every {@link BackendName}: the values `train.backend` accepts. */
export const BACKENDS: readonly BackendName[] = ['auto', 'wasm', 'native', 'tfjs', 'reference'];

/**
 * `train.integrator`: `gd` is full-batch gradient descent on the training set (ARCHITECTURE.md §1);
 * `sgd` is minibatch SGD, over the finite training set or on fresh population samples (see
 * `TrainSpec.integrator`).
 */
export type IntegratorName = 'gd' | 'sgd';
/** Every {@link IntegratorName}: the values `train.integrator` accepts. */
export const INTEGRATORS: readonly IntegratorName[] = ['gd', 'sgd'];

/** Step size η_t: `constant` η, or `cosine` η (1 + cos(π t / T)) / 2 over the T steps of the run. */
export type LrSchedule = 'constant' | 'cosine';
/** Every {@link LrSchedule}: the values `train.schedule` accepts. */
export const SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];

/**
 * `data.kind` (ARCHITECTURE.md §6): a generated set (`teacher`, `gaussian-mixture`, `stripe`,
 * `checkerboard`, `circle`), whose point i depends only on (data seed, i) (§4) and which also
 * offers a population sampler for SGD, or a file read by `loadDataset` (`csv`, `arrow`,
 * `parquet`, `idx`; see `FILE_DATA_KINDS`).
 */
export type DataKind = 'teacher' | 'gaussian-mixture' | 'stripe' | 'checkerboard' | 'circle' | 'csv' | 'arrow' | 'parquet' | 'idx';
/** Every {@link DataKind}: the values `data.kind` accepts, generated kinds first. */
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

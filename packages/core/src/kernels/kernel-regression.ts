/**
 * Multi-class kernel (ridge) regression with the infinite-width kernels of ARCHITECTURE.md §1
 * eq. (4): the "NTK kernel-regression baseline" of the classification reproductions.
 *
 * Model. Training inputs X (n×d), labels y_i ∈ {0..C−1}, kernel K = Θ ('ntk', default) or
 * Σ ('nngp') of eq. (4) with x̃ = (x, 1) (bias, default). Targets (n×C), by default centered
 * one-hot, Y_ic = 1[c = y_i] − 1/C. The coefficients solve, for all C columns at once,
 *
 *     (K + λ I) α = Y,          scores f(x*) = K(x*, X) α   (1×C),   prediction argmax_c f_c.
 *
 * This is the t → ∞ limit of the kernel gradient flow of §1 (square loss, from f₀ = 0; see
 * kernel-flow.ts) with a small ridge for numerical stability: λ = 0 is exact interpolation
 * K* K⁻¹ Y. Ridge convention (explicit): λ is the plain shift added to the diagonal of K, with
 * no factor n. For the n-normalised objective (1/n) Σ ½‖f(x_i) − Y_i‖² + (λ'/2)‖f‖²_H the same
 * predictor has λ = n·λ'. By default λ = `relativeRidge` · tr(K)/n with relativeRidge = 1e-6,
 * i.e. relative to the mean diagonal of K (the mean ‖x̃_i‖² for Θ, half that for Σ), so the
 * default does not depend on the scale of the inputs; `ridge` sets an absolute λ instead.
 *
 * Why centered one-hot (e_y − 1/C): it is the standard target of the NTK/NNGP classification
 * baselines (Lee et al. 2019, Arora et al. 2019, Novak et al. 2019), whose infinite-width
 * network regresses zero-mean targets from f₀ = 0; the scores of every point then sum to 0 over
 * the classes. Argmax predictions (hence accuracy) are the same as with plain one-hot targets
 * up to round-off: centering subtracts (1/C)·K(x*, X)(K + λI)⁻¹1 from every class score of x*,
 * the same amount for all classes. `targets: 'one-hot'` gives the uncentered variant (the
 * square-loss targets of loss.ts).
 *
 * Numerics and speed (everything float64, plain TS, single thread).
 * - Gram matrices: cos θ = x̂·x̂' for all pairs is a blocked "row-dot" product of the unit rows
 *   (3×3 register tiles, k in chunks of 256, right-hand rows in blocks of 96), then the
 *   arc-cosine formulas elementwise. Each dot product is summed in plain k order whatever the
 *   tiling, so results do not depend on block or chunk boundaries (bitwise). Pairs that are
 *   nearly parallel or anti-parallel (|cos θ| > 0.99, where θ = acos(cos θ) loses digits) are
 *   recomputed with the chord formula of relu-kernels.ts, giving exactly its bits there; the
 *   other entries agree with `reluKernelGram` to ~1e-14 of ‖x̃‖‖x̃'‖. About 3.5–4× faster than
 *   `reluKernelGram` at d = 784; the Cholesky is ~7× faster than ml-matrix at n = 2000.
 * - Factorization: left-looking blocked Cholesky K + λI = L Lᵀ in place on the row-major
 *   n×n buffer (block columns of 64; the updates use the same row-dot tiles, since row i of L
 *   is contiguous), n³/3 multiply-adds; then forward and back substitution for the C columns.
 *   A pivot ≤ n·ε·(K + λI)_jj (or NaN) means K + λI is not (numerically) positive definite:
 *   an InvalidInputError naming the ridge field. It happens with λ = 0 or tiny λ and duplicate
 *   (or, without bias, parallel) training points.
 * - Prediction: test rows in chunks (default 1024), so at most chunk × n kernel values are held;
 *   each score is summed over the training points in order, so the result is bitwise the same
 *   for every chunk size.
 */
import { InvalidInputError, requireFinite, requireFiniteArray, requireInteger, requireOneOf } from '../errors.js';
import { kernelBlock, resolveKernelOptions, unitRows, type UnitRows } from './blocked-gram.js';
import { factorLower, pivotMessage, solveLower } from './cholesky.js';
import type { ReluKernelKind } from './relu-kernels.js';
import { checkDimension, outputBuffer, rowCount } from './shapes.js';

/** Default number of test rows per prediction chunk. */
const DEFAULT_CHUNK_ROWS = 1024;
/** Default λ relative to the mean diagonal tr(K)/n. */
const DEFAULT_RELATIVE_RIDGE = 1e-6;

// ---------------------------------------------------------------------------------------------
// Accuracy
// ---------------------------------------------------------------------------------------------

/** Argmax predictions and accuracy of a score matrix against class labels. */
export interface ClassAccuracy {
  /** Predicted class of each row: argmax over the C scores, ties to the lowest index. */
  readonly predicted: Int32Array;
  /** Number of rows whose prediction equals the label. */
  readonly correct: number;
  /** correct / rows (NaN for no rows). */
  readonly accuracy: number;
}

/**
 * Argmax accuracy of `scores` (m×C row-major, finite) against `labels` (m class indices in
 * 0..C−1 as a Float64Array): the prediction of a row is its largest score, ties to the lowest
 * class index.
 */
export function argmaxAccuracy(scores: Float64Array, labels: Float64Array, classes: number): ClassAccuracy {
  const C = requireInteger('classes', classes, 1);
  if (!(scores instanceof Float64Array) || scores.length % C !== 0) {
    throw new InvalidInputError('scores', `expected a Float64Array of m×C values (C = ${C})`);
  }
  requireFiniteArray('scores', scores);
  const m = scores.length / C;
  checkLabels('labels', labels, m, C);
  const predicted = new Int32Array(m);
  let correct = 0;
  for (let i = 0; i < m; i++) {
    const row = i * C;
    let best = 0;
    let top = scores[row];
    for (let c = 1; c < C; c++) {
      if (scores[row + c] > top) {
        top = scores[row + c];
        best = c;
      }
    }
    predicted[i] = best;
    if (best === labels[i]) correct++;
  }
  return { predicted, correct, accuracy: correct / m };
}

function checkLabels(field: string, labels: unknown, n: number, C: number): Float64Array {
  if (!(labels instanceof Float64Array) || labels.length !== n) {
    throw new InvalidInputError(field, `expected a Float64Array of ${n} class indices (one per row)`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) {
      throw new InvalidInputError(`${field}[${i}]`, `expected a class index in 0..${C - 1}, got ${String(y)}`);
    }
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// The regressor
// ---------------------------------------------------------------------------------------------

/** How the C target columns are built from the labels. */
export type KernelRegressionTargets = 'centered' | 'one-hot';
/** The values of {@link KernelRegressionTargets}. */
export const KERNEL_REGRESSION_TARGETS: readonly KernelRegressionTargets[] = ['centered', 'one-hot'];

/** Options of {@link fitKernelRegression}. */
export interface KernelRegressionOptions {
  /** Training inputs, n×d sample-major, finite (n ≥ 1). */
  readonly x: Float64Array;
  /** Input dimension d ≥ 1. */
  readonly d: number;
  /** Training labels: n class indices in 0..C−1. */
  readonly labels: Float64Array;
  /** Number of classes C ≥ 2. */
  readonly classes: number;
  /** Θ ('ntk', default) or Σ ('nngp') of eq. (4). */
  readonly kernel?: ReluKernelKind;
  /** x̃ = (x, 1) (default true, as `model.bias`). */
  readonly bias?: boolean;
  /** Absolute λ ≥ 0 added to the diagonal: (K + λI)α = Y. Excludes `relativeRidge`. */
  readonly ridge?: number;
  /** λ = relativeRidge · tr(K)/n (relative to the mean diagonal), ≥ 0; default 1e-6. */
  readonly relativeRidge?: number;
  /** 'centered' (default): Y_ic = 1[c = y_i] − 1/C; 'one-hot': 1[c = y_i]. */
  readonly targets?: KernelRegressionTargets;
}

/** Wall-clock times of the fit, in milliseconds. */
export interface KernelRegressionFitTimings {
  /** Training Gram matrix (lower triangle), normalisation included. */
  readonly gramMs: number;
  /** Cholesky factorization of K + λI. */
  readonly choleskyMs: number;
  /** Targets and the two triangular solves for the C columns. */
  readonly solveMs: number;
}

/** Options of {@link KernelRegressor.predict} and {@link KernelRegressor.evaluate}. */
export interface KernelPredictOptions {
  /** Test rows per chunk (integer ≥ 1, default 1024): at most chunkRows × n kernel values are held. */
  readonly chunkRows?: number;
  /** Output buffer for the m×C scores. */
  readonly out?: Float64Array;
}

/** Result of {@link KernelRegressor.evaluate}. */
export interface KernelRegressionEvaluation extends ClassAccuracy {
  /** m×C row-major scores f(x*) = K(x*, X) α. */
  readonly scores: Float64Array;
  /** All the timings (ms): the fit's, the prediction's (`predictMs`, of which `predictGramMs` is the test kernel), and their total. */
  readonly timings: KernelRegressionFitTimings & { readonly predictMs: number; readonly predictGramMs: number; readonly totalMs: number };
}

/**
 * A fitted multi-class kernel ridge regressor with the eq. (4) kernel (see the module notes):
 * α = (K + λI)⁻¹ Y, scores K(x*, X) α. Built by {@link fitKernelRegression}.
 */
export class KernelRegressor {
  /** n, the number of training points. */
  readonly n: number;
  /** d, the input dimension. */
  readonly d: number;
  /** C, the number of classes. */
  readonly classes: number;
  /** The kernel of eq. (4). */
  readonly kernel: ReluKernelKind;
  /** Whether inputs are augmented with a 1. */
  readonly bias: boolean;
  /** The targets used. */
  readonly targets: KernelRegressionTargets;
  /** tr(K)/n, the mean diagonal of the training Gram matrix. */
  readonly meanDiagonal: number;
  /** λ, the absolute shift of the diagonal: (K + λI)α = Y. */
  readonly lambda: number;
  /** α, n×C row-major. */
  readonly alpha: Float64Array;
  /** Times of the fit (ms). */
  readonly timings: KernelRegressionFitTimings;
  private readonly train: UnitRows;
  private readonly D: number;

  /** Use {@link fitKernelRegression}. */
  constructor(options: KernelRegressionOptions) {
    const started = performance.now();
    if (options === null || typeof options !== 'object') throw new InvalidInputError('options', 'expected an object');
    const d = checkDimension(options.d);
    const n = rowCount('x', options.x, d);
    if (n === 0) throw new InvalidInputError('x', 'expected at least one training point');
    const C = requireInteger('classes', options.classes, 2);
    const labels = checkLabels('labels', options.labels, n, C);
    const { ntk, bias } = resolveKernelOptions('kernel', 'bias', options.kernel, options.bias);
    const targets = requireOneOf('targets', options.targets ?? 'centered', KERNEL_REGRESSION_TARGETS);
    if (options.ridge !== undefined && options.relativeRidge !== undefined) {
      throw new InvalidInputError('ridge', 'give either ridge (absolute λ) or relativeRidge (λ relative to tr(K)/n), not both');
    }
    const absolute = options.ridge !== undefined;
    const ridgeField = absolute ? 'ridge' : 'relativeRidge';
    const ridgeValue = requireFinite(ridgeField, absolute ? options.ridge : (options.relativeRidge ?? DEFAULT_RELATIVE_RIDGE), 0);

    this.n = n;
    this.d = d;
    this.classes = C;
    this.kernel = ntk ? 'ntk' : 'nngp';
    this.bias = bias;
    this.targets = targets;
    const D = bias ? d + 1 : d;
    this.D = D;

    // Gram matrix, lower triangle only (the factorization reads nothing else).
    this.train = unitRows(options.x, 0, n, d, bias);
    const K = new Float64Array(n * n);
    kernelBlock(this.train, 0, n, this.train, 0, n, D, ntk, K, 0, n, true);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += K[i * n + i];
    this.meanDiagonal = trace / n;
    this.lambda = absolute ? ridgeValue : ridgeValue * this.meanDiagonal;
    const gramDone = performance.now();

    for (let i = 0; i < n; i++) K[i * n + i] += this.lambda;
    const failure = factorLower(K, n);
    if (failure) {
      throw new InvalidInputError(
        ridgeField,
        `K + λI (λ = ${this.lambda.toPrecision(3)}) is ${pivotMessage(failure)}; ` +
          'duplicate or nearly parallel training points need a larger ridge',
      );
    }
    const factorDone = performance.now();

    const alpha = new Float64Array(n * C);
    const offValue = targets === 'centered' ? -1 / C : 0;
    const onValue = targets === 'centered' ? 1 - 1 / C : 1;
    alpha.fill(offValue);
    for (let i = 0; i < n; i++) alpha[i * C + labels[i]] = onValue;
    solveLower(K, n, alpha, C);
    this.alpha = alpha;
    const solveDone = performance.now();
    this.timings = { gramMs: gramDone - started, choleskyMs: factorDone - gramDone, solveMs: solveDone - factorDone };
  }

  /**
   * Scores f(x*) = K(x*, X) α for the m rows of `x` (m×d sample-major, finite): an m×C
   * row-major Float64Array (into `options.out` when given). Test rows are processed in chunks
   * of `options.chunkRows` (default 1024); the result is bitwise the same for every chunk size.
   */
  predict(x: Float64Array, options: KernelPredictOptions = {}): Float64Array {
    return this.predictTimed(x, options).scores;
  }

  /**
   * Predicts on the m rows of `x` and scores them against `labels` (m class indices):
   * argmax predictions (ties to the lowest class), accuracy, and all timings.
   */
  evaluate(x: Float64Array, labels: Float64Array, options: KernelPredictOptions = {}): KernelRegressionEvaluation {
    const m = rowCount('x', x, this.d);
    checkLabels('labels', labels, m, this.classes);
    const { scores, predictMs, predictGramMs } = this.predictTimed(x, options);
    const accuracy = argmaxAccuracy(scores, labels, this.classes);
    const fit = this.timings;
    const totalMs = fit.gramMs + fit.choleskyMs + fit.solveMs + predictMs;
    return { ...accuracy, scores, timings: { ...fit, predictMs, predictGramMs, totalMs } };
  }

  private predictTimed(x: Float64Array, options: KernelPredictOptions): { scores: Float64Array; predictMs: number; predictGramMs: number } {
    const started = performance.now();
    const m = rowCount('x', x, this.d);
    const chunk = requireInteger('chunkRows', options.chunkRows ?? DEFAULT_CHUNK_ROWS, 1);
    const C = this.classes;
    const n = this.n;
    const scores = outputBuffer('out', options.out, m * C);
    scores.fill(0);
    const rows = Math.min(chunk, m);
    const block = new Float64Array(rows * n);
    const ntk = this.kernel === 'ntk';
    const alpha = this.alpha;
    let gramMs = 0;
    for (let r0 = 0; r0 < m; r0 += rows) {
      const count = Math.min(rows, m - r0);
      const t0 = performance.now();
      const test = unitRows(x, r0, count, this.d, this.bias);
      kernelBlock(test, 0, count, this.train, 0, n, this.D, ntk, block, 0, n, false);
      gramMs += performance.now() - t0;
      for (let i = 0; i < count; i++) {
        const kRow = i * n;
        const o = (r0 + i) * C;
        for (let j = 0; j < n; j++) {
          const kij = block[kRow + j];
          const a = j * C;
          for (let c = 0; c < C; c++) scores[o + c] += kij * alpha[a + c];
        }
      }
    }
    return { scores, predictMs: performance.now() - started, predictGramMs: gramMs };
  }
}

/**
 * Fits multi-class kernel ridge regression with the eq. (4) kernel (ARCHITECTURE.md §1; see
 * the module notes): Gram matrix, Cholesky of K + λI, α = (K + λI)⁻¹ Y for the C target columns.
 * @throws InvalidInputError naming the field (`x`, `labels[i]`, `classes`, `kernel`, `ridge`,
 *   …); `ridge`/`relativeRidge` when K + λI is not numerically positive definite.
 */
export function fitKernelRegression(options: KernelRegressionOptions): KernelRegressor {
  return new KernelRegressor(options);
}

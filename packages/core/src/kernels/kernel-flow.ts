/**
 * Kernel gradient flow on the square loss from f₀ = 0, ARCHITECTURE.md §1 (the lazy / NTK
 * prediction): with the training Gram matrix K (n×n), targets y and learning rate η, the flow
 * df/dt = −η K (f − y)/n on the training set has the solution
 *
 *     f_t(X)  = (I − e^{−η K t/n}) y,
 *     f_t(X*) = K(X*, X) K⁻¹ (I − e^{−η K t/n}) y = K(X*, X) α(t).
 *
 * It is computed in the eigenbasis of K = V Λ Vᵀ (ml-matrix's symmetric EigenvalueDecomposition):
 * α(t) = V diag(φ(λ)) Vᵀ y with φ(λ) = (1 − e^{−ηλt/n})/λ = −expm1(−ηλt/n)/λ, which tends to
 * ηt/n as λ → 0 (so a singular K is fine at finite t), and the train prediction is
 * V diag(−expm1(−ηλt/n)) Vᵀ y directly. The decomposition (O(n³)) is done once and Vᵀy is
 * cached, so each prediction costs O(n² + p·n).
 *
 * Eigenvalues with |λ| ≤ rankTolerance·max|λ| are round-off and are set to exactly 0. At
 * t = ∞ a zero eigenvalue contributes nothing (φ = 0, the pseudo-inverse): for a positive
 * semi-definite kernel K(X*, X)v = 0 for every v in the null space of K, so this is the limit of
 * the flow, the minimum-norm interpolant K* K⁺ y; for a positive-definite K it is K* K⁻¹ y.
 * A clearly negative eigenvalue (K not positive semi-definite) is kept as it is: the formula
 * is still the exact solution of the flow at finite t, which then diverges as t → ∞.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidInputError, requireFinite, requireFiniteArray, requirePositive } from '../errors.js';
import { outputBuffer } from './shapes.js';

/** Options of {@link KernelFlowPredictor}. */
export interface KernelFlowOptions {
  /** η, the learning rate of the flow df/dt = −η K (f − y)/n (> 0, default 1). */
  readonly lr?: number;
  /**
   * How far from symmetric kTrain may be: |K_ij − K_ji| ≤ symmetryTolerance · max|K| (default
   * 1e-10). The symmetric part (K + Kᵀ)/2 is what is decomposed.
   */
  readonly symmetryTolerance?: number;
  /** Eigenvalues with |λ| ≤ rankTolerance · max|λ| count as 0 (default n · 2⁻⁵²). */
  readonly rankTolerance?: number;
}

/**
 * The kernel gradient-flow (lazy / NTK) predictor of ARCHITECTURE.md §1 on the square loss
 * from f₀ = 0: decomposes the training Gram matrix once, then predicts at any time t ∈ [0, ∞].
 */
export class KernelFlowPredictor {
  /** n, the number of training points. */
  readonly n: number;
  /** η, the learning rate. */
  readonly lr: number;
  /** The eigenvalues λ_k of kTrain (round-off ones set to 0), in the order of the eigenvectors. */
  readonly eigenvalues: Float64Array;
  /** V, row-major n×n: column k is the unit eigenvector of λ_k. */
  private readonly vectors: Float64Array;
  /** Vᵀy. */
  private readonly projected: Float64Array;
  /** Per-eigenvalue weights of the current prediction (scratch, length n). */
  private readonly weights: Float64Array;
  /** α(t) (scratch, length n). */
  private readonly alpha: Float64Array;
  /** Whether some eigenvalue is clearly negative (the flow diverges as t → ∞). */
  private readonly indefinite: boolean;
  /** The most negative eigenvalue (0 when none is). */
  private readonly minEigenvalue: number;

  /**
   * @param kTrain K(X, X), n×n row-major, symmetric within `symmetryTolerance`, finite.
   * @param y the n training targets, finite.
   * @param options η (`lr`, default 1) and tolerances.
   * @throws InvalidInputError naming `y`, `kTrain` or `options.*` on a bad shape or value.
   */
  constructor(kTrain: Float64Array, y: Float64Array, options: KernelFlowOptions = {}) {
    if (!(y instanceof Float64Array) || y.length === 0) throw new InvalidInputError('y', 'expected a non-empty Float64Array');
    requireFiniteArray('y', y);
    const n = y.length;
    if (!(kTrain instanceof Float64Array) || kTrain.length !== n * n) {
      const got = kTrain instanceof Float64Array ? `length ${kTrain.length}` : 'not a Float64Array';
      throw new InvalidInputError('kTrain', `expected a Float64Array of n×n = ${n * n} values (n = y.length = ${n}), got ${got}`);
    }
    requireFiniteArray('kTrain', kTrain);
    this.lr = requirePositive('options.lr', options.lr ?? 1);
    const symmetryTolerance = requireFinite('options.symmetryTolerance', options.symmetryTolerance ?? 1e-10, 0);
    const rankTolerance = requireFinite('options.rankTolerance', options.rankTolerance ?? n * Number.EPSILON, 0);
    this.n = n;

    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(kTrain[i]));
    const matrix = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const a = kTrain[i * n + j];
        const b = kTrain[j * n + i];
        if (Math.abs(a - b) > symmetryTolerance * scale) {
          throw new InvalidInputError('kTrain', `expected a symmetric matrix: K[${i},${j}] = ${a} but K[${j},${i}] = ${b}`);
        }
        const mean = 0.5 * (a + b);
        matrix.set(i, j, mean);
        matrix.set(j, i, mean);
      }
    }

    // K = V Λ Vᵀ (symmetric eigensolver of ml-matrix; not hand-written).
    const decomposition = new EigenvalueDecomposition(matrix, { assumeSymmetric: true });
    const values = decomposition.realEigenvalues;
    const V = decomposition.eigenvectorMatrix;
    this.eigenvalues = new Float64Array(n);
    this.vectors = new Float64Array(n * n);
    let largest = 0;
    for (let k = 0; k < n; k++) largest = Math.max(largest, Math.abs(values[k]));
    let minEigenvalue = 0;
    for (let k = 0; k < n; k++) {
      // Round-off eigenvalues (tiny, possibly slightly negative) become exactly 0.
      const lambda = Math.abs(values[k]) <= rankTolerance * largest ? 0 : values[k];
      this.eigenvalues[k] = lambda;
      minEigenvalue = Math.min(minEigenvalue, lambda);
    }
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) this.vectors[i * n + k] = V.get(i, k);
    this.minEigenvalue = minEigenvalue;
    this.indefinite = minEigenvalue < 0;

    // Vᵀy, cached.
    this.projected = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const row = i * n;
      for (let k = 0; k < n; k++) this.projected[k] += this.vectors[row + k] * yi;
    }
    this.weights = new Float64Array(n);
    this.alpha = new Float64Array(n);
  }

  /**
   * f_t on the training points: (I − e^{−ηKt/n}) y = V diag(−expm1(−ηλt/n)) Vᵀy
   * (ARCHITECTURE.md §1). t ∈ [0, ∞]; at t = ∞ it is the projection of y on the range of K
   * (y itself for a positive-definite K). O(n²).
   */
  predictTrain(t: number, out?: Float64Array): Float64Array {
    const time = this.checkTime(t);
    const f = outputBuffer('out', out, this.n);
    const n = this.n;
    const rate = (this.lr * time) / n;
    for (let k = 0; k < n; k++) {
      const lambda = this.eigenvalues[k];
      // λφ(λ) = 1 − e^{−ηλt/n}; at t = ∞ it is 1 for λ > 0 and 0 for λ = 0.
      const gain = lambda === 0 ? 0 : time === Infinity ? 1 : -Math.expm1(-lambda * rate);
      this.weights[k] = gain * this.projected[k];
    }
    this.applyVectors(this.weights, f);
    return f;
  }

  /**
   * The dual coefficients α(t) = K⁻¹(I − e^{−ηKt/n}) y = V diag(φ(λ)) Vᵀy, so that
   * f_t(x*) = Σ_i K(x*, x_i) α_i (ARCHITECTURE.md §1). t ∈ [0, ∞]. O(n²).
   */
  coefficients(t: number, out?: Float64Array): Float64Array {
    const time = this.checkTime(t);
    const alpha = outputBuffer('out', out, this.n);
    const n = this.n;
    const rate = (this.lr * time) / n;
    for (let k = 0; k < n; k++) {
      const lambda = this.eigenvalues[k];
      let phi: number;
      if (lambda === 0) {
        // φ(0) = ηt/n at finite t; at t = ∞ the null space contributes nothing (pseudo-inverse).
        phi = time === Infinity ? 0 : rate;
      } else if (time === Infinity) {
        phi = 1 / lambda;
      } else {
        // φ(λ) = (1 − e^{−ηλt/n})/λ, with expm1 so that small ηλt/n keeps its digits.
        phi = -Math.expm1(-lambda * rate) / lambda;
      }
      this.weights[k] = phi * this.projected[k];
    }
    this.applyVectors(this.weights, alpha);
    return alpha;
  }

  /**
   * f_t(X*) = K(X*, X) α(t) for the p test points whose kernel rows against the training set
   * are given in `kStarTrain` (p×n row-major, finite), ARCHITECTURE.md §1. t ∈ [0, ∞].
   * O(n² + p·n).
   */
  predict(kStarTrain: Float64Array, t: number, out?: Float64Array): Float64Array {
    const p = this.testCount(kStarTrain);
    const f = outputBuffer('out', out, p);
    this.coefficients(t, this.alpha);
    const n = this.n;
    for (let i = 0; i < p; i++) {
      const row = i * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += kStarTrain[row + j] * this.alpha[j];
      f[i] = sum;
    }
    return f;
  }

  /**
   * Kernel interpolation, the t → ∞ limit of the flow: K(X*, X) K⁻¹ y for a positive-definite
   * K, and the minimum-norm interpolant K(X*, X) K⁺ y when K is singular positive
   * semi-definite. Same as `predict(kStarTrain, Infinity, out)`.
   */
  interpolate(kStarTrain: Float64Array, out?: Float64Array): Float64Array {
    return this.predict(kStarTrain, Infinity, out);
  }

  /** out = V w. */
  private applyVectors(w: Float64Array, out: Float64Array): void {
    const n = this.n;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let sum = 0;
      for (let k = 0; k < n; k++) sum += this.vectors[row + k] * w[k];
      out[i] = sum;
    }
  }

  private checkTime(t: number): number {
    if (typeof t !== 'number' || Number.isNaN(t) || t < 0) {
      throw new InvalidInputError('t', `expected a time in [0, ∞], got ${String(t)}`);
    }
    if (t === Infinity && this.indefinite) {
      throw new InvalidInputError(
        'kTrain',
        `not positive semi-definite (eigenvalue ${this.minEigenvalue}): the flow diverges as t → ∞`,
      );
    }
    return t;
  }

  private testCount(kStarTrain: Float64Array): number {
    if (!(kStarTrain instanceof Float64Array) || kStarTrain.length % this.n !== 0) {
      const got = kStarTrain instanceof Float64Array ? `length ${kStarTrain.length}` : 'not a Float64Array';
      throw new InvalidInputError('kStarTrain', `expected a Float64Array of p×n values (n = ${this.n}), got ${got}`);
    }
    requireFiniteArray('kStarTrain', kStarTrain);
    return kStarTrain.length / this.n;
  }
}

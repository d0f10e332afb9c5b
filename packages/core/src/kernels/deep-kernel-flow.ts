/**
 * The kernel gradient-flow (lazy / NTK) predictor of ARCHITECTURE.md §1 with the deep kernels of
 * §7 (deep-kernels.ts): f_t(X*) = K(X*, X) K⁻¹ (I − e^{−ηKt/n}) y with K = Θ^L (default) or Σ^L
 * of a deep fully connected or residual network. A thin adapter: the Gram matrices come from
 * deepKernelGram, the flow from KernelFlowPredictor (kernel-flow.ts), unchanged.
 */
import { InvalidInputError, requireOneOf } from '../errors.js';
import { deepKernelGram, resolveDeepKernelOptions, type DeepKernelOptions, type ResolvedDeepKernelOptions } from './deep-kernels.js';
import { KernelFlowPredictor, type KernelFlowOptions } from './kernel-flow.js';
import { RELU_KERNEL_KINDS, type ReluKernelKind } from './relu-kernels.js';
import { checkDimension, rowCount } from './shapes.js';

/** Options of {@link DeepKernelPredictor}: the flow's (η, tolerances) and which kernel drives it. */
export interface DeepKernelPredictorOptions extends KernelFlowOptions {
  /**
   * 'ntk' (default): K = Θ^L, gradient descent on all layers in the lazy limit; 'nngp': K = Σ^L,
   * training the readout only (at t = ∞ the NNGP posterior mean without noise).
   */
  readonly kernel?: ReluKernelKind;
}

/**
 * Kernel gradient flow on the square loss from f₀ = 0 with a deep NNGP or NTK
 * (ARCHITECTURE.md §1 and §7): builds K(X, X) of the training inputs with deepKernelGram once,
 * and predicts f_t at new inputs through KernelFlowPredictor.
 *
 * @example
 * const x = new Float64Array([1, 0, 0, 1, -1, 1]); // three points in R²
 * const predictor = new DeepKernelPredictor(x, new Float64Array([1, -1, 0.5]), 2, { depth: 3, activation: 'tanh', biasVariance: 0.05 });
 * predictor.predict(new Float64Array([0.5, 0.5]), Infinity); // the kernel interpolant at (0.5, 0.5)
 */
export class DeepKernelPredictor {
  /** n, the number of training points. */
  readonly n: number;
  /** d, the input dimension. */
  readonly d: number;
  /** Which kernel drives the flow. */
  readonly kernel: ReluKernelKind;
  /** The deep kernel's options, resolved. */
  readonly kernelOptions: ResolvedDeepKernelOptions;
  /** The flow on K(X, X) (eigenvalues, coefficients, train predictions). */
  readonly flow: KernelFlowPredictor;
  private readonly x: Float64Array;

  /**
   * @param x the n training inputs, n×d sample-major, finite (n ≥ 1).
   * @param y the n training targets.
   * @param d the input dimension.
   * @param kernelOptions the deep kernel (deep-kernels.ts).
   * @param options η, the flow's tolerances and `kernel`.
   * @throws InvalidInputError naming the field on a bad shape or option.
   */
  constructor(x: Float64Array, y: Float64Array, d: number, kernelOptions: DeepKernelOptions, options: DeepKernelPredictorOptions = {}) {
    this.d = checkDimension(d);
    this.n = rowCount('x', x, d);
    if (this.n === 0) throw new InvalidInputError('x', 'expected at least one training point');
    this.kernel = requireOneOf('options.kernel', options.kernel ?? 'ntk', RELU_KERNEL_KINDS);
    this.kernelOptions = resolveDeepKernelOptions(kernelOptions);
    this.x = Float64Array.from(x);
    const gram = deepKernelGram(this.x, null, d, this.kernelOptions);
    this.flow = new KernelFlowPredictor(this.kernel === 'ntk' ? gram.ntk : gram.nngp, y, options);
  }

  /** K(X*, X) of the p test rows against the training set (p×n row-major). */
  kernelRows(xTest: Float64Array): Float64Array {
    rowCount('xTest', xTest, this.d);
    const gram = deepKernelGram(xTest, this.x, this.d, this.kernelOptions);
    return this.kernel === 'ntk' ? gram.ntk : gram.nngp;
  }

  /** f_t(X*) at the p rows of `xTest` (p×d), t ∈ [0, ∞] (ARCHITECTURE.md §1). */
  predict(xTest: Float64Array, t: number, out?: Float64Array): Float64Array {
    return this.flow.predict(this.kernelRows(xTest), t, out);
  }

  /** f_t on the training points, t ∈ [0, ∞]. */
  predictTrain(t: number, out?: Float64Array): Float64Array {
    return this.flow.predictTrain(t, out);
  }
}

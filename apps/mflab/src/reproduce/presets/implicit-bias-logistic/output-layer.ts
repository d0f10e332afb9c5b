/**
 * Training the output layer only (Chizat & Bach 2020, "output layer" curves): the hidden weights
 * a_j stay at their initial values and GD runs on the b_j alone, with the same network, loss and
 * parameterization as the engine (ARCHITECTURE.md eq. 1–3). The engine has no such mode, and
 * none is needed: with a frozen, f is linear in b over the fixed features φ_ij = σ(a_j·x̃_i),
 *
 *     f(x_i) = s Σ_j b_j φ_ij,      b_j ← (1 − ηλ) b_j − η κγs Σ_i r_i φ_ij             (eq. 3, v_b)
 *
 * so the features are computed once (m×n and m×n_test, float64) and a step is two passes over
 * them, O(n·m), with no allocation. The limit of this GD on a separable logistic problem is the
 * max-margin classifier of the random-feature kernel (an F2 / kernel SVM), the paper's contrast
 * to training both layers.
 */
import { driveOf, observableRow, residuals, twoLayerParameterSummary, scalingOf, updateCoefficients, type AugmentedInputs, type LossName, type NetworkParams, type ObservableRow, type TwoLayerParameterization, type Scaling } from '@mflab/core';

export interface OutputLayerOptions {
  /** The hidden weights a_j (and the initial b_j) — typically the both-layer run's w(0). */
  params: NetworkParams;
  parameterization: TwoLayerParameterization;
  alpha?: number;
  loss: LossName;
  /**
   * η, or a fraction of the GD stability limit at initialization: η = fraction · 2/(ℓ''_max · λ_max),
   * λ_max the largest eigenvalue of the f-space step matrix (κγs²/n)·ΦᵀΦ (see {@link
   * OutputLayerTrainer.curvature}) and ℓ''_max = ¼ (logistic) or 1 (square).
   */
  lr: number | { fractionOfStabilityLimit: number };
  /** λ */
  weightDecay: number;
  /** Augmented training inputs x̃ (n×D) and their labels. */
  train: AugmentedInputs;
  trainY: Float64Array;
  /** Augmented test inputs and labels (may be empty). */
  test: AugmentedInputs;
  testY: Float64Array;
}

/** Fills φ (m×n, neuron-major) with σ(a_j·x̃_i). */
function features(params: NetworkParams, inputs: AugmentedInputs): Float64Array {
  const { m, D, a } = params;
  const { n, x } = inputs;
  const phi = new Float64Array(m * n);
  for (let j = 0; j < m; j++) {
    const aj = j * D;
    const row = j * n;
    for (let i = 0; i < n; i++) {
      const xi = i * D;
      let z = 0;
      for (let c = 0; c < D; c++) z += a[aj + c] * x[xi + c];
      phi[row + i] = z > 0 ? z : 0;
    }
  }
  return phi;
}

/** GD on the output weights b with the hidden weights frozen (see the module comment). */
export class OutputLayerTrainer {
  readonly scaling: Scaling;
  /** The current parameters: `a` is the frozen hidden layer, `b` is trained (read-only for callers). */
  readonly params: NetworkParams;
  readonly initialParams: NetworkParams;
  /** η in use. */
  readonly lr: number;
  private readonly options: OutputLayerOptions;
  private readonly drive: number;
  private readonly trainFeatures: Float64Array;
  private readonly testFeatures: Float64Array;
  private readonly trainOut: Float64Array;
  private readonly testOut: Float64Array;
  private readonly residual: Float64Array;
  private stepCount = 0;

  constructor(options: OutputLayerOptions) {
    const { params } = options;
    this.options = options;
    this.scaling = scalingOf({ width: params.m, parameterization: options.parameterization, alpha: options.alpha ?? 1 });
    this.drive = driveOf(this.scaling);
    this.params = { m: params.m, D: params.D, a: params.a.slice(), b: params.b.slice() };
    this.initialParams = { m: params.m, D: params.D, a: params.a.slice(), b: params.b.slice() };
    this.trainFeatures = features(params, options.train);
    this.testFeatures = features(params, options.test);
    this.trainOut = new Float64Array(options.train.n);
    this.testOut = new Float64Array(options.test.n);
    this.residual = new Float64Array(options.train.n);
    if (typeof options.lr === 'number') {
      this.lr = options.lr;
    } else {
      const maxLossCurvature = options.loss === 'logistic' ? 0.25 : 1;
      this.lr = (options.lr.fractionOfStabilityLimit * 2) / (maxLossCurvature * this.curvature());
    }
  }

  /**
   * λ_max of the matrix that one GD step applies to f on the training set per unit of η and of
   * loss curvature: f ← f − η (κ γ s²/n) ΦᵀΦ ℓ'(f) (from eq. 3 with f = sΦᵀb). GD is stable while
   * η · ℓ''_max · λ_max < 2. Power iteration on ΦᵀΦ (two passes over Φ each), from a fixed start.
   */
  curvature(iterations = 200): number {
    const { m } = this.params;
    const n = this.residual.length;
    const phi = this.trainFeatures;
    let v = new Float64Array(n).fill(1 / Math.sqrt(n));
    let w = new Float64Array(n);
    const u = new Float64Array(m);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      for (let j = 0; j < m; j++) {
        const row = j * n;
        let sum = 0;
        for (let i = 0; i < n; i++) sum += phi[row + i] * v[i];
        u[j] = sum;
      }
      w.fill(0);
      for (let j = 0; j < m; j++) {
        const row = j * n;
        const uj = u[j];
        for (let i = 0; i < n; i++) w[i] += phi[row + i] * uj;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (!(norm > 0)) return 0;
      // ‖ΦᵀΦ v‖ with ‖v‖ = 1 increases to λ_max(ΦᵀΦ) (a positive semi-definite matrix).
      const converged = Math.abs(norm - lambda) <= 1e-12 * norm;
      lambda = norm;
      for (let i = 0; i < n; i++) w[i] /= norm;
      [v, w] = [w, v];
      if (converged) break;
    }
    return (this.scaling.kappa * this.scaling.gamma * this.scaling.s * this.scaling.s * lambda) / n;
  }

  get currentStep(): number {
    return this.stepCount;
  }

  /**
   * f = s Φᵀ b over a feature matrix, into out. Four neurons per pass over the samples: the
   * loop streams Φ, and touching out[] once per four rows halves the step (measured 3.4 → 1.8
   * ms at m = 1000, n = 512).
   */
  private outputs(phi: Float64Array, out: Float64Array): Float64Array {
    const { m, b } = this.params;
    const n = out.length;
    const s = this.scaling.s;
    out.fill(0);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const w0 = s * b[j];
      const w1 = s * b[j + 1];
      const w2 = s * b[j + 2];
      const w3 = s * b[j + 3];
      const r0 = j * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let i = 0; i < n; i++) out[i] += w0 * phi[r0 + i] + w1 * phi[r1 + i] + w2 * phi[r2 + i] + w3 * phi[r3 + i];
    }
    for (; j < m; j++) {
      const weight = s * b[j];
      const row = j * n;
      for (let i = 0; i < n; i++) out[i] += weight * phi[row + i];
    }
    return out;
  }

  /** f on the training set with the current b (a view, valid until the next call). */
  trainOutputs(): Float64Array {
    return this.outputs(this.trainFeatures, this.trainOut);
  }

  /** f on the test set with the current b (a view, valid until the next call). */
  testOutputs(): Float64Array {
    return this.outputs(this.testFeatures, this.testOut);
  }

  /** `count` GD steps on b: r = ℓ′(f, y)/n, then b_j ← (1 − ηλ) b_j − η κγs Σ_i r_i φ_ij. */
  step(count = 1): void {
    const { weightDecay, loss, trainY } = this.options;
    const lr = this.lr;
    const { m, b } = this.params;
    const phi = this.trainFeatures;
    const n = this.residual.length;
    // The coefficients every kernel applies (core's one place for them): b ← shrink·b − step·g.
    const { shrink, step: push } = updateCoefficients(lr, this.drive, weightDecay);
    for (let k = 0; k < count; k++) {
      residuals(loss, n, this.trainOutputs(), trainY, this.residual);
      const r = this.residual;
      // g_j = Σ_i r_i φ_ij, four neurons per pass over r (as in outputs()).
      let j = 0;
      for (; j + 4 <= m; j += 4) {
        const r0 = j * n;
        const r1 = r0 + n;
        const r2 = r1 + n;
        const r3 = r2 + n;
        let g0 = 0;
        let g1 = 0;
        let g2 = 0;
        let g3 = 0;
        for (let i = 0; i < n; i++) {
          const ri = r[i];
          g0 += ri * phi[r0 + i];
          g1 += ri * phi[r1 + i];
          g2 += ri * phi[r2 + i];
          g3 += ri * phi[r3 + i];
        }
        b[j] = shrink * b[j] - push * g0;
        b[j + 1] = shrink * b[j + 1] - push * g1;
        b[j + 2] = shrink * b[j + 2] - push * g2;
        b[j + 3] = shrink * b[j + 3] - push * g3;
      }
      for (; j < m; j++) {
        const row = j * n;
        let g = 0;
        for (let i = 0; i < n; i++) g += r[i] * phi[row + i];
        b[j] = shrink * b[j] - push * g;
      }
      this.stepCount++;
    }
  }

  /** The observables of ARCHITECTURE.md §1 through core's own `observableRow` (time = step·η). */
  observe(): ObservableRow {
    const { loss, weightDecay, trainY, testY } = this.options;
    const lr = this.lr;
    return observableRow({
      step: this.stepCount,
      time: this.stepCount * lr,
      loss,
      kappa: this.scaling.kappa,
      classification: true,
      trainOutputs: this.trainOutputs(),
      trainTargets: trainY,
      testOutputs: this.testOutputs(),
      testTargets: testY,
      parameters: twoLayerParameterSummary(this.params, this.initialParams, weightDecay, this.scaling.rho),
      ntkDrift: Number.NaN,
    });
  }
}

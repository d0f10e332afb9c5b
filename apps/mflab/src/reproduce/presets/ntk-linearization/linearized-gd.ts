/**
 * Gradient descent on the linearized network (Lee et al. 2019, §2.2): the first-order Taylor
 * expansion of the network around w(0),
 *
 *     f_lin(x; w) = f_{w(0)}(x) + ∇_w f_{w(0)}(x) · (w − w(0)),      with f_{w(0)} ≡ 0 here,
 *
 * trained by the same GD as the network on the square loss, F = (1/n) Σ ½ (f − y)² (ARCHITECTURE.md
 * eq. 2, γ = 1 in the ntk parameterization). A step w ← w − η Σ_i r_i ∇f(x_i), r_i = (f_i − y_i)/n
 * (eq. 3's residual), moves the linear model's outputs by −η K(·, X) r, with K the tangent kernel
 * at w(0) (§1). So on the training set u ← u − η K r, and at any other point
 * f_lin(x*) = K(x*, X) α with the dual coefficients α ← α − η r.
 *
 * This is the discrete-time form of the kernel predictor of ARCHITECTURE.md §1: after k steps
 * u = (I − (I − ηK/n)^k) y, whose η → 0 limit at t = kη is core's KernelFlowPredictor
 * (I − e^{−ηKt/n}) y. The network runs discrete GD, so comparing it with the exact discrete
 * linear model leaves no O(η) time-discretization error in the difference, only the
 * nonlinearity that the papers' claims are about.
 */
import { InvalidInputError } from '@mflab/core';

export interface LinearizedGdOptions {
  /** η, the GD step (> 0). */
  lr: number;
  /** Number of GD steps (integer ≥ 0). */
  steps: number;
  /** Steps at which to record the outputs (each in [0, steps]; step 0 is the start, f ≡ 0). */
  record: readonly number[];
}

/** The linear model's outputs after `step` updates. */
export interface LinearizedSnapshot {
  step: number;
  /** f_lin on the n training points. */
  train: Float64Array;
  /** f_lin on the p points of `kCross`. */
  test: Float64Array;
}

/**
 * Runs `steps` GD updates of the linearized network from f ≡ 0 and returns its outputs at the
 * `record`ed steps (in increasing step order).
 *
 * @param kTrain K(X, X), n×n row-major: the tangent kernel on the training inputs.
 * @param kCross K(X*, X), p×n row-major: the tangent kernel between p other points and X.
 * @param y the n training targets.
 * @throws InvalidInputError naming the argument on a bad shape or value.
 */
export function linearizedGradientDescent(kTrain: Float64Array, kCross: Float64Array, y: Float64Array, options: LinearizedGdOptions): LinearizedSnapshot[] {
  const n = y.length;
  if (n === 0) throw new InvalidInputError('y', 'expected at least one training target');
  if (kTrain.length !== n * n) throw new InvalidInputError('kTrain', `expected n×n = ${n * n} values (n = y.length = ${n}), got ${kTrain.length}`);
  if (kCross.length % n !== 0) throw new InvalidInputError('kCross', `expected p×n values (n = ${n}), got ${kCross.length}`);
  const { lr, steps } = options;
  if (!(Number.isFinite(lr) && lr > 0)) throw new InvalidInputError('options.lr', `expected a positive finite step, got ${String(lr)}`);
  if (!(Number.isSafeInteger(steps) && steps >= 0)) throw new InvalidInputError('options.steps', `expected an integer ≥ 0, got ${String(steps)}`);
  const record = [...new Set(options.record)].sort((a, b) => a - b);
  for (const k of record) {
    if (!(Number.isSafeInteger(k) && k >= 0 && k <= steps)) throw new InvalidInputError('options.record', `expected steps in [0, ${steps}], got ${String(k)}`);
  }
  const p = kCross.length / n;
  const u = new Float64Array(n);
  const alpha = new Float64Array(n);
  const r = new Float64Array(n);
  const snapshots: LinearizedSnapshot[] = [];
  const snapshot = (step: number) => {
    const test = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      const row = i * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += kCross[row + j] * alpha[j];
      test[i] = sum;
    }
    snapshots.push({ step, train: u.slice(), test });
  };
  let next = 0;
  for (let k = 0; k <= steps; k++) {
    if (next < record.length && record[next] === k) {
      snapshot(k);
      next++;
    }
    if (k === steps) break;
    // r = (u − y)/n for the whole set first: the update of u uses the residual before the step.
    for (let i = 0; i < n; i++) {
      r[i] = (u[i] - y[i]) / n;
      alpha[i] -= lr * r[i];
    }
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += kTrain[row + j] * r[j];
      u[i] -= lr * sum;
    }
  }
  return snapshots;
}

/**
 * The lazy prediction of a two-layer network (Chizat, Oyallon & Bach 2019, §2: "lazy training
 * amounts to kernel regression with the tangent kernel at initialization"). Gradient descent on
 * the model linearized at w(0),
 *
 *     f̄(w, x) = f(w(0), x) + ∇_w f(w(0), x)·(w − w(0)),
 *
 * moves its outputs by kernel gradient descent with the tangent kernel of the dynamics at
 * initialization (ARCHITECTURE.md §1, K(x, x') = γ Σ_j ∇_{w_j} f(x)·∇_{w_j} f(x')):
 * f̄ ← f̄ − η K (f̄ − y)/n on the training set. Its flow from f̄₀ = f(w(0)) is core's kernel
 * gradient flow (ARCHITECTURE.md §1) applied to the residual targets y − f(w(0)):
 *
 *     f̄_t(X*) = f(w(0), X*) + K(X*, X) K⁻¹ (I − e^{−ηKt/n}) (y − f(w(0), X)).
 *
 * At t = steps (time measured in steps, as core's flow with learning rate η) this is the
 * network's lazy limit after the same number of GD steps; discrete GD and the flow differ only
 * in modes with ηλ/n not small, which both have converged by then.
 */
import { KernelFlowPredictor, empiricalTangentKernel, type AugmentedInputs, type NetworkParams, type Scaling } from '@mflab/core';

export interface LinearizedRequest {
  /** w(0): the network's parameters at initialization. */
  readonly init: NetworkParams;
  readonly scaling: Scaling;
  readonly train: AugmentedInputs;
  readonly yTrain: Float64Array;
  readonly test: AugmentedInputs;
  /** η, mflab's learning rate (the one the network was trained with). */
  readonly lr: number;
  /** Number of GD steps (the flow is evaluated at t = steps). */
  readonly steps: number;
}

export interface LinearizedPrediction {
  /** f̄ on the training set after `steps`. */
  readonly train: Float64Array;
  /** f̄ on the test set after `steps`. */
  readonly test: Float64Array;
  /** f(w(0)) on the test set (0 for a symmetric init). */
  readonly initialTest: Float64Array;
}

/** f_w(x̃_i) = s Σ_j b_j σ(a_j·x̃_i) (eq. 1, uncentered), in float64. */
export function networkOutputs(params: NetworkParams, s: number, inputs: AugmentedInputs, out = new Float64Array(inputs.n)): Float64Array {
  const { a, b, m, D } = params;
  for (let i = 0; i < inputs.n; i++) {
    const row = i * D;
    let sum = 0;
    for (let j = 0; j < m; j++) {
      let z = 0;
      const off = j * D;
      for (let k = 0; k < D; k++) z += a[off + k] * inputs.x[row + k];
      if (z > 0) sum += b[j] * z;
    }
    out[i] = s * sum;
  }
  return out;
}

/** ½ · mean (f − y)²: the square-loss risk of ARCHITECTURE.md §1 (`risk_test` on a test set). */
export function squareRisk(f: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < f.length; i++) sum += (f[i] - y[i]) ** 2;
  return (0.5 * sum) / f.length;
}

/** The linearized model's outputs after `steps` GD steps (see the module comment). O(n³) for the eigendecomposition. */
export function linearizedPrediction(request: LinearizedRequest): LinearizedPrediction {
  const { init, scaling, train, yTrain, test, lr, steps } = request;
  const f0Train = networkOutputs(init, scaling.s, train);
  const f0Test = networkOutputs(init, scaling.s, test);
  const residualTargets = new Float64Array(train.n);
  for (let i = 0; i < train.n; i++) residualTargets[i] = yTrain[i] - f0Train[i];
  const kTrain = empiricalTangentKernel(init, scaling, train);
  const kTestTrain = empiricalTangentKernel(init, scaling, test, train);
  const flow = new KernelFlowPredictor(kTrain, residualTargets, { lr });
  const trainOut = flow.predictTrain(steps);
  const testOut = flow.predict(kTestTrain, steps);
  for (let i = 0; i < train.n; i++) trainOut[i] += f0Train[i];
  for (let i = 0; i < test.n; i++) testOut[i] += f0Test[i];
  return { train: trainOut, test: testOut, initialTest: f0Test };
}

/**
 * The lazy prediction against an independent reference: the model linearized at w(0) written
 * out with its explicit Jacobian J (one column per parameter, ∂f/∂b_j = s σ(a_j·x̃),
 * ∂f/∂a_j = s b_j 1[a_j·x̃ > 0] x̃), trained by plain parameter-space GD,
 * θ ← θ − ηγ Jᵀ (f̄ − y)/n. No tangent kernel and no eigendecomposition is involved.
 */
import { describe, expect, it } from 'vitest';
import { augmentInputs, initParams, makeDataset, resolveModelSpec, scalingOf, type AugmentedInputs, type NetworkParams, type Scaling } from '@mflab/core';
import { linearizedPrediction, networkOutputs, squareRisk } from './linearized.js';

/** J (n × P), parameters ordered (a_0, b_0, a_1, b_1, …). */
function jacobian(params: NetworkParams, s: number, inputs: AugmentedInputs): Float64Array[] {
  const { a, b, m, D } = params;
  const rows: Float64Array[] = [];
  for (let i = 0; i < inputs.n; i++) {
    const row = new Float64Array(m * (D + 1));
    for (let j = 0; j < m; j++) {
      let z = 0;
      for (let k = 0; k < D; k++) z += a[j * D + k] * inputs.x[i * D + k];
      const active = z > 0 ? 1 : 0;
      for (let k = 0; k < D; k++) row[j * (D + 1) + k] = s * b[j] * active * inputs.x[i * D + k];
      row[j * (D + 1) + D] = s * Math.max(z, 0);
    }
    rows.push(row);
  }
  return rows;
}

/** Plain GD on the linear model f̄ = f₀ + J δ (δ = θ − θ₀), `steps` times; returns f̄ on train and test. */
function referenceLinearGd(params: NetworkParams, scaling: Scaling, train: AugmentedInputs, y: Float64Array, test: AugmentedInputs, lr: number, steps: number) {
  const jTrain = jacobian(params, scaling.s, train);
  const jTest = jacobian(params, scaling.s, test);
  const f0Train = networkOutputs(params, scaling.s, train);
  const f0Test = networkOutputs(params, scaling.s, test);
  const P = jTrain[0].length;
  const delta = new Float64Array(P);
  const apply = (rows: Float64Array[], f0: Float64Array) =>
    Float64Array.from(rows, (row, i) => {
      let sum = f0[i];
      for (let p = 0; p < P; p++) sum += row[p] * delta[p];
      return sum;
    });
  for (let k = 0; k < steps; k++) {
    const f = apply(jTrain, f0Train);
    const grad = new Float64Array(P);
    for (let i = 0; i < train.n; i++) {
      const r = (f[i] - y[i]) / train.n;
      for (let p = 0; p < P; p++) grad[p] += jTrain[i][p] * r;
    }
    for (let p = 0; p < P; p++) delta[p] -= lr * scaling.gamma * grad[p];
  }
  return { train: apply(jTrain, f0Train), test: apply(jTest, f0Test) };
}

function problem(parameterization: 'ntk' | 'mean-field', symmetric: boolean) {
  const data = makeDataset({ kind: 'teacher', d: 3, n: 12, nTest: 7, teacherWidth: 2 }, 5);
  const model = resolveModelSpec({ width: 6, parameterization, bias: true, init: { kind: 'gaussian', scale: 1, symmetric } });
  const train = augmentInputs(data.train, true);
  const test = augmentInputs(data.test, true);
  const params = initParams(model.init, model.width, train.D, 3);
  return { data, train, test, params, scaling: scalingOf(model) };
}

const maxAbsDiff = (u: Float64Array, v: Float64Array) => u.reduce((worst, x, i) => Math.max(worst, Math.abs(x - v[i])), 0);

describe('linearizedPrediction', () => {
  for (const [parameterization, symmetric] of [['ntk', false], ['mean-field', false], ['mean-field', true]] as const) {
    it(`matches GD on the explicitly linearized model (${parameterization}, symmetric ${symmetric})`, () => {
      const { data, train, test, params, scaling } = problem(parameterization, symmetric);
      // A small step so that discrete GD follows the flow: per mode (1 − x)^k vs e^{−xk} differ by at most x/(2e) (x = ηλ/n ≤ 1e-3 here).
      const lr = 0.002;
      const steps = 4000;
      const reference = referenceLinearGd(params, scaling, train, data.train.y, test, lr, steps);
      const lazy = linearizedPrediction({ init: params, scaling, train, yTrain: data.train.y, test, lr, steps });
      const size = Math.max(...data.train.y.map(Math.abs));
      // Tolerance: the flow/GD gap above (≤ 2e-4 relative) plus round-off, stated against max|y|.
      expect(maxAbsDiff(lazy.train, reference.train)).toBeLessThan(1e-3 * size);
      expect(maxAbsDiff(lazy.test, reference.test)).toBeLessThan(1e-3 * size);
      // The fit moved away from f(w(0)) by much more than the tolerance (a prediction stuck at the start would pass trivially).
      expect(maxAbsDiff(lazy.train, networkOutputs(params, scaling.s, train))).toBeGreaterThan(2e-2 * size);
      expect(squareRisk(lazy.train, data.train.y)).toBeLessThan(squareRisk(networkOutputs(params, scaling.s, train), data.train.y));
    });
  }

  it('starts from the network at initialization (steps = 0)', () => {
    const { data, train, test, params, scaling } = problem('ntk', false);
    const lazy = linearizedPrediction({ init: params, scaling, train, yTrain: data.train.y, test, lr: 1, steps: 0 });
    expect(maxAbsDiff(lazy.test, networkOutputs(params, scaling.s, test))).toBeLessThan(1e-12);
    expect(maxAbsDiff(lazy.initialTest, networkOutputs(params, scaling.s, test))).toBe(0);
  });
});

describe('networkOutputs and squareRisk', () => {
  it('agree with a hand-computed two-neuron network', () => {
    // f(x) = s (b_0 σ(a_0·x) + b_1 σ(a_1·x)), a_0 = (1, 0), a_1 = (0, −1), b = (2, 3), s = 0.5.
    const params: NetworkParams = { m: 2, D: 2, a: Float64Array.from([1, 0, 0, -1]), b: Float64Array.from([2, 3]) };
    const inputs: AugmentedInputs = { n: 2, D: 2, x: Float64Array.from([1, -2, -1, 1]) };
    const f = networkOutputs(params, 0.5, inputs);
    // x_0 = (1, −2): 0.5 (2·1 + 3·2) = 4; x_1 = (−1, 1): both ReLUs off.
    expect(Array.from(f)).toEqual([4, 0]);
    expect(squareRisk(f, Float64Array.from([3, 2]))).toBe((0.5 * (1 + 4)) / 2);
  });
});

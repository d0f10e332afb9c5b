import { describe, expect, it } from 'vitest';
import { InvalidInputError, KernelFlowPredictor, augmentInputs, empiricalTangentKernel, initParams, makeDataset, resolveModelSpec, scalingOf, type NetworkParams } from '@mflab/core';
import { linearizedGradientDescent } from './linearized-gd.js';

/** A tiny ntk-parameterized network and data: m = 6 neurons, d = 2 (D = 3 with bias), 7 train and 4 test points. */
function tinyProblem() {
  const data = makeDataset({ kind: 'teacher', d: 2, n: 7, nTest: 4 }, 3);
  const m = 6;
  const model = resolveModelSpec({ width: m, parameterization: 'ntk' });
  const params = initParams(model.init, m, 3, 11);
  const train = augmentInputs(data.train, true);
  const test = augmentInputs(data.test, true);
  return { data, m, params, train, test, s: scalingOf(model).s, scaling: scalingOf(model) };
}

/** f(x̃) = s Σ_j b_j max(a_j·x̃, 0), written out independently of the code under test. */
function forward(theta: Float64Array, m: number, D: number, s: number, x: Float64Array, i: number): number {
  let sum = 0;
  for (let j = 0; j < m; j++) {
    let z = 0;
    for (let k = 0; k < D; k++) z += theta[j * D + k] * x[i * D + k];
    sum += theta[m * D + j] * Math.max(z, 0);
  }
  return s * sum;
}

/** The Jacobian ∂f(x̃_i)/∂θ by central differences, θ = (a, b) flattened: rows = points. */
function jacobianByDifferences(theta0: Float64Array, m: number, D: number, s: number, x: Float64Array, count: number): Float64Array[] {
  const h = 1e-6;
  const rows: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const row = new Float64Array(theta0.length);
    for (let q = 0; q < theta0.length; q++) {
      const plus = theta0.slice();
      const minus = theta0.slice();
      plus[q] += h;
      minus[q] -= h;
      row[q] = (forward(plus, m, D, s, x, i) - forward(minus, m, D, s, x, i)) / (2 * h);
    }
    rows.push(row);
  }
  return rows;
}

const flatten = (p: NetworkParams) => {
  const theta = new Float64Array(p.m * p.D + p.m);
  theta.set(p.a, 0);
  theta.set(p.b, p.m * p.D);
  return theta;
};
const dot = (u: Float64Array, v: Float64Array) => u.reduce((acc, x, q) => acc + x * v[q], 0);

describe('linearizedGradientDescent', () => {
  it('equals GD in parameter space on the first-order Taylor model (finite-difference Jacobian), to 1e-7', () => {
    const { data, m, params, train, test, s, scaling } = tinyProblem();
    const D = 3;
    const n = data.train.n;
    const theta0 = flatten(params);
    const jTrain = jacobianByDifferences(theta0, m, D, s, train.x, n);
    const jTest = jacobianByDifferences(theta0, m, D, s, test.x, data.test.n);
    // The reference: f_lin(x; θ) = ∇f(x)·(θ − θ0) (f_{w(0)} dropped, as the code's f ≡ 0 start),
    // GD θ ← θ − η Σ_i r_i ∇f(x_i), r_i = (f_lin(x_i) − y_i)/n.
    const lr = 0.7;
    const steps = 40;
    const delta = new Float64Array(theta0.length);
    for (let k = 0; k < steps; k++) {
      const r = jTrain.map((row, i) => (dot(row, delta) - data.train.y[i]) / n);
      for (let q = 0; q < delta.length; q++) {
        let g = 0;
        for (let i = 0; i < n; i++) g += r[i] * jTrain[i][q];
        delta[q] -= lr * g;
      }
    }
    const kTrain = empiricalTangentKernel(params, scaling, train);
    const kCross = empiricalTangentKernel(params, scaling, test, train);
    const [last] = linearizedGradientDescent(kTrain, kCross, data.train.y, { lr, steps, record: [steps] });
    expect(last.step).toBe(steps);
    const scale = Math.max(...data.train.y.map(Math.abs));
    jTrain.forEach((row, i) => expect(Math.abs(last.train[i] - dot(row, delta))).toBeLessThan(1e-7 * scale));
    jTest.forEach((row, i) => expect(Math.abs(last.test[i] - dot(row, delta))).toBeLessThan(1e-7 * scale));
  });

  it('tends to the kernel gradient flow (KernelFlowPredictor) as η → 0 at fixed t = kη, with an O(η) error', () => {
    const { data, params, train, test, scaling } = tinyProblem();
    const kTrain = empiricalTangentKernel(params, scaling, train);
    const kCross = empiricalTangentKernel(params, scaling, test, train);
    const t = 3;
    const flow = new KernelFlowPredictor(kTrain, data.train.y, { lr: 1 });
    const exactTest = flow.predict(kCross, t);
    const exactTrain = flow.predictTrain(t);
    const errorAt = (lr: number) => {
      const steps = Math.round(t / lr);
      const [last] = linearizedGradientDescent(kTrain, kCross, data.train.y, { lr, steps, record: [steps] });
      let err = 0;
      for (let i = 0; i < exactTest.length; i++) err = Math.max(err, Math.abs(last.test[i] - exactTest[i]));
      for (let i = 0; i < exactTrain.length; i++) err = Math.max(err, Math.abs(last.train[i] - exactTrain[i]));
      return err;
    };
    const coarse = errorAt(1e-2);
    const fine = errorAt(1e-3);
    expect(fine).toBeLessThan(1e-3);
    // First order in η: ten times smaller steps, about ten times smaller error (8…12×).
    expect(coarse / fine).toBeGreaterThan(8);
    expect(coarse / fine).toBeLessThan(12);
  });

  it('records the requested steps in order, starting from f ≡ 0', () => {
    const { data, params, train, test, scaling } = tinyProblem();
    const kTrain = empiricalTangentKernel(params, scaling, train);
    const kCross = empiricalTangentKernel(params, scaling, test, train);
    const snaps = linearizedGradientDescent(kTrain, kCross, data.train.y, { lr: 0.5, steps: 10, record: [10, 0, 5, 5] });
    expect(snaps.map((s) => s.step)).toEqual([0, 5, 10]);
    expect([...snaps[0].train, ...snaps[0].test].every((v) => v === 0)).toBe(true);
    // One step from 0: u = η K y / n.
    const [, one] = linearizedGradientDescent(kTrain, kCross, data.train.y, { lr: 0.5, steps: 1, record: [0, 1] });
    const n = data.train.n;
    for (let i = 0; i < n; i++) {
      let expected = 0;
      for (let j = 0; j < n; j++) expected += (0.5 * kTrain[i * n + j] * data.train.y[j]) / n;
      expect(one.train[i]).toBeCloseTo(expected, 14);
    }
  });

  it('rejects bad shapes and options with the argument named', () => {
    const y = Float64Array.of(1, 2);
    const k = new Float64Array(4);
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        return (error as InvalidInputError).field;
      }
      return 'no error';
    };
    expect(field(() => linearizedGradientDescent(new Float64Array(3), k, y, { lr: 1, steps: 1, record: [] }))).toBe('kTrain');
    expect(field(() => linearizedGradientDescent(k, new Float64Array(3), y, { lr: 1, steps: 1, record: [] }))).toBe('kCross');
    expect(field(() => linearizedGradientDescent(k, k, new Float64Array(0), { lr: 1, steps: 1, record: [] }))).toBe('y');
    expect(field(() => linearizedGradientDescent(k, k, y, { lr: 0, steps: 1, record: [] }))).toBe('options.lr');
    expect(field(() => linearizedGradientDescent(k, k, y, { lr: 1, steps: 1.5, record: [] }))).toBe('options.steps');
    expect(field(() => linearizedGradientDescent(k, k, y, { lr: 1, steps: 3, record: [4] }))).toBe('options.record');
  });
});

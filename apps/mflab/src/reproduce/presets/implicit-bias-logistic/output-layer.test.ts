import { describe, expect, it } from 'vitest';
import {
  ReferenceKernel,
  augmentInputs,
  driveOf,
  initParams,
  lossValue,
  makeDataset,
  residuals,
  resolveModelSpec,
  scalingOf,
  updateCoefficients,
  type LossName,
  type NetworkParams,
  type TwoLayerParameterization,
} from '@mflab/core';
import { OutputLayerTrainer } from './output-layer.js';

// Not a multiple of 4: the trainer handles neurons four at a time, then the rest.
const m = 26;
const d = 3;
const data = makeDataset({ kind: 'gaussian-mixture', d, n: 20, nTest: 15, separation: 2 }, 4);
const train = augmentInputs(data.train, true, 'train');
const test = augmentInputs(data.test, true, 'test');
const D = d + 1;

function startParams(): NetworkParams {
  return initParams(resolveModelSpec({ width: m }).init, m, D, 7);
}

function trainer(parameterization: TwoLayerParameterization, loss: LossName, weightDecay: number, params = startParams()): OutputLayerTrainer {
  return new OutputLayerTrainer({ params, parameterization, loss, lr: 0.3, weightDecay, train, trainY: data.train.y, test, testY: data.test.y });
}

/** F restricted to b (eq. 2): κ R(f_b) + (λ/2) ρ Σ_j (‖a_j‖² + b_j²), with f evaluated by core's reference kernel. */
function objective(params: NetworkParams, parameterization: TwoLayerParameterization, loss: LossName, weightDecay: number): number {
  const scaling = scalingOf({ width: m, parameterization, alpha: 1 });
  const f = new Float64Array(train.n);
  new ReferenceKernel().partialOutputs(params, train, 0, m, f);
  let risk = 0;
  for (let i = 0; i < train.n; i++) risk += lossValue(loss, scaling.s * f[i], data.train.y[i]);
  let squares = 0;
  for (const v of params.a) squares += v * v;
  for (const v of params.b) squares += v * v;
  return scaling.kappa * (risk / train.n) + 0.5 * weightDecay * scaling.rho * squares;
}

describe('OutputLayerTrainer', () => {
  it.each([
    ['mean-field', 'logistic', 0],
    ['ntk', 'square', 0.05],
  ] as const)('takes the b-part of core reference GD step with a frozen (%s, %s, λ = %f), over 5 steps to 1e-13', (parameterization, loss, weightDecay) => {
    const start = startParams();
    const ours = trainer(parameterization, loss, weightDecay, start);
    // The reference: core's full GD step (eq. 3), after which a is put back to w(0)'s.
    const kernel = new ReferenceKernel();
    const reference: NetworkParams = { m, D, a: start.a.slice(), b: start.b.slice() };
    const scaling = scalingOf({ width: m, parameterization, alpha: 1 });
    const coef = updateCoefficients(0.3, driveOf(scaling), weightDecay);
    const f = new Float64Array(train.n);
    const r = new Float64Array(train.n);
    for (let step = 0; step < 5; step++) {
      kernel.partialOutputs(reference, train, 0, m, f);
      for (let i = 0; i < train.n; i++) f[i] *= scaling.s;
      residuals(loss, train.n, f, data.train.y, r);
      kernel.update(reference, train, r, coef, 0, m);
      reference.a.set(start.a);
      ours.step();
    }
    for (let j = 0; j < m; j++) expect(ours.params.b[j]).toBeCloseTo(reference.b[j], 13);
    expect(ours.params.a).toEqual(start.a);
    expect(ours.currentStep).toBe(5);
  });

  it('moves b by −ηγ ∇_b F, checked by central finite differences of F (mean-field, logistic, λ = 0.1)', () => {
    const weightDecay = 0.1;
    const start = startParams();
    const ours = trainer('mean-field', 'logistic', weightDecay, start);
    ours.step();
    const gamma = scalingOf({ width: m, parameterization: 'mean-field', alpha: 1 }).gamma;
    const h = 1e-5;
    for (const j of [0, 5, 17]) {
      const plus = { m, D, a: start.a.slice(), b: start.b.slice() };
      const minus = { m, D, a: start.a.slice(), b: start.b.slice() };
      plus.b[j] += h;
      minus.b[j] -= h;
      const gradient = (objective(plus, 'mean-field', 'logistic', weightDecay) - objective(minus, 'mean-field', 'logistic', weightDecay)) / (2 * h);
      const moved = (start.b[j] - ours.params.b[j]) / (0.3 * gamma);
      expect(Math.abs(moved - gradient)).toBeLessThan(1e-7 * Math.max(1, Math.abs(gradient)));
    }
  });

  it('predicts s Σ_j b_j σ(a_j·x̃) on the test set as core reference kernel does, and logs core observables', () => {
    const ours = trainer('mean-field', 'logistic', 0);
    ours.step(3);
    const f = new Float64Array(test.n);
    new ReferenceKernel().partialOutputs(ours.params, test, 0, m, f);
    const outputs = ours.testOutputs();
    for (let i = 0; i < test.n; i++) expect(outputs[i]).toBeCloseTo(f[i] / m, 14);
    const row = ours.observe();
    expect(row.step).toBe(3);
    expect(row.time).toBeCloseTo(0.9, 15);
    let wrong = 0;
    for (let i = 0; i < test.n; i++) if (!(data.test.y[i] * f[i] > 0)) wrong++;
    expect(row.error_test).toBe(wrong / test.n);
  });

  it('finds the largest eigenvalue of (κγs²/n)ΦᵀΦ, checked against a Jacobi eigendecomposition of the explicit Gram matrix', () => {
    const params = startParams();
    const ours = trainer('ntk', 'square', 0, params);
    // Φ_ij = σ(a_j·x̃_i) by plain loops, G = (κγs²/n) ΦᵀΦ (n×n), then cyclic Jacobi rotations.
    const n = train.n;
    const scaling = scalingOf({ width: m, parameterization: 'ntk', alpha: 1 });
    const gram = Array.from({ length: n }, () => new Float64Array(n));
    for (let j = 0; j < m; j++) {
      const phi = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let z = 0;
        for (let c = 0; c < D; c++) z += params.a[j * D + c] * train.x[i * D + c];
        phi[i] = Math.max(z, 0);
      }
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) gram[p][q] += (scaling.kappa * scaling.gamma * scaling.s * scaling.s * phi[p] * phi[q]) / n;
    }
    for (let sweep = 0; sweep < 60; sweep++) {
      for (let p = 0; p < n - 1; p++) {
        for (let q = p + 1; q < n; q++) {
          if (Math.abs(gram[p][q]) < 1e-300) continue;
          const theta = (gram[q][q] - gram[p][p]) / (2 * gram[p][q]);
          const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1);
          const sn = t * c;
          for (let k = 0; k < n; k++) {
            const gp = gram[k][p];
            const gq = gram[k][q];
            gram[k][p] = c * gp - sn * gq;
            gram[k][q] = sn * gp + c * gq;
          }
          for (let k = 0; k < n; k++) {
            const gp = gram[p][k];
            const gq = gram[q][k];
            gram[p][k] = c * gp - sn * gq;
            gram[q][k] = sn * gp + c * gq;
          }
        }
      }
    }
    const largest = Math.max(...gram.map((row, i) => row[i]));
    expect(ours.curvature()).toBeCloseTo(largest, 10);
    // The step at a fraction of the stability limit 2/(ℓ''_max λ_max), ℓ''_max = 1 for the square loss.
    const half = new OutputLayerTrainer({ params, parameterization: 'ntk', loss: 'square', lr: { fractionOfStabilityLimit: 0.5 }, weightDecay: 0, train, trainY: data.train.y, test, testY: data.test.y });
    expect(half.lr).toBeCloseTo(1 / largest, 8);
  });
});

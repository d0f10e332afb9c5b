import { Matrix, pseudoInverse, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { KernelFlowPredictor } from './kernel-flow.js';
import { reluKernelGram } from './relu-kernels.js';
import { expectCloseVectors, maxAbs } from '../testing/expect-close.js';

const TEST_STREAM = 903;

function randomRows(seed: number, n: number, d: number): Float64Array {
  const rng = new CounterRng(seed, TEST_STREAM);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) rng.at(i).normals(x, i * d, d);
  return x;
}

/** K* K⁻¹ y by ml-matrix's LU `solve`: the independent reference for t → ∞. */
function interpolationBySolve(K: Float64Array, kStar: Float64Array, y: Float64Array): Float64Array {
  const n = y.length;
  const alpha = solve(Matrix.from1DArray(n, n, Array.from(K)), Matrix.columnVector(Array.from(y)));
  const p = kStar.length / n;
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += kStar[i * n + j] * alpha.get(j, 0);
    out[i] = s;
  }
  return out;
}

/**
 * Classical RK4 on df/dt = −η K (f − y)/n for the train values f and the test values
 * g = f(X*) (dg/dt = −η K(X*, X) (f − y)/n), from f = g = 0: the independent reference at
 * finite t.
 */
function rk4Flow(K: Float64Array, kStar: Float64Array, y: Float64Array, lr: number, t: number, steps: number) {
  const n = y.length;
  const p = kStar.length / n;
  const f = new Float64Array(n);
  const fs = new Float64Array(p);
  const h = t / steps;
  const rhs = (state: Float64Array, outF: Float64Array, outS: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += K[i * n + j] * (state[j] - y[j]);
      outF[i] = (-lr * s) / n;
    }
    for (let i = 0; i < p; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += kStar[i * n + j] * (state[j] - y[j]);
      outS[i] = (-lr * s) / n;
    }
  };
  const k = Array.from({ length: 4 }, () => ({ f: new Float64Array(n), s: new Float64Array(p) }));
  const tmp = new Float64Array(n);
  for (let step = 0; step < steps; step++) {
    rhs(f, k[0].f, k[0].s);
    for (let i = 0; i < n; i++) tmp[i] = f[i] + 0.5 * h * k[0].f[i];
    rhs(tmp, k[1].f, k[1].s);
    for (let i = 0; i < n; i++) tmp[i] = f[i] + 0.5 * h * k[1].f[i];
    rhs(tmp, k[2].f, k[2].s);
    for (let i = 0; i < n; i++) tmp[i] = f[i] + h * k[2].f[i];
    rhs(tmp, k[3].f, k[3].s);
    for (let i = 0; i < n; i++) f[i] += (h / 6) * (k[0].f[i] + 2 * k[1].f[i] + 2 * k[2].f[i] + k[3].f[i]);
    for (let i = 0; i < p; i++) fs[i] += (h / 6) * (k[0].s[i] + 2 * k[1].s[i] + 2 * k[2].s[i] + k[3].s[i]);
  }
  return { train: f, test: fs };
}


// A two-layer NTK problem (eq. (4), bias): n = 14 train points, p = 6 test points in R².
const d = 2;
const n = 14;
const p = 6;
const X = randomRows(1, n, d);
const Xs = randomRows(2, p, d);
const y = new Float64Array(n);
for (let i = 0; i < n; i++) y[i] = Math.sin(2 * X[i * d]) + 0.5 * X[i * d + 1];
const K = reluKernelGram(X, null, d);
const kStar = reluKernelGram(Xs, X, d);
const lr = 0.7;

describe('KernelFlowPredictor', () => {
  const predictor = new KernelFlowPredictor(K, y, { lr });

  it('is well posed here (K positive definite, not too ill-conditioned)', () => {
    const lambdas = Array.from(predictor.eigenvalues);
    const lo = Math.min(...lambdas);
    const hi = Math.max(...lambdas);
    expect(lo).toBeGreaterThan(0);
    expect(lo / hi).toBeGreaterThan(1e-7);
  });

  it('at t = ∞ and at a huge finite t equals K* K⁻¹ y from ml-matrix solve (rel 1e-8), and interpolates y', () => {
    const ref = interpolationBySolve(K, kStar, y);
    expectCloseVectors(predictor.interpolate(kStar), ref, 1e-8);
    expectCloseVectors(predictor.predict(kStar, Infinity), ref, 1e-8);
    expectCloseVectors(predictor.predict(kStar, 1e15), ref, 1e-8);
    expectCloseVectors(predictor.predictTrain(Infinity), y, 1e-10);
    expectCloseVectors(predictor.predictTrain(1e15), y, 1e-10);
    // the train rows as test points give y back too
    expectCloseVectors(predictor.predict(K, Infinity), y, 1e-8);
  });

  it('at finite t matches RK4 integration of df/dt = −η K (f − y)/n (rel 1e-9)', () => {
    expect(maxAbs(predictor.predictTrain(0))).toBe(0);
    expect(maxAbs(predictor.predict(kStar, 0))).toBe(0);
    const lambdaMax = Math.max(...Array.from(predictor.eigenvalues));
    for (const t of [0.3, 2, 15]) {
      // t = 15 is well into the flow (ηλ_max t/n ≫ 1) but far from converged on small eigenvalues
      const ref = rk4Flow(K, kStar, y, lr, t, 4000);
      expectCloseVectors(predictor.predictTrain(t), ref.train, 1e-9);
      expectCloseVectors(predictor.predict(kStar, t), ref.test, 1e-9);
    }
    expect((lr * lambdaMax * 15) / n).toBeGreaterThan(3);
    // and the dual coefficients reproduce the train prediction through K
    const alpha = predictor.coefficients(2);
    const viaK = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) viaK[i] += K[i * n + j] * alpha[j];
    expectCloseVectors(viaK, predictor.predictTrain(2), 1e-12);
  });

  it('writes into `out` and gives the same answer on repeated calls', () => {
    const out = new Float64Array(p);
    expect(predictor.predict(kStar, 1.5, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(predictor.predict(kStar, 1.5)));
    const train = new Float64Array(n);
    expect(predictor.predictTrain(1.5, train)).toBe(train);
  });

  it('handles a singular K (duplicate points): finite t matches RK4; t = ∞ is the minimum-norm interpolant', () => {
    const Xd = Float64Array.from(X);
    Xd.set(Xd.subarray(0, d), d); // point 1 := point 0
    Xd.set(Xd.subarray(4 * d, 5 * d), 7 * d); // point 7 := point 4
    const yd = Float64Array.from(y);
    yd[1] = y[0] + 1; // conflicting targets at the duplicates
    const Kd = reluKernelGram(Xd, null, d);
    const kStarD = reluKernelGram(Xs, Xd, d);
    const flow = new KernelFlowPredictor(Kd, yd, { lr });
    expect(Array.from(flow.eigenvalues).filter((l) => l === 0).length).toBe(2);
    for (const t of [0.5, 5, 40]) {
      const ref = rk4Flow(Kd, kStarD, yd, lr, t, 4000);
      expectCloseVectors(flow.predictTrain(t), ref.train, 1e-9);
      expectCloseVectors(flow.predict(kStarD, t), ref.test, 1e-9);
    }
    // t = ∞: duplicates get the mean of their targets, the others their own
    const fit = flow.predictTrain(Infinity);
    const mean01 = (yd[0] + yd[1]) / 2;
    expect(Math.abs(fit[0] - mean01)).toBeLessThan(1e-8);
    expect(Math.abs(fit[1] - mean01)).toBeLessThan(1e-8);
    const mean47 = (yd[4] + yd[7]) / 2;
    expect(Math.abs(fit[4] - mean47)).toBeLessThan(1e-8);
    expect(Math.abs(fit[7] - mean47)).toBeLessThan(1e-8);
    for (const i of [2, 3, 5, 6, 8, 9, 10, 11, 12, 13]) expect(Math.abs(fit[i] - yd[i])).toBeLessThan(1e-8);
    // and the test prediction is K* K⁺ y (ml-matrix pseudoInverse, SVD based)
    const pinv = pseudoInverse(Matrix.from1DArray(n, n, Array.from(Kd)));
    const alpha = pinv.mmul(Matrix.columnVector(Array.from(yd)));
    const ref = new Float64Array(p);
    for (let i = 0; i < p; i++) for (let j = 0; j < n; j++) ref[i] += kStarD[i * n + j] * alpha.get(j, 0);
    expectCloseVectors(flow.interpolate(kStarD), ref, 1e-7);
  });

  it('is exact for a diagonal K, including tiny and zero eigenvalues (φ(λ) → ηt/n)', () => {
    const lambdas = [2, 1e-20, 0, 5];
    const m = lambdas.length;
    const Kdiag = new Float64Array(m * m);
    lambdas.forEach((l, i) => (Kdiag[i * m + i] = l));
    const yy = new Float64Array([1, -2, 3, 0.5]);
    const flow = new KernelFlowPredictor(Kdiag, yy, { lr: 2 });
    const t = 0.8;
    const alpha = flow.coefficients(t);
    // φ(λ) = (1 − e^{−ηλt/m})/λ, and ηt/m for the two round-off-zero eigenvalues
    const expected = lambdas.map((l, i) => (l > 1e-10 ? -Math.expm1((-2 * l * t) / m) / l : (2 * t) / m) * yy[i]);
    for (let i = 0; i < m; i++) expect(Math.abs(alpha[i] - expected[i])).toBeLessThanOrEqual(1e-15 * Math.abs(expected[i]));
    expect(Array.from(flow.coefficients(Infinity))).toEqual([0.5, 0, 0, 0.1]);
  });

  it('clamps slightly negative round-off eigenvalues but refuses t = ∞ for an indefinite K', () => {
    // rank one: [1 1; 1 1] with a −1e-17 perturbation, well within round-off
    const Kr = new Float64Array([1, 1, 1, 1 - 1e-17]);
    const flow = new KernelFlowPredictor(Kr, new Float64Array([1, 1]));
    expect(Math.min(...Array.from(flow.eigenvalues))).toBe(0);
    expectCloseVectors(flow.predictTrain(Infinity), [1, 1], 1e-14);
    const indefinite = new KernelFlowPredictor(new Float64Array([1, 0, 0, -0.5]), new Float64Array([1, 1]));
    // finite t is still the exact flow (the negative direction grows): f₂ = −expm1(0.5·t/2)
    expect(indefinite.predictTrain(1)[1]).toBeCloseTo(-Math.expm1(0.25), 14);
    expectFieldError(() => indefinite.predictTrain(Infinity), 'kTrain');
  });

  it('rejects bad shapes and values with an InvalidInputError naming the argument', () => {
    expectFieldError(() => new KernelFlowPredictor(K, new Float64Array(0)), 'y');
    expectFieldError(() => new KernelFlowPredictor(K, new Float64Array(n - 1)), 'kTrain');
    expectFieldError(() => new KernelFlowPredictor(K.subarray(1), y), 'kTrain');
    const asym = Float64Array.from(K);
    asym[1] += 1e-3;
    expectFieldError(() => new KernelFlowPredictor(asym, y), 'kTrain');
    const nan = Float64Array.from(K);
    nan[5] = Number.NaN;
    expectFieldError(() => new KernelFlowPredictor(nan, y), 'kTrain[5]');
    const yBad = Float64Array.from(y);
    yBad[3] = Infinity;
    expectFieldError(() => new KernelFlowPredictor(K, yBad), 'y[3]');
    expectFieldError(() => new KernelFlowPredictor(K, y, { lr: 0 }), 'options.lr');
    expectFieldError(() => new KernelFlowPredictor(K, y, { symmetryTolerance: -1 }), 'options.symmetryTolerance');
    expectFieldError(() => predictor.predict(kStar.subarray(1), 1), 'kStarTrain');
    expectFieldError(() => predictor.predict(kStar, -1), 't');
    expectFieldError(() => predictor.predict(kStar, Number.NaN), 't');
    expectFieldError(() => predictor.predict(kStar, 1, new Float64Array(p + 1)), 'out');
    expectFieldError(() => predictor.predictTrain(1, new Float64Array(1)), 'out');
  });
});

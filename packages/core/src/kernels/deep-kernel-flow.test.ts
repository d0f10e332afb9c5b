import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { choleskyFactor, choleskySolve } from './cholesky.js';
import { DeepKernelPredictor } from './deep-kernel-flow.js';
import { deepKernelGram } from './deep-kernels.js';
import { KernelFlowPredictor } from './kernel-flow.js';
import { reluKernelGram } from './relu-kernels.js';

const TEST_STREAM = 914;
const d = 3;
const n = 12;
const p = 5;

function points(seed: number, count: number): Float64Array {
  const x = new Float64Array(count * d);
  const rng = new CounterRng(seed, TEST_STREAM);
  for (let i = 0; i < count; i++) rng.at(i).normals(x, i * d, d);
  return x;
}

const X = points(1, n);
const Xs = points(2, p);
const y = new Float64Array(n);
for (let i = 0; i < n; i++) y[i] = Math.sin(X[i * d]) + 0.5 * X[i * d + 1] * X[i * d + 2];

function expectClose(actual: Float64Array, expected: Float64Array, rel: number): void {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rel * scale);
}

describe('DeepKernelPredictor', () => {
  it('depth-1 relu with x̃·x̃′ and σ_w² = 1 is the eq. (4) NTK flow of KernelFlowPredictor (rel 1e-10, t = 0.5, 3, ∞)', () => {
    const deep = new DeepKernelPredictor(X, y, d, { depth: 1, weightVariance: 1, biasVariance: 0, inputProduct: 'augmented' }, { lr: 0.8 });
    const reference = new KernelFlowPredictor(reluKernelGram(X, null, d, { kind: 'ntk' }), y, { lr: 0.8 });
    const kStar = reluKernelGram(Xs, X, d, { kind: 'ntk' });
    for (const t of [0.5, 3, Infinity]) {
      expectClose(deep.predict(Xs, t), reference.predict(kStar, t), 1e-10);
      expectClose(deep.predictTrain(t), reference.predictTrain(t), 1e-10);
    }
  });

  it('tanh residual NTK and erf NNGP: t = ∞ interpolates y and equals K* K⁻¹ y by an independent Cholesky solve (rel 1e-9)', () => {
    for (const [kernelOptions, kernel] of [
      // a fixed low quadrature order keeps it fast: the check is of the adapter, with one kernel throughout
      [{ depth: 4, activation: 'tanh', weightVariance: 1.76, biasVariance: 0.05, residual: true, quadratureOrder: 64 }, 'ntk'],
      [{ depth: 3, activation: 'erf', weightVariance: 2, biasVariance: 0.1 }, 'nngp'],
    ] as const) {
      const predictor = new DeepKernelPredictor(X, y, d, kernelOptions, { kernel });
      expect(predictor.kernel).toBe(kernel);
      expectClose(predictor.predictTrain(Infinity), y, 1e-9);
      const gram = deepKernelGram(X, null, d, kernelOptions);
      const cross = deepKernelGram(Xs, X, d, kernelOptions);
      const K = kernel === 'ntk' ? gram.ntk : gram.nngp;
      const kStar = kernel === 'ntk' ? cross.ntk : cross.nngp;
      expect(Array.from(predictor.kernelRows(Xs))).toEqual(Array.from(kStar));
      const alpha = choleskySolve(choleskyFactor(Float64Array.from(K), n), n, y, 1);
      const expected = new Float64Array(p);
      for (let i = 0; i < p; i++) for (let j = 0; j < n; j++) expected[i] += kStar[i * n + j] * alpha[j];
      expectClose(predictor.predict(Xs, Infinity), expected, 1e-9);
      // f₀ = 0, and the flow moves towards the interpolant
      expect(Array.from(predictor.predict(Xs, 0))).toEqual(new Array(p).fill(0));
    }
  });

  it('rejects bad inputs naming the field', () => {
    expectFieldError(() => new DeepKernelPredictor(X, y, 0, { depth: 2 }), 'd');
    expectFieldError(() => new DeepKernelPredictor(new Float64Array(0), new Float64Array(0), d, { depth: 2 }), 'x');
    expectFieldError(() => new DeepKernelPredictor(X, y, d, { depth: 0 }), 'options.depth');
    expectFieldError(() => new DeepKernelPredictor(X, y, d, { depth: 2 }, { kernel: 'cntk' as never }), 'options.kernel');
    expectFieldError(() => new DeepKernelPredictor(X, new Float64Array(3), d, { depth: 2 }), 'kTrain');
    const predictor = new DeepKernelPredictor(X, y, d, { depth: 2 });
    expectFieldError(() => predictor.predict(new Float64Array(4), 1), 'xTest');
  });
});

/**
 * Acceptance checks of ARCHITECTURE.md §7 shown through the engine (`DeepSimulation`), not the
 * bare functions:
 * - orthogonal init: the input–output Jacobian's singular values at init, the engine's
 *   `jacobian_spread`, are all equal (spread < 1e-6) for a deep linear net of width 32 at
 *   L = 10 and 50, and widely spread (> 1) for gaussian init (Saxe et al. 2014, Pennington et
 *   al. 2017). `ntk` preset, no bias, d = 32, σ² = 1: W_1 = √32·Q_1, W_l = Q_l, so every
 *   singular value is √32.
 * - the edge of chaos in init: `model.init.edgeOfChaos` with tanh/erf and σ_b² = 0.05 picks σ_w²
 *   with χ₁ = σ_w² E[φ'(√q* Z)²] = 1 at the variance fixed point q* = σ_w² E[φ(√q* Z)²] + σ_b²,
 *   checked against an independent solve here (fixed-point iteration and a trapezoid rule on a
 *   fine grid, not the Gauss–Hermite quadrature of kernels/), and records it in run.json's
 *   `model.init` (modelInfo); relu gets (2, 0).
 * - `ntk_layers` and the NTK drift from the layer-wise kernel: at small width each entry is the
 *   mean diagonal of layer l's part of `deepTangentKernel` (one full gradient per input: the
 *   independent implementation), they sum to the mean diagonal of the drift's kernel, and they are
 *   NaN on rows without the NTK; at width 1024 (L = 3, 2.1M parameters) the drift and the layers
 *   come from the layer-wise kernel (the per-input-gradient kernel would hold 8 gradients of 2.1M).
 */
import { describe, expect, it } from 'vitest';
import { erf } from '../kernels/activations.js';
import { randomSplit } from '../testing/fixtures.js';
import { DeepSimulation, deepTangentKernel } from './engine.js';
import { cloneDeepParams } from './params.js';

describe('orthogonal init through the engine: jacobian_spread at step 0', () => {
  const d = 32;
  const split = randomSplit(4, 0, d, 3);
  const spreadAt = (depth: number, kind: 'orthogonal' | 'gaussian') => {
    const sim = DeepSimulation.create({ model: { depth, width: d, activation: 'linear', bias: false, parameterization: 'ntk', init: { kind, weightVariance: 1 } }, train: { steps: 1 } }, split);
    const row = sim.observe();
    return { spread: row.jacobian_spread, mean: row.jacobian_mean };
  };
  for (const depth of [10, 50]) {
    it(`L = ${depth}: orthogonal spread < 1e-6 (all singular values √${d}), gaussian spread > 1`, () => {
      const ortho = spreadAt(depth, 'orthogonal');
      expect(ortho.spread).toBeLessThan(1e-6);
      expect(Math.abs(ortho.mean - Math.sqrt(d))).toBeLessThan(1e-9);
      const gauss = spreadAt(depth, 'gaussian');
      expect(gauss.spread).toBeGreaterThan(1);
    });
  }
});

/** E[g(√q Z)] by the trapezoid rule on [−12, 12] with 4 001 points (spectrally accurate for these smooth integrands) (an independent quadrature). */
function gaussianMean(g: (z: number) => number, q: number): number {
  const n = 4000;
  const h = 24 / n;
  let s = 0;
  for (let k = 0; k <= n; k++) {
    const z = -12 + k * h;
    const w = k === 0 || k === n ? 0.5 : 1;
    s += w * g(Math.sqrt(q) * z) * Math.exp(-0.5 * z * z);
  }
  return (s * h) / Math.sqrt(2 * Math.PI);
}

const PHI = {
  tanh: { f: Math.tanh, df: (z: number) => 1 - Math.tanh(z) ** 2 },
  erf: { f: erf, df: (z: number) => (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) },
} as const;

describe('edge of chaos in init (model.init.edgeOfChaos)', () => {
  const split = randomSplit(4, 0, 3, 1);
  for (const activation of ['tanh', 'erf'] as const) {
    it(`${activation}, σ_b² = 0.05: χ₁ = 1 at the fixed point (independent check to 1e-6), recorded in run.json's model.init`, () => {
      const sim = DeepSimulation.create({ model: { depth: 3, width: 8, activation, init: { edgeOfChaos: true, biasVariance: 0.05 } } }, split);
      const point = sim.init.edgeOfChaos;
      expect(point).not.toBeNull();
      const { weightVariance: sw, biasVariance: sb } = point as { weightVariance: number; biasVariance: number };
      expect(sb).toBe(0.05);
      if (activation === 'tanh') expect(sw).toBeCloseTo(1.76095, 4);
      let q = 1;
      for (let it = 0, previous = NaN; it < 1000 && q !== previous; it++) {
        previous = q;
        q = sw * gaussianMean((z) => PHI[activation].f(z) ** 2, q) + sb;
      }
      const chi1 = sw * gaussianMean((z) => PHI[activation].df(z) ** 2, q);
      expect(Math.abs(chi1 - 1)).toBeLessThan(1e-6);
      expect(sim.init.weightVariance).toEqual([sw, sw, sw, sw]);
      expect(sim.init.biasVariance).toEqual([sb, sb, sb]);
      expect(JSON.parse(JSON.stringify(sim.modelInfo()))).toMatchObject({ activation, init: { kind: 'gaussian', edgeOfChaos: { weightVariance: sw, biasVariance: sb }, weightVariance: [sw, sw, sw, sw] } });
    });
  }

  it('relu: (σ_w², σ_b²) = (2, 0)', () => {
    const sim = DeepSimulation.create({ model: { depth: 3, width: 8, init: { edgeOfChaos: true } } }, split);
    expect(sim.modelInfo()).toMatchObject({ init: { edgeOfChaos: { weightVariance: 2, biasVariance: 0 } } });
  });
});

describe('ntk_layers and the layer-wise NTK drift', () => {
  it('small width: ntk_layers[l] is the mean diagonal of layer l’s part of deepTangentKernel; Σ_l = mean diagonal of Θ; NaN without the NTK', () => {
    const split = randomSplit(12, 0, 3, 5);
    const sim = DeepSimulation.create({ seed: 2, model: { depth: 3, width: 10, activation: 'tanh', parameterization: 'mup', residual: true }, train: { lr: 0.2 }, log: { ntk: { every: 1, probe: 5 } } }, split);
    sim.step(3);
    const row = sim.observe({ ntk: true });
    const { spec, coefficients: co } = sim;
    // The probe's x̃ = (x, 1): the first five training inputs.
    const inputs = { n: 5, D: 4, x: Float64Array.from({ length: 20 }, (_, t) => (t % 4 === 3 ? 1 : split.train.x[(t >> 2) * 3 + (t % 4)])) };
    const meanDiag = (k: Float64Array) => [0, 1, 2, 3, 4].reduce((acc, i) => acc + k[i * 5 + i], 0) / 5;
    // Layer l alone: zero every other tensor's learning-rate factor in the reference kernel.
    for (let l = 0; l <= spec.depth; l++) {
      const only = {
        weights: co.weights.map((c, t) => ({ ...c, lrFactor: t === l ? c.lrFactor : 0 })),
        biases: co.biases.map((c, t) => (c ? { ...c, lrFactor: t === l ? c.lrFactor : 0 } : null)),
      };
      const want = meanDiag(deepTangentKernel(spec, only, cloneDeepParams(sim.params), inputs));
      expect(Math.abs(row.ntk_layers[l] - want)).toBeLessThan(1e-12 * Math.abs(want) + 1e-300);
    }
    const total = meanDiag(sim.tangentKernelOnProbe());
    expect(Math.abs(row.ntk_layers.reduce((a, b) => a + b, 0) - total)).toBeLessThan(1e-12 * total);
    expect(row.ntk_drift).toBeGreaterThan(0);
    expect(sim.observe().ntk_layers.every(Number.isNaN)).toBe(true);
  });

  it('width 1024, L = 3: the drift and ntk_layers are computed (no per-input parameter-sized gradients)', () => {
    const split = randomSplit(16, 0, 3, 6);
    const sim = DeepSimulation.create({ model: { depth: 3, width: 1024, activation: 'relu', parameterization: 'ntk' }, train: { lr: 0.5 }, log: { ntk: { every: 1, probe: 8 } } }, split);
    const first = sim.observe({ ntk: true });
    expect(first.ntk_drift).toBe(0);
    sim.step(1);
    const row = sim.observe({ ntk: true });
    expect(row.ntk_layers).toHaveLength(4);
    for (const v of row.ntk_layers) expect(v).toBeGreaterThan(0);
    // NTK regime at width 1024: the kernel barely moves in one step.
    expect(row.ntk_drift).toBeGreaterThan(0);
    expect(row.ntk_drift).toBeLessThan(0.05);
  }, 30_000);
});

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
 */
import { describe, expect, it } from 'vitest';
import { erf } from '../kernels/activations.js';
import { randomSplit } from '../testing/fixtures.js';
import { DeepSimulation } from './engine.js';

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

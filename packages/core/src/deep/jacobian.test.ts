/**
 * The input–output Jacobian (ARCHITECTURE.md §7, dynamical isometry; issue 15's acceptance):
 * forward-mode J against central differences of the forward pass, and the singular values at
 * init of a deep linear net of width 64 — orthogonal init: all equal to σ_w^L = 1 (spread < 1e-6,
 * observed ~1e-14), gaussian init: a wide spread — for L = 10 and 50 (Pennington et al. 2017).
 */
import { describe, expect, it } from 'vitest';
import { CounterRng } from '../random/index.js';
import { initDeepParams, resolveDeepInit, type DeepInitKind } from './init.js';
import { inputJacobian, jacobianSpectrum } from './jacobian.js';
import { deepForward } from './network.js';
import { DEEP_PRESETS, resolveDeepSpec, type DeepActivation, type DeepPreset, type DeepSpec } from './spec.js';
import type { DeepParams } from './params.js';

function point(d: number, seed: number): Float64Array {
  const draws = new CounterRng(seed, 3003).at(0);
  return Float64Array.from({ length: d }, () => draws.normal());
}

/** Central differences of h_L (or f) in each raw input coordinate: a rows × d matrix. */
function fdJacobian(spec: DeepSpec, p: DeepParams, x: Float64Array, of: 'hidden' | 'output', h = 1e-6): Float64Array {
  const read = (xv: Float64Array) => {
    const xt = new Float64Array(spec.D);
    xt.set(xv);
    if (spec.bias) xt[spec.d] = 1;
    const fw = deepForward(spec, p, { n: 1, D: spec.D, x: xt }, { keep: true });
    return of === 'hidden' ? fw.post[spec.depth - 1] : fw.f;
  };
  const rows = read(x).length;
  const J = new Float64Array(rows * spec.d);
  for (let q = 0; q < spec.d; q++) {
    const xp = x.slice();
    const xm = x.slice();
    xp[q] += h;
    xm[q] -= h;
    const fp = read(xp);
    const fm = read(xm);
    for (let r = 0; r < rows; r++) J[r * spec.d + q] = (fp[r] - fm[r]) / (2 * h);
  }
  return J;
}

function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('inputJacobian', () => {
  const cases: [DeepActivation, boolean, DeepPreset][] = [
    ['relu', true, 'ntk'],
    ['tanh', false, 'mup'],
    ['erf', true, 'mean-field'],
    ['linear', false, 'standard'],
  ];
  for (const [activation, residual, scaling] of cases) {
    it(`${activation}, residual ${residual}, ${scaling}: ∂h_L/∂x and ∂f/∂x match central differences (rel. 1e-7)`, () => {
      const spec = resolveDeepSpec({ d: 4, depth: 3, width: [6, 6, 5], outputs: 2, activation, residual, scaling });
      const p = initDeepParams(spec, resolveDeepInit(spec, { biasVariance: 0.3 }), 2);
      const x = point(4, 1);
      for (const of of ['hidden', 'output'] as const) {
        const J = inputJacobian(spec, p, x, of);
        expect([J.rows, J.cols]).toEqual([of === 'hidden' ? 5 : 2, 4]);
        expect(relativeL2(J.values, fdJacobian(spec, p, x, of))).toBeLessThan(1e-7);
      }
    });
  }
});

describe('dynamical isometry at init (deep linear net, width 64, σ_w = 1, no bias)', () => {
  const spectrum = (depth: number, kind: DeepInitKind, scaling: DeepPreset) => {
    const spec = resolveDeepSpec({ d: 64, depth, width: 64, activation: 'linear', bias: false, scaling, inputFanIn: 'd' });
    const p = initDeepParams(spec, resolveDeepInit(spec, { kind, weightVariance: 1 }), 17);
    return jacobianSpectrum(inputJacobian(spec, p, point(64, 2)));
  };

  for (const depth of [10, 50]) {
    it(`L = ${depth}, orthogonal: every singular value is 1 within 1e-6 (spread < 1e-6), for every preset`, () => {
      for (const scaling of DEEP_PRESETS) {
        const s = spectrum(depth, 'orthogonal', scaling);
        expect(s.values.length).toBe(64);
        expect(Math.abs(s.max - 1)).toBeLessThan(1e-6);
        expect(Math.abs(s.min - 1)).toBeLessThan(1e-6);
        expect(s.spread).toBeLessThan(1e-6);
      }
    });

    it(`L = ${depth}, gaussian: the spread is wide (max/min > 100, spread > 1) while the mean square stays O(1)`, () => {
      const s = spectrum(depth, 'gaussian', 'ntk');
      expect(s.spread).toBeGreaterThan(1);
      expect(s.max / s.min).toBeGreaterThan(100);
      // E‖J‖_F²/d = 1 for σ_w² = 1; one draw at width 64 is within a factor of a few.
      const meanSquare = s.values.reduce((acc, v) => acc + v * v, 0) / s.values.length;
      expect(meanSquare).toBeGreaterThan(0.1);
      expect(meanSquare).toBeLessThan(10);
    });
  }
});

describe('jacobianSpectrum', () => {
  it('summarizes the singular values: mean, std, min, max, spread', () => {
    const s = jacobianSpectrum({ rows: 3, cols: 2, values: Float64Array.of(3, 0, 0, -1, 0, 0) });
    expect(Array.from(s.values)).toEqual([3, 1]);
    expect([s.mean, s.std, s.min, s.max, s.spread]).toEqual([2, 1, 1, 3, 2]);
  });
});

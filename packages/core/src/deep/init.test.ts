/**
 * Deep init (ARCHITECTURE.md §7, §4): L = 1 draws §1's w(0) bit for bit from the same streams;
 * the draws are keyed by (seed, layer, unit); the gaussian's variances follow the abc table; the
 * orthogonal init is (semi-)orthogonal with the gaussian's entry variance; the edge of chaos.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { initParams } from '../model/init.js';
import { resolveModelSpec } from '../model/spec.js';
import type { TwoLayerParameterization } from '../types.js';
import { initDeepParams, resolveDeepInit, unitDraws } from './init.js';
import { transpose } from './linalg.js';
import { deepCoefficients } from './scaling.js';
import { DEEP_PRESETS, resolveDeepSpec } from './spec.js';
import { deepParamsFromTwoLayer, deepSpecOfTwoLayer, twoLayerParamsFromDeep } from './two-layer.js';

function gram(w: Float64Array, rows: number, cols: number, scale: number): Float64Array {
  // (scale·W)(scale·W)ᵀ when rows ≤ cols, else (scale·W)ᵀ(scale·W): the identity for (semi-)orthogonal W.
  const t = rows <= cols ? w : transpose(w, rows, cols);
  const r = Math.min(rows, cols);
  const c = Math.max(rows, cols);
  const g = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let q = 0; q < c; q++) g[i * r + j] += scale * scale * t[i * c + q] * t[j * c + q];
  return g;
}

function maxIdentityError(g: Float64Array, r: number): number {
  let m = 0;
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) m = Math.max(m, Math.abs(g[i * r + j] - (i === j ? 1 : 0)));
  return m;
}

describe('L = 1 draws §1’s initialization', () => {
  const cases: [TwoLayerParameterization, number, boolean][] = [
    ['mean-field', 1, true],
    ['ntk', 3, true],
    ['lazy', 1, false],
    ['mean-field', 4, false],
  ];
  for (const [parameterization, k, bias] of cases) {
    it(`${parameterization}, k = ${k}, bias = ${bias}: w(0) equals initParams bit for bit (τ = 0.7, σ_a = 1.3, σ_b = 0.6)`, () => {
      const model = resolveModelSpec({ width: 13, parameterization, alpha: 2, bias, init: { scale: 0.7, sigmaA: 1.3, sigmaB: 0.6 } });
      const d = 3;
      const { spec, init } = deepSpecOfTwoLayer(model, d, k);
      const deep = initDeepParams(spec, init, 11);
      const two = initParams(model.init, model.width, spec.D, 11, k);
      const back = twoLayerParamsFromDeep(spec, deep);
      expect(Array.from(back.a)).toEqual(Array.from(two.a));
      expect(Array.from(back.b)).toEqual(Array.from(two.b));
      // And the converters are inverse to each other.
      const again = deepParamsFromTwoLayer(two);
      expect(Array.from(again.weights[1])).toEqual(Array.from(deep.weights[1]));
    });
  }

  it('refuses what it cannot map (centered, sphere init)', () => {
    expect(() => deepSpecOfTwoLayer(resolveModelSpec({ centered: true }), 2)).toThrow(InvalidInputError);
    expect(() => deepSpecOfTwoLayer(resolveModelSpec({ init: { kind: 'sphere' } }), 2)).toThrow('deepParamsFromTwoLayer');
  });
});

describe('streams (§4)', () => {
  it('unit j of layer l draws from (seed, init, (l − 1)·2³² + j): fan-in weights, then bias, then (last layer) output weights', () => {
    const spec = resolveDeepSpec({ d: 2, depth: 2, width: [3, 4], outputs: 2, scaling: 'ntk' });
    const init = resolveDeepInit(spec, { weightVariance: 1, biasVariance: 1 });
    const w = initDeepParams(spec, init, 5);
    const co = deepCoefficients(spec);
    const j = 2;
    const draws = unitDraws(5, 1, j);
    const row = [0, 1, 2].map(() => draws.normal() * co.weights[1].initScale);
    expect(Array.from(w.weights[1].subarray(j * 3, j * 3 + 3))).toEqual(row);
    expect(w.biases[1][j]).toBe(draws.normal() * co.biases[1]!.initScale);
    expect([w.weights[2][0 * 4 + j], w.weights[2][1 * 4 + j]]).toEqual([draws.normal(), draws.normal()].map((z) => z * co.weights[2].initScale));
  });

  it('a layer depends only on (seed, layer) and its shape: widening layer 2 leaves layer 1 and layer 2’s first units as they were', () => {
    const a = resolveDeepSpec({ d: 3, depth: 2, width: [5, 4], scaling: 'mean-field' });
    const b = resolveDeepSpec({ d: 3, depth: 2, width: [5, 7], scaling: 'mean-field' });
    const wa = initDeepParams(a, resolveDeepInit(a), 9);
    const wb = initDeepParams(b, resolveDeepInit(b), 9);
    expect(Array.from(wb.weights[0])).toEqual(Array.from(wa.weights[0]));
    expect(Array.from(wb.weights[1].subarray(0, 4 * 5))).toEqual(Array.from(wa.weights[1]));
    expect(Array.from(wb.biases[1].subarray(0, 4))).toEqual(Array.from(wa.biases[1]));
    // Output column j comes from unit j of the last layer (b = 0 in mean-field: no width factor).
    expect(Array.from(wb.weights[2].subarray(0, 4))).toEqual(Array.from(wa.weights[2]));
    const other = initDeepParams(a, resolveDeepInit(a), 10);
    expect(other.weights[0][0]).not.toBe(wa.weights[0][0]);
  });
});

describe('gaussian variances', () => {
  for (const scaling of DEEP_PRESETS) {
    it(`${scaling}: the effective weights W_l = μ_l w_l of a hidden layer have variance σ²/m (a + b = ½), the input layer σ² (a + b = 0); 5% at m = 256`, () => {
      const m = 256;
      const spec = resolveDeepSpec({ d: 4, depth: 2, width: m, scaling, bias: false });
      const w = initDeepParams(spec, resolveDeepInit(spec, { weightVariance: [1.5, 2, 0.5] }), 1);
      const co = deepCoefficients(spec);
      const variance = (v: Float64Array, mu: number) => v.reduce((s, x) => s + (mu * x) ** 2, 0) / v.length;
      expect(variance(w.weights[1], co.weights[1].multiplier) * m).toBeGreaterThan(2 * 0.95);
      expect(variance(w.weights[1], co.weights[1].multiplier) * m).toBeLessThan(2 * 1.05);
      expect(variance(w.weights[0], co.weights[0].multiplier)).toBeGreaterThan(1.5 * 0.9);
      expect(variance(w.weights[0], co.weights[0].multiplier)).toBeLessThan(1.5 * 1.1);
    });
  }

  it('inputFanIn d divides the input weights’ variance by d, not the bias column’s', () => {
    const base = { d: 4, depth: 1, width: 8, scaling: 'ntk' } as const;
    const one = resolveDeepSpec(base);
    const byD = resolveDeepSpec({ ...base, inputFanIn: 'd' });
    const w1 = initDeepParams(one, resolveDeepInit(one, { biasVariance: 0.3 }), 2).weights[0];
    const wd = initDeepParams(byD, resolveDeepInit(byD, { biasVariance: 0.3 }), 2).weights[0];
    for (let j = 0; j < 8; j++) {
      for (let q = 0; q < 4; q++) expect(wd[j * 5 + q]).toBe(w1[j * 5 + q] / 2);
      expect(wd[j * 5 + 4]).toBe(w1[j * 5 + 4]);
    }
  });
});

describe('orthogonal init', () => {
  for (const scaling of DEEP_PRESETS) {
    it(`${scaling}: square hidden layers have W_l = σ_l Q, input layer too with inputFanIn d; non-square (semi-)orthogonal; to 1e-14`, () => {
      const sigma2 = [1.7, 0.8, 2, 1.1, 0.6];
      const spec = resolveDeepSpec({ d: 6, depth: 4, width: [6, 6, 9, 4], outputs: 3, scaling, bias: false, inputFanIn: 'd' });
      const w = initDeepParams(spec, resolveDeepInit(spec, { kind: 'orthogonal', weightVariance: sigma2 }), 3);
      const co = deepCoefficients(spec);
      const shapes: [number, number][] = [[6, 6], [6, 6], [9, 6], [4, 9], [3, 4]];
      shapes.forEach(([rows, cols], l) => {
        // Entry variance of the gaussian: σ² n^{−2b} (/d for the input layer); W = μ w.
        const entryStd = Math.sqrt(sigma2[l]) * co.weights[l].initScale * (l === 0 ? 1 / Math.sqrt(6) : 1);
        const scale = 1 / (entryStd * Math.sqrt(Math.max(rows, cols)));
        expect(maxIdentityError(gram(w.weights[l], rows, cols, scale), Math.min(rows, cols))).toBeLessThanOrEqual(1e-14);
        if (rows === cols) {
          const eff = co.weights[l].multiplier / Math.sqrt(sigma2[l]);
          expect(maxIdentityError(gram(w.weights[l], rows, cols, eff), rows)).toBeLessThanOrEqual(1e-14);
        }
      });
    });
  }

  it('keeps the bias column and the biases of the gaussian init (same draws)', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 2, width: 5, scaling: 'mup' });
    const g = initDeepParams(spec, resolveDeepInit(spec, { kind: 'gaussian', biasVariance: 0.4 }), 8);
    const o = initDeepParams(spec, resolveDeepInit(spec, { kind: 'orthogonal', biasVariance: 0.4 }), 8);
    for (let j = 0; j < 5; j++) expect(o.weights[0][j * 4 + 3]).toBe(g.weights[0][j * 4 + 3]);
    expect(Array.from(o.biases[1])).toEqual(Array.from(g.biases[1]));
    expect(o.weights[1][0]).not.toBe(g.weights[1][0]);
  });
});

describe('edge of chaos', () => {
  it('relu: σ_w² = 2, σ_b² = 0 in every layer, recorded; linear: 1, 0', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 3, width: 8 });
    const init = resolveDeepInit(spec, { edgeOfChaos: true });
    expect(init.edgeOfChaos).toEqual({ weightVariance: 2, biasVariance: 0 });
    expect(init.weightVariance).toEqual([2, 2, 2, 2]);
    expect(init.biasVariance).toEqual([0, 0, 0]);
    const lin = resolveDeepInit(resolveDeepSpec({ d: 3, depth: 3, width: 8, activation: 'linear' }), { edgeOfChaos: true });
    expect(lin.edgeOfChaos).toEqual({ weightVariance: 1, biasVariance: 0 });
  });

  it('other activations take σ_w² from the solver, with σ_b² given', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 2, width: 8, activation: 'tanh' });
    expect(() => resolveDeepInit(spec, { edgeOfChaos: true })).toThrow('model.init.edgeOfChaos: no edge-of-chaos solver for tanh');
    const calls: [string, number][] = [];
    const init = resolveDeepInit(spec, { edgeOfChaos: true, biasVariance: 0.05 }, (phi, sb2) => {
      calls.push([phi, sb2]);
      return 1.76;
    });
    expect(calls).toEqual([['tanh', 0.05]]);
    expect(init.edgeOfChaos).toEqual({ weightVariance: 1.76, biasVariance: 0.05 });
    expect(init.weightVariance).toEqual([1.76, 1.76, 1.76]);
  });

  it('refuses a σ_w² beside edgeOfChaos, and σ_b² ≠ 0 for relu', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 2, width: 8 });
    expect(() => resolveDeepInit(spec, { edgeOfChaos: true, weightVariance: 2 })).toThrow('model.init.weightVariance');
    expect(() => resolveDeepInit(spec, { edgeOfChaos: true, biasVariance: 0.1 })).toThrow('σ_b² = 0');
    expect(() => resolveDeepInit(spec, { weightVariance: [1, 2] })).toThrow('model.init.weightVariance: expected a number or 3 numbers');
  });
});

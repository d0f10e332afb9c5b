import { describe, expect, it } from 'vitest';
import { InvalidInputError, augmentInputs, cloneParams, empiricalTangentKernel, initParams, makeDataset, resolveModelSpec, scalingOf, type NetworkParams } from '@mflab/core';
import { gatedTangentKernel } from './gated-kernel.js';

const maxAbsDiff = (u: Float64Array, v: Float64Array) => u.reduce((acc, x, i) => Math.max(acc, Math.abs(x - v[i])), 0);

function problem(parameterization: 'ntk' | 'mean-field') {
  const data = makeDataset({ kind: 'teacher', d: 3, n: 12, nTest: 0 }, 2);
  const model = resolveModelSpec({ width: 30, parameterization });
  return { inputs: augmentInputs(data.train, true), params: initParams(model.init, 30, 4, 9), scaling: scalingOf(model) };
}

describe('gatedTangentKernel', () => {
  it("with the parameters' own gates is core's empirical tangent kernel (to 1e-13 relative)", () => {
    for (const parameterization of ['ntk', 'mean-field'] as const) {
      const { inputs, params, scaling } = problem(parameterization);
      const expected = empiricalTangentKernel(params, scaling, inputs);
      const scale = Math.max(...expected.map(Math.abs));
      expect(maxAbsDiff(gatedTangentKernel(params, params, scaling, inputs), expected)).toBeLessThan(1e-13 * scale);
    }
  });

  it('changes only through flipped gates: a move that crosses no kink leaves K_{w(0)}(w) = K(w)', () => {
    const { inputs, params, scaling } = problem('ntk');
    const moved = cloneParams(params);
    // A tiny move: the smallest |a_j·x̃_i| over the data bounds how far a gate is from flipping.
    let margin = Infinity;
    for (let j = 0; j < params.m; j++) {
      for (let i = 0; i < inputs.n; i++) {
        let z = 0;
        for (let k = 0; k < params.D; k++) z += params.a[j * params.D + k] * inputs.x[i * params.D + k];
        margin = Math.min(margin, Math.abs(z));
      }
    }
    const step = (0.1 * margin) / 4; // |δa·x̃| ≤ ‖δa‖₁ max|x̃| ≤ 4 · step ≤ margin/10 (|x̃_k| ≤ 1 on the sphere with bias)
    for (let q = 0; q < moved.a.length; q++) moved.a[q] += q % 2 === 0 ? step : -step;
    for (let j = 0; j < moved.m; j++) moved.b[j] *= 1.3;
    const expected = empiricalTangentKernel(moved, scaling, inputs);
    const scale = Math.max(...expected.map(Math.abs));
    expect(maxAbsDiff(gatedTangentKernel(moved, params, scaling, inputs), expected)).toBeLessThan(1e-13 * scale);
  });

  it('matches a hand computation for one neuron whose gate flipped at one point', () => {
    // D = 2, x̃₁ = (1, 1), x̃₂ = (−1, 1); w: a = (1, 0.5), b = 2; gates from a⁰ = (−1, 0.5).
    // z = (1.5, −0.5); gate z⁰ = (−0.5, 1.5): g = (0, 1), h = g·z = (0, −0.5).
    // ntk, m = 1: γ s² = 1. K_G = h hᵀ + b² g gᵀ ⊙ (x̃·x̃'): only entry (2, 2) is non-zero,
    // 0.25 + 4 · 1 · 2 = 8.25.
    const params: NetworkParams = { m: 1, D: 2, a: Float64Array.of(1, 0.5), b: Float64Array.of(2) };
    const gates: NetworkParams = { m: 1, D: 2, a: Float64Array.of(-1, 0.5), b: Float64Array.of(7) };
    const inputs = { n: 2, D: 2, x: Float64Array.of(1, 1, -1, 1) };
    const k = gatedTangentKernel(params, gates, { s: 1, kappa: 1, rho: 1, gamma: 1 }, inputs);
    expect([...k]).toEqual([0, 0, 0, 8.25]);
  });

  it('rejects gates or inputs of another shape, naming them', () => {
    const { inputs, params, scaling } = problem('ntk');
    const other: NetworkParams = { m: 2, D: 4, a: new Float64Array(8), b: new Float64Array(2) };
    expect(() => gatedTangentKernel(params, other, scaling, inputs)).toThrow(InvalidInputError);
    expect(() => gatedTangentKernel(params, other, scaling, inputs)).toThrow(/^gates: /);
    expect(() => gatedTangentKernel(params, params, scaling, { n: 1, D: 3, x: new Float64Array(3) })).toThrow(/^inputs\.D: /);
  });
});

/**
 * The layer-wise empirical tangent kernel (layer-kernel.ts) against the independent second
 * implementation, `deepTangentKernel` (engine.ts: one full parameter gradient per input by
 * network.ts's backward, then dot products): Σ_l Θ_l equal to 1e-12 relative, for every preset,
 * relu/tanh/erf/linear, residual blocks, unequal widths, bias on and off; and each Θ_l against
 * the dot products of that layer's gradient tensors alone.
 */
import { describe, expect, it } from 'vitest';
import { CounterRng } from '../random/index.js';
import { deepTangentKernel } from './engine.js';
import { initDeepParams, resolveDeepInit } from './init.js';
import { deepGradientGrams, layerTangentKernels, sumLayerKernels } from './layer-kernel.js';
import { backward, forwardWith } from './network.js';
import { allocateDeepParams } from './params.js';
import { deepCoefficients } from './scaling.js';
import { DEEP_PRESETS, resolveDeepSpec, type DeepSpecInput } from './spec.js';

function inputs(p: number, d: number, bias: boolean) {
  const D = bias ? d + 1 : d;
  const draws = new CounterRng(5, 4004).at(0);
  const x = new Float64Array(p * D);
  for (let i = 0; i < p; i++) {
    for (let q = 0; q < d; q++) x[i * D + q] = draws.normal();
    if (bias) x[i * D + d] = 1;
  }
  return { n: p, D, x };
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let diff = 0;
  for (let t = 0; t < a.length; t++) diff = Math.max(diff, Math.abs(a[t] - b[t]));
  return diff / scale;
}

const CASES: DeepSpecInput[] = [
  ...DEEP_PRESETS.map((scaling) => ({ d: 3, depth: 3, width: 12, activation: 'relu' as const, scaling })),
  { d: 3, depth: 4, width: 10, activation: 'tanh', scaling: 'ntk', residual: true },
  { d: 2, depth: 3, width: [9, 7, 7], activation: 'erf', scaling: 'mup', residual: true },
  { d: 4, depth: 2, width: [6, 11], activation: 'linear', scaling: 'standard', bias: false },
  { d: 3, depth: 1, width: 15, activation: 'relu', scaling: 'mean-field' },
];

describe('deepGradientGrams: the layer-wise NTK', () => {
  for (const input of CASES) {
    it(`Σ_l Θ_l = deepTangentKernel to 1e-12 (${JSON.stringify(input)})`, () => {
      const spec = resolveDeepSpec(input);
      const co = deepCoefficients(spec);
      const w = initDeepParams(spec, resolveDeepInit(spec, { weightVariance: 1.3, biasVariance: 0.4 }), 2);
      const x = inputs(4, spec.d, spec.bias);
      const layers = layerTangentKernels(co, deepGradientGrams(spec, co, w, x));
      expect(layers.length).toBe(spec.depth + 1);
      expect(maxRelDiff(sumLayerKernels(layers), deepTangentKernel(spec, co, w, x))).toBeLessThan(1e-12);
    });
  }

  it('each Θ_l is γ_l times the dot products of layer l’s own gradient tensors', () => {
    const spec = resolveDeepSpec({ d: 3, depth: 3, width: 8, activation: 'tanh', scaling: 'mup', residual: true });
    const co = deepCoefficients(spec);
    const w = initDeepParams(spec, resolveDeepInit(spec), 3);
    const x = inputs(3, spec.d, true);
    const layers = layerTangentKernels(co, deepGradientGrams(spec, co, w, x));
    const grads = [0, 1, 2].map((i) => {
      const xi = { n: 1, D: x.D, x: x.x.subarray(i * x.D, (i + 1) * x.D) };
      const g = allocateDeepParams(spec);
      backward(spec, co, w, xi, forwardWith(spec, co, w, xi, true), Float64Array.of(1), g);
      return g;
    });
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, q) => s + v * b[q], 0);
    for (let l = 0; l <= spec.depth; l++) {
      const want = new Float64Array(9);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          want[i * 3 + j] = co.weights[l].lrFactor * dot(grads[i].weights[l], grads[j].weights[l]) + (co.biases[l]?.lrFactor ?? 0) * dot(grads[i].biases[l], grads[j].biases[l]);
        }
      }
      expect(maxRelDiff(layers[l], want)).toBeLessThan(1e-12);
    }
  });

  it('rejects several outputs with a one-line error naming log.ntk.every', () => {
    const spec = resolveDeepSpec({ d: 2, depth: 2, width: 4, outputs: 2 });
    const co = deepCoefficients(spec);
    expect(() => deepGradientGrams(spec, co, allocateDeepParams(spec), inputs(2, 2, true))).toThrow(/log\.ntk\.every/);
  });
});

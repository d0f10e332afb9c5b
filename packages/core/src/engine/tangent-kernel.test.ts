import { describe, expect, it } from 'vitest';
import { augmentInputs } from '../model/inputs.js';
import { initParams } from '../model/init.js';
import { cloneParams, type NetworkParams } from '../model/params.js';
import { resolveModelSpec } from '../model/spec.js';
import { scalingOf } from '../model/scaling.js';
import { randomDataset, relativeError } from '../testing/fixtures.js';
import type { TwoLayerParameterization } from '../types.js';
import { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';

/** ∇_w f(x̃) by central differences of f = s Σ_j b_j σ(a_j·x̃) (independent of the closed form). */
function outputGradient(w: NetworkParams, s: number, xt: Float64Array, h = 1e-6): Float64Array {
  const f = () => {
    let sum = 0;
    for (let j = 0; j < w.m; j++) {
      let z = 0;
      for (let k = 0; k < w.D; k++) z += w.a[j * w.D + k] * xt[k];
      sum += w.b[j] * Math.max(0, z);
    }
    return s * sum;
  };
  const out = new Float64Array(w.a.length + w.b.length);
  let g = 0;
  for (const arr of [w.a, w.b]) {
    for (let k = 0; k < arr.length; k++) {
      const keep = arr[k];
      arr[k] = keep + h;
      const up = f();
      arr[k] = keep - h;
      const down = f();
      arr[k] = keep;
      out[g++] = (up - down) / (2 * h);
    }
  }
  return out;
}

describe('empiricalTangentKernel', () => {
  for (const parameterization of ['mean-field', 'ntk', 'lazy'] as TwoLayerParameterization[]) {
    it(`${parameterization}: equals γ Σ_j ∇_{w_j}f(x)·∇_{w_j}f(x') with finite-difference gradients (rel 1e-7)`, () => {
      const model = resolveModelSpec({ width: 7, parameterization, alpha: 2 });
      const scaling = scalingOf(model);
      const left = augmentInputs(randomDataset(5, 3, 1), true);
      const right = augmentInputs(randomDataset(4, 3, 2), true);
      const w = cloneParams(initParams(model.init, 7, 4, 3));
      const k = empiricalTangentKernel(w, scaling, left, right);
      const grads = (inputs: typeof left) =>
        Array.from({ length: inputs.n }, (_, i) => outputGradient(w, scaling.s, inputs.x.slice(i * 4, i * 4 + 4)));
      const gl = grads(left);
      const gr = grads(right);
      const reference = new Float64Array(20);
      for (let i = 0; i < 5; i++) for (let l = 0; l < 4; l++) reference[i * 4 + l] = scaling.gamma * gl[i].reduce((acc, v, t) => acc + v * gr[l][t], 0);
      expect(relativeError(k, reference)).toBeLessThan(1e-7);
    });
  }
  it('is symmetric on one set, and the drift of a kernel from itself is 0', () => {
    const model = resolveModelSpec({ width: 30, parameterization: 'ntk' });
    const x = augmentInputs(randomDataset(6, 2, 4), true);
    const k = empiricalTangentKernel(initParams(model.init, 30, 3, 1), scalingOf(model), x);
    for (let i = 0; i < 6; i++) for (let l = 0; l < 6; l++) expect(k[i * 6 + l]).toBeCloseTo(k[l * 6 + i], 13);
    expect(relativeFrobeniusDistance(k, k)).toBe(0);
  });
  it('K(X, X) computes the activations once and gives the bits of K(X, a copy of X)', () => {
    const model = resolveModelSpec({ width: 33, parameterization: 'mean-field' });
    const x = augmentInputs(randomDataset(9, 5, 7), true);
    const w = initParams(model.init, 33, 6, 2);
    const copy = { n: x.n, D: x.D, x: x.x.slice() };
    expect(Array.from(empiricalTangentKernel(w, scalingOf(model), x))).toEqual(Array.from(empiricalTangentKernel(w, scalingOf(model), x, copy)));
  });
});

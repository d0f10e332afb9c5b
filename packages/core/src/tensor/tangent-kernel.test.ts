import { describe, expect, it } from 'vitest';
import { empiricalTangentKernel } from '../engine/tangent-kernel.js';
import { augmentInputs } from '../model/inputs.js';
import { initParams } from '../model/init.js';
import { DEFAULT_INIT } from '../model/spec.js';
import { scalingOf } from '../model/scaling.js';
import { randomDataset, relativeError } from '../testing/fixtures.js';
import { NEURON_CHUNK } from './chunks.js';
import { tensorTangentKernel } from './index.js';

// Float32 GEMMs summed in float64 across chunks: ~1e-6 relative in practice; 1e-4 leaves room
// for the odd gate whose pre-activation rounds across 0.
const TOL = 1e-4;
const d = 6;
const m = NEURON_CHUNK + 301; // two chunks, the second partial
const left = augmentInputs(randomDataset(7, d, 11), true);
const right = augmentInputs(randomDataset(5, d, 12), true);
const params = initParams(DEFAULT_INIT, m, d + 1, 3);

describe('tensorTangentKernel', () => {
  for (const parameterization of ['mean-field', 'ntk', 'lazy'] as const) {
    it(`matches the float64 reference (${parameterization}, p ≠ q, m not a multiple of the chunk)`, async () => {
      const scaling = scalingOf({ width: m, parameterization, alpha: 4 });
      const expected = empiricalTangentKernel(params, scaling, left, right);
      const actual = await tensorTangentKernel(params, scaling, left, right);
      expect(actual.length).toBe(7 * 5);
      expect(relativeError(actual, expected)).toBeLessThan(TOL);
    });
  }

  it('gives an exactly symmetric Gram matrix when right is omitted, written into out', async () => {
    const scaling = scalingOf({ width: m, parameterization: 'ntk', alpha: 1 });
    const expected = empiricalTangentKernel(params, scaling, left);
    const out = new Float64Array(49);
    const actual = await tensorTangentKernel(params, scaling, left, undefined, out);
    expect(actual).toBe(out);
    expect(relativeError(actual, expected)).toBeLessThan(TOL);
    for (let i = 0; i < 7; i++) for (let l = 0; l < 7; l++) expect(actual[i * 7 + l]).toBe(actual[l * 7 + i]);
  });

  it('rejects inputs whose D differs from the parameters', async () => {
    const scaling = scalingOf({ width: m, parameterization: 'ntk', alpha: 1 });
    const wrong = augmentInputs(randomDataset(3, d, 1), false);
    await expect(tensorTangentKernel(params, scaling, left, wrong)).rejects.toThrow(/right\.D/);
  });
});

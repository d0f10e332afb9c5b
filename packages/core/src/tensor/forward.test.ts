import { describe, expect, it } from 'vitest';
import { ReferenceKernel } from '../engine/reference-kernel.js';
import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { scalingOf } from '../model/scaling.js';
import { CounterRng } from '../random/index.js';
import { relativeError } from '../testing/fixtures.js';
import { CHUNK_ELEMENTS, NEURON_CHUNK, rowChunkSize } from './chunks.js';
import { tensorForward, tensorForwardBackward } from './index.js';

// MNIST-shaped inputs (d = 784 pixels in [0, 1], plus the bias coordinate): D = 785. Float32
// dot products of length 785 are ~1e-7 relative; summed over neurons, 1e-5 is a safe bound.
const TOL = 1e-5;
const D = 785;
const n = 48;
const m = NEURON_CHUNK + 52; // two neuron chunks, the second partial

function mnistLike(count: number, seed: number): AugmentedInputs {
  const rng = new CounterRng(seed, 7);
  const x = new Float64Array(count * D);
  for (let i = 0; i < count; i++) {
    const draws = rng.at(i);
    for (let k = 0; k < D - 1; k++) x[i * D + k] = draws.uniform();
    x[i * D + D - 1] = 1;
  }
  return { n: count, D, x };
}

function gaussianParams(width: number, seed: number): NetworkParams {
  const rng = new CounterRng(seed, 8);
  const a = new Float64Array(width * D);
  const b = new Float64Array(width);
  const scale = 1 / Math.sqrt(D);
  for (let j = 0; j < width; j++) {
    const draws = rng.at(j);
    // a ~ N(0, I/D) against pixels in [0, 1]: pre-activations of both signs, of order 1.
    for (let k = 0; k < D; k++) a[j * D + k] = scale * draws.normal();
    b[j] = draws.normal();
  }
  return { m: width, D, a, b };
}

const inputs = mnistLike(n, 1);
const params = gaussianParams(m, 2);

describe('tensorForward', () => {
  it('matches the reference partial outputs times s at D = 785', async () => {
    const scaling = scalingOf({ width: m, parameterization: 'ntk', alpha: 1 });
    const expected = new Float64Array(n);
    new ReferenceKernel().partialOutputs(params, inputs, 0, m, expected);
    for (let i = 0; i < n; i++) expected[i] *= scaling.s;
    const out = new Float64Array(n).fill(7);
    const actual = await tensorForward(params, scaling, inputs, out);
    expect(actual).toBe(out);
    expect(relativeError(actual, expected)).toBeLessThan(TOL);
  });
});

describe('tensorForwardBackward', () => {
  it('matches a float64 loop for g_b and g_a at D = 785', async () => {
    const rng = new CounterRng(5, 9);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = rng.at(i).normal() / n;
    const gradA = new Float64Array(m * D);
    const gradB = new Float64Array(m);
    const expectedA = new Float64Array(m * D);
    const expectedB = new Float64Array(m);
    // g_a jumps by b_j r_i x̃_i where a gate flips; a float32 z within ~1e-7 of 0 may flip, so
    // such (i, j) pairs get an allowance of their whole term (usually there are none).
    let allowance = 0;
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) {
        let z = 0;
        for (let k = 0; k < D; k++) z += params.a[j * D + k] * inputs.x[i * D + k];
        if (Math.abs(z) < 1e-6) {
          let sq = 0;
          for (let k = 0; k < D; k++) sq += inputs.x[i * D + k] ** 2;
          allowance += Math.abs(params.b[j] * r[i]) * Math.sqrt(sq);
        }
        if (z <= 0) continue;
        expectedB[j] += r[i] * z;
        for (let k = 0; k < D; k++) expectedA[j * D + k] += params.b[j] * r[i] * inputs.x[i * D + k];
      }
    }
    gradA.fill(3); // overwritten, not accumulated into
    await tensorForwardBackward(params, inputs, r, { gradA, gradB });
    expect(relativeError(gradB, expectedB)).toBeLessThan(TOL);
    let norm = 0;
    for (const v of expectedA) norm += v * v;
    expect(relativeError(gradA, expectedA)).toBeLessThan(TOL + allowance / Math.sqrt(norm));
  });
});

describe('chunk sizes', () => {
  it('keep a sample chunk × neuron chunk matrix within 16 MB and cover n evenly', () => {
    for (const [count, cols] of [[10_000, 1024], [10_000, 2048], [5, 2048], [4097, 1024]]) {
      const rows = rowChunkSize(count, cols);
      expect(rows * cols).toBeLessThanOrEqual(Math.max(cols, CHUNK_ELEMENTS));
      const chunks = Math.ceil(count / rows);
      expect(count - (chunks - 1) * rows).toBeGreaterThan(0);
      expect(rows).toBeLessThanOrEqual(count);
    }
  });
});

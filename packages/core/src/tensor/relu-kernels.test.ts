import { describe, expect, it } from 'vitest';
import { reluKernelGram } from '../kernels/relu-kernels.js';
import { randomDataset, relativeError } from '../testing/fixtures.js';
import { tensorReluKernelGram } from './index.js';

// Float32 cosines: ~1e-6 relative off the diagonal for well-separated points; 1e-4 Frobenius.
const TOL = 1e-4;
const d = 10;
const x1 = randomDataset(40, d, 21).x;
const x2 = randomDataset(23, d, 22).x;

describe('tensorReluKernelGram', () => {
  for (const kind of ['nngp', 'ntk'] as const) {
    for (const bias of [true, false]) {
      it(`matches reluKernelGram (${kind}, bias ${bias}) on a rectangular grid`, async () => {
        const expected = reluKernelGram(x1, x2, d, { kind, bias });
        const actual = await tensorReluKernelGram(x1, x2, d, { kind, bias });
        expect(actual.length).toBe(40 * 23);
        expect(relativeError(actual, expected)).toBeLessThan(TOL);
      });

      it(`matches reluKernelGram (${kind}, bias ${bias}) on a symmetric grid, exactly symmetric`, async () => {
        const expected = reluKernelGram(x1, null, d, { kind, bias });
        const actual = await tensorReluKernelGram(x1, null, d, { kind, bias });
        expect(relativeError(actual, expected)).toBeLessThan(TOL);
        for (let i = 0; i < 40; i++) {
          expect(actual[i * 40 + i]).toBeCloseTo(expected[i * 40 + i], 12);
          for (let j = 0; j < i; j++) expect(actual[i * 40 + j]).toBe(actual[j * 40 + i]);
        }
      });
    }
  }

  it('follows the zero-vector convention without bias (Σ = Θ = 0)', async () => {
    const x = new Float64Array([0, 0, 1, 2, -1, 0.5]);
    const actual = await tensorReluKernelGram(x, null, 2, { kind: 'ntk', bias: false });
    const expected = reluKernelGram(x, null, 2, { kind: 'ntk', bias: false });
    expect(Array.from(actual.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(relativeError(actual, expected)).toBeLessThan(TOL);
  });

  it('rejects a bad kind', async () => {
    await expect(tensorReluKernelGram(x1, null, d, { kind: 'rbf' as never })).rejects.toThrow(/options\.kind/);
  });
});

import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { deepReluGram, deepReluKernel, deepReluKernelLayers, resolveDeepReluOptions, type DeepReluKernelOptions } from './deep-relu.js';
import { reluKernelGram, reluKernelTerms } from './relu-kernels.js';

const TEST_STREAM = 902;

function randomVector(seed: number, index: number, d: number, scale = 1): Float64Array {
  const draws = new CounterRng(seed, TEST_STREAM).at(index);
  const v = new Float64Array(d);
  for (let k = 0; k < d; k++) v[k] = scale * draws.normal();
  return v;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function relClose(actual: number, expected: number, rel: number, abs = 0): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

/**
 * The recursion of ARCHITECTURE.md §1 written out plainly (acos of the clamped correlation):
 * the independent reference for the library's cancellation-free version.
 */
function plainRecursion(x: Float64Array, xp: Float64Array, options: DeepReluKernelOptions): { nngp: number; ntk: number } {
  const o = resolveDeepReluOptions(options);
  const d = x.length;
  const product = (a: Float64Array, b: Float64Array) =>
    o.inputProduct === 'mean' ? dot(a, b) / d : o.inputProduct === 'augmented' ? dot(a, b) + 1 : dot(a, b);
  let A = o.inputWeightVariance * product(x, x) + o.inputBiasVariance;
  let B = o.inputWeightVariance * product(xp, xp) + o.inputBiasVariance;
  let C = o.inputWeightVariance * product(x, xp) + o.inputBiasVariance;
  let T = C;
  for (let h = 1; h <= o.depth; h++) {
    const root = Math.sqrt(A * B);
    const c = Math.min(1, Math.max(-1, C / root));
    const theta = Math.acos(c);
    const e = (root * (Math.sin(theta) + (Math.PI - theta) * c)) / (2 * Math.PI); // E[σ(u)σ(v)]
    const ed = (Math.PI - theta) / (2 * Math.PI); // E[σ'(u)σ'(v)]
    C = o.weightVariance * e + o.biasVariance;
    A = (o.weightVariance * A) / 2 + o.biasVariance;
    B = (o.weightVariance * B) / 2 + o.biasVariance;
    T = T * o.weightVariance * ed + C;
  }
  return { nngp: C, ntk: T };
}

describe('deep ReLU kernels: the recursion', () => {
  it('at depth 1 with Σ⁰ = x̃·x̃′, σ_w² = 1, σ_b² = 0 reproduces eq. (4) to 1e-12 (NNGP and NTK, both bias flags)', () => {
    for (let i = 0; i < 100; i++) {
      const d = 1 + (i % 4);
      const x = randomVector(31, 2 * i, d);
      const xp = randomVector(31, 2 * i + 1, d, 1.7);
      for (const [inputProduct, bias] of [
        ['augmented', true],
        ['raw', false],
      ] as const) {
        const deep = deepReluKernel(x, xp, { depth: 1, weightVariance: 1, biasVariance: 0, inputProduct });
        const eq4 = reluKernelTerms(x, xp, bias);
        relClose(deep.nngp, eq4.nngp, 1e-12, 1e-15);
        relClose(deep.ntk, eq4.ntk, 1e-12, 1e-15);
      }
    }
    // and as Gram matrices, including the diagonal
    const d = 3;
    const n = 6;
    const X = new Float64Array(n * d);
    for (let i = 0; i < n; i++) X.set(randomVector(32, i, d), i * d);
    const deep = deepReluGram(X, null, d, { depth: 1, weightVariance: 1, biasVariance: 0, inputProduct: 'augmented' });
    const nngp = reluKernelGram(X, null, d, { kind: 'nngp' });
    const ntk = reluKernelGram(X, null, d, { kind: 'ntk' });
    for (let k = 0; k < n * n; k++) {
      relClose(deep.nngp[k], nngp[k], 1e-12);
      relClose(deep.ntk[k], ntk[k], 1e-12);
    }
  });

  it('matches the plainly written recursion at depths 1..8 for varied variances and input products (rel 1e-10)', () => {
    const settings: DeepReluKernelOptions[] = [
      { depth: 1 },
      { depth: 3, weightVariance: 1.5, biasVariance: 0.1 },
      { depth: 5, weightVariance: 2, biasVariance: 0, inputWeightVariance: 1, inputBiasVariance: 0.5, inputProduct: 'augmented' },
      { depth: 8, weightVariance: 2.5, biasVariance: 0.3, inputProduct: 'raw' },
      { depth: 2, weightVariance: 0.7, biasVariance: 0, inputWeightVariance: 3, inputBiasVariance: 0 },
    ];
    for (const [s, options] of settings.entries()) {
      for (let i = 0; i < 30; i++) {
        const d = 2 + (i % 3);
        const x = randomVector(33 + s, 2 * i, d);
        const xp = randomVector(33 + s, 2 * i + 1, d, 0.5);
        const ref = plainRecursion(x, xp, options);
        const got = deepReluKernel(x, xp, options);
        relClose(got.nngp, ref.nngp, 1e-10, 1e-14);
        relClose(got.ntk, ref.ntk, 1e-10, 1e-14);
      }
    }
  });

  it('layer 2 with bias variance matches a Monte Carlo estimate of σ_w² E[σ(u)σ(v)] + σ_b² (5 SE)', () => {
    // (u, v) ~ N(0, Σ¹ on {x, x'}) with Σ¹ taken from the depth-1 kernels, so this checks the
    // second step of the recursion (unequal variances, σ_b² > 0) against sampling.
    const options = { weightVariance: 1.8, biasVariance: 0.4, inputProduct: 'mean' } as const;
    const x = new Float64Array([1.2, -0.5, 0.3]);
    const xp = new Float64Array([-0.4, 0.9, 1.5]);
    const s11 = deepReluKernel(x, x, { depth: 1, ...options }).nngp;
    const s22 = deepReluKernel(xp, xp, { depth: 1, ...options }).nngp;
    const s12 = deepReluKernel(x, xp, { depth: 1, ...options }).nngp;
    const l11 = Math.sqrt(s11);
    const l21 = s12 / l11;
    const l22 = Math.sqrt(s22 - l21 * l21);
    const draws = 200_000;
    const rng = new CounterRng(5, TEST_STREAM);
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < draws; i++) {
      const g = rng.at(i);
      const z1 = g.normal();
      const z2 = g.normal();
      const u = l11 * z1;
      const v = l21 * z1 + l22 * z2;
      const value = options.weightVariance * Math.max(u, 0) * Math.max(v, 0) + options.biasVariance;
      sum += value;
      sum2 += value * value;
    }
    const mean = sum / draws;
    const se = Math.sqrt((sum2 / draws - mean * mean) / draws);
    const exact = deepReluKernel(x, xp, { depth: 2, ...options }).nngp;
    expect(se).toBeLessThan(0.01 * exact);
    expect(Math.abs(mean - exact)).toBeLessThanOrEqual(5 * se);
  });

  it('has the closed-form diagonal Σʰ(x,x) = σ_w²Σʰ⁻¹/2 + σ_b², Θʰ(x,x) = Θʰ⁻¹σ_w²/2 + Σʰ', () => {
    const x = new Float64Array([0.4, -1.1, 0.8, 2.0]);
    const sw = 1.7;
    const sb = 0.2;
    const layers = deepReluKernelLayers(x, x, { depth: 12, weightVariance: sw, biasVariance: sb });
    let S = (sw * dot(x, x)) / 4 + sb;
    let T = S;
    expect(layers.nngp[0]).toBeCloseTo(S, 14);
    for (let h = 1; h <= 12; h++) {
      S = (sw * S) / 2 + sb;
      T = (T * sw) / 2 + S;
      relClose(layers.nngp[h], S, 1e-14);
      relClose(layers.ntk[h], T, 1e-14);
    }
    expect(layers.nngp.length).toBe(13);
  });

  it('Gram: exactly symmetric, equal to the pairwise values, transposes under swapping, writes into out', () => {
    const d = 2;
    const X1 = new Float64Array([0.3, 1.0, -1.2, 0.5, 0.0, 0.0, 2.0, -0.7]);
    const X2 = new Float64Array([1.0, 1.0, -0.2, 0.1, 0.6, -1.4]);
    const options = { depth: 4, weightVariance: 2, biasVariance: 0.05 };
    const G12 = deepReluGram(X1, X2, d, options);
    const G21 = deepReluGram(X2, X1, d, options);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        const pair = deepReluKernel(X1.subarray(2 * i, 2 * i + 2), X2.subarray(2 * j, 2 * j + 2), options);
        relClose(G12.nngp[i * 3 + j], pair.nngp, 1e-15);
        relClose(G12.ntk[i * 3 + j], pair.ntk, 1e-15);
        expect(G21.ntk[j * 4 + i]).toBe(G12.ntk[i * 3 + j]);
      }
    }
    const out = { nngp: new Float64Array(16), ntk: new Float64Array(16) };
    const G = deepReluGram(X1, null, d, options, out);
    expect(G.nngp).toBe(out.nngp);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(G.ntk[i * 4 + j]).toBe(G.ntk[j * 4 + i]);
    // a zero input (row 2) with σ_b² > 0 is an ordinary point
    expect(G.nngp[2 * 4 + 2]).toBeGreaterThan(0);
    expect(Number.isFinite(G.ntk[2 * 4 + 1])).toBe(true);
  });

  it('rejects bad options and shapes with an InvalidInputError naming the field', () => {
    const x = new Float64Array([1, 2]);
    expectFieldError(() => deepReluKernel(x, x, { depth: 0 }), 'options.depth');
    expectFieldError(() => deepReluKernel(x, x, { depth: 1.5 }), 'options.depth');
    expectFieldError(() => deepReluKernel(x, x, {} as DeepReluKernelOptions), 'options.depth');
    expectFieldError(() => deepReluKernel(x, x, null as unknown as DeepReluKernelOptions), 'options');
    expectFieldError(() => deepReluKernel(x, x, { depth: 2, weightVariance: -1 }), 'options.weightVariance');
    expectFieldError(() => deepReluKernel(x, x, { depth: 2, biasVariance: Infinity }), 'options.biasVariance');
    expectFieldError(() => deepReluKernel(x, x, { depth: 2, inputWeightVariance: Number.NaN }), 'options.inputWeightVariance');
    expectFieldError(() => deepReluKernel(x, x, { depth: 2, inputBiasVariance: -0.1 }), 'options.inputBiasVariance');
    expectFieldError(() => deepReluKernel(x, x, { depth: 2, inputProduct: 'sum' as never }), 'options.inputProduct');
    expectFieldError(() => deepReluKernel(x, new Float64Array(3), { depth: 2 }), 'xp');
    expectFieldError(() => deepReluGram(x, null, 3, { depth: 2 }), 'x1');
    expectFieldError(() => deepReluGram(x, x, 2, { depth: 2 }, { ntk: new Float64Array(2) }), 'out.ntk');
    expect(resolveDeepReluOptions({ depth: 3 })).toEqual({
      depth: 3,
      weightVariance: 2,
      biasVariance: 0,
      inputWeightVariance: 2,
      inputBiasVariance: 0,
      inputProduct: 'mean',
    });
  });
});

describe('deep ReLU kernels at the edge of chaos (σ_w² = 2, σ_b² = 0)', () => {
  // Pairs with input angles 5°..175° and unequal norms; σ_b² = 0 keeps the angle in Σ⁰.
  const angles = [5, 10, 20, 30, 45, 60, 90, 120, 135, 150, 165, 175];
  const pairs = angles.map((deg) => {
    const a = (deg * Math.PI) / 180;
    return [new Float64Array([1.3, 0, 0]), new Float64Array([0.7 * Math.cos(a), 0.7 * Math.sin(a), 0])] as const;
  });
  const deepest = 100_000;
  const traces = pairs.map(([x, xp]) => ({
    xy: deepReluKernelLayers(x, xp, { depth: deepest }),
    xx: deepReluKernelLayers(x, x, { depth: deepest }),
    yy: deepReluKernelLayers(xp, xp, { depth: deepest }),
  }));
  const normalizedNngp = (p: number, h: number) => {
    const t = traces[p];
    return t.xy.nngp[h] / Math.sqrt(t.xx.nngp[h] * t.yy.nngp[h]);
  };
  const normalizedNtk = (p: number, h: number) => {
    const t = traces[p];
    return t.xy.ntk[h] / Math.sqrt(t.xx.ntk[h] * t.yy.ntk[h]);
  };

  it('keeps the diagonal: Σ^L(x,x) = Σ⁰(x,x) and Θ^L(x,x) = (L+1) Σ⁰(x,x)', () => {
    for (const t of traces) {
      for (const L of [1, 10, 50, 1000, deepest]) {
        relClose(t.xx.nngp[L], t.xx.nngp[0], 1e-12);
        relClose(t.xx.ntk[L], (L + 1) * t.xx.nngp[0], 1e-11);
      }
    }
  });

  it('the normalized NNGP increases with depth towards 1 for every pair, at the rate 1 − ρ_L ≈ 9π²/(2L²)', () => {
    for (let p = 0; p < pairs.length; p++) {
      for (let h = 1; h <= 50; h++) expect(normalizedNngp(p, h)).toBeGreaterThan(normalizedNngp(p, h - 1));
      expect(normalizedNngp(p, 50)).toBeGreaterThan(0.97);
      expect(normalizedNngp(p, 50)).toBeLessThan(1);
      // L²(1 − ρ_L) → 9π²/2 (slowly: a log L / L correction)
      const scaled = (deepest * deepest * (1 - normalizedNngp(p, deepest))) / ((9 * Math.PI * Math.PI) / 2);
      expect(Math.abs(scaled - 1)).toBeLessThan(5e-3);
    }
  });

  it('the normalized NTK forgets the angle: its spread over pairs shrinks with depth (like 1/L)', () => {
    const spread = (h: number) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < pairs.length; p++) {
        lo = Math.min(lo, normalizedNtk(p, h));
        hi = Math.max(hi, normalizedNtk(p, h));
      }
      return hi - lo;
    };
    for (let h = 1; h <= 50; h++) expect(spread(h)).toBeLessThan(spread(h - 1));
    expect(spread(50)).toBeLessThan(0.34);
    // spread·L settles (≈ 24.4 for 5° vs 175°): it shrinks like 1/L
    const s4 = spread(10_000) * 10_000;
    const s5 = spread(deepest) * deepest;
    expect(Math.abs(s5 - s4)).toBeLessThan(0.01 * s5);
    expect(spread(deepest)).toBeLessThan(3e-4);
  });

  it('the normalized NTK tends to 1/4 (not 1), as 1/4 + ((3/8) ln L + c(θ))/L', () => {
    for (let p = 0; p < pairs.length; p++) {
      const k = normalizedNtk(p, deepest);
      expect(Math.abs(k - 0.25)).toBeLessThan(3e-4);
      // Θ^L(x,x') ≈ q (L/4 + (3/8) ln L + c) while Θ^L(x,x) = (L + 1) q: the remainder
      // L(κ_L − 1/4) − (3/8) ln L converges to a pair-dependent constant. Without the log term
      // it would move by (3/8) ln 10 ≈ 0.86 between L = 10⁴ and 10⁵.
      const remainder = (L: number) => L * (normalizedNtk(p, L) - 0.25) - 0.375 * Math.log(L);
      expect(Math.abs(remainder(deepest) - remainder(10_000))).toBeLessThan(0.01);
      expect(remainder(10_000)).toBeGreaterThan(0);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { ACTIVATIONS, type Activation } from './activations.js';
import { deepReluGram, deepReluKernel, deepReluKernelLayers, type DeepReluKernelOptions } from './deep-relu.js';
import {
  DEFAULT_WEIGHT_VARIANCES,
  deepCorrelationLayers,
  deepKernel,
  deepKernelGram,
  deepKernelLayers,
  deepKernelLayersFromCovariance,
  resolveDeepKernelOptions,
  type DeepKernelOptions,
} from './deep-kernels.js';
import { chi1, correlationMap, edgeOfChaos, varianceFixedPoint } from './edge-of-chaos.js';
import { bivariateGaussianExpectation, gaussianExpectation } from './gauss-hermite.js';

const TEST_STREAM = 912;

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

function relClose(actual: number, expected: number, rel: number, abs = 0, label = ''): void {
  expect(Math.abs(actual - expected), label).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

/**
 * The recursions of deep-kernels.ts written out plainly for the reference: Σ⁰ from the raw
 * products, then per layer the expectations from independent formulas — relu by acos of the
 * clamped correlation, erf by Williams' arcsin form, linear trivially, tanh by the bivariate
 * Gauss–Hermite routine at a fixed high order (768) — and the Σ/Θ bookkeeping of the
 * feed-forward and residual recursions (module notes of deep-kernels.ts).
 */
function plainRecursion(x: Float64Array, xp: Float64Array, options: DeepKernelOptions): { nngp: number; ntk: number; A: number; B: number } {
  const o = resolveDeepKernelOptions(options);
  const d = x.length;
  const product = (a: Float64Array, b: Float64Array) =>
    o.inputProduct === 'mean' ? dot(a, b) / d : o.inputProduct === 'augmented' ? dot(a, b) + 1 : dot(a, b);
  let A = o.inputWeightVariance * product(x, x) + o.inputBiasVariance;
  let B = o.inputWeightVariance * product(xp, xp) + o.inputBiasVariance;
  let C = o.inputWeightVariance * product(x, xp) + o.inputBiasVariance;
  let T = C;
  const sw = o.weightVariance;
  const sb = o.biasVariance;
  const beta2 = o.residualScale ** 2;
  for (let h = 1; h <= o.depth; h++) {
    const e = plainExpectations(o.activation, A, B, C);
    if (o.residual && h < o.depth) {
      const inc = beta2 * (sw * e.pp + sb);
      T = T * (1 + beta2 * sw * e.dd) + inc;
      A += beta2 * (sw * e.uu + sb);
      B += beta2 * (sw * e.vv + sb);
      C += inc;
    } else {
      A = sw * e.uu + sb;
      B = sw * e.vv + sb;
      C = sw * e.pp + sb;
      T = T * sw * e.dd + C;
    }
  }
  return { nngp: C, ntk: T, A, B };
}

function plainExpectations(activation: Activation, A: number, B: number, C: number): { pp: number; dd: number; uu: number; vv: number } {
  const root = Math.sqrt(A * B);
  const c = Math.min(1, Math.max(-1, C / root));
  switch (activation) {
    case 'relu': {
      const theta = Math.acos(c);
      return { pp: (root * (Math.sin(theta) + (Math.PI - theta) * c)) / (2 * Math.PI), dd: (Math.PI - theta) / (2 * Math.PI), uu: A / 2, vv: B / 2 };
    }
    case 'erf': {
      const P = 1 + 2 * A;
      const Q = 1 + 2 * B;
      return {
        pp: (2 / Math.PI) * Math.asin((2 * C) / Math.sqrt(P * Q)),
        dd: 4 / Math.PI / Math.sqrt(P * Q - 4 * C * C),
        uu: (2 / Math.PI) * Math.asin((2 * A) / P),
        vv: (2 / Math.PI) * Math.asin((2 * B) / Q),
      };
    }
    case 'linear':
      return { pp: C, dd: 1, uu: A, vv: B };
    case 'tanh': {
      const n = 768; // |error| < 1e-10 for variances ≤ 6 (activation-kernels.test.ts)
      const sech2 = (t: number) => 1 - Math.tanh(t) ** 2;
      return {
        pp: bivariateGaussianExpectation((u, v) => Math.tanh(u) * Math.tanh(v), A, B, C, n),
        dd: bivariateGaussianExpectation((u, v) => sech2(u) * sech2(v), A, B, C, n),
        uu: gaussianExpectation((z) => Math.tanh(Math.sqrt(A) * z) ** 2, n),
        vv: gaussianExpectation((z) => Math.tanh(Math.sqrt(B) * z) ** 2, n),
      };
    }
  }
}

describe('deep kernels: relu is deepReluKernel', () => {
  it('feed-forward relu gives exactly the bits of deepReluKernel / Layers / Gram (depths 1..8, every input product)', () => {
    const settings: DeepReluKernelOptions[] = [
      { depth: 1 },
      { depth: 3, weightVariance: 1.5, biasVariance: 0.1 },
      { depth: 5, weightVariance: 2, biasVariance: 0, inputWeightVariance: 1, inputBiasVariance: 0.5, inputProduct: 'augmented' },
      { depth: 8, weightVariance: 2.5, biasVariance: 0.3, inputProduct: 'raw' },
    ];
    for (const [s, options] of settings.entries()) {
      for (let i = 0; i < 10; i++) {
        const d = 2 + (i % 3);
        const x = randomVector(40 + s, 2 * i, d);
        const xp = i === 0 ? x : randomVector(40 + s, 2 * i + 1, d, 0.5); // i = 0: the diagonal
        const ours = deepKernel(x, xp, { ...options, activation: 'relu' });
        const theirs = deepReluKernel(x, xp, options);
        expect(ours.nngp).toBe(theirs.nngp);
        expect(ours.ntk).toBe(theirs.ntk);
      }
      const x = randomVector(50, 0, 3);
      const xp = randomVector(50, 1, 3);
      const layers = deepKernelLayers(x, xp, options);
      const reference = deepReluKernelLayers(x, xp, options);
      expect(Array.from(layers.nngp)).toEqual(Array.from(reference.nngp));
      expect(Array.from(layers.ntk)).toEqual(Array.from(reference.ntk));
      const X = new Float64Array(15);
      for (let k = 0; k < 5; k++) X.set(randomVector(51, k, 3), 3 * k);
      const ours = deepKernelGram(X, null, 3, options);
      const theirs = deepReluGram(X, null, 3, options);
      expect(Array.from(ours.ntk)).toEqual(Array.from(theirs.ntk));
      expect(Array.from(ours.nngp)).toEqual(Array.from(theirs.nngp));
    }
  });
});

describe('deep kernels: the recursions against plainly written ones', () => {
  const settings: DeepKernelOptions[] = [
    { depth: 1, weightVariance: 1.3 },
    { depth: 3, weightVariance: 1.6, biasVariance: 0.1 },
    { depth: 4, weightVariance: 0.9, biasVariance: 0.3, inputWeightVariance: 2, inputBiasVariance: 0, inputProduct: 'augmented' },
    { depth: 3, weightVariance: 2.2, biasVariance: 0.05, residual: true },
    { depth: 5, weightVariance: 1.2, biasVariance: 0.2, residual: true, residualScale: 0.8, inputProduct: 'raw' },
  ];

  it('every activation, feed-forward and residual, Σ^L and Θ^L (rel 1e-10; tanh abs 1e-10 of the 768-node rule)', () => {
    for (const activation of ACTIVATIONS) {
      for (const [s, options] of settings.entries()) {
        // tanh: the reference's fixed rule is good to 1e-10 for variances ≤ 6, so the settings
        // with the 'mean' input product (Σ⁰ of order σ_w²), two pairs each (it is slow)
        if (activation === 'tanh' && options.inputProduct !== undefined) continue;
        for (let i = 0; i < (activation === 'tanh' ? 2 : 8); i++) {
          const d = 2 + (i % 3);
          const x = randomVector(60 + s, 2 * i, d);
          // i = 0 is the diagonal, except for relu: there acos(C/√(AB)) of the plain reference
          // is off by ~1e-8 in θ (the library carries the angle; the diagonal has its own test)
          const xp = i === 0 && activation !== 'relu' ? x : randomVector(60 + s, 2 * i + 1, d, 0.7);
          const o = { ...options, activation };
          const got = deepKernel(x, xp, o);
          const ref = plainRecursion(x, xp, o);
          const label = `${activation} ${JSON.stringify(options)} pair ${i}`;
          const abs = activation === 'tanh' ? 1e-10 * (1 + Math.abs(ref.ntk)) : 1e-14;
          relClose(got.nngp, ref.nngp, 1e-10, abs, label);
          relClose(got.ntk, ref.ntk, 1e-10, abs, label);
        }
      }
    }
  });

  it('deep linear networks: Σʰ = σ_w²Σʰ⁻¹ + σ_b², Θʰ = σ_w²Θʰ⁻¹ + Σʰ; residual: Σʰ = (1 + β²σ_w²)Σʰ⁻¹ + β²σ_b²', () => {
    const x = new Float64Array([0.5, -1.2, 2.0]);
    const xp = new Float64Array([1.0, 0.3, -0.4]);
    const sw = 1.3;
    const sb = 0.2;
    const s0 = (sw * dot(x, xp)) / 3 + sb;
    const ff = deepKernelLayers(x, xp, { depth: 6, activation: 'linear', weightVariance: sw, biasVariance: sb });
    let S = s0;
    let T = s0;
    for (let h = 1; h <= 6; h++) {
      S = sw * S + sb;
      T = sw * T + S;
      relClose(ff.nngp[h], S, 1e-14);
      relClose(ff.ntk[h], T, 1e-14);
    }
    const beta = 0.6;
    const res = deepKernelLayers(x, xp, { depth: 6, activation: 'linear', weightVariance: sw, biasVariance: sb, residual: true, residualScale: beta });
    S = s0;
    T = s0;
    for (let h = 1; h <= 5; h++) {
      const inc = beta * beta * (sw * S + sb);
      T = T * (1 + beta * beta * sw) + inc;
      S += inc;
      relClose(res.nngp[h], S, 1e-14);
      relClose(res.ntk[h], T, 1e-14);
    }
    relClose(res.nngp[6], sw * S + sb, 1e-14);
    relClose(res.ntk[6], sw * T + sw * S + sb, 1e-14);
  });

  it('a residual net with β = 0, or with L = 1, is the depth-1 network (exactly)', () => {
    const x = new Float64Array([0.3, 1.1]);
    const xp = new Float64Array([-0.8, 0.4]);
    for (const activation of ACTIVATIONS) {
      const one = deepKernel(x, xp, { depth: 1, activation, biasVariance: 0.1 });
      expect(deepKernel(x, xp, { depth: 1, activation, biasVariance: 0.1, residual: true })).toEqual(one);
      const zero = deepKernel(x, xp, { depth: 7, activation, biasVariance: 0.1, residual: true, residualScale: 0 });
      relClose(zero.nngp, one.nngp, 1e-15);
      relClose(zero.ntk, one.ntk, 1e-15);
    }
  });

  it('diagonal of a residual relu net at σ_b² = 0: Σʰ = (1 + k)Σʰ⁻¹, Θʰ = (1 + k)Θʰ⁻¹ + kΣʰ⁻¹ with k = β²σ_w²/2', () => {
    // On the diagonal E[σ(u)²] = A/2 and E[σ'(u)²] = ½, so with k = β²σ_w²/2:
    // Σʰ = (1 + k)Σʰ⁻¹ and Θʰ = Θʰ⁻¹(1 + k) + kΣʰ⁻¹; readout Σ^L = σ_w²Σ^{L−1}/2, Θ^L = Θ^{L−1}σ_w²/2 + Σ^L.
    const x = new Float64Array([0.9, -0.3, 1.4, 0.2]);
    const L = 10;
    const sw = 2;
    const layers = deepKernelLayers(x, x, { depth: L, weightVariance: sw, residual: true });
    const k = ((1 / L) * sw) / 2;
    let S = (sw * dot(x, x)) / 4;
    let T = S;
    for (let h = 1; h < L; h++) {
      T = T * (1 + k) + k * S;
      S *= 1 + k;
      relClose(layers.nngp[h], S, 1e-14);
      relClose(layers.ntk[h], T, 1e-14);
    }
    relClose(layers.nngp[L], (sw * S) / 2, 1e-14);
    relClose(layers.ntk[L], (T * sw) / 2 + (sw * S) / 2, 1e-14);
  });

  it('keeps the relu angle accurate in residual blocks: for nearly parallel inputs Θ(x,x) − Θ(x,x′) stays linear in θ (θ = 1e-6, 2e-6; rel 1e-5)', () => {
    // x' = x rotated by 1e-6 rad: 1 − ρ⁰ ≈ 5e-13, far below what acos(ρ) resolves; the residual
    // layers must not lose it (a plain C/√(AB) would leave round-off-sized noise here).
    const a = 1e-6;
    const x = new Float64Array([1, 0]);
    const xp = new Float64Array([Math.cos(a), Math.sin(a)]);
    const L = 6;
    const layers = deepKernelLayers(x, xp, { depth: L, residual: true, inputProduct: 'raw' });
    const Sxx = deepKernelLayers(x, x, { depth: L, residual: true, inputProduct: 'raw' });
    // With σ_b² = 0 and equal norms the NTK's distance to the diagonal, Θ(x,x) − Θ(x,x'), is of
    // order θ (relu's Σ̇ = ½ − θ/(2π)): it must be positive and scale linearly in θ.
    const gap1 = Sxx.ntk[L] - layers.ntk[L];
    const layers2 = deepKernelLayers(x, new Float64Array([Math.cos(2 * a), Math.sin(2 * a)]), { depth: L, residual: true, inputProduct: 'raw' });
    const gap2 = Sxx.ntk[L] - layers2.ntk[L];
    expect(gap1).toBeGreaterThan(0);
    relClose(gap2 / gap1, 2, 1e-5);
  });
});

describe('deep kernels: Gram matrices', () => {
  it('exactly symmetric, equal to the pairwise values, writes into out', () => {
    const d = 2;
    const X1 = new Float64Array([0.3, 1.0, -1.2, 0.5, 0.0, 0.0, 2.0, -0.7]);
    const X2 = new Float64Array([1.0, 1.0, -0.2, 0.1, 0.6, -1.4]);
    for (const activation of ['tanh', 'erf'] as const) {
      const options = { depth: 3, activation, weightVariance: 1.5, biasVariance: 0.05, residual: true };
      const G12 = deepKernelGram(X1, X2, d, options);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 3; j++) {
          const pair = deepKernel(X1.subarray(2 * i, 2 * i + 2), X2.subarray(2 * j, 2 * j + 2), options);
          relClose(G12.nngp[i * 3 + j], pair.nngp, 1e-15);
          relClose(G12.ntk[i * 3 + j], pair.ntk, 1e-15);
        }
      }
      const out = { nngp: new Float64Array(16), ntk: new Float64Array(16) };
      const G = deepKernelGram(X1, null, d, options, out);
      expect(G.ntk).toBe(out.ntk);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(G.ntk[i * 4 + j]).toBe(G.ntk[j * 4 + i]);
      // swapping the pair agrees to quadrature accuracy (the Cholesky order differs)
      const G21 = deepKernelGram(X2, X1, d, options);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) relClose(G21.ntk[j * 4 + i], G12.ntk[i * 3 + j], 1e-12, 1e-12);
    }
  });
});

describe('deep kernels: the correlation map of two inputs', () => {
  const x = new Float64Array([1.2, 0.3, -0.5]);
  const xp = new Float64Array([0.1, -0.9, 0.8]);

  it('ρ⁰ is the input correlation, and ρ_h = Σʰ_xy/√(Σʰ_xx Σʰ_yy) from the three diagonal/off-diagonal runs', () => {
    const rho = deepCorrelationLayers(x, xp, { depth: 5, activation: 'erf', weightVariance: 1.4, biasVariance: 0.1, inputBiasVariance: 0, inputProduct: 'raw' });
    relClose(rho[0], dot(x, xp) / Math.sqrt(dot(x, x) * dot(xp, xp)), 1e-15);
    const o = { depth: 5, activation: 'erf', weightVariance: 1.4, biasVariance: 0.1, inputBiasVariance: 0, inputProduct: 'raw' } as const;
    const xy = deepKernelLayers(x, xp, o);
    const xx = deepKernelLayers(x, x, o);
    const yy = deepKernelLayers(xp, xp, o);
    for (let h = 0; h <= 5; h++) {
      relClose(xy.varianceX[h], xx.nngp[h], 1e-15);
      relClose(xy.varianceY[h], yy.nngp[h], 1e-15);
      relClose(rho[h], xy.nngp[h] / Math.sqrt(xx.nngp[h] * yy.nngp[h]), 1e-14);
    }
  });

  it('at the variance fixed point, one layer of the recursion is one step of correlationMap', () => {
    for (const activation of ['tanh', 'erf'] as const) {
      const point = edgeOfChaos(activation, 0.05);
      const q = point.fixedPoint as number;
      for (const r of [-0.5, 0.2, 0.9]) {
        const layers = deepKernelLayersFromCovariance(q, q, r * q, { depth: 1, activation, weightVariance: point.weightVariance, biasVariance: 0.05 });
        relClose(layers.varianceX[1], q, 1e-12); // q* is a fixed point
        const rho1 = layers.nngp[1] / layers.varianceX[1];
        relClose(rho1, correlationMap(activation, r, { weightVariance: point.weightVariance, biasVariance: 0.05 }), 1e-12);
      }
    }
  });

  it('signal propagation (tanh, σ_b² = 0.05): 1 − ρ_l ∝ χ₁^l when ordered, ∝ 1/l at the edge, ρ_l → ρ* < 1 when chaotic', () => {
    const sb = 0.05;
    const depth = 80;
    const at = (sw: number) => deepCorrelationLayers(x, xp, { depth, activation: 'tanh', weightVariance: sw, biasVariance: sb });
    // ordered (σ_w² = 1, χ₁ = 0.759): geometric at the rate χ₁ (rel 1e-3 over 40 layers)
    const chiOrdered = chi1('tanh', 1, varianceFixedPoint('tanh', 1, sb));
    expect(chiOrdered).toBeLessThan(0.8);
    const ordered = at(1);
    relClose((1 - ordered[depth]) / (1 - ordered[depth / 2]), chiOrdered ** (depth / 2), 1e-3);
    // the edge (σ_w² = 1.76095): polynomially slow, about 1/l (halves from l = 40 to 80)
    const critical = at(edgeOfChaos('tanh', sb).weightVariance);
    const ratio = (1 - critical[depth]) / (1 - critical[depth / 2]);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(0.6);
    for (let h = 1; h <= depth; h++) expect(critical[h]).toBeGreaterThan(critical[h - 1]);
    // chaotic (σ_w² = 4, χ₁ > 1): the stable fixed point ρ* of the correlation map at q*
    expect(chi1('tanh', 4, varianceFixedPoint('tanh', 4, sb))).toBeGreaterThan(1.3);
    let rhoStar = 0;
    for (let k = 0; k < 150; k++) rhoStar = correlationMap('tanh', rhoStar, { weightVariance: 4, biasVariance: sb }); // contracts by ≈ 0.87 a step
    expect(rhoStar).toBeLessThan(0.2);
    const chaotic = at(4);
    expect(Math.abs(chaotic[depth] - rhoStar)).toBeLessThan(1e-5);
    expect(Math.abs(chaotic[depth] - rhoStar)).toBeLessThan(0.01 * Math.abs(chaotic[depth / 2] - rhoStar));
    // and the variances converge to q*
    const layers = deepKernelLayers(x, xp, { depth, activation: 'tanh', weightVariance: 4, biasVariance: sb });
    relClose(layers.varianceX[depth], varianceFixedPoint('tanh', 4, sb), 1e-9);
  });

  it('relu at the edge of chaos (σ_w² = 2, σ_b² = 0): ρ increases monotonically towards 1, as deepReluKernelLayers says', () => {
    const rho = deepCorrelationLayers(x, xp, { depth: 30, activation: 'relu' });
    for (let h = 1; h <= 30; h++) expect(rho[h]).toBeGreaterThan(rho[h - 1]);
    const a = deepReluKernelLayers(x, xp, { depth: 30 });
    const b = deepReluKernelLayers(x, x, { depth: 30 });
    const c = deepReluKernelLayers(xp, xp, { depth: 30 });
    relClose(rho[30], a.nngp[30] / Math.sqrt(b.nngp[30] * c.nngp[30]), 1e-14);
  });
});

describe('deep kernels: options', () => {
  it('fills defaults (σ_w² = edge of chaos at σ_b² = 0) and rejects bad options naming the field', () => {
    expect(resolveDeepKernelOptions({ depth: 4 })).toEqual({
      depth: 4,
      activation: 'relu',
      weightVariance: 2,
      biasVariance: 0,
      inputWeightVariance: 2,
      inputBiasVariance: 0,
      inputProduct: 'mean',
      residual: false,
      residualScale: 0,
      quadratureOrder: 'auto',
    });
    expect(resolveDeepKernelOptions({ depth: 4, residual: true }).residualScale).toBe(0.5);
    // resolving is idempotent (a resolved object is valid options)
    for (const options of [{ depth: 3 }, { depth: 4, activation: 'tanh', residual: true, biasVariance: 0.1 }] as const) {
      const resolved = resolveDeepKernelOptions(options);
      expect(resolveDeepKernelOptions(resolved)).toEqual(resolved);
    }
    for (const activation of ACTIVATIONS) {
      expect(resolveDeepKernelOptions({ depth: 1, activation }).weightVariance).toBe(DEFAULT_WEIGHT_VARIANCES[activation]);
      expect(DEFAULT_WEIGHT_VARIANCES[activation]).toBeCloseTo(edgeOfChaos(activation, 0).weightVariance, 15);
    }
    const x = new Float64Array([1, 2]);
    expectFieldError(() => deepKernel(x, x, { depth: 0 }), 'options.depth');
    expectFieldError(() => deepKernel(x, x, null as unknown as DeepKernelOptions), 'options');
    expectFieldError(() => deepKernel(x, x, { depth: 2, activation: 'gelu' as never }), 'options.activation');
    expectFieldError(() => deepKernel(x, x, { depth: 2, weightVariance: -1 }), 'options.weightVariance');
    expectFieldError(() => deepKernel(x, x, { depth: 2, inputProduct: 'sum' as never }), 'options.inputProduct');
    expectFieldError(() => deepKernel(x, x, { depth: 2, residual: 1 as never }), 'options.residual');
    expectFieldError(() => deepKernel(x, x, { depth: 2, residualScale: 0.5 }), 'options.residualScale');
    expectFieldError(() => deepKernel(x, x, { depth: 2, residual: true, residualScale: -1 }), 'options.residualScale');
    expectFieldError(() => deepKernel(x, x, { depth: 2, activation: 'tanh', quadratureOrder: 0 }), 'options.quadratureOrder');
    expectFieldError(() => deepKernel(x, new Float64Array(3), { depth: 2 }), 'xp');
    expectFieldError(() => deepKernelGram(x, null, 3, { depth: 2 }), 'x1');
    expectFieldError(() => deepKernelLayersFromCovariance(-1, 1, 0, { depth: 2 }), 'sxx');
  });
});

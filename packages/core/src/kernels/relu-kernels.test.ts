import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { reluKernel, reluKernelGram, reluKernelTerms } from './relu-kernels.js';

/** Test-only stream of the counter RNG (no library stream uses it). */
const TEST_STREAM = 901;

function augment(x: Float64Array, bias: boolean): Float64Array {
  if (!bias) return Float64Array.from(x);
  const out = new Float64Array(x.length + 1);
  out.set(x);
  out[x.length] = 1;
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/** Eq. (4) written out directly (acos of the clamped cosine): the independent reference. */
function eq4(x: Float64Array, xp: Float64Array, bias: boolean): { nngp: number; deriv: number; ntk: number } {
  const a = augment(x, bias);
  const b = augment(xp, bias);
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  const c = Math.min(1, Math.max(-1, dot(a, b) / (na * nb)));
  const theta = Math.acos(c);
  const nngp = (na * nb * (Math.sin(theta) + (Math.PI - theta) * c)) / (2 * Math.PI);
  const deriv = (Math.PI - theta) / (2 * Math.PI);
  return { nngp, deriv, ntk: nngp + dot(a, b) * deriv };
}

function randomVector(seed: number, index: number, d: number, scale = 1): Float64Array {
  const draws = new CounterRng(seed, TEST_STREAM).at(index);
  const v = new Float64Array(d);
  for (let k = 0; k < d; k++) v[k] = scale * draws.normal();
  return v;
}

function relClose(actual: number, expected: number, rel: number, abs = 0): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + abs);
}

describe('two-layer ReLU kernels, eq. (4)', () => {
  it('Σ and Σ̇ match a Monte Carlo estimate over a ~ N(0, I_D) within 5 standard errors', () => {
    const draws = 200_000;
    const bias = true;
    const pairs: Array<[Float64Array, Float64Array]> = [
      [new Float64Array([0.8, -0.3, 0.5]), new Float64Array([0.6, 0.1, 0.9])], // acute
      [new Float64Array([1.0, 0.0, 0.0]), new Float64Array([-1.0, 0.4, 0.0])], // x̃·x̃' = 0: θ = 90°
      [new Float64Array([1.5, 0.2, -0.4]), new Float64Array([-1.4, 0.3, 0.6])], // obtuse
    ];
    const D = 4;
    const rng = new CounterRng(7, TEST_STREAM);
    const sums = pairs.map(() => ({ s: 0, s2: 0, hits: 0 }));
    const tilde = pairs.map(([x, xp]) => [augment(x, bias), augment(xp, bias)]);
    const a = new Float64Array(D);
    for (let i = 0; i < draws; i++) {
      const g = rng.at(i);
      for (let k = 0; k < D; k++) a[k] = g.normal();
      for (let p = 0; p < pairs.length; p++) {
        const u = dot(a, tilde[p][0]);
        const v = dot(a, tilde[p][1]);
        const prod = Math.max(u, 0) * Math.max(v, 0);
        sums[p].s += prod;
        sums[p].s2 += prod * prod;
        if (u > 0 && v > 0) sums[p].hits++;
      }
    }
    for (let p = 0; p < pairs.length; p++) {
      const terms = reluKernelTerms(pairs[p][0], pairs[p][1], bias);
      const mean = sums[p].s / draws;
      const se = Math.sqrt((sums[p].s2 / draws - mean * mean) / draws);
      expect(se).toBeGreaterThan(0);
      expect(se).toBeLessThan(0.02 * terms.nngp); // the check is sharp enough to mean something
      expect(Math.abs(mean - terms.nngp)).toBeLessThanOrEqual(5 * se);
      const freq = sums[p].hits / draws;
      const seFreq = Math.sqrt((terms.nngpDerivative * (1 - terms.nngpDerivative)) / draws);
      expect(Math.abs(freq - terms.nngpDerivative)).toBeLessThanOrEqual(5 * seFreq);
    }
    // the 90° pair really is orthogonal, so Σ̇ there is ¼
    expect(reluKernelTerms(pairs[1][0], pairs[1][1], bias).nngpDerivative).toBeCloseTo(0.25, 15);
  });

  it('matches eq. (4) written out directly, for random pairs, with and without bias (rel 1e-12)', () => {
    for (let i = 0; i < 100; i++) {
      const d = 1 + (i % 5);
      const x = randomVector(11, 2 * i, d);
      const xp = randomVector(11, 2 * i + 1, d, 2);
      for (const bias of [true, false]) {
        const ref = eq4(x, xp, bias);
        const terms = reluKernelTerms(x, xp, bias);
        relClose(terms.nngp, ref.nngp, 1e-12, 1e-15);
        relClose(terms.nngpDerivative, ref.deriv, 1e-12);
        relClose(terms.ntk, ref.ntk, 1e-12, 1e-15);
        relClose(reluKernel(x, xp, { kind: 'nngp', bias }), ref.nngp, 1e-12, 1e-15);
        relClose(reluKernel(x, xp, { kind: 'ntk', bias }), ref.ntk, 1e-12, 1e-15);
      }
    }
  });

  it("Θ = Σ + (x̃·x̃') Σ̇, and the default kind is the NTK with bias", () => {
    for (let i = 0; i < 20; i++) {
      const x = randomVector(12, 2 * i, 3);
      const xp = randomVector(12, 2 * i + 1, 3);
      for (const bias of [true, false]) {
        const t = reluKernelTerms(x, xp, bias);
        const inner = dot(augment(x, bias), augment(xp, bias));
        relClose(t.inner, inner, 1e-13, 1e-15);
        relClose(t.ntk, t.nngp + inner * t.nngpDerivative, 1e-14, 1e-15);
      }
      expect(reluKernel(x, xp)).toBe(reluKernelTerms(x, xp, true).ntk);
    }
  });

  it('is symmetric in its arguments', () => {
    for (let i = 0; i < 20; i++) {
      const x = randomVector(13, 2 * i, 4);
      const xp = randomVector(13, 2 * i + 1, 4);
      for (const bias of [true, false]) {
        expect(reluKernelTerms(xp, x, bias)).toEqual(reluKernelTerms(x, xp, bias));
      }
    }
  });

  it('gives the known values at θ = 0, θ = π/2 and θ = π', () => {
    const x = new Float64Array([0.3, -1.2, 2.0]);
    // θ = 0: x' = x with bias, and x' = 2.5x without bias: Σ = ‖x̃‖‖x̃'‖/2, Σ̇ = ½, Θ = ‖x̃‖‖x̃'‖.
    const sq = dot(x, x);
    const same = reluKernelTerms(x, x, true);
    relClose(same.nngp, (sq + 1) / 2, 1e-15);
    expect(same.nngpDerivative).toBe(0.5);
    relClose(same.ntk, sq + 1, 1e-15);
    const scaled = reluKernelTerms(x, x.map((v) => 2.5 * v), false);
    expect(scaled.angle).toBeLessThan(1e-15);
    relClose(scaled.nngp, (2.5 * sq) / 2, 1e-15);
    relClose(scaled.nngpDerivative, 0.5, 1e-15);
    // θ = π/2: Σ = ‖x̃‖‖x̃'‖/(2π), Σ̇ = ¼ (x̃ = (1, 2, 1), x̃' = (2, −1.5, 1)).
    const ortho = reluKernelTerms(new Float64Array([1, 2]), new Float64Array([2, -1.5]), true);
    relClose(ortho.nngp, (Math.sqrt(6) * Math.sqrt(7.25)) / (2 * Math.PI), 1e-15);
    relClose(ortho.nngpDerivative, 0.25, 1e-15);
    relClose(ortho.ntk, ortho.nngp, 1e-15);
    // θ = π (x' = −x, no bias): Σ = 0, Σ̇ = 0, Θ = 0.
    const opposite = reluKernelTerms(x, x.map((v) => -v), false);
    expect(Math.abs(opposite.nngp)).toBeLessThan(1e-15);
    expect(opposite.nngpDerivative).toBeLessThan(1e-16);
    expect(Math.abs(opposite.ntk)).toBeLessThan(1e-14);
  });

  it('follows the documented convention for zero vectors (Σ = 0, Σ̇ = ½, Θ = 0)', () => {
    const zero = new Float64Array(3);
    const x = new Float64Array([1, 2, 3]);
    expect(reluKernelTerms(zero, x, false)).toEqual({ nngp: 0, nngpDerivative: 0.5, inner: 0, ntk: 0, angle: 0 });
    expect(reluKernelTerms(x, zero, false).nngpDerivative).toBe(0.5);
    // with bias x̃ = (0, 1) is not zero: an ordinary angle
    const withBias = reluKernelTerms(zero, x, true);
    relClose(withBias.nngp, eq4(zero, x, true).nngp, 1e-14);
    const gram = reluKernelGram(new Float64Array([0, 0, 0, 1, 2, 3]), null, 3, { bias: false });
    expect(Array.from(gram)).toEqual([0, 0, 0, dot(x, x)]);
  });
});

describe('reluKernelGram', () => {
  const d = 3;
  const n1 = 7;
  const n2 = 5;
  const x1 = new Float64Array(n1 * d);
  const x2 = new Float64Array(n2 * d);
  for (let i = 0; i < n1; i++) x1.set(randomVector(21, i, d), i * d);
  for (let j = 0; j < n2; j++) x2.set(randomVector(22, j, d), j * d);

  it('equals the pairwise kernel entry by entry (n1×n2 row-major), both kinds, both bias flags', () => {
    for (const kind of ['nngp', 'ntk'] as const) {
      for (const bias of [true, false]) {
        const K = reluKernelGram(x1, x2, d, { kind, bias });
        expect(K.length).toBe(n1 * n2);
        for (let i = 0; i < n1; i++) {
          for (let j = 0; j < n2; j++) {
            const ref = reluKernel(x1.subarray(i * d, i * d + d), x2.subarray(j * d, j * d + d), { kind, bias });
            expect(K[i * n2 + j]).toBe(ref);
            relClose(K[i * n2 + j], eq4(x1.subarray(i * d, i * d + d), x2.subarray(j * d, j * d + d), bias)[kind], 1e-12, 1e-15);
          }
        }
      }
    }
  });

  it('is exactly symmetric for x2 = null, equals the general path, and is the transpose of the swapped call', () => {
    const Ksym = reluKernelGram(x1, null, d);
    const Kgen = reluKernelGram(x1, Float64Array.from(x1), d);
    expect(Ksym).toEqual(Kgen);
    for (let i = 0; i < n1; i++) for (let j = 0; j < n1; j++) expect(Ksym[i * n1 + j]).toBe(Ksym[j * n1 + i]);
    const K12 = reluKernelGram(x1, x2, d);
    const K21 = reluKernelGram(x2, x1, d);
    for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) expect(K12[i * n2 + j]).toBe(K21[j * n1 + i]);
    // the diagonal with bias: Θ(x, x) = ‖x̃‖² exactly up to rounding
    for (let i = 0; i < n1; i++) {
      const row = x1.subarray(i * d, i * d + d);
      relClose(Ksym[i * n1 + i], dot(row, row) + 1, 1e-15);
    }
  });

  it('writes into `out` when given', () => {
    const out = new Float64Array(n1 * n2);
    const K = reluKernelGram(x1, x2, d, { kind: 'nngp' }, out);
    expect(K).toBe(out);
    expect(out).toEqual(reluKernelGram(x1, x2, d, { kind: 'nngp' }));
  });

  it('rejects bad input with an InvalidInputError naming the field', () => {
    expectFieldError(() => reluKernelGram(x1, x2, 0), 'd');
    expectFieldError(() => reluKernelGram(x1, x2, 2.5), 'd');
    expectFieldError(() => reluKernelGram(x1.subarray(1), x2, d), 'x1');
    expectFieldError(() => reluKernelGram(x1, x2.subarray(1), d), 'x2');
    const bad = Float64Array.from(x2);
    bad[4] = Number.NaN;
    expectFieldError(() => reluKernelGram(x1, bad, d), 'x2[4]');
    expectFieldError(() => reluKernelGram(x1, x2, d, { kind: 'rbf' as never }), 'options.kind');
    expectFieldError(() => reluKernelGram(x1, x2, d, { bias: 1 as never }), 'options.bias');
    expectFieldError(() => reluKernelGram(x1, x2, d, {}, new Float64Array(3)), 'out');
    expectFieldError(() => reluKernel(new Float64Array(2), new Float64Array(3)), 'xp');
    expectFieldError(() => reluKernel(new Float64Array(0), new Float64Array(0)), 'x');
    expectFieldError(() => reluKernel(new Float64Array([Infinity]), new Float64Array([1])), 'x[0]');
  });
});

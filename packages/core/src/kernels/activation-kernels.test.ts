import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { CounterRng } from '../random/index.js';
import { activationKernel, autoQuadratureOrder, varianceExpectations } from './activation-kernels.js';
import { ACTIVATIONS, activationDerivative, activationFunction, erf } from './activations.js';
import { bivariateGaussianExpectation, gaussianExpectation } from './gauss-hermite.js';

const TEST_STREAM = 911;
const erfPrime = activationDerivative('erf');

/**
 * E[g(u, v)], (u, v) ~ N(0, [[A, ρ√(AB)], [ρ√(AB), B]]), by the 2-D trapezoidal rule in the
 * Cholesky coordinates (z₁, z₂) on [−9, 9]² — an independent reference: for integrands analytic
 * in the strip |Im z| < π/(2√q) (tanh(√q z) has its poles there) the rule with step h has error
 * ≈ e^{−2π·(π/(2√q))/h}, below 1e-17 for h = 0.2/√q; truncation at |z| = 9 costs e^{−40}.
 */
function trapezoid2d(g: (u: number, v: number) => number, A: number, B: number, rho: number): number {
  const h = Math.min(0.25, 0.2 / Math.sqrt(Math.max(A, B)));
  const N = Math.ceil(9 / h);
  const sa = Math.sqrt(A);
  const sb = Math.sqrt(B);
  const s = Math.sqrt((1 - rho) * (1 + rho));
  const w = new Float64Array(2 * N + 1);
  for (let k = -N; k <= N; k++) w[k + N] = (Math.exp(-0.5 * (k * h) ** 2) * h) / Math.sqrt(2 * Math.PI);
  let sum = 0;
  for (let i = -N; i <= N; i++) {
    const z1 = i * h;
    let inner = 0;
    for (let j = -N; j <= N; j++) inner += w[j + N] * g(sa * z1, sb * (rho * z1 + s * j * h));
    sum += w[i + N] * inner;
  }
  return sum;
}

const tanhProduct = (u: number, v: number) => Math.tanh(u) * Math.tanh(v);
const sech2Product = (u: number, v: number) => (1 - Math.tanh(u) ** 2) * (1 - Math.tanh(v) ** 2);

describe('activationKernel: closed forms against quadrature', () => {
  // (A, B, ρ): small to large variances (the auto order's range ends at q = 7.75), ρ near ±1.
  const cases: Array<[number, number, number]> = [
    [0.05, 0.08, 0.2],
    [0.3, 0.5, 0.4],
    [1, 1, 0.9],
    [1, 2, -0.5],
    [2.5, 2, 0.99],
    [0.5, 4, 0.3],
    [4, 4, 0.7],
    [6, 7.5, -0.8],
    [1.5, 1.5, 1],
    [3, 0.7, -1],
  ];

  it('erf: Williams’ closed forms equal the Gauss–Hermite routine (auto order) on E[φφ], E[φ′φ′], E[φ²] to 1e-13', () => {
    for (const [A, B, rho] of cases) {
      const C = rho * Math.sqrt(A * B);
      const k = activationKernel('erf', A, B, C);
      const n = autoQuadratureOrder(Math.max(A, B));
      expect(Math.abs(bivariateGaussianExpectation((u, v) => erf(u) * erf(v), A, B, C, n) - k.value)).toBeLessThan(1e-13);
      expect(Math.abs(bivariateGaussianExpectation((u, v) => erfPrime(u) * erfPrime(v), A, B, C, n) - k.derivative)).toBeLessThan(1e-13);
      expect(Math.abs(gaussianExpectation((z) => erf(Math.sqrt(A) * z) ** 2, n) - k.varianceX)).toBeLessThan(1e-13);
      expect(Math.abs(gaussianExpectation((z) => erf(Math.sqrt(B) * z) ** 2, n) - k.varianceY)).toBeLessThan(1e-13);
    }
  });

  it('linear: E[uv] = C, E[φ′φ′] = 1 exactly; relu: the arc-cosine values at known angles', () => {
    const lin = activationKernel('linear', 2, 3, -1.2);
    expect(lin).toEqual({ value: -1.2, derivative: 1, varianceX: 2, varianceY: 3 });
    // relu: θ = π/2 gives √(AB)/(2π) and ¼; θ = 0 gives √(AB)/2 and ½; θ = π gives 0 and 0
    const orth = activationKernel('relu', 2, 8, 0);
    expect(orth.value).toBeCloseTo(4 / (2 * Math.PI), 15);
    expect(orth.derivative).toBeCloseTo(0.25, 15);
    expect(activationKernel('relu', 2, 8, 4).value).toBeCloseTo(2, 14);
    expect(activationKernel('relu', 2, 8, -4).derivative).toBeCloseTo(0, 15);
  });

  it('tanh (auto order): within 1e-10 of an independent 2-D trapezoidal rule, for variances up to 7.5 and ρ = ±1', () => {
    for (const [A, B, rho] of cases) {
      const k = activationKernel('tanh', A, B, rho * Math.sqrt(A * B));
      expect(Math.abs(k.value - trapezoid2d(tanhProduct, A, B, rho))).toBeLessThan(1e-10);
      expect(Math.abs(k.derivative - trapezoid2d(sech2Product, A, B, rho))).toBeLessThan(1e-10);
      expect(Math.abs(k.varianceX - trapezoid2d((u) => Math.tanh(u) ** 2, A, B, rho))).toBeLessThan(1e-10);
      expect(Math.abs(k.varianceY - trapezoid2d((_u, v) => Math.tanh(v) ** 2, A, B, rho))).toBeLessThan(1e-10);
    }
  });

  it('tanh: within 1e-12 of 20-digit mpmath values (adaptive tanh-sinh quadrature, rounded to float64)', () => {
    // mpmath 1.3, mp.dps = 20: nested mp.quad over z₁ and z₂ (Cholesky coordinates), each split
    // at 0 and ±1/√q; E[tanh u tanh v] and E[sech²u sech²v]. For (2.5, 2, 0.99) that split was
    // not enough for E[tanh u tanh v] (mpmath gave …43870…, off by 2.5e-5, where this routine and
    // the trapezoidal rule agree to 1e-15); the value below is from splits every 1/4 in z₁ and
    // every 1/(2√B(1 − ρ²)^{1/2}) in z₂.
    const reference: Array<[number, number, number, number, number]> = [
      [0.3, 0.5, 0.4, 0.09069395078182604, 0.5902526313356415],
      [1, 1, 0.9, 0.3492033505819252, 0.43876184446267136],
      [1, 2, -0.5, -0.2096030794278198, 0.3084323102717225],
      [2.5, 2, 0.99, 0.5314638161113837, 0.3270001650374148],
    ];
    for (const [A, B, rho, value, derivative] of reference) {
      const k = activationKernel('tanh', A, B, rho * Math.sqrt(A * B));
      expect(Math.abs(k.value - value)).toBeLessThan(1e-12);
      expect(Math.abs(k.derivative - derivative)).toBeLessThan(1e-12);
    }
    // univariate V(q) = E[tanh²(√q Z)], D(q) = E[sech⁴(√q Z)] (mpmath, 18 digits)
    const univariate: Array<[number, number, number]> = [
      [0.1, 0.08421392842110724, 0.849207068406472],
      [0.5, 0.2736763079367389, 0.5924257933717963],
      [1, 0.39429449039784115, 0.46440290244826826],
      [2, 0.5199757456639487, 0.3495082977466028],
      [4, 0.6352612342569399, 0.25595044322520893],
      [7.5, 0.7230497246430133, 0.19020877926654345],
    ];
    const out = new Float64Array(2);
    for (const [q, V, D] of univariate) {
      varianceExpectations('tanh', q, 'auto', out);
      expect(Math.abs(out[0] - V)).toBeLessThan(1e-13);
      expect(Math.abs(out[1] - D)).toBeLessThan(1e-13);
      const k = activationKernel('tanh', q, q, q); // ρ = 1: the bivariate rule on the diagonal
      expect(Math.abs(k.value - V)).toBeLessThan(1e-10);
      expect(Math.abs(k.derivative - D)).toBeLessThan(1e-10);
    }
  });

  it('tanh: the half-sum over the symmetric rule equals the full tensor-product rule (odd and even orders, 1e-15)', () => {
    for (const order of [7, 64, 101]) {
      for (const [A, B, rho] of [
        [0.7, 1.9, 0.35],
        [2, 0.4, -0.9],
      ]) {
        const C = rho * Math.sqrt(A * B);
        const k = activationKernel('tanh', A, B, C, { quadratureOrder: order });
        expect(Math.abs(k.value - bivariateGaussianExpectation(tanhProduct, A, B, C, order))).toBeLessThan(1e-15);
        expect(Math.abs(k.derivative - bivariateGaussianExpectation(sech2Product, A, B, C, order))).toBeLessThan(1e-15);
        expect(Math.abs(k.varianceX - gaussianExpectation((z) => Math.tanh(Math.sqrt(A) * z) ** 2, order))).toBeLessThan(1e-15);
      }
    }
  });

  it('tanh: a fixed low order is the stated trade-off (n = 64: error > 1e-9 at q = 4, < 1e-7 at q = 1)', () => {
    const at = (A: number, order: number) => activationKernel('tanh', A, A, 0.7 * A, { quadratureOrder: order }).value;
    const exact4 = trapezoid2d(tanhProduct, 4, 4, 0.7);
    const exact1 = trapezoid2d(tanhProduct, 1, 1, 0.7);
    expect(Math.abs(at(4, 64) - exact4)).toBeGreaterThan(1e-9);
    expect(Math.abs(at(1, 64) - exact1)).toBeLessThan(1e-7);
    expect(Math.abs(at(4, 1024) - exact4)).toBeLessThan(1e-13);
  });
});

describe('activationKernel: Monte Carlo (50 000 draws, 5 standard errors)', () => {
  it('E[φ(u)φ(v)], E[φ′(u)φ′(v)], E[φ(u)²] for every activation', () => {
    const draws = 50_000;
    for (const [A, B, C] of [
      [1.3, 0.7, 0.4],
      [2.0, 0.5, -0.9],
    ] as const) {
      const l11 = Math.sqrt(A);
      const l21 = C / l11;
      const l22 = Math.sqrt(B - l21 * l21);
      for (const activation of ACTIVATIONS) {
        const phi = activationFunction(activation);
        const dphi = activationDerivative(activation);
        const rng = new CounterRng(7, TEST_STREAM);
        const sums = new Float64Array(6);
        for (let i = 0; i < draws; i++) {
          const g = rng.at(i);
          const z1 = g.normal();
          const z2 = g.normal();
          const u = l11 * z1;
          const v = l21 * z1 + l22 * z2;
          const pp = phi(u) * phi(v);
          const dd = dphi(u) * dphi(v);
          const uu = phi(u) ** 2;
          sums[0] += pp;
          sums[1] += pp * pp;
          sums[2] += dd;
          sums[3] += dd * dd;
          sums[4] += uu;
          sums[5] += uu * uu;
        }
        const k = activationKernel(activation, A, B, C);
        for (const [index, exact] of [
          [0, k.value],
          [2, k.derivative],
          [4, k.varianceX],
        ] as const) {
          const mean = sums[index] / draws;
          const se = Math.sqrt(Math.max(0, sums[index + 1] / draws - mean * mean) / draws);
          if (se === 0) expect(mean).toBe(exact); // linear's φ′φ′ ≡ 1
          else expect(Math.abs(mean - exact), `${activation} [${index}] (A, B, C) = (${A}, ${B}, ${C})`).toBeLessThanOrEqual(5 * se);
        }
      }
    }
  });
});

describe('activationKernel: validation', () => {
  it('rejects bad arguments with an InvalidInputError naming the field', () => {
    expectFieldError(() => activationKernel('softplus' as never, 1, 1, 0), 'activation');
    expectFieldError(() => activationKernel('tanh', -1, 1, 0), 'A');
    expectFieldError(() => activationKernel('tanh', 1, Number.NaN, 0), 'B');
    expectFieldError(() => activationKernel('tanh', 1, 1, Infinity), 'C');
    expectFieldError(() => activationKernel('tanh', 1, 1, 0, { quadratureOrder: 0 }), 'options.quadratureOrder');
    expectFieldError(() => activationKernel('tanh', 1, 1, 0, { quadratureOrder: 5000 }), 'options.quadratureOrder');
  });
});

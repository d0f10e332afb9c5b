/**
 * Gauss–Hermite quadrature for Gaussian expectations (the tanh kernels of deep-kernels.ts,
 * ARCHITECTURE.md §7: tanh has no closed-form NNGP/NTK).
 *
 * The rule is for the standard normal (probabilists' form): with nodes z_k and weights w_k,
 * k = 1..n, E[g(Z)] ≈ Σ_k w_k g(z_k), Z ~ N(0, 1), exact for polynomials of degree ≤ 2n − 1;
 * the weights sum to 1. The nodes are the roots of the probabilists' Hermite polynomial He_n:
 * the eigenvalues of its Jacobi matrix (Golub–Welsch; implicit QL, eigenvalues only, O(n²)),
 * polished by Newton steps on the orthonormal three-term recurrence; each weight is the
 * Christoffel number 1/(n P_{n−1}(z_k)²) evaluated at its own node (with rescaling against
 * overflow), so even the tiny outer weights keep their relative accuracy.
 *
 * Bivariate expectations E[g(u, v)], (u, v) ~ N(0, [[A, C], [C, B]]), use the tensor-product rule
 * after the Cholesky transform u = √A z₁, v = √B (ρ z₁ + √(1 − ρ²) z₂), ρ = C/√(AB).
 */
import { InvalidInputError, requireInteger } from '../errors.js';

/** A Gauss–Hermite rule for the standard normal. */
export interface GaussHermiteRule {
  /** The n nodes z_k, increasing, symmetric about 0. */
  readonly nodes: Float64Array;
  /** The n weights w_k > 0 (Σ w_k = 1): E[g(Z)] ≈ Σ_k w_k g(z_k), Z ~ N(0, 1). */
  readonly weights: Float64Array;
}

/** Largest order accepted (the nodes reach ≈ ±2√n; the outer weights underflow to 0 long before). */
export const MAX_GAUSS_HERMITE_ORDER = 2000;

const cache = new Map<number, GaussHermiteRule>();

/**
 * The n-point Gauss–Hermite rule for Z ~ N(0, 1) (probabilists'): E[g(Z)] ≈ Σ_k w_k g(z_k),
 * exact for polynomials of degree ≤ 2n − 1. Rules are cached per order (treat them as
 * read-only). Throws InvalidInputError naming `order` unless 1 ≤ n ≤ 2000.
 *
 * @example
 * const rule = gaussHermiteRule(20);
 * let fourth = 0;
 * for (let k = 0; k < 20; k++) fourth += rule.weights[k] * rule.nodes[k] ** 4; // E[Z⁴] = 3
 */
export function gaussHermiteRule(order: number): GaussHermiteRule {
  const n = requireInteger('order', order, 1);
  if (n > MAX_GAUSS_HERMITE_ORDER) throw new InvalidInputError('order', `expected an integer ≤ ${MAX_GAUSS_HERMITE_ORDER}, got ${n}`);
  const cached = cache.get(n);
  if (cached) return cached;
  const rule = computeRule(n);
  cache.set(n, rule);
  return rule;
}

/** Rescaling threshold of the polynomial recurrence (values are divided by it when larger). */
const BIG = 1e150;
const LOG_BIG = Math.log(BIG);

/**
 * P_{n−1}(z) and P_n(z) of the orthonormal probabilists' Hermite polynomials
 * (P₀ = 1, P_{j+1} = (z P_j − √j P_{j−1})/√(j+1), E[P_j P_k] = δ_jk) as mantissas times
 * e^{scale}: out[0] = P_{n−1}/e^{scale}, out[1] = P_n/e^{scale}, out[2] = scale. The rescaling
 * keeps the large-order values at the outer nodes (≈ z^n/√n!) from overflowing. `roots[j]` = √j.
 */
function hermitePair(z: number, n: number, roots: Float64Array, out: Float64Array): void {
  let prev = 0;
  let cur = 1;
  let scale = 0;
  for (let j = 0; j < n; j++) {
    const next = (z * cur - roots[j] * prev) / roots[j + 1];
    prev = cur;
    cur = next;
    if (Math.abs(cur) > BIG) {
      cur /= BIG;
      prev /= BIG;
      scale += LOG_BIG;
    }
  }
  out[0] = prev;
  out[1] = cur;
  out[2] = scale;
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix with zero diagonal and off-diagonal
 * e_k = √k (k = 1..n−1): the Jacobi matrix of the probabilists' Hermite polynomials, whose
 * eigenvalues are the Gauss–Hermite nodes (Golub–Welsch). Implicit QL with shifts, eigenvalues
 * only (JAMA's tql2 without the vectors), O(n²). Returned in increasing order. The entries are
 * at most √n, so √(p² + q²) needs no hypot's overflow guard (and Math.hypot is slow).
 */
function jacobiEigenvalues(n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let k = 1; k < n; k++) e[k - 1] = Math.sqrt(k);
  let f = 0;
  let tst1 = 0;
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 100) throw new Error('gaussHermiteRule: QL iteration did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.sqrt(p * p + e[i] * e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return d.sort();
}

/**
 * The nodes: Golub–Welsch eigenvalues, made exactly symmetric, then polished by Newton on
 * P_n (P_n' = √n P_{n−1}); the weights w = 1/(n P_{n−1}(z)²) (Christoffel numbers of the
 * orthonormal polynomials), each evaluated at its own node so it keeps its relative accuracy.
 */
function computeRule(n: number): GaussHermiteRule {
  const raw = jacobiEigenvalues(n);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const pair = new Float64Array(3);
  const roots = new Float64Array(n + 1);
  for (let j = 0; j <= n; j++) roots[j] = Math.sqrt(j);
  const half = Math.floor(n / 2);
  for (let k = 0; k < half; k++) {
    // Largest nodes first: z = (raw[n−1−k] − raw[k])/2 > 0.
    let z = 0.5 * (raw[n - 1 - k] - raw[k]);
    for (let iter = 0; iter < 3; iter++) {
      hermitePair(z, n, roots, pair);
      z -= pair[1] / (Math.sqrt(n) * pair[0]);
    }
    hermitePair(z, n, roots, pair);
    const logWeight = -Math.log(n) - 2 * (Math.log(Math.abs(pair[0])) + pair[2]);
    nodes[n - 1 - k] = z;
    nodes[k] = -z;
    weights[n - 1 - k] = Math.exp(logWeight);
    weights[k] = weights[n - 1 - k];
  }
  if (n % 2 === 1) {
    hermitePair(0, n, roots, pair);
    nodes[half] = 0;
    weights[half] = Math.exp(-Math.log(n) - 2 * (Math.log(Math.abs(pair[0])) + pair[2]));
  }
  return { nodes, weights };
}

/**
 * E[g(Z)], Z ~ N(0, 1), by the n-point Gauss–Hermite rule (see {@link gaussHermiteRule}).
 *
 * @example
 * gaussianExpectation((z) => Math.cos(z), 30); // e^{−1/2} ≈ 0.6065306597
 */
export function gaussianExpectation(g: (z: number) => number, order: number): number {
  const { nodes, weights } = gaussHermiteRule(order);
  let sum = 0;
  for (let k = 0; k < nodes.length; k++) sum += weights[k] * g(nodes[k]);
  return sum;
}

/**
 * E[g(u, v)] for (u, v) ~ N(0, [[A, C], [C, B]]) (A, B ≥ 0, C² ≤ AB up to round-off) by the
 * n×n tensor-product Gauss–Hermite rule after the Cholesky transform
 * u = √A z₁, v = √B (ρ z₁ + √(1 − ρ²) z₂), ρ = C/√(AB) clamped to [−1, 1] (ρ = 0 when A or B is 0).
 *
 * @example
 * bivariateGaussianExpectation((u, v) => u * v, 2, 3, 1.5, 10); // E[uv] = C = 1.5
 */
export function bivariateGaussianExpectation(g: (u: number, v: number) => number, A: number, B: number, C: number, order: number): number {
  const { nodes, weights } = gaussHermiteRule(order);
  const n = nodes.length;
  const sa = Math.sqrt(Math.max(0, A));
  const sb = Math.sqrt(Math.max(0, B));
  const root = sa * sb;
  const rho = root > 0 ? Math.min(1, Math.max(-1, C / root)) : 0;
  const s = Math.sqrt(Math.max(0, (1 - rho) * (1 + rho)));
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = sa * nodes[i];
    const mean = sb * rho * nodes[i];
    let inner = 0;
    for (let j = 0; j < n; j++) inner += weights[j] * g(u, mean + sb * s * nodes[j]);
    sum += weights[i] * inner;
  }
  return sum;
}

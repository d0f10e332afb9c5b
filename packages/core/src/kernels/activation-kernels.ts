/**
 * The Gaussian expectations of one layer of a deep network (ARCHITECTURE.md §7), for
 * (u, v) ~ N(0, [[A, C], [C, B]]):
 *
 *     E[φ(u)φ(v)],   E[φ(u)²],   E[φ(v)²],   E[φ'(u)φ'(v)],
 *
 * the "dual activation" that maps Σ^{h−1} to Σ^h and Σ̇^h in deep-kernels.ts.
 *
 * - relu (arc-cosine kernels, Cho & Saul 2009; ARCHITECTURE.md §1 eq. (4)), θ = arccos(C/√(AB)):
 *   E[φφ] = √(AB)(sin θ + (π − θ) cos θ)/(2π),  E[φ'φ'] = (π − θ)/(2π),  E[φ(u)²] = A/2.
 * - erf (Williams 1997), with P = 1 + 2A, Q = 1 + 2B and det = PQ − 4C² = 1 + 2A + 2B + 4(AB − C²):
 *   E[φφ] = (2/π) arcsin(2C/√(PQ)) = (2/π) atan2(2C, √det),  E[φ'φ'] = (4/π)/√det
 *   (φ' = (2/√π)e^{−x²}, and E[e^{−u²−v²}] = det(I + 2Σ)^{−1/2}); E[φ(u)²] = (2/π) atan2(2A, √(1 + 4A)).
 *   The atan2 form keeps full accuracy where the arcsin's argument nears ±1.
 * - linear: E[φφ] = C, E[φ'φ'] = 1.
 * - tanh: no closed form; the n×n Gauss–Hermite rule (gauss-hermite.ts) after the Cholesky
 *   transform u = √A z₁, v = √B(ρ z₁ + √(1 − ρ²) z₂). tanh is odd and tanh' even, so both
 *   integrands are even under (z₁, z₂) → (−z₁, −z₂) and only half the rows are summed. One tanh
 *   per node gives both φ (tanh) and φ' (1 − tanh²).
 *
 * Accuracy of tanh (verified in activation-kernels.test.ts against an independent 2-D
 * trapezoidal rule with step ≤ 0.03/√q, and via erf's closed form by the same routine): the
 * error of an n-point rule grows with the variance q = max(A, B), because tanh(√q z) has poles
 * at z = ±iπ/(2√q), so the rule converges like e^{−c√n/√q}. The default order ('auto') is
 * n(q) = 32·⌈(32 + 128q)/32⌉ capped at 1024, which keeps |error| < 1e-10 for q ≤ 7.75 (the cap);
 * beyond, the error grows (≈ 1e-8 at q = 12). A fixed order trades accuracy for speed
 * (n = 64: ≈ 1e-8 at q = 1, 5e-5 at q = 4).
 */
import { InvalidInputError, requireFinite, requireInteger, requireOneOf } from '../errors.js';
import { ACTIVATIONS, type Activation } from './activations.js';
import { MAX_GAUSS_HERMITE_ORDER, gaussHermiteRule } from './gauss-hermite.js';

/** Largest Gauss–Hermite order the 'auto' rule picks for a bivariate (tanh) expectation. */
export const AUTO_QUADRATURE_MAX_ORDER = 1024;

/** The Gauss–Hermite order for tanh: a fixed n ≥ 1, or 'auto' (chosen from the variance). */
export type QuadratureOrder = number | 'auto';

/**
 * The order the 'auto' rule takes for a bivariate expectation with largest variance q:
 * 32·⌈(32 + 128q)/32⌉, at most {@link AUTO_QUADRATURE_MAX_ORDER} (|error| < 1e-10 for q ≤ 7.75).
 */
export function autoQuadratureOrder(q: number): number {
  const n = 32 * Math.ceil((32 + 128 * Math.max(0, q)) / 32);
  return Number.isFinite(n) ? Math.min(AUTO_QUADRATURE_MAX_ORDER, n) : AUTO_QUADRATURE_MAX_ORDER;
}

/**
 * The order the 'auto' rule takes for a univariate expectation E[g(√q Z)] (cheap, so finer):
 * 32·⌈(64 + 256q)/32⌉, at most 2000 (|error| < 1e-12 for q ≤ 7).
 */
export function autoUnivariateOrder(q: number): number {
  const n = 32 * Math.ceil((64 + 256 * Math.max(0, q)) / 32);
  return Number.isFinite(n) ? Math.min(MAX_GAUSS_HERMITE_ORDER, n) : MAX_GAUSS_HERMITE_ORDER;
}

/** Validates a quadrature order option (an integer in 1..2000, or 'auto'). */
export function resolveQuadratureOrder(field: string, order: unknown): QuadratureOrder {
  if (order === undefined || order === 'auto') return 'auto';
  const n = requireInteger(field, order, 1);
  if (n > MAX_GAUSS_HERMITE_ORDER) throw new InvalidInputError(field, `expected 'auto' or an integer in 1..${MAX_GAUSS_HERMITE_ORDER}, got ${n}`);
  return n;
}

/**
 * The expectations of one layer into `out`: [0] E[φ(u)φ(v)], [1] E[φ(u)²], [2] E[φ(v)²],
 * [3] E[φ'(u)φ'(v)], for (u, v) ~ N(0, [[A, C], [C, B]]) with A, B ≥ 0. The correlation
 * ρ = C/√(AB) is clamped to [−1, 1] (ρ = 0 when A or B is 0). For relu this is the plain
 * arc-cosine formula (the deep recursion carries the angle more accurately, see deep-kernels.ts).
 */
export function layerExpectations(activation: Activation, A: number, B: number, C: number, order: QuadratureOrder, out: Float64Array): void {
  const root = Math.sqrt(A * B);
  const rho = root > 0 ? Math.min(1, Math.max(-1, C / root)) : 0;
  switch (activation) {
    case 'linear':
      out[0] = root > 0 ? rho * root : 0;
      out[1] = A;
      out[2] = B;
      out[3] = 1;
      return;
    case 'relu': {
      const theta = Math.acos(rho);
      out[0] = (root * (Math.sin(theta) + (Math.PI - theta) * rho)) / (2 * Math.PI);
      out[1] = A / 2;
      out[2] = B / 2;
      out[3] = (Math.PI - theta) / (2 * Math.PI);
      return;
    }
    case 'erf': {
      // det(I + 2Σ) = 1 + 2A + 2B + 4AB(1 − ρ)(1 + ρ), never below 1.
      const det = 1 + 2 * A + 2 * B + 4 * A * B * (1 - rho) * (1 + rho);
      const sqrtDet = Math.sqrt(det);
      out[0] = (2 / Math.PI) * Math.atan2(2 * rho * root, sqrtDet);
      out[1] = (2 / Math.PI) * Math.atan2(2 * A, Math.sqrt(1 + 4 * A));
      out[2] = (2 / Math.PI) * Math.atan2(2 * B, Math.sqrt(1 + 4 * B));
      out[3] = 4 / Math.PI / sqrtDet;
      return;
    }
    case 'tanh':
      tanhExpectations(A, B, rho, order, out);
      return;
  }
}

/**
 * tanh by the n×n Gauss–Hermite rule (see the module notes); [1] and [2] by the 1-D rule of the
 * same order.
 */
function tanhExpectations(A: number, B: number, rho: number, order: QuadratureOrder, out: Float64Array): void {
  const n = order === 'auto' ? autoQuadratureOrder(Math.max(A, B)) : order;
  const { nodes, weights } = gaussHermiteRule(n);
  const sa = Math.sqrt(A);
  const sb = Math.sqrt(B);
  const s = Math.sqrt(Math.max(0, (1 - rho) * (1 + rho)));
  const sbs = sb * s;
  const sbr = sb * rho;
  // Rows i < n/2 (nodes z₁ < 0) count twice by the symmetry (z₁, z₂) → (−z₁, −z₂); the middle
  // row of an odd rule (z₁ = 0) once.
  const half = n >> 1;
  let phiPhi = 0;
  let dphiDphi = 0;
  let phiU2 = 0;
  let phiV2 = 0;
  for (let i = 0; i < n - half; i++) {
    const factor = i < half ? 2 : 1;
    const z1 = nodes[i];
    const tu = Math.tanh(sa * z1);
    const du = 1 - tu * tu;
    const tv1 = Math.tanh(sb * z1);
    phiU2 += factor * weights[i] * tu * tu;
    phiV2 += factor * weights[i] * tv1 * tv1;
    const mean = sbr * z1;
    let inner = 0;
    let innerD = 0;
    for (let j = 0; j < n; j++) {
      const tv = Math.tanh(mean + sbs * nodes[j]);
      const w = weights[j];
      inner += w * tv;
      innerD += w * (1 - tv * tv);
    }
    const wi = factor * weights[i];
    phiPhi += wi * tu * inner;
    dphiDphi += wi * du * innerD;
  }
  out[0] = phiPhi;
  out[1] = phiU2;
  out[2] = phiV2;
  out[3] = dphiDphi;
}

/**
 * The univariate expectations V(q) = E[φ(√q Z)²] into out[0] and D(q) = E[φ'(√q Z)²] into out[1],
 * Z ~ N(0, 1), q ≥ 0: closed forms for relu (q/2, 1/2), linear (q, 1) and erf
 * ((2/π) atan2(2q, √(1 + 4q)), (4/π)/√(1 + 4q)); tanh by the 1-D Gauss–Hermite rule of order
 * `order` ('auto': {@link autoUnivariateOrder}).
 */
export function varianceExpectations(activation: Activation, q: number, order: QuadratureOrder, out: Float64Array): void {
  switch (activation) {
    case 'relu':
      out[0] = q / 2;
      out[1] = 0.5;
      return;
    case 'linear':
      out[0] = q;
      out[1] = 1;
      return;
    case 'erf':
      out[0] = (2 / Math.PI) * Math.atan2(2 * q, Math.sqrt(1 + 4 * q));
      out[1] = 4 / Math.PI / Math.sqrt(1 + 4 * q);
      return;
    case 'tanh': {
      const n = order === 'auto' ? autoUnivariateOrder(q) : order;
      const { nodes, weights } = gaussHermiteRule(n);
      const sq = Math.sqrt(q);
      let v = 0;
      let d = 0;
      for (let k = 0; k < n; k++) {
        const t = Math.tanh(sq * nodes[k]);
        const dt = 1 - t * t;
        v += weights[k] * t * t;
        d += weights[k] * dt * dt;
      }
      out[0] = v;
      out[1] = d;
      return;
    }
  }
}

/** The four expectations of one layer, as returned by {@link activationKernel}. */
export interface ActivationKernelValues {
  /** E[φ(u)φ(v)]. */
  readonly value: number;
  /** E[φ'(u)φ'(v)]. */
  readonly derivative: number;
  /** E[φ(u)²]. */
  readonly varianceX: number;
  /** E[φ(v)²]. */
  readonly varianceY: number;
}

/** Options of {@link activationKernel}. */
export interface ActivationKernelOptions {
  /** Gauss–Hermite order for tanh: 'auto' (default, chosen from max(A, B)) or an integer in 1..2000. */
  readonly quadratureOrder?: QuadratureOrder;
}

/**
 * The dual activation of one layer (ARCHITECTURE.md §7): E[φ(u)φ(v)], E[φ'(u)φ'(v)], E[φ(u)²] and
 * E[φ(v)²] for (u, v) ~ N(0, [[A, C], [C, B]]), A, B ≥ 0, |C| ≤ √(AB) (the correlation is clamped
 * to [−1, 1]). Closed forms for relu, erf and linear; Gauss–Hermite quadrature for tanh (see the
 * module notes for its accuracy). Throws InvalidInputError naming `activation`, `A`, `B`, `C` or
 * `options.quadratureOrder`.
 *
 * @example
 * activationKernel('erf', 1, 1, 0.5).value; // (2/π) arcsin(1/3) ≈ 0.2163468959
 */
export function activationKernel(activation: Activation, A: number, B: number, C: number, options: ActivationKernelOptions = {}): ActivationKernelValues {
  const act = requireOneOf('activation', activation, ACTIVATIONS);
  requireFinite('A', A, 0);
  requireFinite('B', B, 0);
  requireFinite('C', C);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  const out = new Float64Array(4);
  layerExpectations(act, A, B, C, order, out);
  return { value: out[0], derivative: out[3], varianceX: out[1], varianceY: out[2] };
}

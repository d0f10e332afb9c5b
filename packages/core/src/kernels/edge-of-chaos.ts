/**
 * Signal propagation in deep networks at infinite width and the edge of chaos
 * (ARCHITECTURE.md §7 "Init at the edge of chaos"; Poole et al. 2016, Schoenholz et al. 2017,
 * Hayou, Doucet & Rousseau 2019). With the conventions of deep-kernels.ts (z_{h+1} =
 * (σ_w/√m) W φ(z_h) + σ_b b), one layer maps the variance q of a pre-activation and the
 * correlation ρ of two inputs at equal variance q to
 *
 *     q' = σ_w² V(q) + σ_b²,                  V(q) = E[φ(√q Z)²],  Z ~ N(0, 1)      (variance map)
 *     ρ' = (σ_w² E[φ(u)φ(v)] + σ_b²)/q',       (u, v) ~ N(0, q [[1, ρ], [ρ, 1]])     (correlation map)
 *
 * q* is the fixed point the variance map converges to, and χ₁ = σ_w² D(q*), D(q) = E[φ'(√q Z)²],
 * is the slope of the correlation map at ρ = 1 (Price's theorem: ∂E[φ(u)φ(v)]/∂C = E[φ'(u)φ'(v)]).
 * The edge of chaos is χ₁ = 1: ordered (ρ_l → 1) below, chaotic above.
 *
 * Solving for the edge: given σ_b², the two conditions σ_w² D(q) = 1 and q = σ_w² V(q) + σ_b²
 * give σ_w² = 1/D(q) and σ_b²(q) = q − V(q)/D(q), so the edge is a curve parametrised by q*;
 * `edgeOfChaos` solves σ_b²(q) = σ_b² for q by bracketing and bisection (σ_b²(0) = 0 and
 * σ_b²(q) → ∞ for the bounded erf and tanh), then σ_w² = 1/D(q*). Values (edge-of-chaos.test.ts:
 * against 25-digit mpmath solutions and an independent nested solve with trapezoidal integrals):
 * tanh at σ_b² = 0.01, 0.05, 0.3 gives σ_w² = 1.42421, 1.76095, 2.50513 (q* = 0.27330, 0.57005,
 * 1.46117), on Schoenholz et al. 2017's curve; erf at σ_b² = 0.05 gives σ_w² = 1.37584
 * (q* = 0.51718); erf and tanh at σ_b² = 0 give π/4 and 1 (q* = 0); relu and
 * linear have an edge only at σ_b² = 0 (σ_w² = 2 and 1; every q is then a fixed point), since
 * with σ_b² > 0 their variance grows without bound at χ₁ = 1.
 */
import { InvalidInputError, requireFinite, requireOneOf } from '../errors.js';
import { ACTIVATIONS, type Activation } from './activations.js';
import { autoUnivariateOrder, layerExpectations, resolveQuadratureOrder, varianceExpectations, type QuadratureOrder } from './activation-kernels.js';

/** Options of the signal-propagation functions (tanh quadrature). */
export interface SignalPropagationOptions {
  /** Gauss–Hermite order for tanh: 'auto' (default, chosen from the variance) or an integer in 1..2000. */
  readonly quadratureOrder?: QuadratureOrder;
}

/** A point on the edge of chaos of an activation. */
export interface EdgeOfChaosPoint {
  readonly activation: Activation;
  /** σ_w². */
  readonly weightVariance: number;
  /** σ_b² (as given). */
  readonly biasVariance: number;
  /** q*, the variance fixed point; null for relu and linear, where every q ≥ 0 is one. */
  readonly fixedPoint: number | null;
  /** χ₁ = σ_w² E[φ'(√q* Z)²] at the solution (1 up to round-off). */
  readonly chi1: number;
}

function resolveActivation(activation: Activation): Activation {
  return requireOneOf('activation', activation, ACTIVATIONS);
}

/** [V(q), D(q)] with the given quadrature order. */
function moments(activation: Activation, q: number, order: QuadratureOrder, out: Float64Array): Float64Array {
  varianceExpectations(activation, q, order, out);
  return out;
}

/**
 * The variance map q ↦ σ_w² E[φ(√q Z)²] + σ_b² of one layer (ARCHITECTURE.md §7; module notes).
 *
 * @example
 * varianceMap('relu', 1.5, 2, 0); // 1.5: σ_w² = 2 keeps a ReLU net's variance
 */
export function varianceMap(activation: Activation, q: number, weightVariance: number, biasVariance: number, options: SignalPropagationOptions = {}): number {
  const act = resolveActivation(activation);
  requireFinite('q', q, 0);
  const sw = requireFinite('weightVariance', weightVariance, 0);
  const sb = requireFinite('biasVariance', biasVariance, 0);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  const m = moments(act, q, order, new Float64Array(2));
  return sw * m[0] + sb;
}

/**
 * χ₁ = σ_w² E[φ'(√q Z)²], the slope of the correlation map at ρ = 1 for pre-activations of
 * variance q (ARCHITECTURE.md §7: the edge of chaos is χ₁ = 1 at q = q*).
 *
 * @example
 * chi1('erf', Math.PI / 4, 0); // 1: erf's edge of chaos at σ_b² = 0
 */
export function chi1(activation: Activation, weightVariance: number, q: number, options: SignalPropagationOptions = {}): number {
  const act = resolveActivation(activation);
  const sw = requireFinite('weightVariance', weightVariance, 0);
  requireFinite('q', q, 0);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  return sw * moments(act, q, order, new Float64Array(2))[1];
}

/** Options of {@link varianceFixedPoint}. */
export interface VarianceFixedPointOptions extends SignalPropagationOptions {
  /** q₀ ≥ 0, where the iteration starts (default 1): it decides the limit when it is not unique. */
  readonly initialVariance?: number;
}

/**
 * q* = lim_l q_l of the variance map q_{l+1} = σ_w² E[φ(√q_l Z)²] + σ_b² from q₀ =
 * `initialVariance` (default 1), ARCHITECTURE.md §7. relu and linear (slope a = σ_w²/2, σ_w²):
 * σ_b²/(1 − a) for a < 1; q₀ for a = 1 and σ_b² = 0; ∞ otherwise (0 if q₀ = σ_b² = 0). erf and
 * tanh (V bounded, increasing, concave): the unique positive root of σ_w² V(q) + σ_b² = q, found
 * by bisection to full precision; 0 when σ_b² = 0 and σ_w² φ'(0)² ≤ 1 (or q₀ = 0).
 *
 * @example
 * varianceFixedPoint('tanh', 1.76095, 0.05); // ≈ 0.57005, on the edge of chaos
 */
export function varianceFixedPoint(activation: Activation, weightVariance: number, biasVariance: number, options: VarianceFixedPointOptions = {}): number {
  const act = resolveActivation(activation);
  const sw = requireFinite('weightVariance', weightVariance, 0);
  const sb = requireFinite('biasVariance', biasVariance, 0);
  const q0 = requireFinite('options.initialVariance', options.initialVariance ?? 1, 0);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  if (act === 'relu' || act === 'linear') {
    const a = act === 'relu' ? sw / 2 : sw;
    if (a < 1) return sb / (1 - a);
    if (sb === 0 && (a === 1 || q0 === 0)) return q0;
    return Infinity;
  }
  if (sw === 0) return sb;
  const m = new Float64Array(2);
  // V < 1, so q* < σ_w² + σ_b² =: hi. One quadrature order for the whole solve (from hi), so
  // that the bisected function is one smooth function.
  const hi0 = sw + sb;
  const fixed = fixedOrder(order, hi0);
  const gap = (q: number): number => sw * moments(act, q, fixed, m)[0] + sb - q;
  let lo = 0;
  if (sb === 0) {
    const slope0 = act === 'erf' ? 4 / Math.PI : 1; // φ'(0)²
    if (q0 === 0 || sw * slope0 <= 1) return 0;
    lo = hi0;
    for (let k = 0; k < 2000 && !(gap(lo) > 0); k++) lo /= 2;
    if (!(gap(lo) > 0)) return 0;
  }
  return bisect(gap, lo, hi0);
}

/** The order to use for a whole solve over variances ≤ q: the given one, or 'auto' at q. */
function fixedOrder(order: QuadratureOrder, q: number): QuadratureOrder {
  return order === 'auto' ? autoUnivariateOrder(q) : order;
}

/**
 * The root of `f` in [lo, hi] with f(lo) > 0 ≥ f(hi) (or the reverse, by sign), by bisection
 * until the bracket is one ulp wide (at most 2000 halvings).
 */
function bisect(f: (q: number) => number, lo: number, hi: number): number {
  const positiveAtLo = f(lo) > 0;
  for (let k = 0; k < 2000; k++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (f(mid) > 0 === positiveAtLo) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * The point (σ_w², σ_b²) on the edge of chaos of `activation` for the given σ_b² (default 0):
 * χ₁ = σ_w² E[φ'(√q* Z)²] = 1 at the variance fixed point q* (ARCHITECTURE.md §7; method and
 * values in the module notes). relu gives σ_w² = 2 and linear σ_w² = 1, both only for σ_b² = 0
 * (an InvalidInputError naming `biasVariance` otherwise); erf and tanh accept any σ_b² ≥ 0.
 *
 * @example
 * edgeOfChaos('tanh', 0.05).weightVariance; // ≈ 1.76095
 */
export function edgeOfChaos(activation: Activation, biasVariance = 0, options: SignalPropagationOptions = {}): EdgeOfChaosPoint {
  const act = resolveActivation(activation);
  const sb = requireFinite('biasVariance', biasVariance, 0);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  if (act === 'relu' || act === 'linear') {
    if (sb > 0) {
      throw new InvalidInputError(
        'biasVariance',
        `${act} has an edge of chaos only at σ_b² = 0 (σ_w² = ${act === 'relu' ? 2 : 1}): with σ_b² > 0 the variance grows without bound at χ₁ = 1, got ${sb}`,
      );
    }
    return { activation: act, weightVariance: act === 'relu' ? 2 : 1, biasVariance: 0, fixedPoint: null, chi1: 1 };
  }
  const m = new Float64Array(2);
  if (sb === 0) {
    const sw = act === 'erf' ? Math.PI / 4 : 1;
    return { activation: act, weightVariance: sw, biasVariance: 0, fixedPoint: 0, chi1: sw * moments(act, 0, order, m)[1] };
  }
  // σ_b²(q) = q − V(q)/D(q) rises from 0 at q = 0 to ∞: bracket the target and bisect, with
  // one quadrature order (from the bracket's top) for the whole solve.
  const excess = (q: number, n: QuadratureOrder): number => {
    moments(act, q, n, m);
    return q - m[0] / m[1] - sb;
  };
  let hi = sb;
  for (let k = 0; k < 2000 && !(excess(hi, order) > 0); k++) hi *= 2;
  if (!(excess(hi, order) > 0)) throw new InvalidInputError('biasVariance', `no edge of chaos found for σ_b² = ${sb}`);
  const fixed = fixedOrder(order, hi);
  const q = bisect((t) => excess(t, fixed), 0, hi);
  moments(act, q, fixed, m);
  const sw = 1 / m[1];
  return { activation: act, weightVariance: sw, biasVariance: sb, fixedPoint: q, chi1: sw * m[1] };
}

/** Options of {@link correlationMap}. */
export interface CorrelationMapOptions extends SignalPropagationOptions {
  /** σ_w² (≥ 0). */
  readonly weightVariance: number;
  /** σ_b² (≥ 0, default 0). */
  readonly biasVariance?: number;
  /** q, the variance of both pre-activations (> 0; default the fixed point q* from q₀ = 1, which must be finite and > 0). */
  readonly variance?: number;
}

/**
 * One step of the correlation map at equal variances q (ARCHITECTURE.md §7; module notes):
 * ρ' = (σ_w² E[φ(u)φ(v)] + σ_b²)/(σ_w² E[φ(u)²] + σ_b²), (u, v) ~ N(0, q[[1, ρ], [ρ, 1]]),
 * ρ ∈ [−1, 1]. Its slope at ρ = 1 is σ_w² q E[φ'(u)²]/q', which is χ₁ when q = q* (so 1 on
 * the edge of chaos). Deep recursions with unequal variances: deepCorrelationLayers.
 *
 * @example
 * correlationMap('relu', 0, { weightVariance: 2, variance: 1 }); // 1/π
 */
export function correlationMap(activation: Activation, rho: number, options: CorrelationMapOptions): number {
  const act = resolveActivation(activation);
  const r = requireFinite('rho', rho, -1, 1);
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('options', 'expected an object with at least `weightVariance`');
  const sw = requireFinite('options.weightVariance', options.weightVariance, 0);
  const sb = requireFinite('options.biasVariance', options.biasVariance ?? 0, 0);
  const order = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  let q: number;
  if (options.variance === undefined) {
    q = varianceFixedPoint(act, sw, sb, { quadratureOrder: order });
    if (!(q > 0 && Number.isFinite(q))) {
      throw new InvalidInputError('options.variance', `the variance fixed point is ${q}: give the variance q explicitly`);
    }
  } else {
    q = requireFinite('options.variance', options.variance, 0);
    if (!(q > 0)) throw new InvalidInputError('options.variance', 'expected a positive variance');
  }
  const e = new Float64Array(4);
  layerExpectations(act, q, q, r * q, order, e);
  return (sw * e[0] + sb) / (sw * e[1] + sb);
}

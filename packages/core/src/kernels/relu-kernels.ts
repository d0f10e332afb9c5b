/**
 * Infinite-width kernels of the two-layer ReLU network, ARCHITECTURE.md §1 eq. (4): with
 * θ the angle between x̃ and x̃' (x̃ = (x, 1) with `bias`, else x̃ = x),
 *
 *     Σ(x,x')  = ‖x̃‖‖x̃'‖ (sin θ + (π − θ) cos θ) / (2π)      (NNGP)
 *     Σ̇(x,x') = (π − θ) / (2π)
 *     Θ(x,x')  = Σ(x,x') + (x̃·x̃') Σ̇(x,x')                     (NTK)
 *
 * Θ is the limit of the empirical tangent kernel of §1 in the `ntk` parameterization with
 * gaussian init σ_a = σ_b = 1.
 *
 * Numerics: θ = 2·atan2(‖â − b̂‖, ‖â + b̂‖) on the unit vectors, which is accurate to a few ulps
 * over [0, π] (acos(cos θ) is not near 0 and π); cos θ is effectively clamped to [−1, 1].
 * Zero vectors (only possible without bias) have no direction: by convention Σ = 0, Σ̇ = ½ and
 * Θ = 0 when x̃ = 0 or x̃' = 0 (the convention θ = 0).
 */
import { InvalidInputError, requireOneOf } from '../errors.js';
import { checkDimension, outputBuffer, pairLength, rowCount } from './shapes.js';
import { normalizeRowSets } from './angles.js';

/** Which infinite-width kernel: the NNGP Σ or the neural tangent kernel Θ of eq. (4). */
export type ReluKernelKind = 'nngp' | 'ntk';
/** The values of {@link ReluKernelKind}. */
export const RELU_KERNEL_KINDS: readonly ReluKernelKind[] = ['nngp', 'ntk'];

/** Options of the two-layer kernels of eq. (4). */
export interface ReluKernelOptions {
  /** 'nngp' for Σ, 'ntk' for Θ (default 'ntk'). */
  readonly kind?: ReluKernelKind;
  /** Whether inputs are augmented, x̃ = (x, 1) (default true, as `model.bias`). */
  readonly bias?: boolean;
}

/** All the terms of eq. (4) for one pair of inputs. */
export interface ReluKernelTerms {
  /** Σ(x,x'), the NNGP kernel. */
  readonly nngp: number;
  /** Σ̇(x,x') = (π − θ)/(2π). */
  readonly nngpDerivative: number;
  /** x̃·x̃'. */
  readonly inner: number;
  /** Θ(x,x') = Σ + (x̃·x̃') Σ̇, the neural tangent kernel. */
  readonly ntk: number;
  /** θ ∈ [0, π], the angle between x̃ and x̃' (0 by convention when either is 0). */
  readonly angle: number;
}

const INV_2PI = 1 / (2 * Math.PI);

function resolveOptions(options: ReluKernelOptions | undefined): { ntk: boolean; bias: boolean } {
  const kind = requireOneOf('options.kind', options?.kind ?? 'ntk', RELU_KERNEL_KINDS);
  const bias = options?.bias ?? true;
  if (typeof bias !== 'boolean') throw new InvalidInputError('options.bias', `expected a boolean, got ${String(bias)}`);
  return { ntk: kind === 'ntk', bias };
}

/**
 * Every term of eq. (4) (ARCHITECTURE.md §1) for inputs x, x' ∈ R^d (same length ≥ 1, finite).
 * `bias` (default true) augments both with a constant 1.
 */
export function reluKernelTerms(x: Float64Array, xp: Float64Array, bias = true): ReluKernelTerms {
  const d = pairLength(x, xp);
  let sqA = bias ? 1 : 0;
  let sqB = bias ? 1 : 0;
  for (let k = 0; k < d; k++) {
    sqA += x[k] * x[k];
    sqB += xp[k] * xp[k];
  }
  if (!(sqA > 0) || !(sqB > 0)) return { nngp: 0, nngpDerivative: 0.5, inner: 0, ntk: 0, angle: 0 };
  // Same operations as the Gram loop (unit rows x_k·(1/‖x̃‖)), so both give identical bits.
  const invA = 1 / Math.sqrt(sqA);
  const invB = 1 / Math.sqrt(sqB);
  let s = 0;
  let t = 0;
  for (let k = 0; k < d; k++) {
    const p = x[k] * invA;
    const q = xp[k] * invB;
    s += (p - q) * (p - q);
    t += (p + q) * (p + q);
  }
  if (bias) {
    s += (invA - invB) * (invA - invB);
    t += (invA + invB) * (invA + invB);
  }
  const total = s + t;
  const theta = 2 * Math.atan2(Math.sqrt(s), Math.sqrt(t));
  const cos = (t - s) / total;
  const sin = (2 * Math.sqrt(s * t)) / total;
  const norms = Math.sqrt(sqA) * Math.sqrt(sqB);
  const nngp = norms * (sin + (Math.PI - theta) * cos) * INV_2PI;
  const nngpDerivative = (Math.PI - theta) * INV_2PI;
  const inner = norms * cos;
  return { nngp, nngpDerivative, inner, ntk: nngp + inner * nngpDerivative, angle: theta };
}

/**
 * The two-layer ReLU kernel of eq. (4) (ARCHITECTURE.md §1) for one pair: Σ(x,x') with
 * `kind: 'nngp'`, Θ(x,x') with `kind: 'ntk'` (default). x and xp: finite, same length ≥ 1.
 */
export function reluKernel(x: Float64Array, xp: Float64Array, options?: ReluKernelOptions): number {
  const { ntk, bias } = resolveOptions(options);
  const terms = reluKernelTerms(x, xp, bias);
  return ntk ? terms.ntk : terms.nngp;
}

/**
 * Eq. (4) for one pair from its unit rows â = ua[rowA ..], b̂ = ub[rowB ..] (D values each) and
 * norms = ‖x̃‖‖x̃'‖: θ = 2·atan2(‖â − b̂‖, ‖â + b̂‖), accurate for nearly (anti)parallel pairs
 * where acos(â·b̂) is not, then Σ, Σ̇ and Θ = Σ + (x̃·x̃')Σ̇.
 */
export function unitPairKernel(ua: Float64Array, rowA: number, ub: Float64Array, rowB: number, D: number, norms: number, ntk: boolean): number {
  let s = 0;
  let t = 0;
  for (let k = 0; k < D; k++) {
    const p = ua[rowA + k];
    const q = ub[rowB + k];
    s += (p - q) * (p - q);
    t += (p + q) * (p + q);
  }
  const total = s + t;
  const theta = 2 * Math.atan2(Math.sqrt(s), Math.sqrt(t));
  const cos = (t - s) / total;
  const sin = (2 * Math.sqrt(s * t)) / total;
  const nngp = norms * (sin + (Math.PI - theta) * cos) * INV_2PI;
  const nngpDerivative = (Math.PI - theta) * INV_2PI;
  return ntk ? nngp + norms * cos * nngpDerivative : nngp;
}

/**
 * The Gram matrix K[i, j] = k(x1_i, x2_j) of the eq. (4) kernel (ARCHITECTURE.md §1) between
 * the n1 rows of `x1` and the n2 rows of `x2` (both sample-major, n×d), as an n1×n2 row-major
 * Float64Array (written into `out` when given). `x2 = null` (or `x2 === x1`) means x2 = x1: the
 * upper triangle is computed and mirrored, so the result is exactly symmetric. Cost
 * O(n1·n2·d) plus O((n1 + n2)·d) memory for the unit rows; the pair loop allocates nothing.
 */
export function reluKernelGram(
  x1: Float64Array,
  x2: Float64Array | null,
  d: number,
  options?: ReluKernelOptions,
  out?: Float64Array,
): Float64Array {
  checkDimension(d);
  const { ntk, bias } = resolveOptions(options);
  const n1 = rowCount('x1', x1, d);
  const same = x2 === null || x2 === x1;
  const n2 = same ? n1 : rowCount('x2', x2, d);
  const K = outputBuffer('out', out, n1 * n2);
  const D = bias ? d + 1 : d;
  const { unit1, sq1, unit2, sq2 } = normalizeRowSets(x1, n1, x2, n2, same, d, bias);
  for (let i = 0; i < n1; i++) {
    const rowA = i * D;
    const normA = Math.sqrt(sq1[i]);
    const jStart = same ? i : 0;
    for (let j = jStart; j < n2; j++) {
      const normB = Math.sqrt(sq2[j]);
      const value = normA > 0 && normB > 0 ? unitPairKernel(unit1, rowA, unit2, j * D, D, normA * normB, ntk) : 0;
      K[i * n2 + j] = value;
      if (same) K[j * n2 + i] = value;
    }
  }
  return K;
}

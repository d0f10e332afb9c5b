/**
 * Internal numerics shared by the ReLU kernels (not exported from the package).
 *
 * Every kernel of ARCHITECTURE.md §1 eq. (4) and of the deep recursion depends on the angle θ
 * between two vectors (or two Gaussian coordinates). Computing θ as acos(cos θ) loses half the
 * digits near θ = 0 and θ = π (acos(1 − ε) ≈ √(2ε) ≈ 1.5e-8 for one rounding), which would make
 * Σ̇ = (π − θ)/(2π) on the diagonal of a Gram matrix wrong in the 9th digit. So angles are
 * carried as the pair (u, v) = (1 − cos θ, 1 + cos θ), each computed without cancellation, and
 * θ = 2·atan2(√u, √v), which is accurate over all of [0, π].
 */

/** 1/π. */
const INV_PI = 1 / Math.PI;
/** Below this angle θ cos θ − sin θ is summed from its series (the direct form cancels). */
const SERIES_THRESHOLD = 0.1;

/**
 * Angle terms between unit-normalised rows: given s = ‖â − b̂‖² and t = ‖â + b̂‖² (each summed
 * without cancellation), writes u = 1 − cos θ and v = 1 + cos θ, normalised so that u + v = 2.
 * The caller handles zero vectors, which have no direction: by convention they make angle 0
 * with everything (u = 0, v = 2), which gives Σ = 0 and Σ̇ = ½ in eq. (4).
 */
export function anglePairFromDistances(s: number, t: number, out: Float64Array): void {
  const total = s + t;
  out[0] = (2 * s) / total;
  out[1] = (2 * t) / total;
}

/**
 * Writes s = ‖â − b̂‖² into out[0] and t = ‖â + b̂‖² into out[1] for rows `a` (from `aOff`) and
 * `b` (from `bOff`) of length `len` that are already divided by their norms.
 */
export function normalizedDistances(
  a: Float64Array,
  aOff: number,
  b: Float64Array,
  bOff: number,
  len: number,
  out: Float64Array,
): void {
  let s = 0;
  let t = 0;
  for (let k = 0; k < len; k++) {
    const p = a[aOff + k];
    const q = b[bOff + k];
    const diff = p - q;
    const sum = p + q;
    s += diff * diff;
    t += sum * sum;
  }
  out[0] = s;
  out[1] = t;
}

/**
 * Copies the n rows of `x` (n×d, sample-major) into `unit` (n×D, D = d + (bias ? 1 : 0)) divided
 * by their norms ‖x̃_i‖, with x̃ = (x, 1) when `bias`; writes ‖x̃_i‖² into `sqNorms`. A zero
 * row stays zero.
 */
export function normalizeRows(
  x: Float64Array,
  n: number,
  d: number,
  bias: boolean,
  unit: Float64Array,
  sqNorms: Float64Array,
): void {
  const D = bias ? d + 1 : d;
  for (let i = 0; i < n; i++) {
    const src = i * d;
    const dst = i * D;
    let sq = bias ? 1 : 0;
    for (let k = 0; k < d; k++) sq += x[src + k] * x[src + k];
    sqNorms[i] = sq;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let k = 0; k < d; k++) unit[dst + k] = x[src + k] * inv;
    if (bias) unit[dst + d] = inv;
  }
}

/** Unit rows and squared norms of the two point sets of a Gram matrix. */
export interface NormalizedRowSets {
  unit1: Float64Array;
  sq1: Float64Array;
  unit2: Float64Array;
  sq2: Float64Array;
}

/**
 * `normalizeRows` for both sides of a Gram call; when the right side is the left one (`same`),
 * it is normalized once and shared, which also keeps the Gram matrix exactly symmetric.
 */
export function normalizeRowSets(x1: Float64Array, n1: number, x2: Float64Array | null, n2: number, same: boolean, d: number, bias: boolean): NormalizedRowSets {
  const D = bias ? d + 1 : d;
  const unit1 = new Float64Array(n1 * D);
  const sq1 = new Float64Array(n1);
  normalizeRows(x1, n1, d, bias, unit1, sq1);
  if (same) return { unit1, sq1, unit2: unit1, sq2: sq1 };
  const unit2 = new Float64Array(n2 * D);
  const sq2 = new Float64Array(n2);
  normalizeRows(x2 as Float64Array, n2, d, bias, unit2, sq2);
  return { unit1, sq1, unit2, sq2 };
}

/** θ ∈ [0, π] from (u, v) = (1 − cos θ, 1 + cos θ). */
export function angleOf(u: number, v: number): number {
  return 2 * Math.atan2(Math.sqrt(u), Math.sqrt(v));
}

/**
 * θ cos θ − sin θ (≤ 0 on [0, π]), accurate near θ = 0 where it is ≈ −θ³/3 and the direct form
 * cancels: there it is the series Σ_{k≥1} (−1)^k 2k θ^{2k+1}/(2k+1)!.
 */
export function thetaCosMinusSin(theta: number, cos: number, sin: number): number {
  if (theta >= SERIES_THRESHOLD) return theta * cos - sin;
  const t2 = theta * theta;
  // −θ³/3 + θ⁵/30 − θ⁷/840 + θ⁹/45360 − θ¹¹/3991680 (next term < 1e-16 relative for θ < 0.1)
  return theta * t2 * (-1 / 3 + t2 * (1 / 30 + t2 * (-1 / 840 + t2 * (1 / 45360 - t2 / 3991680))));
}

/**
 * The ReLU arc-cosine expectations for (u, v) ~ N(0, [[A, C], [C, B]]) with correlation angle θ:
 * E[σ(u)σ(v)] = √(AB) J(θ)/(2π) with J(θ) = sin θ + (π − θ) cos θ, and
 * E[σ'(u)σ'(v)] = (π − θ)/(2π) (ARCHITECTURE.md §1, eq. (4)). Given the angle as (u, v), writes
 * into `out`: [0] g = J(θ)/π ∈ [0, 1] (the correlation of the post-activations after the
 * factor ½), [1] 1 − g, [2] 1 + g, each without cancellation, and [3] (π − θ)/(2π).
 */
export function reluArcCosine(u: number, v: number, out: Float64Array): void {
  const total = u + v;
  const cos = (v - u) / total;
  const sin = (2 * Math.sqrt(u * v)) / total;
  const theta = angleOf(u, v);
  const g = (sin + (Math.PI - theta) * cos) * INV_PI;
  // 1 − g = [π(1 − cos θ) + θ cos θ − sin θ]/π, both terms computed without cancellation.
  const oneMinusG = Math.max(0, (Math.PI * ((2 * u) / total) + thetaCosMinusSin(theta, cos, sin)) * INV_PI);
  out[0] = g;
  out[1] = oneMinusG;
  out[2] = 1 + g;
  out[3] = (Math.PI - theta) * (0.5 * INV_PI);
}

/**
 * The affine variance map of one layer, ARCHITECTURE.md §1 (deep recursion): from variances
 * A = Σ(x,x), B = Σ(x',x') and a correlation c with 1 − c = `cu` and 1 + c = `cv` (each accurate),
 * A' = sA + b, B' = sB + b, C' = s√(AB)c + b. Writes [0] A', [1] B', [2] C', and the new angle as
 * [3] u' = 1 − C'/√(A'B'), [4] v' = 1 + C'/√(A'B'), using
 * √(A'B') − s√(AB) − b = sb(√A − √B)² / (√(A'B') + s√(AB) + b) ≥ 0 so that neither cancels.
 * A zero variance (A' = 0 or B' = 0) gets angle 0 by convention.
 */
export function affineLayer(
  A: number,
  B: number,
  c: number,
  cu: number,
  cv: number,
  s: number,
  b: number,
  out: Float64Array,
): void {
  const A1 = s * A + b;
  const B1 = s * B + b;
  const sqrtAB = Math.sqrt(A * B);
  const geo = s * sqrtAB;
  out[0] = A1;
  out[1] = B1;
  out[2] = geo * c + b;
  const root = Math.sqrt(A1 * B1);
  if (!(root > 0)) {
    out[3] = 0;
    out[4] = 2;
    return;
  }
  const dA = Math.sqrt(A) - Math.sqrt(B);
  const gap = b > 0 ? (s * b * dA * dA) / (root + geo + b) : 0;
  // √(A'B') − C' = gap + s√(AB)(1 − c);  √(A'B') + C' = (√(A'B') − s√(AB) + b) + s√(AB)(1 + c)
  // and √(A'B') − s√(AB) + b = gap + 2b.
  const u = (gap + geo * cu) / root;
  const v = (gap + 2 * b + geo * cv) / root;
  const total = u + v;
  out[3] = total > 0 ? (2 * u) / total : 0;
  out[4] = total > 0 ? (2 * v) / total : 2;
}

/** What a pair's recursion leaves: Σ^L and Θ^L of the pair. */
export interface PairKernelValues {
  nngp: number;
  ntk: number;
}

/** Scratch of {@link pairAngleInto}: the normalized distances and the input angle (u, v). */
export interface PairAngleScratch {
  readonly distances: Float64Array;
  readonly angle: Float64Array;
}

/**
 * The input angle (u, v) = (1 − cos φ, 1 + cos φ) of two unit rows into scratch.angle (u = 0
 * when either norm is 0).
 *
 * @example
 * const scratch = { distances: new Float64Array(2), angle: new Float64Array(2) };
 * pairAngleInto(new Float64Array([1, 0]), 0, new Float64Array([0, 1]), 0, 2, 1, 1, scratch); // angle ≈ [1, 1]
 */
export function pairAngleInto(a: Float64Array, aOff: number, b: Float64Array, bOff: number, D: number, sqA: number, sqB: number, scratch: PairAngleScratch): void {
  if (sqA > 0 && sqB > 0) {
    normalizedDistances(a, aOff, b, bOff, D, scratch.distances);
    anglePairFromDistances(scratch.distances[0], scratch.distances[1], scratch.angle);
  } else {
    scratch.angle[0] = 0;
    scratch.angle[1] = 2;
  }
}

/**
 * The NNGP and NTK Gram matrices (n1 × n2, row-major) of a layer recursion over every pair of
 * rows: for each pair, `recurse(A, B, u, v)` gets the scaled input products and the input angle
 * and leaves Σ^L, Θ^L in `result`. With `same`, the upper triangle is computed and mirrored.
 * The one pair loop of the deep ReLU and the deep (any activation) kernels.
 *
 * @example
 * const values = { nngp: 0, ntk: 0 };
 * const rows = normalizeRowSets(new Float64Array([1, 0]), 1, null, 1, true, 2, false);
 * pairGram(rows, 1, 1, true, 2, 1, { distances: new Float64Array(2), angle: new Float64Array(2) }, values, new Float64Array(1), new Float64Array(1), (A) => {
 *   values.nngp = A;
 *   values.ntk = A;
 * });
 */
export function pairGram(
  rows: { unit1: Float64Array; sq1: Float64Array; unit2: Float64Array; sq2: Float64Array },
  n1: number,
  n2: number,
  same: boolean,
  D: number,
  scale: number,
  scratch: PairAngleScratch,
  result: PairKernelValues,
  nngp: Float64Array,
  ntk: Float64Array,
  recurse: (A: number, B: number, u: number, v: number) => void,
): void {
  const { unit1, sq1, unit2, sq2 } = rows;
  for (let i = 0; i < n1; i++) {
    for (let j = same ? i : 0; j < n2; j++) {
      pairAngleInto(unit1, i * D, unit2, j * D, D, sq1[i], sq2[j], scratch);
      recurse(sq1[i] * scale, sq2[j] * scale, scratch.angle[0], scratch.angle[1]);
      nngp[i * n2 + j] = result.nngp;
      ntk[i * n2 + j] = result.ntk;
      if (same) {
        nngp[j * n2 + i] = result.nngp;
        ntk[j * n2 + i] = result.ntk;
      }
    }
  }
}

/**
 * Blocked Cholesky factorization and triangular solves on row-major n×n Float64Arrays (the
 * solve of kernel regression, kernel-regression.ts).
 */
import { InvalidInputError, requireFiniteArray, requireInteger } from '../errors.js';
import { K_CHUNK, rowDots } from './row-dots.js';

/** Block-column width of the Cholesky factorization. */
const CHOLESKY_BLOCK = 64;

// ---------------------------------------------------------------------------------------------
// Cholesky
// ---------------------------------------------------------------------------------------------

/** The first pivot that failed: row `index`, value `pivot` of the Schur complement, limit `limit`. */
interface PivotFailure {
  readonly index: number;
  readonly pivot: number;
  readonly limit: number;
}

/**
 * Left-looking blocked Cholesky in place: the lower triangle (with the diagonal) of the n×n
 * row-major `a` becomes L with a = L Lᵀ; the strict upper triangle is not read or written.
 * Returns null, or the first pivot (Schur complement) ≤ n·ε·a_jj (or NaN), where it stops.
 */
export function factorLower(a: Float64Array, n: number): PivotFailure | null {
  const tolerance = n * Number.EPSILON;
  const diagonal = new Float64Array(n);
  for (let i = 0; i < n; i++) diagonal[i] = a[i * n + i];
  const nb = CHOLESKY_BLOCK;
  const update = new Float64Array(n * nb);
  for (let J0 = 0; J0 < n; J0 += nb) {
    const J1 = Math.min(n, J0 + nb);
    if (J0 > 0) {
      // update[i − J0, j − J0] = Σ_{k < J0} L_ik L_jk for i ≥ J0, j ∈ [J0, J1), j ≤ i: the
      // bulk of the n³/3 work, in register tiles over row prefixes (rows of L are contiguous).
      for (let k = 0; k < J0; k += K_CHUNK) {
        rowDots(a, n, J0, n, a, n, J0, J1, k, Math.min(J0, k + K_CHUNK), update, 0, nb, k > 0, true);
      }
      for (let i = J0; i < n; i++) {
        const row = i * n;
        const u = (i - J0) * nb - J0;
        const jEnd = Math.min(J1, i + 1);
        for (let j = J0; j < jEnd; j++) a[row + j] -= update[u + j];
      }
    }
    // Within the block column, row by row (rows J0..J1 first, so L_jj is known below).
    for (let i = J0; i < n; i++) {
      const row = i * n;
      const jEnd = Math.min(J1, i);
      for (let j = J0; j < jEnd; j++) {
        const rowJ = j * n;
        let s = a[row + j];
        for (let k = J0; k < j; k++) s -= a[row + k] * a[rowJ + k];
        a[row + j] = s / a[rowJ + j];
      }
      if (i < J1) {
        let s = a[row + i];
        for (let k = J0; k < i; k++) s -= a[row + k] * a[row + k];
        const limit = tolerance * diagonal[i];
        if (!(s > limit)) return { index: i, pivot: s, limit };
        a[row + i] = Math.sqrt(s);
      }
    }
  }
  return null;
}

export function pivotMessage(failure: PivotFailure): string {
  const bound = ` ≤ n·ε·diagonal = ${failure.limit.toPrecision(3)}`;
  return `not positive definite: Cholesky pivot ${failure.index} is ${failure.pivot.toPrecision(3)}${bound}`;
}

/**
 * Cholesky factorization in place of a symmetric positive-definite n×n row-major matrix:
 * afterwards its lower triangle (with the diagonal) holds L, a = L Lᵀ; only the lower triangle
 * is read, the strict upper one is left as it was. Blocked and row oriented, n³/3
 * multiply-adds. Returns `a`.
 * @throws InvalidInputError naming `field` (default 'matrix') on a bad shape, a non-finite
 *   entry, or a pivot ≤ n·ε times the matrix's diagonal entry (not numerically positive definite).
 */
export function choleskyFactor(a: Float64Array, n: number, field = 'matrix'): Float64Array {
  requireInteger('n', n, 1);
  if (!(a instanceof Float64Array) || a.length !== n * n) {
    throw new InvalidInputError(field, `expected a Float64Array of n×n = ${n * n} values`);
  }
  requireFiniteArray(field, a);
  const failure = factorLower(a, n);
  if (failure) throw new InvalidInputError(field, pivotMessage(failure));
  return a;
}

/**
 * Solves L Lᵀ X = B in place for the n×`columns` row-major right-hand sides `b`, given the
 * factor of {@link choleskyFactor} (its lower triangle). Returns `b`, now X. O(n²·columns).
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, columns: number): Float64Array {
  requireInteger('n', n, 1);
  requireInteger('columns', columns, 1);
  if (!(l instanceof Float64Array) || l.length !== n * n) throw new InvalidInputError('l', `expected a Float64Array of n×n = ${n * n} values`);
  if (!(b instanceof Float64Array) || b.length !== n * columns) {
    throw new InvalidInputError('b', `expected a Float64Array of n×columns = ${n * columns} values`);
  }
  solveLower(l, n, b, columns);
  return b;
}

export function solveLower(l: Float64Array, n: number, b: Float64Array, C: number): void {
  // Forward: L Z = B, row by row (Z_i = (B_i − Σ_{k<i} L_ik Z_k) / L_ii).
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const bi = i * C;
    for (let k = 0; k < i; k++) {
      const lik = l[row + k];
      if (lik === 0) continue;
      const bk = k * C;
      for (let c = 0; c < C; c++) b[bi + c] -= lik * b[bk + c];
    }
    const inv = 1 / l[row + i];
    for (let c = 0; c < C; c++) b[bi + c] *= inv;
  }
  // Back: Lᵀ X = Z, column-oriented so that L is read by rows: X_i = Z_i / L_ii, then
  // Z_k −= L_ik X_i for k < i.
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    const bi = i * C;
    const inv = 1 / l[row + i];
    for (let c = 0; c < C; c++) b[bi + c] *= inv;
    for (let k = 0; k < i; k++) {
      const lik = l[row + k];
      if (lik === 0) continue;
      const bk = k * C;
      for (let c = 0; c < C; c++) b[bk + c] -= lik * b[bi + c];
    }
  }
}

/**
 * Small dense linear algebra for the deep reference model (float64, row-major): the thin QR
 * factor that orthogonal init needs, and a one-sided Jacobi SVD for the singular values of the
 * input–output Jacobian (ARCHITECTURE.md §7, dynamical isometry). Plain and exact rather than
 * fast: matrices here are at most a few hundred wide.
 */

/**
 * The thin Q (rows × cols, rows ≥ cols) of A = QR with diag(R) > 0, by Householder
 * reflections, then each column multiplied by the sign of R's diagonal entry: the sign fix that
 * makes Q Haar-distributed when A is gaussian (Mezzadri 2007, "How to generate random matrices
 * from the classical compact groups"). Columns stay orthonormal to rounding whatever A's
 * condition number (unlike Gram–Schmidt). `a` is read, not written.
 *
 * @example
 * const q = orthonormalColumns(Float64Array.of(3, 1, 4, 2), 2, 2); // ≈ [0.6, -0.8, 0.8, 0.6]: A = QR with R = [[5, 2.2], [0, 0.4]]
 */
export function orthonormalColumns(a: Float64Array, rows: number, cols: number): Float64Array {
  if (rows < cols) throw new RangeError(`orthonormalColumns: needs rows ≥ cols, got ${rows} × ${cols}`);
  const r = a.slice(0, rows * cols);
  const vs: Float64Array[] = [];
  const signs = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    let norm2 = 0;
    for (let i = k; i < rows; i++) norm2 += r[i * cols + k] * r[i * cols + k];
    const norm = Math.sqrt(norm2);
    const x0 = r[k * cols + k];
    // R_kk = alpha = −sign(x0)‖x‖ (the choice that avoids cancellation in v = x − alpha e_1).
    const alpha = x0 > 0 ? -norm : norm;
    const v = new Float64Array(rows - k);
    for (let i = k; i < rows; i++) v[i - k] = r[i * cols + k];
    v[0] -= alpha;
    let vn2 = 0;
    for (let i = 0; i < v.length; i++) vn2 += v[i] * v[i];
    if (vn2 > 0) {
      const inv = 1 / Math.sqrt(vn2);
      for (let i = 0; i < v.length; i++) v[i] *= inv;
      for (let j = k; j < cols; j++) {
        let dot = 0;
        for (let i = k; i < rows; i++) dot += v[i - k] * r[i * cols + j];
        for (let i = k; i < rows; i++) r[i * cols + j] -= 2 * v[i - k] * dot;
      }
    }
    vs.push(v);
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H_0 ⋯ H_{cols−1} [I; 0], applied right to left to the first cols columns of I.
  const q = new Float64Array(rows * cols);
  for (let k = 0; k < cols; k++) q[k * cols + k] = 1;
  for (let k = cols - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < cols; j++) {
      let dot = 0;
      for (let i = k; i < rows; i++) dot += v[i - k] * q[i * cols + j];
      if (dot !== 0) for (let i = k; i < rows; i++) q[i * cols + j] -= 2 * v[i - k] * dot;
    }
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) q[i * cols + j] *= signs[j];
  return q;
}

/**
 * A Haar-distributed (semi-)orthogonal rows × cols matrix from a gaussian one `g` (row-major):
 * rows ≥ cols, the Q of g = QR (orthonormal columns, QᵀQ = I); rows < cols, the transpose of
 * the Q of gᵀ (orthonormal rows, QQᵀ = I). Both with the sign fix of {@link orthonormalColumns}.
 *
 * @example
 * const q = semiOrthogonal(Float64Array.of(1, 2, 3, 4, 5, 6), 2, 3); // 2 × 3 with orthonormal rows
 */
export function semiOrthogonal(g: Float64Array, rows: number, cols: number): Float64Array {
  if (rows >= cols) return orthonormalColumns(g, rows, cols);
  const q = orthonormalColumns(transpose(g, rows, cols), cols, rows);
  return transpose(q, cols, rows);
}

/**
 * The transpose of a row-major rows × cols matrix (a new cols × rows array).
 *
 * @example
 * transpose(Float64Array.of(1, 2, 3, 4, 5, 6), 2, 3); // [1, 4, 2, 5, 3, 6]
 */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** A = U diag(s) Vᵀ: s descending (min(rows, cols) values), U rows × p and V cols × p row-major (p = min(rows, cols)). *
 * @example
 * const { values, u, v }: Svd = jacobiSvd(Float64Array.of(1, 2, 3, 4), 2, 2);
 */
export interface Svd {
  readonly values: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  /** Jacobi sweeps until no pair of columns was rotated. */
  readonly sweeps: number;
}

/**
 * The thin SVD of a row-major rows × cols matrix by one-sided Jacobi (Hestenes 1958; Demmel &
 * Veselić 1992): plane rotations orthogonalize the columns of A·V until every pair (p, q) has
 * |a_p·a_q| ≤ ε ‖a_p‖‖a_q‖ (ε = 1e−15); then s_k = ‖a_k‖ and u_k = a_k / s_k. High relative
 * accuracy in the singular values, O(rows·cols²) per sweep, a handful of sweeps. A wide matrix
 * is handled through its transpose. `a` is read, not written.
 *
 * @example
 * jacobiSvd(Float64Array.of(3, 0, 0, -2), 2, 2).values; // [3, 2]
 */
export function jacobiSvd(a: Float64Array, rows: number, cols: number): Svd {
  if (rows < cols) {
    const t = jacobiSvd(transpose(a, rows, cols), cols, rows);
    return { values: t.values, u: t.v, v: t.u, sweeps: t.sweeps };
  }
  const n = cols;
  // Work column-major: column k of A·V is w[k*rows .. (k+1)*rows).
  const w = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let k = 0; k < n; k++) w[k * rows + i] = a[i * n + k];
  const vt = new Float64Array(n * n); // column k of V at vt[k*n ..]
  for (let k = 0; k < n; k++) vt[k * n + k] = 1;
  const eps = 1e-15;
  let sweeps = 0;
  for (; sweeps < 100; sweeps++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const po = p * rows;
        const qo = q * rows;
        for (let i = 0; i < rows; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that zeroes the (p, q) entry of the 2 × 2 Gram matrix [[α, γ], [γ, β]].
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          w[po + i] = c * x - s * y;
          w[qo + i] = s * x + c * y;
        }
        const pv = p * n;
        const qv = q * n;
        for (let i = 0; i < n; i++) {
          const x = vt[pv + i];
          const y = vt[qv + i];
          vt[pv + i] = c * x - s * y;
          vt[qv + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s2 = 0;
    for (let i = 0; i < rows; i++) s2 += w[k * rows + i] * w[k * rows + i];
    norms[k] = Math.sqrt(s2);
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => norms[y] - norms[x]);
  const values = new Float64Array(n);
  const u = new Float64Array(rows * n);
  const v = new Float64Array(n * n);
  order.forEach((k, r) => {
    values[r] = norms[k];
    const inv = norms[k] > 0 ? 1 / norms[k] : 0;
    for (let i = 0; i < rows; i++) u[i * n + r] = w[k * rows + i] * inv;
    for (let i = 0; i < n; i++) v[i * n + r] = vt[k * n + i];
  });
  return { values, u, v, sweeps: sweeps + 1 };
}

/**
 * The singular values of a row-major rows × cols matrix, descending ({@link jacobiSvd}).
 *
 * @example
 * singularValues(Float64Array.of(0, 2, 1, 0), 2, 2); // [2, 1]
 */
export function singularValues(a: Float64Array, rows: number, cols: number): Float64Array {
  return jacobiSvd(a, rows, cols).values;
}

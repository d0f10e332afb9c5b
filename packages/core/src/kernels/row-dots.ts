/**
 * Blocked row-dot products out[i, j] (+)= Σ_k A[i, k] B[j, k] over row-major Float64Arrays, in
 * 3×3 register tiles: the inner loop of the Gram matrices (blocked-gram.ts) and of the Cholesky
 * updates (cholesky.ts). Each sum runs over k in increasing order whatever the tiling, so the
 * bits do not depend on block or chunk boundaries.
 */

/** Right-hand rows per block of the row-dot products (96 rows × 256 × 8 B ≈ 200 KB, in L2). */
export const ROW_BLOCK = 96;
/** k (inner dimension) chunk of the row-dot products. */
export const K_CHUNK = 256;

// ---------------------------------------------------------------------------------------------
// Row-dot products: out[i, j] (+)= Σ_{k0 ≤ k < k1} A[i, k] B[j, k]
// ---------------------------------------------------------------------------------------------

/**
 * For rows i ∈ [i0, i1) of `a` (row stride `aStride`) and rows j ∈ [j0, j1) of `b` (stride
 * `bStride`), writes (or adds, with `accumulate`) Σ_{k ∈ [k0, k1)} a[i, k] b[j, k] into
 * out[outOffset + (i − i0)·outStride + (j − j0)]. With `lower` (i and j in one index space), only
 * pairs j ≤ i are needed; tiles wholly above the diagonal are skipped, diagonal tiles may also
 * write some j > i entries. Every sum runs over k in increasing order from the stored value (or
 * from 0), so the bits do not depend on the tiling.
 */
export function rowDots(
  a: Float64Array,
  aStride: number,
  i0: number,
  i1: number,
  b: Float64Array,
  bStride: number,
  j0: number,
  j1: number,
  k0: number,
  k1: number,
  out: Float64Array,
  outOffset: number,
  outStride: number,
  accumulate: boolean,
  lower: boolean,
): void {
  let i = i0;
  for (; i + 3 <= i1; i += 3) {
    const a0 = i * aStride;
    const a1 = a0 + aStride;
    const a2 = a1 + aStride;
    const jEnd = lower ? Math.min(j1, i + 3) : j1;
    const o0 = outOffset + (i - i0) * outStride - j0;
    const o1 = o0 + outStride;
    const o2 = o1 + outStride;
    let j = j0;
    for (; j + 3 <= jEnd; j += 3) {
      const b0 = j * bStride;
      const b1 = b0 + bStride;
      const b2 = b1 + bStride;
      let c00 = 0;
      let c01 = 0;
      let c02 = 0;
      let c10 = 0;
      let c11 = 0;
      let c12 = 0;
      let c20 = 0;
      let c21 = 0;
      let c22 = 0;
      if (accumulate) {
        c00 = out[o0 + j];
        c01 = out[o0 + j + 1];
        c02 = out[o0 + j + 2];
        c10 = out[o1 + j];
        c11 = out[o1 + j + 1];
        c12 = out[o1 + j + 2];
        c20 = out[o2 + j];
        c21 = out[o2 + j + 1];
        c22 = out[o2 + j + 2];
      }
      for (let k = k0; k < k1; k++) {
        const x0 = b[b0 + k];
        const x1 = b[b1 + k];
        const x2 = b[b2 + k];
        const y0 = a[a0 + k];
        const y1 = a[a1 + k];
        const y2 = a[a2 + k];
        c00 += y0 * x0;
        c01 += y0 * x1;
        c02 += y0 * x2;
        c10 += y1 * x0;
        c11 += y1 * x1;
        c12 += y1 * x2;
        c20 += y2 * x0;
        c21 += y2 * x1;
        c22 += y2 * x2;
      }
      out[o0 + j] = c00;
      out[o0 + j + 1] = c01;
      out[o0 + j + 2] = c02;
      out[o1 + j] = c10;
      out[o1 + j + 1] = c11;
      out[o1 + j + 2] = c12;
      out[o2 + j] = c20;
      out[o2 + j + 1] = c21;
      out[o2 + j + 2] = c22;
    }
    for (; j < jEnd; j++) {
      const b0 = j * bStride;
      let c0 = accumulate ? out[o0 + j] : 0;
      let c1 = accumulate ? out[o1 + j] : 0;
      let c2 = accumulate ? out[o2 + j] : 0;
      for (let k = k0; k < k1; k++) {
        const x = b[b0 + k];
        c0 += a[a0 + k] * x;
        c1 += a[a1 + k] * x;
        c2 += a[a2 + k] * x;
      }
      out[o0 + j] = c0;
      out[o1 + j] = c1;
      out[o2 + j] = c2;
    }
  }
  for (; i < i1; i++) {
    const a0 = i * aStride;
    const jEnd = lower ? Math.min(j1, i + 1) : j1;
    const o0 = outOffset + (i - i0) * outStride - j0;
    for (let j = j0; j < jEnd; j++) {
      const b0 = j * bStride;
      let c = accumulate ? out[o0 + j] : 0;
      for (let k = k0; k < k1; k++) c += a[a0 + k] * b[b0 + k];
      out[o0 + j] = c;
    }
  }
}

/**
 * out[outOffset + (i − i0)·outStride + (j − j0)] = a_i · b_j over all D coordinates, for
 * i ∈ [i0, i1), j ∈ [j0, j1), cache-blocked (right-hand rows in blocks, k in chunks).
 */
export function blockedRowDots(
  a: Float64Array,
  i0: number,
  i1: number,
  b: Float64Array,
  j0: number,
  j1: number,
  D: number,
  out: Float64Array,
  outOffset: number,
  outStride: number,
  lower: boolean,
): void {
  for (let jb = j0; jb < j1; jb += ROW_BLOCK) {
    const jbEnd = Math.min(j1, jb + ROW_BLOCK);
    // With `lower`, rows above the block's first column have nothing to compute.
    const iStart = lower ? Math.max(i0, jb) : i0;
    if (iStart >= i1) continue;
    const offset = outOffset + (iStart - i0) * outStride + (jb - j0);
    for (let k = 0; k < D; k += K_CHUNK) {
      rowDots(a, D, iStart, i1, b, D, jb, jbEnd, k, Math.min(D, k + K_CHUNK), out, offset, outStride, k > 0, lower);
    }
  }
}

// AssemblyScript source of mflab's fused GD kernels (ARCHITECTURE.md eq. 3), compiled to
// WebAssembly with 128-bit SIMD by `npm run build:wasm` (asc, runtime stub: no GC, no
// allocation — the host lays out every buffer in linear memory and passes byte offsets).
//
// Layout (host's contract):
//   x̃: D rows of `stride` values, sample-minor (feature k of all samples is contiguous, padded
//      with zeros to a multiple of the SIMD width), so that the SIMD axis is the sample axis.
//      Every function takes (n, stride, x) in the strided style: it works on the n samples that
//      start at x (16-byte aligned) in rows `stride` values apart, so a data shard is a slice
//      of one buffer, no copy. n is rounded up to whole SIMD chunks: the padding samples read
//      zeros and carry zero residuals.
//   a: m × D neuron-major, b: m (m × k for the vector-output kernels, k ≥ 2: see their section).
//   r: residuals of the same n samples (zero-padded); partial outputs: n float64.
// The same source is compiled twice: kernels.wasm owns its memory (one engine per thread) and
// kernels-shared.wasm imports a shared memory, so that every shard worker of @mflab/parallel
// runs on one SharedArrayBuffer holding the data, the parameters and the partial sums.
// Each function exists for T = f32 (4 lanes) and T = f64 (2 lanes); the generic bodies are
// specialised at compile time through `sizeof<T>()` branches, which cost nothing at run time.

// ---- SIMD vocabulary over T ----------------------------------------------------------------

// @ts-ignore: decorator
@inline function lanes<T>(): i32 { return sizeof<T>() == 4 ? 4 : 2; }
// @ts-ignore: decorator
@inline function vsplatLoad<T>(ptr: usize): v128 { return sizeof<T>() == 4 ? v128.load32_splat(ptr) : v128.load64_splat(ptr); }
// @ts-ignore: decorator
@inline function vsplat<T>(v: f64): v128 { return sizeof<T>() == 4 ? f32x4.splat(<f32>v) : f64x2.splat(v); }
// @ts-ignore: decorator
@inline function vadd<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.add(a, b) : f64x2.add(a, b); }
// @ts-ignore: decorator
@inline function vmul<T>(a: v128, b: v128): v128 { return sizeof<T>() == 4 ? f32x4.mul(a, b) : f64x2.mul(a, b); }
// relu as a pseudo-max (maps to one maxps/maxpd; wasm's NaN-propagating max costs several).
// @ts-ignore: decorator
@inline function vrelu<T>(z: v128): v128 { return sizeof<T>() == 4 ? f32x4.pmax(f32x4.splat(0), z) : f64x2.pmax(f64x2.splat(0), z); }
// @ts-ignore: decorator
@inline function vpositive<T>(z: v128): v128 { return sizeof<T>() == 4 ? f32x4.gt(z, f32x4.splat(0)) : f64x2.gt(z, f64x2.splat(0)); }
// Horizontal sum, in float64 so that the per-neuron reduction does not lose the lanes' digits.
// @ts-ignore: decorator
@inline function hsum<T>(v: v128): f64 {
  if (sizeof<T>() == 4) {
    return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
  }
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
// @ts-ignore: decorator
@inline function loadT<T>(ptr: usize): f64 { return sizeof<T>() == 4 ? <f64>load<f32>(ptr) : load<f64>(ptr); }
// @ts-ignore: decorator
@inline function storeT<T>(ptr: usize, v: f64): void { if (sizeof<T>() == 4) store<f32>(ptr, <f32>v); else store<f64>(ptr, v); }

// ---- forward: partial outputs ----------------------------------------------------------------
// The 4-neuron z tile (z_t = Σ_k a_tk x̃_k over one SIMD chunk) is written out in both forward
// and update on purpose: AssemblyScript cannot return four v128 values from a helper, and
// passing them through memory would add loads and stores to the hottest loop.

/**
 * out[i] (+)= Σ_{j0 ≤ j < j1} b_j σ(a_j·x̃_i), i < n. Neurons are summed in blocks of
 * `blockSize` in precision T into `acc` (nPad values of T), and each block's sum is added to
 * the float64 `out` in block order — the summation order the partitioner relies on for
 * worker-count-independent results. Four neurons share each load of x̃ (register tiling).
 */
function forward<T>(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  const S = <usize>sizeof<T>();
  const L = lanes<T>();
  const rowBytes = <usize>stride * S;
  const chunkBytes = <usize>((n + L - 1) / L) * <usize>L * S;
  if (!accumulate) memory.fill(out, 0, <usize>n * 8);
  for (let block = j0; block < j1; block += blockSize) {
    const blockEnd = min(block + blockSize, j1);
    memory.fill(acc, 0, chunkBytes);
    let j = block;
    for (; j + 4 <= blockEnd; j += 4) {
      const a0 = a + <usize>j * D * S;
      const a1 = a0 + <usize>D * S;
      const a2 = a1 + <usize>D * S;
      const a3 = a2 + <usize>D * S;
      const b0 = vsplatLoad<T>(b + <usize>j * S);
      const b1 = vsplatLoad<T>(b + <usize>(j + 1) * S);
      const b2 = vsplatLoad<T>(b + <usize>(j + 2) * S);
      const b3 = vsplatLoad<T>(b + <usize>(j + 3) * S);
      for (let c: usize = 0; c < chunkBytes; c += 16) {
        let z0 = vsplat<T>(0), z1 = vsplat<T>(0), z2 = vsplat<T>(0), z3 = vsplat<T>(0);
        let xp = x + c;
        for (let k = 0; k < D; k++) {
          const xv = v128.load(xp);
          const o = <usize>k * S;
          z0 = vadd<T>(z0, vmul<T>(vsplatLoad<T>(a0 + o), xv));
          z1 = vadd<T>(z1, vmul<T>(vsplatLoad<T>(a1 + o), xv));
          z2 = vadd<T>(z2, vmul<T>(vsplatLoad<T>(a2 + o), xv));
          z3 = vadd<T>(z3, vmul<T>(vsplatLoad<T>(a3 + o), xv));
          xp += rowBytes;
        }
        let s = vadd<T>(vmul<T>(b0, vrelu<T>(z0)), vmul<T>(b1, vrelu<T>(z1)));
        s = vadd<T>(s, vadd<T>(vmul<T>(b2, vrelu<T>(z2)), vmul<T>(b3, vrelu<T>(z3))));
        v128.store(acc + c, vadd<T>(v128.load(acc + c), s));
      }
    }
    for (; j < blockEnd; j++) {
      const aj = a + <usize>j * D * S;
      const bj = vsplatLoad<T>(b + <usize>j * S);
      for (let c: usize = 0; c < chunkBytes; c += 16) {
        let z = vsplat<T>(0);
        let xp = x + c;
        for (let k = 0; k < D; k++) {
          z = vadd<T>(z, vmul<T>(vsplatLoad<T>(aj + <usize>k * S), v128.load(xp)));
          xp += rowBytes;
        }
        v128.store(acc + c, vadd<T>(v128.load(acc + c), vmul<T>(bj, vrelu<T>(z))));
      }
    }
    for (let i = 0; i < n; i++) {
      const p = out + <usize>i * 8;
      store<f64>(p, load<f64>(p) + loadT<T>(acc + <usize>i * S));
    }
  }
}

// ---- update: eq. (3) -------------------------------------------------------------------------

/**
 * For j0 ≤ j < j1, the sums g_j = (Σ_i r_i σ(z_ij), Σ_i r_i 1[z_ij>0] x̃_i), z_ij = a_j·x̃_i, over
 * the n samples, accumulated per SIMD lane in T and reduced in float64; then either
 *   grad == 0: the update w_j ← shrink·w_j − step·(g_jb, b_j g_ja), shrink = 1 − ηλ, step = η κγs;
 *   grad != 0: g_j stored as D + 1 float64 (b first) at grad + (j − j0)(D + 1)·8, for a data-
 *              sharded step that sums the sample blocks' g_j in a fixed order (applyGradients).
 * `ga` is scratch for 4·D v128 accumulators.
 */
function update<T>(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, step: f64, shrink: f64, ga: usize, grad: usize): void {
  const S = <usize>sizeof<T>();
  const L = lanes<T>();
  const rowBytes = <usize>stride * S;
  const chunkBytes = <usize>((n + L - 1) / L) * <usize>L * S;
  const gradBytes = <usize>(D + 1) * 8;
  const gaBytes = <usize>D * 16;
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const a0 = a + <usize>j * D * S;
    const a1 = a0 + <usize>D * S;
    const a2 = a1 + <usize>D * S;
    const a3 = a2 + <usize>D * S;
    memory.fill(ga, 0, gaBytes * 4);
    let gb0 = vsplat<T>(0), gb1 = vsplat<T>(0), gb2 = vsplat<T>(0), gb3 = vsplat<T>(0);
    for (let c: usize = 0; c < chunkBytes; c += 16) {
      let z0 = vsplat<T>(0), z1 = vsplat<T>(0), z2 = vsplat<T>(0), z3 = vsplat<T>(0);
      let xp = x + c;
      for (let k = 0; k < D; k++) {
        const xv = v128.load(xp);
        const o = <usize>k * S;
        z0 = vadd<T>(z0, vmul<T>(vsplatLoad<T>(a0 + o), xv));
        z1 = vadd<T>(z1, vmul<T>(vsplatLoad<T>(a1 + o), xv));
        z2 = vadd<T>(z2, vmul<T>(vsplatLoad<T>(a2 + o), xv));
        z3 = vadd<T>(z3, vmul<T>(vsplatLoad<T>(a3 + o), xv));
        xp += rowBytes;
      }
      const rv = v128.load(r + c);
      gb0 = vadd<T>(gb0, vmul<T>(rv, vrelu<T>(z0)));
      gb1 = vadd<T>(gb1, vmul<T>(rv, vrelu<T>(z1)));
      gb2 = vadd<T>(gb2, vmul<T>(rv, vrelu<T>(z2)));
      gb3 = vadd<T>(gb3, vmul<T>(rv, vrelu<T>(z3)));
      const r0 = v128.and(rv, vpositive<T>(z0));
      const r1 = v128.and(rv, vpositive<T>(z1));
      const r2 = v128.and(rv, vpositive<T>(z2));
      const r3 = v128.and(rv, vpositive<T>(z3));
      xp = x + c;
      let g = ga;
      for (let k = 0; k < D; k++) {
        const xv = v128.load(xp);
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(r0, xv)));
        v128.store(g + gaBytes, vadd<T>(v128.load(g + gaBytes), vmul<T>(r1, xv)));
        v128.store(g + 2 * gaBytes, vadd<T>(v128.load(g + 2 * gaBytes), vmul<T>(r2, xv)));
        v128.store(g + 3 * gaBytes, vadd<T>(v128.load(g + 3 * gaBytes), vmul<T>(r3, xv)));
        xp += rowBytes;
        g += 16;
      }
    }
    const g0 = grad ? grad + <usize>(j - j0) * gradBytes : 0;
    finishNeuron<T>(a0, b + <usize>j * S, D, hsum<T>(gb0), ga, step, shrink, g0);
    finishNeuron<T>(a1, b + <usize>(j + 1) * S, D, hsum<T>(gb1), ga + gaBytes, step, shrink, grad ? g0 + gradBytes : 0);
    finishNeuron<T>(a2, b + <usize>(j + 2) * S, D, hsum<T>(gb2), ga + 2 * gaBytes, step, shrink, grad ? g0 + 2 * gradBytes : 0);
    finishNeuron<T>(a3, b + <usize>(j + 3) * S, D, hsum<T>(gb3), ga + 3 * gaBytes, step, shrink, grad ? g0 + 3 * gradBytes : 0);
  }
  for (; j < j1; j++) {
    const aj = a + <usize>j * D * S;
    memory.fill(ga, 0, gaBytes);
    let gb = vsplat<T>(0);
    for (let c: usize = 0; c < chunkBytes; c += 16) {
      let z = vsplat<T>(0);
      let xp = x + c;
      for (let k = 0; k < D; k++) {
        z = vadd<T>(z, vmul<T>(vsplatLoad<T>(aj + <usize>k * S), v128.load(xp)));
        xp += rowBytes;
      }
      const rv = v128.load(r + c);
      gb = vadd<T>(gb, vmul<T>(rv, vrelu<T>(z)));
      const rm = v128.and(rv, vpositive<T>(z));
      xp = x + c;
      let g = ga;
      for (let k = 0; k < D; k++) {
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(rm, v128.load(xp))));
        xp += rowBytes;
        g += 16;
      }
    }
    finishNeuron<T>(aj, b + <usize>j * S, D, hsum<T>(gb), ga, step, shrink, grad ? grad + <usize>(j - j0) * gradBytes : 0);
  }
}

// @ts-ignore: decorator
@inline function finishNeuron<T>(aj: usize, bp: usize, D: i32, gradB: f64, ga: usize, step: f64, shrink: f64, grad: usize): void {
  if (grad) {
    store<f64>(grad, gradB);
    for (let k = 0; k < D; k++) store<f64>(grad + <usize>(k + 1) * 8, hsum<T>(v128.load(ga + <usize>k * 16)));
  } else {
    applyUpdate<T>(aj, bp, D, gradB, ga, step, shrink);
  }
}

// Both halves of the velocity use the pre-step b_j (eq. 3 is evaluated at w(t)).
// @ts-ignore: decorator
@inline function applyUpdate<T>(aj: usize, bp: usize, D: i32, gradB: f64, ga: usize, step: f64, shrink: f64): void {
  const S = <usize>sizeof<T>();
  const bj = loadT<T>(bp);
  storeT<T>(bp, shrink * bj - step * gradB);
  const coef = step * bj;
  for (let k = 0; k < D; k++) {
    const p = aj + <usize>k * S;
    storeT<T>(p, shrink * loadT<T>(p) - coef * hsum<T>(v128.load(ga + <usize>k * 16)));
  }
}

/**
 * The second half of a data-sharded update: for j0 ≤ j < j1, g_j = Σ_s G_s[j] summed over the
 * `blocks` sample blocks in block order (G_s = grad + s·blockBytes, laid out as `update`
 * stores it), then w_j ← shrink·w_j − step·(g_jb, b_j g_ja). The fixed order makes the result
 * independent of how the sample blocks were spread over workers.
 */
function applyGradients<T>(D: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, step: f64, shrink: f64): void {
  const S = <usize>sizeof<T>();
  const gradBytes = <usize>(D + 1) * 8;
  for (let j = j0; j < j1; j++) {
    const g = grad + <usize>(j - j0) * gradBytes;
    let gb = 0.0;
    for (let s = 0; s < blocks; s++) gb += load<f64>(g + <usize>s * blockBytes);
    const bp = b + <usize>j * S;
    const bj = loadT<T>(bp);
    storeT<T>(bp, shrink * bj - step * gb);
    const coef = step * bj;
    const aj = a + <usize>j * D * S;
    for (let k = 0; k < D; k++) {
      let gk = 0.0;
      for (let s = 0; s < blocks; s++) gk += load<f64>(g + <usize>s * blockBytes + <usize>(k + 1) * 8);
      const p = aj + <usize>k * S;
      storeT<T>(p, shrink * loadT<T>(p) - coef * gk);
    }
  }
}

// ---- vector outputs: b_j ∈ R^k, k ≥ 2 ------------------------------------------------------------
// Layout beyond the scalar kernels' (k = 1 never comes here: its kernels above are unchanged):
//   b: m × k neuron-major (b_jc at b + (j·k + c)·S).
//   out: n × k float64, sample-major (out[i·k + c]), like the host's outputs.
//   acc: k rows of `stride` values of T (row c at acc + c·stride·S), c-major so that SIMD runs
//        over samples; only the first ⌈n/L⌉·L values of each row are touched.
//   r: k rows of `stride` values of T (residual r_ic at r + (c·stride + i)·S), c-major, zero-
//      padded past n up to whole SIMD chunks. Like x, a sample block is the slice r + i0·S.
//   grad (grad mode): k + D float64 per neuron, gradB_0..k−1 then gradA_0..D−1, neuron j at
//        grad + (j − j0)(k + D)·8.
//   scratch: ga = 4·D v128 (neuron t's a-sums at ga + (t·D + q)·16), gb = 4·k v128 (neuron
//        t's b-sums at gb + (c·4 + t)·16).

/**
 * out[i·k + c] (+)= Σ_{j0 ≤ j < j1} b_jc σ(a_j·x̃_i). Neurons are summed within a block of
 * `blockSize` in precision T into `acc`, and each block's sums are added to the float64 `out` in
 * block order (the partitioner's summation order, as in `forward`). Four neurons share each load
 * of x̃; the k outputs then cost 4 multiply-adds per output and chunk.
 */
function forwardVec<T>(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  const S = <usize>sizeof<T>();
  const L = lanes<T>();
  const rowBytes = <usize>stride * S;
  const chunkBytes = <usize>((n + L - 1) / L) * <usize>L * S;
  const bRow = <usize>k * S;
  if (!accumulate) memory.fill(out, 0, <usize>n * <usize>k * 8);
  for (let block = j0; block < j1; block += blockSize) {
    const blockEnd = min(block + blockSize, j1);
    for (let c = 0; c < k; c++) memory.fill(acc + <usize>c * rowBytes, 0, chunkBytes);
    let j = block;
    for (; j + 4 <= blockEnd; j += 4) {
      const a0 = a + <usize>j * D * S;
      const a1 = a0 + <usize>D * S;
      const a2 = a1 + <usize>D * S;
      const a3 = a2 + <usize>D * S;
      const b0 = b + <usize>j * bRow;
      for (let ch: usize = 0; ch < chunkBytes; ch += 16) {
        let z0 = vsplat<T>(0), z1 = vsplat<T>(0), z2 = vsplat<T>(0), z3 = vsplat<T>(0);
        let xp = x + ch;
        for (let q = 0; q < D; q++) {
          const xv = v128.load(xp);
          const o = <usize>q * S;
          z0 = vadd<T>(z0, vmul<T>(vsplatLoad<T>(a0 + o), xv));
          z1 = vadd<T>(z1, vmul<T>(vsplatLoad<T>(a1 + o), xv));
          z2 = vadd<T>(z2, vmul<T>(vsplatLoad<T>(a2 + o), xv));
          z3 = vadd<T>(z3, vmul<T>(vsplatLoad<T>(a3 + o), xv));
          xp += rowBytes;
        }
        const h0 = vrelu<T>(z0), h1 = vrelu<T>(z1), h2 = vrelu<T>(z2), h3 = vrelu<T>(z3);
        let bp = b0;
        let ap = acc + ch;
        for (let c = 0; c < k; c++) {
          let s = vadd<T>(vmul<T>(vsplatLoad<T>(bp), h0), vmul<T>(vsplatLoad<T>(bp + bRow), h1));
          s = vadd<T>(s, vadd<T>(vmul<T>(vsplatLoad<T>(bp + 2 * bRow), h2), vmul<T>(vsplatLoad<T>(bp + 3 * bRow), h3)));
          v128.store(ap, vadd<T>(v128.load(ap), s));
          bp += S;
          ap += rowBytes;
        }
      }
    }
    for (; j < blockEnd; j++) {
      const aj = a + <usize>j * D * S;
      const bj = b + <usize>j * bRow;
      for (let ch: usize = 0; ch < chunkBytes; ch += 16) {
        let z = vsplat<T>(0);
        let xp = x + ch;
        for (let q = 0; q < D; q++) {
          z = vadd<T>(z, vmul<T>(vsplatLoad<T>(aj + <usize>q * S), v128.load(xp)));
          xp += rowBytes;
        }
        const h = vrelu<T>(z);
        let ap = acc + ch;
        for (let c = 0; c < k; c++) {
          v128.store(ap, vadd<T>(v128.load(ap), vmul<T>(vsplatLoad<T>(bj + <usize>c * S), h)));
          ap += rowBytes;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const p = out + <usize>i * <usize>k * 8;
      let ap = acc + <usize>i * S;
      for (let c = 0; c < k; c++) {
        const pc = p + <usize>c * 8;
        store<f64>(pc, load<f64>(pc) + loadT<T>(ap));
        ap += rowBytes;
      }
    }
  }
}

/**
 * For j0 ≤ j < j1, over the n samples: gradB_jc = Σ_i r_ic σ(z_ij) and
 * gradA_j = Σ_i ρ_ij 1[z_ij > 0] x̃_i with ρ_ij = Σ_c b_jc r_ic (pre-step b, computed once per
 * (i, j): O(n·m·(D + k)) per step), accumulated per SIMD lane in T and reduced in float64; then
 *   grad == 0: b_jc ← shrink·b_jc − step·gradB_jc, a_jq ← shrink·a_jq − step·gradA_jq;
 *   grad != 0: (gradB_j, gradA_j) stored as k + D float64 at grad + (j − j0)(k + D)·8.
 * `ga` is scratch for 4·D v128, `gb` for 4·k v128.
 */
function updateVec<T>(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, step: f64, shrink: f64, ga: usize, gb: usize, grad: usize): void {
  const S = <usize>sizeof<T>();
  const L = lanes<T>();
  const rowBytes = <usize>stride * S;
  const chunkBytes = <usize>((n + L - 1) / L) * <usize>L * S;
  const gradBytes = <usize>(k + D) * 8;
  const gaBytes = <usize>D * 16;
  const bRow = <usize>k * S;
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const a0 = a + <usize>j * D * S;
    const a1 = a0 + <usize>D * S;
    const a2 = a1 + <usize>D * S;
    const a3 = a2 + <usize>D * S;
    const b0 = b + <usize>j * bRow;
    memory.fill(ga, 0, gaBytes * 4);
    memory.fill(gb, 0, <usize>k * 64);
    for (let ch: usize = 0; ch < chunkBytes; ch += 16) {
      let z0 = vsplat<T>(0), z1 = vsplat<T>(0), z2 = vsplat<T>(0), z3 = vsplat<T>(0);
      let xp = x + ch;
      for (let q = 0; q < D; q++) {
        const xv = v128.load(xp);
        const o = <usize>q * S;
        z0 = vadd<T>(z0, vmul<T>(vsplatLoad<T>(a0 + o), xv));
        z1 = vadd<T>(z1, vmul<T>(vsplatLoad<T>(a1 + o), xv));
        z2 = vadd<T>(z2, vmul<T>(vsplatLoad<T>(a2 + o), xv));
        z3 = vadd<T>(z3, vmul<T>(vsplatLoad<T>(a3 + o), xv));
        xp += rowBytes;
      }
      const h0 = vrelu<T>(z0), h1 = vrelu<T>(z1), h2 = vrelu<T>(z2), h3 = vrelu<T>(z3);
      let p0 = vsplat<T>(0), p1 = vsplat<T>(0), p2 = vsplat<T>(0), p3 = vsplat<T>(0);
      let rp = r + ch;
      let bp = b0;
      let g = gb;
      for (let c = 0; c < k; c++) {
        const rv = v128.load(rp);
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(rv, h0)));
        v128.store(g + 16, vadd<T>(v128.load(g + 16), vmul<T>(rv, h1)));
        v128.store(g + 32, vadd<T>(v128.load(g + 32), vmul<T>(rv, h2)));
        v128.store(g + 48, vadd<T>(v128.load(g + 48), vmul<T>(rv, h3)));
        p0 = vadd<T>(p0, vmul<T>(vsplatLoad<T>(bp), rv));
        p1 = vadd<T>(p1, vmul<T>(vsplatLoad<T>(bp + bRow), rv));
        p2 = vadd<T>(p2, vmul<T>(vsplatLoad<T>(bp + 2 * bRow), rv));
        p3 = vadd<T>(p3, vmul<T>(vsplatLoad<T>(bp + 3 * bRow), rv));
        rp += rowBytes;
        bp += S;
        g += 64;
      }
      const r0 = v128.and(p0, vpositive<T>(z0));
      const r1 = v128.and(p1, vpositive<T>(z1));
      const r2 = v128.and(p2, vpositive<T>(z2));
      const r3 = v128.and(p3, vpositive<T>(z3));
      xp = x + ch;
      g = ga;
      for (let q = 0; q < D; q++) {
        const xv = v128.load(xp);
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(r0, xv)));
        v128.store(g + gaBytes, vadd<T>(v128.load(g + gaBytes), vmul<T>(r1, xv)));
        v128.store(g + 2 * gaBytes, vadd<T>(v128.load(g + 2 * gaBytes), vmul<T>(r2, xv)));
        v128.store(g + 3 * gaBytes, vadd<T>(v128.load(g + 3 * gaBytes), vmul<T>(r3, xv)));
        xp += rowBytes;
        g += 16;
      }
    }
    const g0 = grad ? grad + <usize>(j - j0) * gradBytes : 0;
    finishNeuronVec<T>(a0, b0, D, k, gb, 64, ga, step, shrink, g0);
    finishNeuronVec<T>(a1, b0 + bRow, D, k, gb + 16, 64, ga + gaBytes, step, shrink, grad ? g0 + gradBytes : 0);
    finishNeuronVec<T>(a2, b0 + 2 * bRow, D, k, gb + 32, 64, ga + 2 * gaBytes, step, shrink, grad ? g0 + 2 * gradBytes : 0);
    finishNeuronVec<T>(a3, b0 + 3 * bRow, D, k, gb + 48, 64, ga + 3 * gaBytes, step, shrink, grad ? g0 + 3 * gradBytes : 0);
  }
  for (; j < j1; j++) {
    const aj = a + <usize>j * D * S;
    const bj = b + <usize>j * bRow;
    memory.fill(ga, 0, gaBytes);
    memory.fill(gb, 0, <usize>k * 16);
    for (let ch: usize = 0; ch < chunkBytes; ch += 16) {
      let z = vsplat<T>(0);
      let xp = x + ch;
      for (let q = 0; q < D; q++) {
        z = vadd<T>(z, vmul<T>(vsplatLoad<T>(aj + <usize>q * S), v128.load(xp)));
        xp += rowBytes;
      }
      const h = vrelu<T>(z);
      let rho = vsplat<T>(0);
      let rp = r + ch;
      let g = gb;
      for (let c = 0; c < k; c++) {
        const rv = v128.load(rp);
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(rv, h)));
        rho = vadd<T>(rho, vmul<T>(vsplatLoad<T>(bj + <usize>c * S), rv));
        rp += rowBytes;
        g += 16;
      }
      const rm = v128.and(rho, vpositive<T>(z));
      xp = x + ch;
      g = ga;
      for (let q = 0; q < D; q++) {
        v128.store(g, vadd<T>(v128.load(g), vmul<T>(rm, v128.load(xp))));
        xp += rowBytes;
        g += 16;
      }
    }
    finishNeuronVec<T>(aj, bj, D, k, gb, 16, ga, step, shrink, grad ? grad + <usize>(j - j0) * gradBytes : 0);
  }
}

// gb holds the neuron's k b-sums `gbStep` bytes apart; ga its D a-sums 16 bytes apart.
// @ts-ignore: decorator
@inline function finishNeuronVec<T>(aj: usize, bj: usize, D: i32, k: i32, gb: usize, gbStep: usize, ga: usize, step: f64, shrink: f64, grad: usize): void {
  const S = <usize>sizeof<T>();
  if (grad) {
    for (let c = 0; c < k; c++) store<f64>(grad + <usize>c * 8, hsum<T>(v128.load(gb + <usize>c * gbStep)));
    const gaOut = grad + <usize>k * 8;
    for (let q = 0; q < D; q++) store<f64>(gaOut + <usize>q * 8, hsum<T>(v128.load(ga + <usize>q * 16)));
  } else {
    // ρ already used the pre-step b_j: both halves can move now.
    for (let c = 0; c < k; c++) {
      const p = bj + <usize>c * S;
      storeT<T>(p, shrink * loadT<T>(p) - step * hsum<T>(v128.load(gb + <usize>c * gbStep)));
    }
    for (let q = 0; q < D; q++) {
      const p = aj + <usize>q * S;
      storeT<T>(p, shrink * loadT<T>(p) - step * hsum<T>(v128.load(ga + <usize>q * 16)));
    }
  }
}

/**
 * The second half of a data-sharded vector update: for j0 ≤ j < j1, each of the k + D sums is
 * Σ_s G_s[j] over the `blocks` sample blocks in block order (G_s = grad + s·blockBytes, laid out
 * as `updateVec` stores it), then b_jc ← shrink·b_jc − step·gradB_jc, a_jq ← shrink·a_jq − step·gradA_jq.
 */
function applyGradientsVec<T>(D: i32, k: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, step: f64, shrink: f64): void {
  const S = <usize>sizeof<T>();
  const gradBytes = <usize>(k + D) * 8;
  for (let j = j0; j < j1; j++) {
    const g = grad + <usize>(j - j0) * gradBytes;
    const bj = b + <usize>j * <usize>k * S;
    for (let c = 0; c < k; c++) {
      let gc = 0.0;
      for (let s = 0; s < blocks; s++) gc += load<f64>(g + <usize>s * blockBytes + <usize>c * 8);
      const p = bj + <usize>c * S;
      storeT<T>(p, shrink * loadT<T>(p) - step * gc);
    }
    const aj = a + <usize>j * D * S;
    const ga = g + <usize>k * 8;
    for (let q = 0; q < D; q++) {
      let gq = 0.0;
      for (let s = 0; s < blocks; s++) gq += load<f64>(ga + <usize>s * blockBytes + <usize>q * 8);
      const p = aj + <usize>q * S;
      storeT<T>(p, shrink * loadT<T>(p) - step * gq);
    }
  }
}

// ---- exports -----------------------------------------------------------------------------------

export function forwardF32(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  forward<f32>(n, stride, D, x, a, b, j0, j1, blockSize, acc, out, accumulate);
}
export function forwardF64(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  forward<f64>(n, stride, D, x, a, b, j0, j1, blockSize, acc, out, accumulate);
}
// The update's two float coefficients (step = η κγs, shrink = 1 − ηλ) are read from memory at
// `coef` rather than passed as f64 arguments: a JS→wasm call boxes double arguments on the JS
// heap, which would allocate at every step.
// `grad` = 0 applies the update; otherwise the gradient sums are stored there (see update).
export function updateF32(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, coef: usize, ga: usize, grad: usize): void {
  update<f32>(n, stride, D, x, a, b, r, j0, j1, load<f64>(coef), load<f64>(coef, 8), ga, grad);
}
export function updateF64(n: i32, stride: i32, D: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, coef: usize, ga: usize, grad: usize): void {
  update<f64>(n, stride, D, x, a, b, r, j0, j1, load<f64>(coef), load<f64>(coef, 8), ga, grad);
}
export function applyGradientsF32(D: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, coef: usize): void {
  applyGradients<f32>(D, a, b, grad, blocks, blockBytes, j0, j1, load<f64>(coef), load<f64>(coef, 8));
}
export function applyGradientsF64(D: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, coef: usize): void {
  applyGradients<f64>(D, a, b, grad, blocks, blockBytes, j0, j1, load<f64>(coef), load<f64>(coef, 8));
}

// Vector outputs (k ≥ 2; layouts above). Coefficients at `coef` as for the scalar update.
export function forwardVecF32(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  forwardVec<f32>(n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate);
}
export function forwardVecF64(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, j0: i32, j1: i32, blockSize: i32, acc: usize, out: usize, accumulate: i32): void {
  forwardVec<f64>(n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate);
}
export function updateVecF32(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, coef: usize, ga: usize, gb: usize, grad: usize): void {
  updateVec<f32>(n, stride, D, k, x, a, b, r, j0, j1, load<f64>(coef), load<f64>(coef, 8), ga, gb, grad);
}
export function updateVecF64(n: i32, stride: i32, D: i32, k: i32, x: usize, a: usize, b: usize, r: usize, j0: i32, j1: i32, coef: usize, ga: usize, gb: usize, grad: usize): void {
  updateVec<f64>(n, stride, D, k, x, a, b, r, j0, j1, load<f64>(coef), load<f64>(coef, 8), ga, gb, grad);
}
export function applyGradientsVecF32(D: i32, k: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, coef: usize): void {
  applyGradientsVec<f32>(D, k, a, b, grad, blocks, blockBytes, j0, j1, load<f64>(coef), load<f64>(coef, 8));
}
export function applyGradientsVecF64(D: i32, k: i32, a: usize, b: usize, grad: usize, blocks: i32, blockBytes: usize, j0: i32, j1: i32, coef: usize): void {
  applyGradientsVec<f64>(D, k, a, b, grad, blocks, blockBytes, j0, j1, load<f64>(coef), load<f64>(coef, 8));
}

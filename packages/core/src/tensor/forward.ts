/**
 * Forward and backward passes of the two-layer network (ARCHITECTURE.md §1, eqs. 1 and 3) as
 * chunked float32 GEMMs on TensorFlow.js, for the GEMM-bound regime (large D, n and m, e.g.
 * MNIST-sized D = 785, n = 10 000, m = 1024), where the per-neuron loops of the step kernels
 * are bound by arithmetic that a blocked matMul does several times faster.
 *
 * Layout: per neuron chunk J (≤ 2048 neurons) and sample chunk I (so that a |J|×|I| float32
 * matrix is ≤ 16 MB). No matMul ever transposes an operand (the slow path of the wasm backend):
 * the operands are laid out on the host while they are converted to float32 anyway. The forward
 * pass computes Z = X̃_I A_Jᵀ (A_Jᵀ transposed once per neuron chunk); the backward pass needs
 * Zᵀ = A_J X̃_Iᵀ (|J|×|I|) so that g_a = W X̃_I comes out neuron-major, and transposes X̃_I.
 * Chunk results are summed on the host in float64.
 */
import { InvalidInputError } from '../errors.js';
import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { Scaling } from '../model/scaling.js';
import { tensorRuntime } from './backend.js';
import { Staging, checkShapes, neuronChunkSize, outputOf, read, rowChunkSize, rowsToF32, rowsToF32Transposed, upload, vectorToF32 } from './chunks.js';

/** Gradient buffers of {@link tensorForwardBackward}: gradA m×D neuron-major, gradB m. */
export interface TensorGradients {
  readonly gradA: Float64Array;
  readonly gradB: Float64Array;
}

/**
 * The network outputs f_i = s Σ_j b_j σ(a_j·x̃_i) of eq. (1) (without the `centered`
 * subtraction, which is the caller's) for every row of `inputs`, as chunked float32 GEMMs with
 * float64 accumulation of the chunk sums. Writes into `out` (length n) when given. Relative
 * accuracy ~1e-6 of the scale of the terms, so outputs that cancel (e.g. symmetric init) carry
 * float32 absolute error.
 */
export async function tensorForward(params: NetworkParams, scaling: Scaling, inputs: AugmentedInputs, out?: Float64Array): Promise<Float64Array> {
  checkShapes(params, { field: 'inputs', ...inputs });
  const n = inputs.n;
  const f = outputOf('out', out, n);
  f.fill(0);
  const { tf, info } = await tensorRuntime();
  const { m, D, a, b } = params;
  if (n === 0) return f;
  const chunk = neuronChunkSize(m);
  const rows = rowChunkSize(n, chunk);
  const staging = new Staging(info);
  for (let j0 = 0; j0 < m; j0 += chunk) {
    const j1 = Math.min(m, j0 + chunk);
    const cj = j1 - j0;
    // Aᵀ (D×|J|) is laid out on the host once per neuron chunk, so the per-sample-chunk
    // operand X̃_I is a plain contiguous copy (m·D values transposed rather than n·D).
    const At = upload(tf, rowsToF32Transposed(a, D, j0, j1, staging.get('at', D * cj)), D, cj);
    const B = upload(tf, vectorToF32(b, j0, j1, staging.get('b', cj)), cj, 1);
    try {
      for (let i0 = 0; i0 < n; i0 += rows) {
        const i1 = Math.min(n, i0 + rows);
        const ri = i1 - i0;
        const part = tf.tidy(() => {
          const X = upload(tf, rowsToF32(inputs.x, D, i0, i1, staging.get('x', ri * D)), ri, D);
          // σ(X̃_I A_Jᵀ) with the ReLU fused into the GEMM, then σ(·) b_J: |I| partial outputs.
          const H = tf.fused.matMul({ a: X, b: At, activation: 'relu' });
          return tf.matMul(H, B);
        });
        const values = read(part);
        part.dispose();
        for (let i = 0; i < ri; i++) f[i0 + i] += values[i];
      }
    } finally {
      At.dispose();
      B.dispose();
    }
  }
  const s = scaling.s;
  for (let i = 0; i < n; i++) f[i] *= s;
  return f;
}

/**
 * The data part of the gradient of eq. (3) for every neuron, given the residuals r (length n,
 * r_i = ∂ℓ/∂f(x_i)/n): g_b(j) = Σ_i r_i σ(z_ij) into `out.gradB` (length m) and
 * g_a(j) = b_j Σ_i r_i 1[z_ij > 0] x̃_i into `out.gradA` (m×D, neuron-major), z_ij = a_j·x̃_i;
 * both are overwritten. The velocity is then v = −κγs g − λw. Chunked float32 GEMMs
 * (Zᵀ = A_J X̃_Iᵀ, g_b = σ(Zᵀ) r_I, g_a = (1[Zᵀ > 0] diag r_I) X̃_I), float64 accumulation across
 * chunks; every intermediate tensor is disposed per chunk. Accuracy: ~1e-6 relative, except
 * that a pre-activation within float32 rounding (~1e-7) of 0 can flip its gate, which moves
 * g_a(j) by b_j r_i x̃_i (measured at n = 10 000, D = 785, m = 1024 with mean-zero r: 6e-4
 * relative Frobenius on g_a, all of it in the two neurons with such a z; 8e-7 on g_b).
 */
export async function tensorForwardBackward(params: NetworkParams, inputs: AugmentedInputs, r: Float64Array, out: TensorGradients): Promise<TensorGradients> {
  checkShapes(params, { field: 'inputs', ...inputs });
  const { m, D, a, b } = params;
  const n = inputs.n;
  if (!(r instanceof Float64Array) || r.length !== n) throw new InvalidInputError('r', `expected a Float64Array of n = ${n} residuals`);
  const { gradA, gradB } = out;
  if (!(gradA instanceof Float64Array) || gradA.length !== m * D) throw new InvalidInputError('out.gradA', `expected a Float64Array of m·D = ${m * D} values`);
  if (!(gradB instanceof Float64Array) || gradB.length !== m) throw new InvalidInputError('out.gradB', `expected a Float64Array of m = ${m} values`);
  gradA.fill(0);
  gradB.fill(0);
  const { tf, info } = await tensorRuntime();
  if (n === 0) return out;
  const chunk = neuronChunkSize(m);
  const rows = rowChunkSize(n, chunk);
  const staging = new Staging(info);
  for (let j0 = 0; j0 < m; j0 += chunk) {
    const j1 = Math.min(m, j0 + chunk);
    const cj = j1 - j0;
    const A = upload(tf, rowsToF32(a, D, j0, j1, staging.get('a', cj * D)), cj, D);
    try {
      for (let i0 = 0; i0 < n; i0 += rows) {
        const i1 = Math.min(n, i0 + rows);
        const ri = i1 - i0;
        const [ga, gb] = tf.tidy(() => {
          const Xt = upload(tf, rowsToF32Transposed(inputs.x, D, i0, i1, staging.get('xt', D * ri)), D, ri);
          const X = upload(tf, rowsToF32(inputs.x, D, i0, i1, staging.get('x', ri * D)), ri, D);
          const rRow = upload(tf, vectorToF32(r, i0, i1, staging.get('r', ri)), 1, ri);
          const H = tf.fused.matMul({ a: A, b: Xt, activation: 'relu' });
          // 1[z > 0] = 1[σ(z) > 0], scaled by r_i column-wise: the |J|×|I| weights of g_a.
          const W = tf.mul(tf.step(H), rRow);
          return [tf.matMul(W, X), tf.matMul(H, tf.reshape(rRow, [ri, 1]))];
        });
        const gaValues = read(ga);
        const gbValues = read(gb);
        ga.dispose();
        gb.dispose();
        for (let jj = 0; jj < cj; jj++) gradB[j0 + jj] += gbValues[jj];
        const base = j0 * D;
        const len = cj * D;
        for (let k = 0; k < len; k++) gradA[base + k] += gaValues[k];
      }
    } finally {
      A.dispose();
    }
  }
  // The factor b_j of g_a, applied once in float64 rather than per chunk on the device.
  for (let j = 0; j < m; j++) {
    const bj = b[j];
    const off = j * D;
    for (let k = 0; k < D; k++) gradA[off + k] *= bj;
  }
  return out;
}

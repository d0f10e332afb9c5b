/**
 * The infinite-width two-layer ReLU kernels of ARCHITECTURE.md §1 eq. (4) on n1×n2 grids with
 * TensorFlow.js: cos θ = x̂·x̂' for all pairs is one GEMM of the unit rows, and the arc-cosine
 * formulas
 *
 *     Σ = ‖x̃‖‖x̃'‖ (sin θ + (π − θ) cos θ) / (2π),   Σ̇ = (π − θ) / (2π),   Θ = Σ + (x̃·x̃') Σ̇
 *
 * are elementwise tensor ops, over row chunks of x1 so that each chunk's intermediates are
 * ≤ 16 MB. Norms and unit rows are computed on the host in float64; the float64 reference is
 * `reluKernelGram` in ../kernels/relu-kernels.ts, with the same signature and conventions.
 *
 * Accuracy: float32 cos θ carries ~1e-7 absolute error, so θ = acos(cos θ) is off by up to
 * ~5e-4 for nearly parallel pairs (θ ≲ 1e-3) and Σ̇ there by ~1e-4 (relative, also Θ); elsewhere
 * the error is ~1e-6 relative. The diagonal of a symmetric Gram (θ = 0 exactly) is set on the
 * host in float64, which is where near-parallel pairs always occur.
 */
import { InvalidInputError, requireOneOf } from '../errors.js';
import { normalizeRowSets } from '../kernels/angles.js';
import { RELU_KERNEL_KINDS, type ReluKernelOptions } from '../kernels/relu-kernels.js';
import { checkDimension, outputBuffer, rowCount } from '../kernels/shapes.js';
import { tensorRuntime } from './backend.js';
import { Staging, read, rowChunkSize, rowsToF32, rowsToF32Transposed, upload, vectorToF32 } from './chunks.js';

const INV_2PI = 1 / (2 * Math.PI);

/**
 * The Gram matrix K[i, j] = k(x1_i, x2_j) of the eq. (4) kernel (ARCHITECTURE.md §1): Σ with
 * `kind: 'nngp'`, Θ with `kind: 'ntk'` (default); `bias` (default true) augments x̃ = (x, 1).
 * x1, x2: n1×d and n2×d sample-major; `x2 = null` (or === x1) means x2 = x1 and gives an exactly
 * symmetric result. Returns an n1×n2 row-major Float64Array (into `out` when given). The tensor
 * (float32) counterpart of `reluKernelGram`; see the module notes for its accuracy.
 */
export async function tensorReluKernelGram(
  x1: Float64Array,
  x2: Float64Array | null,
  d: number,
  options?: ReluKernelOptions,
  out?: Float64Array,
): Promise<Float64Array> {
  checkDimension(d);
  const ntk = requireOneOf('options.kind', options?.kind ?? 'ntk', RELU_KERNEL_KINDS) === 'ntk';
  const bias = options?.bias ?? true;
  if (typeof bias !== 'boolean') throw new InvalidInputError('options.bias', `expected a boolean, got ${String(bias)}`);
  const n1 = rowCount('x1', x1, d);
  const same = x2 === null || x2 === x1;
  const n2 = same ? n1 : rowCount('x2', x2, d);
  const K = outputBuffer('out', out, n1 * n2);
  const { tf, info } = await tensorRuntime();
  if (n1 === 0 || n2 === 0) return K;
  const D = bias ? d + 1 : d;
  const { unit1, sq1, unit2, sq2 } = normalizeRowSets(x1, n1, x2, n2, same, d, bias);
  const norms1 = sq1.map(Math.sqrt);
  const norms2 = same ? norms1 : sq2.map(Math.sqrt);
  const rows = rowChunkSize(n1, n2);
  const staging = new Staging(info);
  const U2t = upload(tf, rowsToF32Transposed(unit2, D, 0, n2, new Float32Array(D * n2)), D, n2);
  const N2 = upload(tf, vectorToF32(norms2, 0, n2, new Float32Array(n2)), 1, n2);
  try {
    for (let i0 = 0; i0 < n1; i0 += rows) {
      const i1 = Math.min(n1, i0 + rows);
      const ri = i1 - i0;
      const part = tf.tidy(() => {
        const U1 = upload(tf, rowsToF32(unit1, D, i0, i1, staging.get('u', ri * D)), ri, D);
        const N1 = upload(tf, vectorToF32(norms1, i0, i1, staging.get('n', ri)), ri, 1);
        // Rounding can push x̂·x̂' just outside [−1, 1], where acos is NaN.
        const cos = tf.clipByValue(tf.matMul(U1, U2t), -1, 1);
        const piMinusTheta = tf.sub(Math.PI, tf.acos(cos));
        // sin θ = √((1 − cos)(1 + cos)): the factored form avoids 1 − cos² losing digits near ±1.
        const sin = tf.sqrt(tf.relu(tf.mul(tf.sub(1, cos), tf.add(1, cos))));
        const norms = tf.mul(N1, N2);
        const nngp = tf.mul(tf.mul(norms, tf.add(sin, tf.mul(piMinusTheta, cos))), INV_2PI);
        if (!ntk) return nngp;
        // Θ = Σ + (x̃·x̃') Σ̇ with x̃·x̃' = ‖x̃‖‖x̃'‖ cos θ.
        return tf.add(nngp, tf.mul(tf.mul(norms, cos), tf.mul(piMinusTheta, INV_2PI)));
      });
      const values = read(part);
      part.dispose();
      const base = i0 * n2;
      for (let k = 0; k < ri * n2; k++) K[base + k] = values[k];
    }
  } finally {
    U2t.dispose();
    N2.dispose();
  }
  if (same) {
    for (let i = 0; i < n1; i++) {
      // θ = 0 on the diagonal: Σ = ‖x̃‖²/2, Θ = ‖x̃‖² (0 for a zero row, as the reference).
      const norms = norms1[i] * norms1[i];
      K[i * n1 + i] = sq1[i] > 0 ? (ntk ? norms : 0.5 * norms) : 0;
      // Mirror the upper triangle, as the reference computes it, so K = Kᵀ exactly.
      for (let j = i + 1; j < n1; j++) K[j * n1 + i] = K[i * n1 + j];
    }
  }
  return K;
}

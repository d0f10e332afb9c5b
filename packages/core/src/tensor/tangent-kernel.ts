/**
 * The empirical tangent kernel of the dynamics (ARCHITECTURE.md §1, `ntk_drift`) as GEMMs over
 * neuron chunks on TensorFlow.js:
 *
 *     K(x, x') = γ s² Σ_j [σ(z_j)σ(z'_j) + b_j² 1[z_j > 0] 1[z'_j > 0] x̃·x̃'],   z_j = a_j·x̃.
 *
 * Per chunk J: H_Lᵀ = σ(A_J X̃_Lᵀ) (|J|×p), G_Lᵀ = 1[Z_L > 0]·|b_J| (rows scaled by |b_j|), the
 * same for the right set, then K_J = H_L H_Rᵀ + (X̃_L X̃_Rᵀ) ∘ (G_L G_Rᵀ), read back and summed
 * over chunks in float64. No p×m matrix beyond one chunk exists, and no matMul transposes an
 * operand (the wasm backend's slow path): X̃ᵀ is laid out on the host, H_L is a device transpose.
 */
import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { Scaling } from '../model/scaling.js';
import { tensorRuntime } from './backend.js';
import { CHUNK_ELEMENTS, Staging, checkShapes, neuronChunkSize, outputOf, read, rowsToF32, rowsToF32Transposed, upload, vectorToF32 } from './chunks.js';

/**
 * K(X_left, X_right) of the empirical tangent kernel (the float32 GEMM form of
 * `empiricalTangentKernel`), a p×q row-major Float64Array (into `out` when given). `right`
 * omitted (or === `left`) gives the symmetric p×p Gram matrix, made exactly symmetric. Float32
 * products with float64 sums across neuron chunks: relative Frobenius error ~1e-6 typically;
 * a pre-activation within float32 rounding of 0 may flip its gate, which is where most of the
 * difference from the float64 reference comes from.
 */
export async function tensorTangentKernel(
  params: NetworkParams,
  scaling: Scaling,
  left: AugmentedInputs,
  right?: AugmentedInputs,
  out?: Float64Array,
): Promise<Float64Array> {
  const same = right === undefined || right === left;
  const rightSet = same ? left : right;
  checkShapes(params, { field: 'left', ...left }, { field: 'right', ...rightSet });
  const p = left.n;
  const q = rightSet.n;
  const K = outputOf('out', out, p * q);
  K.fill(0);
  const { tf, info } = await tensorRuntime();
  const { m, D, a, b } = params;
  if (p === 0 || q === 0) return K;
  // Bound the p×|J| and |J|×q intermediates as well as the chunk width.
  const chunk = Math.max(1, Math.min(neuronChunkSize(m), Math.floor(CHUNK_ELEMENTS / Math.max(p, q))));
  const staging = new Staging(info);
  // The left and right sets enter transposed (D×p, D×q), so each chunk's GEMM is A_J X̃ᵀ with
  // A_J the neuron-major slice of `a` as it is: transposing the small sets once beats
  // transposing |J|×D parameters per chunk on the host.
  const XLt = upload(tf, rowsToF32Transposed(left.x, D, 0, p, new Float32Array(D * p)), D, p);
  const XRt = same ? XLt : upload(tf, rowsToF32Transposed(rightSet.x, D, 0, q, new Float32Array(D * q)), D, q);
  const XX = tf.tidy(() => tf.matMul(upload(tf, rowsToF32(left.x, D, 0, p, new Float32Array(p * D)), p, D), XRt));
  try {
    for (let j0 = 0; j0 < m; j0 += chunk) {
      const j1 = Math.min(m, j0 + chunk);
      const cj = j1 - j0;
      const part = tf.tidy(() => {
        const A = upload(tf, rowsToF32(a, D, j0, j1, staging.get('a', cj * D)), cj, D);
        const absB = upload(tf, vectorToF32(b, j0, j1, staging.get('b', cj), true), cj, 1);
        const HLt = tf.fused.matMul({ a: A, b: XLt, activation: 'relu' });
        // |b_j| on both sides gives b_j² in G_L G_Rᵀ; 1[σ(z) > 0] = 1[z > 0].
        const GLt = tf.mul(tf.step(HLt), absB);
        // A transpose is O(p·|J|), far cheaper than a GEMM of O(p·|J|·D) in the other layout.
        const HL = tf.transpose(HLt);
        const GL = tf.transpose(GLt);
        let HRt = HLt;
        let GRt = GLt;
        if (!same) {
          HRt = tf.fused.matMul({ a: A, b: XRt, activation: 'relu' });
          GRt = tf.mul(tf.step(HRt), absB);
        }
        return tf.add(tf.matMul(HL, HRt), tf.mul(XX, tf.matMul(GL, GRt)));
      });
      const values = read(part);
      part.dispose();
      for (let k = 0; k < p * q; k++) K[k] += values[k];
    }
  } finally {
    XLt.dispose();
    if (!same) XRt.dispose();
    XX.dispose();
  }
  const c = scaling.gamma * scaling.s * scaling.s;
  for (let k = 0; k < p * q; k++) K[k] *= c;
  if (same) {
    // The two triangles come from different float32 GEMM entries; average them so K = Kᵀ exactly.
    for (let i = 0; i < p; i++) {
      for (let l = i + 1; l < p; l++) {
        const v = 0.5 * (K[i * p + l] + K[l * p + i]);
        K[i * p + l] = v;
        K[l * p + i] = v;
      }
    }
  }
  return K;
}

import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { Scaling } from '../model/scaling.js';

/**
 * The empirical tangent kernel of the dynamics (ARCHITECTURE.md §1, `ntk_drift`):
 * K(x, x') = γ Σ_j ∇_{w_j} f(x)·∇_{w_j} f(x')
 *          = γ s² Σ_j [σ(z_j)σ(z'_j) + b_j² 1[z_j > 0] 1[z'_j > 0] x̃·x̃'],  z_j = a_j·x̃.
 * Accumulated neuron by neuron into two p×q sums, so memory is O(pq + (p+q)) whatever m.
 * Returns the p×q matrix K(X_left, X_right), row-major.
 */
export function empiricalTangentKernel(
  params: NetworkParams,
  scaling: Scaling,
  left: AugmentedInputs,
  right: AugmentedInputs = left,
  out: Float64Array = new Float64Array(left.n * right.n),
): Float64Array {
  const { a, b, D, m } = params;
  const p = left.n;
  const q = right.n;
  const featureSum = new Float64Array(p * q);
  const gateSum = new Float64Array(p * q);
  const hL = new Float64Array(p);
  const gL = new Float64Array(p);
  // K(X, X) (the probe's kernel): the right activations are the left ones, computed once.
  const same = right === left;
  const hR = same ? hL : new Float64Array(q);
  const gR = same ? gL : new Float64Array(q);
  const activations = (inputs: AugmentedInputs, aOff: number, h: Float64Array, g: Float64Array) => {
    for (let i = 0; i < inputs.n; i++) {
      let z = 0;
      for (let k = 0; k < D; k++) z += a[aOff + k] * inputs.x[i * D + k];
      h[i] = z > 0 ? z : 0;
      g[i] = z > 0 ? 1 : 0;
    }
  };
  for (let j = 0; j < m; j++) {
    activations(left, j * D, hL, gL);
    if (!same) activations(right, j * D, hR, gR);
    const b2 = b[j] * b[j];
    for (let i = 0; i < p; i++) {
      const hi = hL[i];
      const gi = gL[i] * b2;
      if (hi === 0 && gi === 0) continue;
      const row = i * q;
      for (let l = 0; l < q; l++) {
        featureSum[row + l] += hi * hR[l];
        gateSum[row + l] += gi * gR[l];
      }
    }
  }
  const c = scaling.gamma * scaling.s * scaling.s;
  for (let i = 0; i < p; i++) {
    for (let l = 0; l < q; l++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += left.x[i * D + k] * right.x[l * D + k];
      out[i * q + l] = c * (featureSum[i * q + l] + dot * gateSum[i * q + l]);
    }
  }
  return out;
}

/** ‖K_t − K_0‖_F / ‖K_0‖_F (ARCHITECTURE.md §1, `ntk_drift`). */
export function relativeFrobeniusDistance(k: Float64Array, k0: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < k.length; i++) {
    const e = k[i] - k0[i];
    num += e * e;
    den += k0[i] * k0[i];
  }
  return Math.sqrt(num / den);
}

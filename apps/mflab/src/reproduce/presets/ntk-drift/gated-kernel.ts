/**
 * The tangent kernel with the ReLU gates of other parameters, to split the kernel's drift into
 * the part that comes from neurons moving with their activation pattern unchanged and the part
 * that comes from activation flips (neurons whose kink crossed a data point).
 *
 * The tangent kernel of ARCHITECTURE.md §1 is K(x, x') = γ s² Σ_j [σ(z_j)σ(z'_j) + b_j² 1[z_j > 0]
 * 1[z'_j > 0] x̃·x̃'], z_j = a_j·x̃. With the gates g_j(x) = 1[a_j^G·x̃ > 0] of parameters G,
 *
 *     K_G(x, x') = γ s² Σ_j [g_j(x) z_j · g_j(x') z'_j + b_j² g_j(x) g_j(x') x̃·x̃'],
 *
 * so K_w = K (G = w) and, with G = w(0), K_{w(0)}(w(t)) is the kernel of w(t) had no gate changed.
 * Then K_t − K_0 = [K_{w(0)}(w(t)) − K_0] (smooth: a polynomial in the weight changes, whose
 * first-order term cancels over a symmetric pair and averages out over zero-mean b_j)
 *                + [K_t − K_{w(0)}(w(t))] (flips: only the neurons whose gate changed contribute).
 */
import { InvalidInputError, type AugmentedInputs, type NetworkParams, type Scaling } from '@mflab/core';

/**
 * K_G(X, X) on `inputs` (p×p row-major) for the parameters `params` and the gates of `gates`
 * (same m and D). Memory O(p² + p); O(m·p·(D + p)) time.
 */
export function gatedTangentKernel(params: NetworkParams, gates: NetworkParams, scaling: Scaling, inputs: AugmentedInputs): Float64Array {
  const { a, b, D, m } = params;
  if (gates.m !== m || gates.D !== D) throw new InvalidInputError('gates', `expected m = ${m}, D = ${D} like the parameters, got m = ${gates.m}, D = ${gates.D}`);
  if (inputs.D !== D) throw new InvalidInputError('inputs.D', `the parameters have D = ${D} but the inputs have D = ${inputs.D}`);
  const p = inputs.n;
  const x = inputs.x;
  const featureSum = new Float64Array(p * p);
  const gateSum = new Float64Array(p * p);
  const h = new Float64Array(p);
  const g = new Float64Array(p);
  for (let j = 0; j < m; j++) {
    const off = j * D;
    for (let i = 0; i < p; i++) {
      let z = 0;
      let zGate = 0;
      for (let k = 0; k < D; k++) {
        z += a[off + k] * x[i * D + k];
        zGate += gates.a[off + k] * x[i * D + k];
      }
      const open = zGate > 0 ? 1 : 0;
      g[i] = open;
      h[i] = open * z;
    }
    const b2 = b[j] * b[j];
    for (let i = 0; i < p; i++) {
      if (g[i] === 0) continue;
      const row = i * p;
      const hi = h[i];
      for (let l = 0; l < p; l++) {
        featureSum[row + l] += hi * h[l];
        gateSum[row + l] += b2 * g[l];
      }
    }
  }
  const c = scaling.gamma * scaling.s * scaling.s;
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let l = 0; l < p; l++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += x[i * D + k] * x[l * D + k];
      out[i * p + l] = c * (featureSum[i * p + l] + dot * gateSum[i * p + l]);
    }
  }
  return out;
}

/** The two-layer network's outputs from stored parameters (a checkpoint), for the reproductions' analyses. */
import { InvalidInputError, type AugmentedInputs, type NetworkParams } from '@mflab/core';

/**
 * f_w(x̃_i) = s Σ_j b_j σ(a_j·x̃_i) (ARCHITECTURE.md eq. 1, not centered) on augmented inputs, in
 * float64, accumulated neuron by neuron in index order.
 */
export function networkOutputs(params: NetworkParams, s: number, inputs: AugmentedInputs, out: Float64Array = new Float64Array(inputs.n)): Float64Array {
  const { a, b, D, m } = params;
  if (inputs.D !== D) throw new InvalidInputError('inputs.D', `the parameters have D = ${D} but the inputs have D = ${inputs.D}`);
  if (out.length !== inputs.n) throw new InvalidInputError('out', `expected ${inputs.n} entries, got ${out.length}`);
  for (let i = 0; i < inputs.n; i++) {
    const row = i * D;
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const off = j * D;
      let z = 0;
      for (let k = 0; k < D; k++) z += a[off + k] * inputs.x[row + k];
      if (z > 0) sum += b[j] * z;
    }
    out[i] = s * sum;
  }
  return out;
}

/** √(mean (u − v)²). */
export function rootMeanSquareDifference(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length || u.length === 0) throw new InvalidInputError('v', `expected ${u.length} values (and at least one), got ${v.length}`);
  let sum = 0;
  for (let i = 0; i < u.length; i++) sum += (u[i] - v[i]) ** 2;
  return Math.sqrt(sum / u.length);
}

/** ‖A − B‖_F / ‖B‖_F. */
export function relativeFrobeniusError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InvalidInputError('b', `expected ${a.length} values, got ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** The square-loss risk (1/p) Σ ½ (f − y)² (ARCHITECTURE.md §1). */
export function squareRisk(f: ArrayLike<number>, y: ArrayLike<number>): number {
  if (f.length !== y.length || f.length === 0) throw new InvalidInputError('y', `expected ${f.length} targets (and at least one), got ${y.length}`);
  let sum = 0;
  for (let i = 0; i < f.length; i++) sum += 0.5 * (f[i] - y[i]) ** 2;
  return sum / f.length;
}

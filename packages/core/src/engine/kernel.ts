import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { Precision } from '../types.js';

/**
 * The coefficients of one GD update (eq. 3 of ARCHITECTURE.md):
 * w_j ← (1 − η λ) w_j − η · drive · g_j, with drive = κγs and
 * g_j = (Σ_i r_i σ(a_j·x̃_i),  b_j Σ_i r_i 1[a_j·x̃_i > 0] x̃_i).
 */
export interface UpdateCoefficients {
  /** η */
  readonly lr: number;
  /** κγs */
  readonly drive: number;
  /** λ (γρ = 1 in every parameterization, so the decay is λ per unit of time) */
  readonly decay: number;
}

/**
 * The two halves of a GD step on a range of neurons [j0, j1). Every backend (reference,
 * wasm, tfjs) implements this one interface, and the partitioner calls it per neuron block:
 * (1) partial outputs of the block, (2) — after the caller has summed partials in block order
 * and formed the residual — the update of the block's neurons. Only n-vectors cross between
 * the two halves; no n×m matrix is ever formed.
 */
export interface StepKernel {
  readonly backend: 'reference' | 'wasm' | 'tfjs';
  readonly precision: Precision;
  /** out[i] = Σ_{j0 ≤ j < j1} b_j σ(a_j·x̃_i) for i < inputs.n (unscaled: no s, no centering). */
  partialOutputs(params: NetworkParams, inputs: AugmentedInputs, j0: number, j1: number, out: Float64Array): void;
  /** Applies eq. (3) to neurons j0 ≤ j < j1 given residuals r (length inputs.n). */
  update(params: NetworkParams, inputs: AugmentedInputs, r: Float64Array, coef: UpdateCoefficients, j0: number, j1: number): void;
}

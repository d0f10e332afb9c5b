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

/** A parameter set living in a kernel's own storage (wasm memory, tensors, or the host arrays). */
export interface ParamsHandle {
  readonly m: number;
  readonly D: number;
}

/** An input set x̃ living in a kernel's own storage. */
export interface InputsHandle {
  readonly n: number;
  readonly D: number;
}

/**
 * The GD step of every backend (reference, wasm, tfjs): one interface, so the engine and the
 * partitioner never know which one runs. Parameters and inputs are uploaded once and stay in
 * the backend's storage (its precision, its layout); a step then moves only n-vectors:
 * (1) partial outputs of a neuron range, (2) — after the caller has summed partials and formed
 * the residual r — the update of that range. No n×m matrix is ever formed.
 */
export interface StepKernel {
  readonly backend: 'reference' | 'wasm' | 'tfjs';
  readonly precision: Precision;
  /** Copies parameters into the kernel (rounded to its precision). */
  uploadParams(params: NetworkParams): ParamsHandle;
  /** Copies the kernel's parameters out (exactly: f32 values are representable in f64). */
  downloadParams(handle: ParamsHandle, into: NetworkParams): void;
  /** Copies an input set into the kernel. */
  uploadInputs(inputs: AugmentedInputs): InputsHandle;
  /** Overwrites an uploaded input set with new values of the same shape (population SGD batches). */
  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void;
  /** out[i] = Σ_{j0 ≤ j < j1} b_j σ(a_j·x̃_i) for i < n (unscaled: no s, no centering), summed in float64 across neuron blocks. */
  partialOutputs(params: ParamsHandle, inputs: InputsHandle, j0: number, j1: number, out: Float64Array): void;
  /** Applies eq. (3) to neurons j0 ≤ j < j1 given residuals r (length n). */
  update(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: UpdateCoefficients, j0: number, j1: number): void;
}

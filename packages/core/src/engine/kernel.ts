import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { Precision } from '../types.js';
import type { StepCoefficients } from './step-plan.js';

/** A parameter set living in a kernel's own storage (wasm memory, tensors, or the host arrays). */
export interface ParamsHandle {
  readonly m: number;
  readonly D: number;
  /** Number of outputs (b_j ∈ R^k); absent means 1. */
  readonly k?: number;
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
  readonly backend: 'reference' | 'wasm' | 'tfjs' | 'native';
  readonly precision: Precision;
  /** Copies parameters into the kernel (rounded to its precision). */
  uploadParams(params: NetworkParams): ParamsHandle;
  /** Copies the kernel's parameters out (exactly: f32 values are representable in f64). */
  downloadParams(handle: ParamsHandle, into: NetworkParams): void;
  /** Copies an input set into the kernel. */
  uploadInputs(inputs: AugmentedInputs): InputsHandle;
  /** Overwrites an uploaded input set with new values of the same shape (population SGD batches). */
  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void;
  /**
   * out[i·k + c] = Σ_{j0 ≤ j < j1} b_jc σ(a_j·x̃_i) for i < n, c < k (unscaled: no s, no
   * centering), summed in float64 across neuron blocks. k = 1 is the scalar network.
   */
  partialOutputs(params: ParamsHandle, inputs: InputsHandle, j0: number, j1: number, out: Float64Array): void;
  /**
   * Applies eq. (3) to neurons j0 ≤ j < j1 given residuals r (n × k, sample-major:
   * r[i·k + c] = ∂ℓ/∂f_c(x_i) / n) and the update's coefficients (step-plan.ts):
   * w_j ← coef.shrink · w_j − coef.step · g_j. With k outputs the velocities are
   * v_b(j) = −κγs Σ_i r_i σ(a_j·x̃_i) − λ b_j ∈ R^k and
   * v_a(j) = −κγs Σ_i ⟨b_j, r_i⟩ 1[a_j·x̃_i > 0] x̃_i − λ a_j.
   * k = 1 must take the scalar path (b_j factored out of the a-sum) so that it is bitwise
   * what it was before vector outputs existed.
   */
  update(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void;
  /**
   * Optional (kernels that compute a block's data terms g into a float64 buffer before applying
   * them; the native kernel): `update` with `apply` in place of the SGD formula, called once per
   * block and tensor with the block's g (g[v] belongs to w[offset + v]) — how momentum and adam
   * (optim/optimizer.ts) run on the kernel.
   */
  updateWith?(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, j0: number, j1: number, apply: BlockUpdate): void;
}

/**
 * A block's update, for {@link StepKernel.updateWith}: `tensor` 'a' (m×D) or 'b' (m×k), w the
 * kernel's array of it, g[0 .. count) the data terms of w[offset .. offset + count).
 *
 * @example
 * const apply: BlockUpdate = (tensor, w, offset, g, count) => { for (let v = 0; v < count; v++) w[offset + v] -= 0.1 * g[v]; };
 */
export type BlockUpdate = (tensor: 'a' | 'b', w: Float64Array, offset: number, g: Float64Array, count: number) => void;

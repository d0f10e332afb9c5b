import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { copyParams, outputCount } from '../model/params.js';
import type { InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
import type { StepCoefficients } from './step-plan.js';

/**
 * The reference step: plain TypeScript, float64, one neuron at a time. It is the ground truth
 * the fast backends are tested against, so it favours the plainest reading of eq. (3) over
 * speed. Memory beyond the parameters and n-vectors: one D-vector of scratch.
 */
export class ReferenceKernel implements StepKernel {
  readonly backend = 'reference' as const;
  readonly precision = 'f64' as const;
  private gradA = new Float64Array(0);
  private gradB = new Float64Array(0);

  // The reference kernel works on the host's float64 arrays themselves: handles are the objects.
  uploadParams(params: NetworkParams): ParamsHandle {
    return params;
  }

  downloadParams(handle: ParamsHandle, into: NetworkParams): void {
    if (handle !== into) copyParams(handle as NetworkParams, into);
  }

  uploadInputs(inputs: AugmentedInputs): InputsHandle {
    return inputs;
  }

  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void {
    if (handle !== inputs) (handle as AugmentedInputs).x.set(inputs.x);
  }

  partialOutputs(handle: ParamsHandle, inputsHandle: InputsHandle, j0: number, j1: number, out: Float64Array): void {
    const k = outputCount(handle);
    if (k !== 1) {
      this.partialOutputsVector(handle as NetworkParams, inputsHandle as AugmentedInputs, k, j0, j1, out);
      return;
    }
    const { a, b, D } = handle as NetworkParams;
    const { n, x } = inputsHandle as AugmentedInputs;
    out.fill(0, 0, n);
    for (let j = j0; j < j1; j++) {
      const bj = b[j];
      const aOff = j * D;
      for (let i = 0; i < n; i++) {
        const xOff = i * D;
        let z = 0;
        for (let k = 0; k < D; k++) z += a[aOff + k] * x[xOff + k];
        if (z > 0) out[i] += bj * z;
      }
    }
  }

  update(handle: ParamsHandle, inputsHandle: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    const k = outputCount(handle);
    if (k !== 1) {
      this.updateVector(handle as NetworkParams, inputsHandle as AugmentedInputs, k, r, coef, j0, j1);
      return;
    }
    const { a, b, D } = handle as NetworkParams;
    const { n, x } = inputsHandle as AugmentedInputs;
    if (this.gradA.length < D) this.gradA = new Float64Array(D);
    const gradA = this.gradA;
    const { step, shrink } = coef;
    for (let j = j0; j < j1; j++) {
      const aOff = j * D;
      gradA.fill(0, 0, D);
      let gradB = 0;
      for (let i = 0; i < n; i++) {
        const xOff = i * D;
        let z = 0;
        for (let k = 0; k < D; k++) z += a[aOff + k] * x[xOff + k];
        if (z > 0) {
          const ri = r[i];
          gradB += ri * z;
          for (let k = 0; k < D; k++) gradA[k] += ri * x[xOff + k];
        }
      }
      // Both halves of the velocity use the pre-step b_j (eq. 3 is evaluated at w(t)).
      const bj = b[j];
      b[j] = shrink * bj - step * gradB;
      for (let k = 0; k < D; k++) a[aOff + k] = shrink * a[aOff + k] - step * bj * gradA[k];
    }
  }

  /**
   * The data terms g_j of eq. (3) that `update` applies, written out instead of applied (for the
   * optimizers that keep state, optim/optimizer.ts): for neurons j0 ≤ j < j1,
   * gradB[j·k + c] = Σ_i r_ic σ(a_j·x̃_i) and gradA[j·D + q] = Σ_i ⟨b_j, r_i⟩ 1[a_j·x̃_i > 0] x̃_iq,
   * so that w_j ← shrink·w_j − step·g_j is `update`'s step (to rounding). Full-size m·D and m·k
   * buffers; indices outside the range are left as they are.
   */
  gradients(handle: ParamsHandle, inputsHandle: InputsHandle, r: Float64Array, j0: number, j1: number, gradA: Float64Array, gradB: Float64Array): void {
    const k = outputCount(handle);
    const { a, b, D } = handle as NetworkParams;
    const { n, x } = inputsHandle as AugmentedInputs;
    for (let j = j0; j < j1; j++) {
      const aOff = j * D;
      const bOff = j * k;
      gradA.fill(0, aOff, aOff + D);
      gradB.fill(0, bOff, bOff + k);
      for (let i = 0; i < n; i++) {
        const xOff = i * D;
        let z = 0;
        for (let q = 0; q < D; q++) z += a[aOff + q] * x[xOff + q];
        if (z > 0) {
          let br = 0;
          for (let c = 0; c < k; c++) {
            const ric = r[i * k + c];
            gradB[bOff + c] += ric * z;
            br += b[bOff + c] * ric;
          }
          for (let q = 0; q < D; q++) gradA[aOff + q] += br * x[xOff + q];
        }
      }
    }
  }

  /** k outputs: out[i·k + c] = Σ_j b_jc σ(a_j·x̃_i). */
  private partialOutputsVector(params: NetworkParams, inputs: AugmentedInputs, k: number, j0: number, j1: number, out: Float64Array): void {
    const { a, b, D } = params;
    const { n, x } = inputs;
    out.fill(0, 0, n * k);
    for (let j = j0; j < j1; j++) {
      const aOff = j * D;
      const bOff = j * k;
      for (let i = 0; i < n; i++) {
        const xOff = i * D;
        let z = 0;
        for (let q = 0; q < D; q++) z += a[aOff + q] * x[xOff + q];
        if (z > 0) for (let c = 0; c < k; c++) out[i * k + c] += b[bOff + c] * z;
      }
    }
  }

  /**
   * k outputs (the velocities of StepKernel.update): the a-gradient of neuron j weighs sample i
   * by ⟨b_j, r_i⟩, computed once per (i, j), so a step costs O(n·m·(D + k)) rather than O(n·m·D·k).
   */
  private updateVector(params: NetworkParams, inputs: AugmentedInputs, k: number, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    const { a, b, D } = params;
    const { n, x } = inputs;
    if (this.gradA.length < D) this.gradA = new Float64Array(D);
    if (this.gradB.length < k) this.gradB = new Float64Array(k);
    const { gradA, gradB } = this;
    const { step, shrink } = coef;
    for (let j = j0; j < j1; j++) {
      const aOff = j * D;
      const bOff = j * k;
      gradA.fill(0, 0, D);
      gradB.fill(0, 0, k);
      for (let i = 0; i < n; i++) {
        const xOff = i * D;
        let z = 0;
        for (let q = 0; q < D; q++) z += a[aOff + q] * x[xOff + q];
        if (z > 0) {
          let br = 0;
          for (let c = 0; c < k; c++) {
            const ric = r[i * k + c];
            gradB[c] += ric * z;
            br += b[bOff + c] * ric;
          }
          for (let q = 0; q < D; q++) gradA[q] += br * x[xOff + q];
        }
      }
      // gradA already holds Σ_i ⟨b_j, r_i⟩ x̃_i at the pre-step b_j; now both halves move.
      for (let c = 0; c < k; c++) b[bOff + c] = shrink * b[bOff + c] - step * gradB[c];
      for (let q = 0; q < D; q++) a[aOff + q] = shrink * a[aOff + q] - step * gradA[q];
    }
  }
}

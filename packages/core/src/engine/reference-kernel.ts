import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { copyParams } from '../model/params.js';
import type { InputsHandle, ParamsHandle, StepKernel, UpdateCoefficients } from './kernel.js';

/**
 * The reference step: plain TypeScript, float64, one neuron at a time. It is the ground truth
 * the fast backends are tested against, so it favours the plainest reading of eq. (3) over
 * speed. Memory beyond the parameters and n-vectors: one D-vector of scratch.
 */
export class ReferenceKernel implements StepKernel {
  readonly backend = 'reference' as const;
  readonly precision = 'f64' as const;
  private gradA = new Float64Array(0);

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

  update(handle: ParamsHandle, inputsHandle: InputsHandle, r: Float64Array, coef: UpdateCoefficients, j0: number, j1: number): void {
    const { a, b, D } = handle as NetworkParams;
    const { n, x } = inputsHandle as AugmentedInputs;
    if (this.gradA.length < D) this.gradA = new Float64Array(D);
    const gradA = this.gradA;
    const step = coef.lr * coef.drive;
    const shrink = 1 - coef.lr * coef.decay;
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
}

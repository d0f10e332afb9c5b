/**
 * φ and φ' of the deep reference network (ARCHITECTURE.md §7), one value at a time. The
 * activations themselves are defined once, in kernels/activations.ts (the infinite-width
 * recursions take expectations of the same functions); this module only looks them up.
 */
import { activationDerivative as derivativeFunction, activationFunction, erf, type Activation } from '../kernels/activations.js';

export { erf };

const PHI: Record<Activation, (x: number) => number> = {
  relu: activationFunction('relu'),
  erf: activationFunction('erf'),
  tanh: activationFunction('tanh'),
  linear: activationFunction('linear'),
};
const DPHI: Record<Activation, (x: number) => number> = {
  relu: derivativeFunction('relu'),
  erf: derivativeFunction('erf'),
  tanh: derivativeFunction('tanh'),
  linear: derivativeFunction('linear'),
};

/**
 * φ(z): relu max(z, 0), tanh, erf, linear z.
 *
 * @example
 * activate('relu', -2); // 0
 */
export function activate(phi: Activation, z: number): number {
  return PHI[phi](z);
}

/**
 * φ'(z): relu 1[z > 0] (0 at the kink, as §1's eq. 3), tanh 1 − tanh², erf (2/√π) e^{−z²}, linear 1.
 *
 * @example
 * activationDerivative('tanh', 0); // 1
 */
export function activationDerivative(phi: Activation, z: number): number {
  return DPHI[phi](z);
}

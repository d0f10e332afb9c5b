/**
 * The activations of deep networks, ARCHITECTURE.md §7: `relu`, `erf`, `tanh` and `linear`
 * (deep linear nets), with their derivatives, as plain functions of a real argument: what the
 * infinite-width recursions of deep-kernels.ts take expectations of, and what a finite-width
 * reference network applies.
 */
import { requireOneOf } from '../errors.js';
import { ACTIVATIONS, type Activation } from '../types.js';

// The names live in types.ts with the rest of the config vocabulary (`model.activation`).
export { ACTIVATIONS, type Activation };


/** 2/√π, erf'(0). */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Beyond this |x|, erf(x) rounds to ±1 in float64 (erfc(6) ≈ 2.2e-17 < ε/2). */
const ERF_SATURATION = 6;

/**
 * The error function erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt, to a few ulps (relative error < 1e-14 over
 * the whole line, checked against reference values in the tests). For |x| < 6 it sums the series
 * erf(x) = (2/√π) e^{−x²} Σ_{k≥0} 2^k x^{2k+1}/(1·3·…·(2k+1)), whose terms are all of the sign of
 * x (no cancellation); beyond, erf(x) = ±1 to float64 precision.
 *
 * @example
 * erf(1); // 0.8427007929497149
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax >= ERF_SATURATION) return x > 0 ? 1 : -1;
  // On |x|, then the sign: erf is odd, and the series' terms are then all positive.
  const x2 = ax * ax;
  const q = 2 * x2;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 400; k++) {
    term *= q / (2 * k + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const v = Math.min(1, TWO_OVER_SQRT_PI * ax * Math.exp(-x2) * sum);
  return x < 0 ? -v : v;
}

/** ReLU: max(x, 0). */
const relu = (x: number): number => (x > 0 ? x : 0);
/** ReLU's derivative, 1[x > 0] (0 at x = 0). */
const reluDerivative = (x: number): number => (x > 0 ? 1 : 0);
/** erf'(x) = (2/√π) e^{−x²}. */
const erfDerivative = (x: number): number => TWO_OVER_SQRT_PI * Math.exp(-x * x);
/** tanh'(x) = 1 − tanh²(x). */
const tanhDerivative = (x: number): number => {
  const t = Math.tanh(x);
  return 1 - t * t;
};
const identity = (x: number): number => x;
const one = (): number => 1;

/**
 * φ as a function: `relu` max(x, 0), `erf` the error function, `tanh`, `linear` the identity.
 * Throws InvalidInputError naming `activation` for an unknown name.
 *
 * @example
 * activationFunction('relu')(-2); // 0
 */
export function activationFunction(activation: Activation): (x: number) => number {
  switch (requireOneOf('activation', activation, ACTIVATIONS)) {
    case 'relu':
      return relu;
    case 'erf':
      return erf;
    case 'tanh':
      return Math.tanh;
    case 'linear':
      return identity;
  }
}

/**
 * φ' as a function: `relu` 1[x > 0] (0 at x = 0), `erf` (2/√π) e^{−x²}, `tanh` 1 − tanh²(x),
 * `linear` 1. Throws InvalidInputError naming `activation` for an unknown name.
 *
 * @example
 * activationDerivative('tanh')(0); // 1
 */
export function activationDerivative(activation: Activation): (x: number) => number {
  switch (requireOneOf('activation', activation, ACTIVATIONS)) {
    case 'relu':
      return reluDerivative;
    case 'erf':
      return erfDerivative;
    case 'tanh':
      return tanhDerivative;
    case 'linear':
      return one;
  }
}

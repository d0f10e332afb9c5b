/**
 * The activations of deep networks (ARCHITECTURE.md §7) and their derivatives, in float64.
 */
import type { DeepActivation } from './spec.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π

/**
 * The error function erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt, to a few ulps: for |x| < 6 the series
 * erf(x) = (2/√π) x e^{−x²} Σ_{n≥0} (2x²)ⁿ / (1·3·…·(2n+1)) (Abramowitz & Stegun 7.1.6), whose
 * terms are all positive, so no digits cancel; for |x| ≥ 6, ±1 (1 − erf(6) ≈ 2e−17 is below
 * half an ulp of 1). JavaScript has no Math.erf.
 *
 * @example
 * erf(1); // 0.842700792949715 (exact: 0.84270079294971486…)
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  if (Number.isNaN(x)) return NaN;
  const x2 = ax * ax;
  const q = 2 * x2;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 400; n++) {
    term *= q / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const v = Math.min(1, TWO_OVER_SQRT_PI * ax * Math.exp(-x2) * sum);
  return x < 0 ? -v : v;
}

/**
 * φ(z): relu max(z, 0), tanh, erf, linear z.
 *
 * @example
 * activate('relu', -2); // 0
 */
export function activate(phi: DeepActivation, z: number): number {
  switch (phi) {
    case 'relu':
      return z > 0 ? z : 0;
    case 'tanh':
      return Math.tanh(z);
    case 'erf':
      return erf(z);
    case 'linear':
      return z;
  }
}

/**
 * φ'(z): relu 1[z > 0] (0 at the kink, as §1's eq. 3), tanh 1 − tanh², erf (2/√π) e^{−z²}, linear 1.
 *
 * @example
 * activationDerivative('tanh', 0); // 1
 */
export function activationDerivative(phi: DeepActivation, z: number): number {
  switch (phi) {
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'erf':
      return TWO_OVER_SQRT_PI * Math.exp(-z * z);
    case 'linear':
      return 1;
  }
}

import type { LossName } from './types.js';

/**
 * ℓ(f, y) of ARCHITECTURE.md §1: square ½(f − y)², logistic log(1 + e^{−y f}) computed as a
 * softplus that neither overflows for large |y f| nor loses the small tail.
 */
export function lossValue(loss: LossName, f: number, y: number): number {
  if (loss === 'square') {
    const e = f - y;
    return 0.5 * e * e;
  }
  const t = -y * f;
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

/** ∂ℓ/∂f: square f − y; logistic −y / (1 + e^{y f}) (eq. 3, before the 1/n). */
export function lossDerivative(loss: LossName, f: number, y: number): number {
  if (loss === 'square') return f - y;
  const t = y * f;
  // −y·sigmoid(−t), evaluated on the side where exp does not overflow.
  if (t >= 0) {
    const e = Math.exp(-t);
    return (-y * e) / (1 + e);
  }
  return -y / (1 + Math.exp(t));
}

/**
 * r_i = ∂ℓ/∂f(f_i, y_i)/n for i < n (eq. 3), written into r. (It returns nothing: the step
 * needs no risk, and a returned double would be boxed on the heap at every step.)
 */
export function residuals(loss: LossName, n: number, f: Float64Array, y: Float64Array, r: Float64Array): void {
  const invN = 1 / n;
  for (let i = 0; i < n; i++) r[i] = lossDerivative(loss, f[i], y[i]) * invN;
}

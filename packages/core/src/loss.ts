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

/**
 * Multi-class losses on k outputs f ∈ R^k with an integer label y ∈ {0..k−1}:
 *   softmax  ℓ(f, y) = logsumexp(f) − f_y           (cross-entropy of softmax(f) against y)
 *   square   ℓ(f, y) = ½ Σ_c (f_c − 1[c = y])²       (square loss on the one-hot target)
 * `f` is read at f[offset .. offset + k). logsumexp subtracts max_c f_c first, so logits of
 * any size (|f| = 1e4, 1e300) give finite values.
 */
export function classLossValue(loss: LossName, k: number, f: Float64Array, offset: number, label: number): number {
  if (loss === 'square') {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = f[offset + c] - (c === label ? 1 : 0);
      sum += e * e;
    }
    return 0.5 * sum;
  }
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (f[offset + c] > max) max = f[offset + c];
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(f[offset + c] - max);
  // (max − f_y) first: it is exact for the correct class, so small losses keep their digits.
  return max - f[offset + label] + Math.log(sum);
}

/**
 * scale · ∂ℓ/∂f_c for c < k (f read at f[offset ..]) into r[rOffset .. rOffset + k): softmax p_c − 1[c = y] with
 * p = softmax(f) computed after subtracting max_c f_c (so e^{f_c − max} ∈ (0, 1] never
 * overflows and Σ ≥ 1 never underflows); square f_c − 1[c = y].
 */
export function classLossGradient(loss: LossName, k: number, f: Float64Array, offset: number, label: number, scale: number, r: Float64Array, rOffset: number): void {
  if (loss === 'square') {
    for (let c = 0; c < k; c++) r[rOffset + c] = (f[offset + c] - (c === label ? 1 : 0)) * scale;
    return;
  }
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (f[offset + c] > max) max = f[offset + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(f[offset + c] - max);
    r[rOffset + c] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let c = 0; c < k; c++) r[rOffset + c] = (r[rOffset + c] * inv - (c === label ? 1 : 0)) * scale;
}

/**
 * Residuals of k-output data: r[i·k + c] = ∂ℓ/∂f_c(f_i, y_i) / n for i < n (the multi-class
 * eq. 3), with f and r n × k sample-major and y the class indices. k = 1 is the scalar
 * {@link residuals} with y the targets.
 */
export function outputResiduals(loss: LossName, k: number, n: number, f: Float64Array, y: Float64Array, r: Float64Array): void {
  if (k === 1) {
    residuals(loss, n, f, y, r);
    return;
  }
  const invN = 1 / n;
  for (let i = 0; i < n; i++) classLossGradient(loss, k, f, i * k, y[i], invN, r, i * k);
}

/**
 * The float64 reference of a deep fully connected or residual network (ARCHITECTURE.md §7):
 * forward pass, objective, gradient, GD step. Plain loops over typed arrays, sample-major; the
 * ground truth later fast paths are tested against, so it favours the plainest reading of the
 * equations over speed.
 *
 * With W_l = μ_l w_l (scaling.ts), x̃ the augmented inputs (D = d + 1 with bias):
 *
 *     z_1 = W_1 x̃
 *     z_l = W_l φ(z_{l−1}) + B_l                       (plain layer, l = 2..L)
 *     z_l = z_{l−1} + β (W_l φ(z_{l−1}) + B_l)         (residual block: `residual` and m_l = m_{l−1})
 *     f   = W_{L+1} φ(z_L) ∈ R^k
 *
 * with B_l = μ_l^bias b_l the hidden biases. The residual blocks are §7's pre-activation form
 * y_l = y_{l−1} + β W_l φ(y_{l−1}) (y = z), the bias inside the branch. L = 1 is §1's
 * f = s Σ_j b_j σ(a_j·x̃) with a_j = row j of W_1, b_j = column j of w_2, s = μ_2.
 *
 *     F(θ) = κ R(f) + (λ/2) Σ_l ρ_l ‖w_l‖²   (every weight and bias tensor, each with its ρ)
 *     GD:   w_l ← (1 − ηλ) w_l − η γ_l κ ∇_{w_l} R
 *
 * i.e. w_l ← w_l − η γ_l ∇_{w_l} F, since γ_l ρ_l = 1 (§1's rule, per layer).
 */
import { InvalidInputError } from '../errors.js';
import { classLossValue, lossValue, outputResiduals } from '../loss.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { updateCoefficients } from '../engine/step-plan.js';
import type { LossName } from '../types.js';
import { activate, activationDerivative } from './activations.js';
import { allocateDeepParams, checkDeepParams, weightedSquaredNorm, type DeepParams } from './params.js';
import { deepCoefficients, type DeepCoefficients } from './scaling.js';
import { fanIn, hasBiasVector, isResidualBlock, type DeepSpec } from './spec.js';

/** A forward pass on n inputs. *
 * @example
 * const spec = resolveDeepSpec({ d: 1, depth: 2, width: 4, bias: false });
 * const fw: DeepForward = deepForward(spec, initDeepParams(spec, resolveDeepInit(spec), 0), { n: 1, D: 1, x: Float64Array.of(1) });
 * fw.f.length; // 1
 */
export interface DeepForward {
  readonly n: number;
  /** f: n × k, sample-major (f[i·k + c]). */
  readonly f: Float64Array;
  /** With `keep`: z_l (n × m_l, sample-major) for l = 1..L at index l − 1; else empty. */
  readonly pre: readonly Float64Array[];
  /** With `keep`: h_l = φ(z_l), same layout; else empty. */
  readonly post: readonly Float64Array[];
}

function checkInputs(spec: DeepSpec, inputs: AugmentedInputs): void {
  if (inputs.D !== spec.D || inputs.x.length !== inputs.n * spec.D) {
    throw new InvalidInputError('inputs', `expected n × D = ${inputs.n} × ${spec.D} augmented inputs (bias: ${spec.bias}), got D = ${inputs.D} and ${inputs.x.length} values`);
  }
}

/**
 * f on the inputs x̃ (model/inputs.ts `augmentInputs` builds them from a data set), and with
 * `keep: true` every layer's pre-activations z_l and activations h_l.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 3, width: 16, activation: 'tanh', scaling: 'mup' });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * const inputs = { n: 2, D: 3, x: Float64Array.of(0.5, -1, 1, 2, 0, 1) };
 * const { f, post } = deepForward(spec, w, inputs, { keep: true }); // f: 2 × 1, post[2]: 2 × 16
 */
export function deepForward(spec: DeepSpec, params: DeepParams, inputs: AugmentedInputs, options: { keep?: boolean } = {}): DeepForward {
  checkInputs(spec, inputs);
  return forwardWith(spec, deepCoefficients(spec), params, inputs, options.keep === true);
}

/**
 * {@link deepForward} with the coefficients given and no checks: the engine's inner call (it
 * checked its inputs and parameters once, and keeps `deepCoefficients(spec)`).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 1, depth: 2, width: 4, bias: false });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * forwardWith(spec, deepCoefficients(spec), w, { n: 1, D: 1, x: Float64Array.of(1) }, true).post.length; // 2
 */
export function forwardWith(spec: DeepSpec, co: DeepCoefficients, params: DeepParams, inputs: AugmentedInputs, keep: boolean): DeepForward {
  const { n } = inputs;
  const L = spec.depth;
  const k = spec.outputs;
  const phi = spec.activation;
  const pre: Float64Array[] = [];
  const post: Float64Array[] = [];
  let h = inputs.x;
  let zPrev: Float64Array | null = null;
  for (let l = 0; l < L; l++) {
    const m = spec.widths[l];
    const cols = fanIn(spec, l);
    const w = params.weights[l];
    const mu = co.weights[l].multiplier;
    const bias = hasBiasVector(spec, l) ? params.biases[l] : null;
    const muB = co.biases[l]?.multiplier ?? 0;
    const residual = isResidualBlock(spec, l);
    const beta = spec.residualScale;
    const z = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      const hOff = i * cols;
      for (let j = 0; j < m; j++) {
        const wOff = j * cols;
        let s = 0;
        for (let q = 0; q < cols; q++) s += w[wOff + q] * h[hOff + q];
        let v = mu * s;
        if (bias) v += muB * bias[j];
        z[i * m + j] = residual ? (zPrev as Float64Array)[i * m + j] + beta * v : v;
      }
    }
    const hNext = new Float64Array(n * m);
    for (let t = 0; t < z.length; t++) hNext[t] = activate(phi, z[t]);
    pre.push(z);
    post.push(hNext);
    h = hNext;
    zPrev = z;
  }
  const m = spec.widths[L - 1];
  const w = params.weights[L];
  const mu = co.weights[L].multiplier;
  const f = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += w[c * m + j] * h[i * m + j];
      f[i * k + c] = mu * s;
    }
  }
  return keep ? { n, f, pre, post } : { n, f, pre: [], post: [] };
}

function checkLoss(spec: DeepSpec, loss: LossName, n: number, y: Float64Array): void {
  if (y.length !== n) throw new InvalidInputError('y', `expected ${n} targets (one per input), got ${y.length}`);
  const k = spec.outputs;
  if (loss === 'logistic' && k !== 1) throw new InvalidInputError('loss', `logistic loss is for one output (±1 labels), but the network has k = ${k}`);
  if (loss === 'softmax' && k < 2) throw new InvalidInputError('loss', 'softmax cross-entropy needs k ≥ 2 outputs (class labels 0..k−1)');
}

/**
 * R(f) = (1/n) Σ_i ℓ(f_i, y_i) with loss.ts's losses (k = 1: y the targets or ±1 labels; k > 1:
 * y the class indices, square loss on one-hot targets).
 *
 * @example
 * deepRisk('square', 1, Float64Array.of(1, 2), Float64Array.of(0, 0)); // (½ + 2) / 2 = 1.25
 */
export function deepRisk(loss: LossName, k: number, f: Float64Array, y: Float64Array): number {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += k === 1 ? lossValue(loss, f[i], y[i]) : classLossValue(loss, k, f, i * k, y[i]);
  return sum / n;
}

/** What {@link deepGradient} returns. *
 * @example
 * const spec = resolveDeepSpec({ d: 1, depth: 2, width: 4, bias: false });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * const g: DeepGradient = deepGradient(spec, w, { n: 1, D: 1, x: Float64Array.of(1) }, Float64Array.of(0.5), 'square');
 * g.grad.weights[2].length; // 4
 */
export interface DeepGradient {
  /** F(θ) = κ R + (λ/2) Σ_l ρ_l ‖w_l‖². */
  readonly objective: number;
  /** R(f). */
  readonly risk: number;
  /** ∇_{w_l} F and ∇_{b_l} F, in the layout of the parameters. */
  readonly grad: DeepParams;
  readonly forward: DeepForward;
}

/**
 * F(θ) and its gradient with respect to every w_l and bias, by backpropagation through the
 * forward pass (λ = `weightDecay`; ρ_l from scaling.ts).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'ntk' });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 1);
 * const inputs = { n: 2, D: 3, x: Float64Array.of(0.5, -1, 1, 2, 0, 1) };
 * const { objective, grad } = deepGradient(spec, w, inputs, Float64Array.of(1, -1), 'square', 1e-3);
 */
export function deepGradient(spec: DeepSpec, params: DeepParams, inputs: AugmentedInputs, y: Float64Array, loss: LossName, weightDecay = 0): DeepGradient {
  checkInputs(spec, inputs);
  checkDeepParams('params', spec, params);
  checkLoss(spec, loss, inputs.n, y);
  const co = deepCoefficients(spec);
  const forward = forwardWith(spec, co, params, inputs, true);
  const grad = allocateDeepParams(spec);
  // r_ic = κ ∂ℓ/∂f_c (f_i, y_i) / n: ∂(κR)/∂f.
  const r = new Float64Array(inputs.n * spec.outputs);
  outputResiduals(loss, spec.outputs, inputs.n, forward.f, y, r);
  if (spec.kappa !== 1) for (let t = 0; t < r.length; t++) r[t] *= spec.kappa;
  backward(spec, co, params, inputs, forward, r, grad);
  const risk = deepRisk(loss, spec.outputs, forward.f, y);
  let objective = spec.kappa * risk;
  if (weightDecay !== 0) {
    const rhoW = co.weights.map((t) => t.decayWeight);
    const rhoB = co.biases.map((t) => t?.decayWeight ?? 0);
    objective += 0.5 * weightDecay * weightedSquaredNorm(params, rhoW, rhoB);
    for (let l = 0; l <= spec.depth; l++) {
      const g = grad.weights[l];
      const w = params.weights[l];
      const c = weightDecay * rhoW[l];
      for (let q = 0; q < w.length; q++) g[q] += c * w[q];
      const gb = grad.biases[l];
      const b = params.biases[l];
      const cb = weightDecay * rhoB[l];
      for (let q = 0; q < b.length; q++) gb[q] += cb * b[q];
    }
  }
  return { objective, risk, grad, forward };
}

/**
 * Backpropagation: Σ_ic r_ic ∂f_ic/∂θ into `grad` (every entry written), from a forward pass that
 * kept its layers — with r = ∂(κR)/∂f the gradient of κR, with r = e_i (one sample, one output)
 * the gradient of f itself (the tangent kernel's ∇f).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 1, depth: 2, width: 4, bias: false });
 * const co = deepCoefficients(spec);
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * const inputs = { n: 1, D: 1, x: Float64Array.of(1) };
 * const grad = allocateDeepParams(spec);
 * backward(spec, co, w, inputs, forwardWith(spec, co, w, inputs, true), Float64Array.of(1), grad); // grad = ∇f(x)
 */
export function backward(spec: DeepSpec, co: DeepCoefficients, params: DeepParams, inputs: AugmentedInputs, fw: DeepForward, r: Float64Array, grad: DeepParams): void {
  const { n } = inputs;
  const L = spec.depth;
  const k = spec.outputs;
  const phi = spec.activation;

  // Output layer: f_ic = μ Σ_j w_cj h_ij.
  const mL = spec.widths[L - 1];
  const hL = fw.post[L - 1];
  const wOut = params.weights[L];
  const muOut = co.weights[L].multiplier;
  const gOut = grad.weights[L];
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < mL; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += r[i * k + c] * hL[i * mL + j];
      gOut[c * mL + j] = muOut * s;
    }
  }
  // g = ∂(κR)/∂z_L = (μ Σ_c r_ic w_cj) φ'(z_ij).
  let g = new Float64Array(n * mL);
  const zL = fw.pre[L - 1];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < mL; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += r[i * k + c] * wOut[c * mL + j];
      g[i * mL + j] = muOut * s * activationDerivative(phi, zL[i * mL + j]);
    }
  }
  for (let l = L - 1; l >= 0; l--) {
    const m = spec.widths[l];
    const cols = fanIn(spec, l);
    const hPrev = l === 0 ? inputs.x : fw.post[l - 1];
    const w = params.weights[l];
    const residual = isResidualBlock(spec, l);
    // The branch's factor: z_l = (z_{l−1} +) branch · (μ W h + B).
    const branch = residual ? spec.residualScale : 1;
    const mu = branch * co.weights[l].multiplier;
    const gw = grad.weights[l];
    for (let j = 0; j < m; j++) {
      for (let q = 0; q < cols; q++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += g[i * m + j] * hPrev[i * cols + q];
        gw[j * cols + q] = mu * s;
      }
    }
    const bco = co.biases[l];
    if (bco) {
      const muB = branch * bco.multiplier;
      const gb = grad.biases[l];
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += g[i * m + j];
        gb[j] = muB * s;
      }
    }
    if (l === 0) break;
    // ∂/∂z_{l−1}: through the branch (μ Σ_j g_ij w_jq) φ'(z_{l−1,iq}), plus g itself across a skip.
    const zPrev = fw.pre[l - 1];
    const gPrev = new Float64Array(n * cols);
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < cols; q++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += g[i * m + j] * w[j * cols + q];
        let v = mu * s * activationDerivative(phi, zPrev[i * cols + q]);
        if (residual) v += g[i * m + q];
        gPrev[i * cols + q] = v;
      }
    }
    g = gPrev;
  }
}

/** The step size and weight decay of one GD update. *
 * @example
 * const options: DeepStepOptions = { lr: 0.05, weightDecay: 1e-4 };
 */
export interface DeepStepOptions {
  /** η. */
  readonly lr: number;
  /** λ (default 0). */
  readonly weightDecay?: number;
}

/**
 * One full-batch GD update in place: w_l ← (1 − ηλ) w_l − η γ_l κ ∇_{w_l} R, with the
 * coefficients of engine/step-plan.ts's `updateCoefficients(η, γ_l, λ)` (shrink = 1 − ηλ,
 * step = η γ_l) per tensor. Returns the gradient pass at the pre-step parameters, taken with
 * λ = 0 (its `objective` is κR: the decay enters through the shrink, as in §1's step).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'mean-field' });
 * const w = initDeepParams(spec, resolveDeepInit(spec), 1);
 * const inputs = { n: 2, D: 3, x: Float64Array.of(0.5, -1, 1, 2, 0, 1) };
 * for (let t = 0; t < 10; t++) deepGdStep(spec, w, inputs, Float64Array.of(1, -1), 'square', { lr: 0.1, weightDecay: 1e-3 });
 */
export function deepGdStep(spec: DeepSpec, params: DeepParams, inputs: AugmentedInputs, y: Float64Array, loss: LossName, options: DeepStepOptions): DeepGradient {
  const lambda = options.weightDecay ?? 0;
  // The data term only: decay enters as the shrink factor, exactly as in §1's step.
  const result = deepGradient(spec, params, inputs, y, loss, 0);
  const co = deepCoefficients(spec);
  for (let l = 0; l <= spec.depth; l++) {
    const { step, shrink } = updateCoefficients(options.lr, co.weights[l].lrFactor, lambda);
    const w = params.weights[l];
    const g = result.grad.weights[l];
    for (let q = 0; q < w.length; q++) w[q] = shrink * w[q] - step * g[q];
    const bco = co.biases[l];
    if (bco) {
      const c = updateCoefficients(options.lr, bco.lrFactor, lambda);
      const b = params.biases[l];
      const gb = result.grad.biases[l];
      for (let q = 0; q < b.length; q++) b[q] = c.shrink * b[q] - c.step * gb[q];
    }
  }
  return result;
}

/**
 * The empirical tangent kernel of a deep network, layer by layer (ARCHITECTURE.md §7's
 * `ntk_layers`: Θ = Σ_l Θ_l), from one batched forward and backward pass on the p probe inputs —
 * no parameter-sized gradient per input, so it is affordable at width 4096.
 *
 * With z_l = (z_{l−1} +) β_l (μ_l w_l h_{l−1} + μ_l^b b_l) (network.ts; β_l = β on a residual
 * block, else 1), h_0 = x̃, and g_l(x) = ∂f(x)/∂z_l ∈ R^{m_l} (one output), the gradient of f with
 * respect to w_l is the outer product β_l μ_l g_l(x) h_{l−1}(x)ᵀ, so
 *
 *     ⟨∂f/∂w_l(x), ∂f/∂w_l(x')⟩ = β_l² μ_l² ⟨g_l(x), g_l(x')⟩ ⟨h_{l−1}(x), h_{l−1}(x')⟩
 *     ⟨∂f/∂b_l(x), ∂f/∂b_l(x')⟩ = β_l² (μ_l^b)² ⟨g_l(x), g_l(x')⟩
 *     ⟨∂f/∂w_{L+1}(x), ∂f/∂w_{L+1}(x')⟩ = μ_{L+1}² ⟨h_L(x), h_L(x')⟩,
 *
 * and the dynamics' kernel (§1's K = γ Σ_j ∇f·∇f, per tensor) is Θ = Σ_l Θ_l with
 * Θ_l = γ_l ⟨∂f/∂w_l, ∂f/∂w_l⟩ + γ_l^b ⟨∂f/∂b_l, ∂f/∂b_l⟩. Layer 1's bias is W_1's last column
 * (x̃'s constant 1): its part is kept apart from the d weight columns (`biases[0]`), with W_1's γ.
 * The backward recursion is network.ts's `backward` with r = e_i, kept per input:
 * g_L = μ_{L+1} w_{L+1} ⊙ φ'(z_L), g_{l−1} = β_l μ_l w_lᵀ g_l ⊙ φ'(z_{l−1}) (+ g_l across a skip).
 */
import { InvalidInputError } from '../errors.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { activationDerivative } from './activations.js';
import { forwardWith, type DeepForward } from './network.js';
import type { DeepParams } from './params.js';
import type { DeepCoefficients } from './scaling.js';
import { fanIn, isResidualBlock, type DeepSpec } from './spec.js';

/**
 * The Gram matrices of one network's parameter gradients on p inputs, per tensor, unweighted by
 * the learning-rate factors (each p×p, row-major, index l − 1 for layer l = 1…L+1).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'ntk' });
 * const co = deepCoefficients(spec);
 * const parts: DeepGradientGrams = deepGradientGrams(spec, co, initDeepParams(spec, resolveDeepInit(spec), 0), { n: 2, D: 3, x: Float64Array.of(1, 0, 1, 0, 1, 1) });
 * parts.weights.length; // 3
 */
export interface DeepGradientGrams {
  /** p: the number of inputs. */
  readonly p: number;
  /** ⟨∂f/∂w_l(x_i), ∂f/∂w_l(x_j)⟩ over the weights of layer l (layer 1: its d weight columns only, without the bias column). */
  readonly weights: readonly Float64Array[];
  /** ⟨∂f/∂b_l(x_i), ∂f/∂b_l(x_j)⟩ over layer l's bias (layer 1: W_1's bias column; zeros where a layer has none). */
  readonly biases: readonly Float64Array[];
}

/**
 * Per-tensor gradient Gram matrices of f on `inputs` (one output) from one batched forward and
 * backward pass: O(p·Σ_l m_l·m_{l−1}) time and O(p·m) memory beyond the forward pass (pass `fw`,
 * a forward pass that kept its layers on the same inputs and parameters, to reuse it).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 3, width: 16, activation: 'tanh', scaling: 'ntk' });
 * const co = deepCoefficients(spec);
 * const w = initDeepParams(spec, resolveDeepInit(spec), 1);
 * const grams = deepGradientGrams(spec, co, w, { n: 2, D: 3, x: Float64Array.of(1, 0, 1, 0, 1, 1) });
 * grams.weights[3][0]; // μ_4² ‖h_3(x_1)‖²
 */
export function deepGradientGrams(spec: DeepSpec, co: DeepCoefficients, params: DeepParams, inputs: AugmentedInputs, fw?: DeepForward): DeepGradientGrams {
  if (spec.outputs !== 1) throw new InvalidInputError('log.ntk.every', `the tangent kernel is defined here for one output; the network has ${spec.outputs}`);
  const p = inputs.n;
  const L = spec.depth;
  const phi = spec.activation;
  const pass = fw ?? forwardWith(spec, co, params, inputs, true);
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l <= L; l++) {
    weights.push(new Float64Array(p * p));
    biases.push(new Float64Array(p * p));
  }
  // Output layer: ∂f/∂w_{L+1} = μ_{L+1} h_L.
  const mL = spec.widths[L - 1];
  const muOut = co.weights[L].multiplier;
  gramInto(pass.post[L - 1], p, mL, 0, mL, muOut * muOut, weights[L]);
  // g_L = ∂f/∂z_L = μ_{L+1} w_{L+1} ⊙ φ'(z_L).
  const wOut = params.weights[L];
  let g = new Float64Array(p * mL);
  const zL = pass.pre[L - 1];
  for (let i = 0; i < p; i++) for (let j = 0; j < mL; j++) g[i * mL + j] = muOut * wOut[j] * activationDerivative(phi, zL[i * mL + j]);
  const gg = new Float64Array(p * p);
  for (let l = L - 1; l >= 0; l--) {
    const m = spec.widths[l];
    const cols = fanIn(spec, l);
    const hPrev = l === 0 ? inputs.x : pass.post[l - 1];
    const residual = isResidualBlock(spec, l);
    const branch = residual ? spec.residualScale : 1;
    const mu = branch * co.weights[l].multiplier;
    gramInto(g, p, m, 0, m, 1, gg);
    // Layer 1's bias column (the last coordinate of x̃) is kept apart from its d weight columns.
    const biasColumn = l === 0 && spec.bias;
    const wcols = biasColumn ? cols - 1 : cols;
    const hh = new Float64Array(p * p);
    gramInto(hPrev, p, cols, 0, wcols, 1, hh);
    for (let t = 0; t < p * p; t++) weights[l][t] = mu * mu * gg[t] * hh[t];
    if (biasColumn) {
      gramInto(hPrev, p, cols, cols - 1, cols, 1, hh);
      for (let t = 0; t < p * p; t++) biases[l][t] = mu * mu * gg[t] * hh[t];
    }
    const bco = co.biases[l];
    if (bco) {
      const muB = branch * bco.multiplier;
      for (let t = 0; t < p * p; t++) biases[l][t] = muB * muB * gg[t];
    }
    if (l === 0) break;
    // g_{l−1} = μ w_lᵀ g_l ⊙ φ'(z_{l−1}) (+ g_l across a skip); w_l's rows are read in order.
    const w = params.weights[l];
    const zPrev = pass.pre[l - 1];
    const gPrev = new Float64Array(p * cols);
    for (let j = 0; j < m; j++) {
      const row = j * cols;
      for (let i = 0; i < p; i++) {
        const gij = g[i * m + j];
        if (gij === 0) continue;
        const off = i * cols;
        for (let q = 0; q < cols; q++) gPrev[off + q] += gij * w[row + q];
      }
    }
    for (let t = 0; t < p * cols; t++) {
      let v = mu * gPrev[t] * activationDerivative(phi, zPrev[t]);
      if (residual) v += g[t];
      gPrev[t] = v;
    }
    g = gPrev;
  }
  return { p, weights, biases };
}

/** out[i·p + j] = scale · Σ_{q ∈ [from, to)} a[i·width + q] a[j·width + q] (symmetric). */
function gramInto(a: Float64Array, p: number, width: number, from: number, to: number, scale: number, out: Float64Array): void {
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      const oi = i * width;
      const oj = j * width;
      for (let q = from; q < to; q++) s += a[oi + q] * a[oj + q];
      out[i * p + j] = scale * s;
      out[j * p + i] = scale * s;
    }
  }
}

/**
 * The layers' contributions Θ_l = γ_l ⟨∂f/∂w_l, ∂f/∂w_l⟩ + γ_l^b ⟨∂f/∂b_l, ∂f/∂b_l⟩ to the
 * dynamics' tangent kernel (γ the learning-rate factors of scaling.ts), l = 1…L+1 at index l − 1,
 * each p×p: ARCHITECTURE.md §7's `ntk_layers` before it is reduced to one number per layer.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'ntk' });
 * const co = deepCoefficients(spec);
 * const grams = deepGradientGrams(spec, co, initDeepParams(spec, resolveDeepInit(spec), 0), { n: 1, D: 3, x: Float64Array.of(1, 0, 1) });
 * layerTangentKernels(co, grams).length; // 3
 */
export function layerTangentKernels(co: DeepCoefficients, grams: DeepGradientGrams): Float64Array[] {
  return grams.weights.map((w, l) => {
    const gw = co.weights[l].lrFactor;
    // Layer 1's bias column is part of W_1 (W_1's γ); the hidden biases have their own.
    const gb = l === 0 ? gw : (co.biases[l]?.lrFactor ?? 0);
    const b = grams.biases[l];
    const out = new Float64Array(w.length);
    for (let t = 0; t < w.length; t++) out[t] = gw * w[t] + gb * b[t];
    return out;
  });
}

/**
 * Θ = Σ_l Θ_l: the empirical tangent kernel of the dynamics on p inputs (p×p), the same kernel
 * as `deepTangentKernel` (one gradient per input) computed layer by layer.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: 'ntk' });
 * const co = deepCoefficients(spec);
 * const w = initDeepParams(spec, resolveDeepInit(spec), 0);
 * sumLayerKernels(layerTangentKernels(co, deepGradientGrams(spec, co, w, { n: 1, D: 3, x: Float64Array.of(1, 0, 1) }))).length; // 1
 */
export function sumLayerKernels(layers: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(layers[0].length);
  for (const k of layers) for (let t = 0; t < out.length; t++) out[t] += k[t];
  return out;
}

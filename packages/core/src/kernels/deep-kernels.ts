/**
 * NNGP and NTK of deep fully connected and deep residual networks with the activations `relu`,
 * `erf`, `tanh` and `linear` (ARCHITECTURE.md §7, the infinite-width side; §1 has the ReLU
 * feed-forward case, deep-relu.ts).
 *
 * Network and parametrization (the NTK parametrization of neural-tangents' `stax`: every trained
 * weight and bias entry is N(0, 1), the variances sit in the forward pass; m → ∞ is the width):
 *
 *     z₁   = input layer, with covariance Σ⁰(x,x') = σ_w,in² ⟨x, x'⟩ + σ_b,in²
 *     z_{h+1} = (σ_w/√m) W_{h+1} φ(z_h) + σ_b b_{h+1},   h = 1..L,   f = z_{L+1}.
 *
 * ⟨x, x'⟩ is `inputProduct`: 'mean' x·x'/d (default; stax's Dense(W_std, b_std) first layer with
 * σ_w,in² = W_std², σ_b,in² = b_std²), 'augmented' x̃·x̃' with x̃ = (x, 1) (ARCHITECTURE.md §7's
 * z₁ = W₁x̃: its bias is the input's constant 1, so σ_b,in² = 0 there; with entries of W₁ of
 * variance σ²/D, D = d + 1, take σ_w,in² = σ²/D; §1's eq. (4) is σ_w,in² = 1), or 'raw' x·x'.
 *
 * Feed-forward recursion (L hidden layers), (u, v) ~ N(0, Σʰ⁻¹ restricted to {x, x'}):
 *
 *     Σʰ = σ_w² E[φ(u)φ(v)] + σ_b²,   Σ̇ʰ = σ_w² E[φ'(u)φ'(v)],
 *     Θ⁰ = Σ⁰,   Θʰ = Θʰ⁻¹ Σ̇ʰ + Σʰ,   h = 1..L.
 *
 * Σʰ is the covariance of z_{h+1} (so Σ^L, Θ^L are the output's kernels), and the bias gradients
 * are part of Σʰ (NTK parametrization). With activation 'relu' this is exactly deepReluKernel.
 *
 * Residual networks (`residual: true`), the pre-activation blocks of ARCHITECTURE.md §7 on the
 * m×m layers, with the branch bias inside the block:
 *
 *     y₁ = z₁,   y_l = y_{l−1} + β((σ_w/√m) W_l φ(y_{l−1}) + σ_b b_l),  l = 2..L,
 *     f = (σ_w/√m) W_out φ(y_L) + σ_b b_out,   β = 1/√L unless given.
 *
 * Σʰ is the covariance of y_{h+1} for h = 0..L−1 and of f for h = L:
 *
 *     Σʰ = Σʰ⁻¹ + β²(σ_w² E[φ(u)φ(v)] + σ_b²),
 *     Θʰ = Θʰ⁻¹ (1 + β² σ_w² E[φ'(u)φ'(v)]) + β²(σ_w² E[φ(u)φ(v)] + σ_b²),   h = 1..L−1,
 *     Σ^L = σ_w² E[φ(u)φ(v)] + σ_b²,   Θ^L = Θ^{L−1} σ_w² E[φ'(u)φ'(v)] + Σ^L   (the readout),
 *
 * with (u, v) ~ N(0, Σʰ⁻¹) throughout. L = 1 (no m×m layer) or β = 0 gives the depth-1 network.
 *
 * Derivation (width m → ∞, inputs x, x' fixed; by induction over l as in Jacot et al. 2018). Write
 * g_l = (σ_w/√m) W_l φ(y_{l−1}) + σ_b b_l for the branch of block l.
 * - NNGP. Given y_{l−1}, the coordinates of g_l are independent centred Gaussians with
 *   covariance σ_w² (1/m) Σ_j φ(y_{l−1,j}(x)) φ(y_{l−1,j}(x')) + σ_b² → σ_w² E[φ(u)φ(v)] + σ_b²
 *   (law of large numbers over j; the y_{l−1,j} are iid N(0, Σ^{l−2}) in the limit), and g_l is
 *   uncorrelated with y_{l−1}: E[y_{l−1,i}(x) g_{l,i}(x')] = 0 since W_l, b_l are independent of
 *   y_{l−1} and centred. So Cov(y_l) = Cov(y_{l−1}) + β² Cov(g_l): the Σ line above.
 * - NTK. Θ_l(x,x') = Σ_θ ∂_θ y_{l,i}(x) ∂_θ y_{l,i}(x') (the same for every coordinate i, and 0
 *   between coordinates, in the limit). (i) The parameters of block l: ∂y_{l,i}/∂W_{l,ij} =
 *   βσ_w φ(y_{l−1,j})/√m and ∂y_{l,i}/∂b_{l,i} = βσ_b, contributing β²(σ_w² E[φ(u)φ(v)] + σ_b²).
 *   (ii) An earlier parameter θ: ∂_θ y_l = ∂_θ y_{l−1} + β (σ_w/√m) W_l diag(φ'(y_{l−1})) ∂_θ y_{l−1}.
 *   The first term's square gives Θ_{l−1}. The cross terms Σ_j W_{l,ij} φ'_j ⟨∂_θ y_{l−1,i}, ∂_θ
 *   y_{l−1,j}⟩ σ_w/√m vanish as m → ∞ (W_l centred; the gradient-independence argument of Yang
 *   2020, which the Monte Carlo test of a wide residual net confirms). The second term's square is
 *   β² σ_w² (1/m) Σ_{j,k} W_{ij}W_{ik} φ'_j(x) φ'_k(x') ⟨∂y_{l−1,j}(x), ∂y_{l−1,k}(x')⟩ →
 *   β² σ_w² E[φ'(u)φ'(v)] Θ_{l−1} (only j = k survives). Summing: the Θ line above.
 * The readout is an ordinary dense layer (the feed-forward step). This is the recursion of Huang
 * et al. 2020 ("Why do deep residual networks generalize better than deep feedforward networks?
 * — a neural tangent kernel perspective") and of Hayou et al. 2021 ("Stable ResNet") for this
 * block, with the bias inside the branch.
 *
 * The expectations (closed forms for relu, erf, linear; Gauss–Hermite quadrature for tanh, with
 * its accuracy) are in activation-kernels.ts. For relu the angle of each layer is carried as
 * (1 − cos θ, 1 + cos θ) without cancellation, as deep-relu.ts does (angles.ts); the feed-forward
 * relu recursion runs the same operations as deepReluKernel, so its results are bitwise equal.
 * A residual relu block keeps the angle accurate too: with k = β²σ_w²/2 and b = β²σ_b²,
 * Σ'_xy = √(AB)(c + k g) + b = (1 + k)√(AB) c_eff + b with 1 ∓ c_eff = ((1 ∓ c) + k(1 ∓ g))/(1 + k),
 * one affine step of the same form as a dense layer.
 */
import { InvalidInputError, requireFinite, requireInteger, requireOneOf } from '../errors.js';
import { ACTIVATIONS, type Activation } from './activations.js';
import { layerExpectations, resolveQuadratureOrder, type QuadratureOrder } from './activation-kernels.js';
import { affineLayer, normalizeRowSets, normalizeRows, pairAngleInto, pairGram, reluArcCosine } from './angles.js';
import { DEEP_RELU_INPUT_PRODUCTS, type DeepReluInputProduct } from './deep-relu.js';
import { checkDimension, outputBuffer, pairLength, rowCount } from './shapes.js';

/**
 * The default σ_w² of each activation: its edge of chaos at σ_b² = 0 (χ₁ = σ_w² E[φ'(z)²] = 1 at
 * the fixed point q* = 0, or any q* for relu and linear): relu 2, erf π/4, tanh 1, linear 1.
 */
export const DEFAULT_WEIGHT_VARIANCES: Readonly<Record<Activation, number>> = Object.freeze({
  relu: 2,
  erf: Math.PI / 4,
  tanh: 1,
  linear: 1,
});

/** Options of the deep kernels (ARCHITECTURE.md §7; see the module notes for the conventions). */
export interface DeepKernelOptions {
  /** L, the number of hidden layers (integer ≥ 1). */
  readonly depth: number;
  /** φ (default 'relu'). */
  readonly activation?: Activation;
  /** σ_w² of the layers after the first (≥ 0; default {@link DEFAULT_WEIGHT_VARIANCES}[activation]). */
  readonly weightVariance?: number;
  /** σ_b² of the layers after the first (≥ 0, default 0). */
  readonly biasVariance?: number;
  /** σ_w,in² of the first layer, in Σ⁰ (≥ 0, default `weightVariance`). */
  readonly inputWeightVariance?: number;
  /** σ_b,in² of the first layer, in Σ⁰ (≥ 0, default `biasVariance`). */
  readonly inputBiasVariance?: number;
  /** How ⟨x, x'⟩ is formed in Σ⁰ (default 'mean', x·x'/d). */
  readonly inputProduct?: DeepReluInputProduct;
  /** Residual blocks y_l = y_{l−1} + β(W_l φ(y_{l−1}) + b_l) on the m×m layers (default false). */
  readonly residual?: boolean;
  /** β of the residual blocks (≥ 0, default 1/√L); only with `residual: true` (or 0). */
  readonly residualScale?: number;
  /** Gauss–Hermite order of the tanh expectations: 'auto' (default) or an integer in 1..2000. */
  readonly quadratureOrder?: QuadratureOrder;
}

/** {@link DeepKernelOptions} with every default filled in and validated. */
export interface ResolvedDeepKernelOptions {
  readonly depth: number;
  readonly activation: Activation;
  readonly weightVariance: number;
  readonly biasVariance: number;
  readonly inputWeightVariance: number;
  readonly inputBiasVariance: number;
  readonly inputProduct: DeepReluInputProduct;
  readonly residual: boolean;
  /** β (0 when not residual). */
  readonly residualScale: number;
  readonly quadratureOrder: QuadratureOrder;
}

/** Σ^L(x,x') and Θ^L(x,x') for one pair. */
export interface DeepKernelValues {
  /** Σ^L(x,x'), the NNGP kernel of the output. */
  readonly nngp: number;
  /** Θ^L(x,x'), the neural tangent kernel of the output. */
  readonly ntk: number;
}

/** The kernels of every layer for one pair: index h = 0..L (length L + 1). */
export interface DeepKernelLayers {
  /** Σʰ(x,x'), h = 0..L. */
  readonly nngp: Float64Array;
  /** Θʰ(x,x'), h = 0..L; Θ⁰ = Σ⁰. */
  readonly ntk: Float64Array;
  /** Σʰ(x,x), h = 0..L. */
  readonly varianceX: Float64Array;
  /** Σʰ(x',x'), h = 0..L. */
  readonly varianceY: Float64Array;
}

/** Gram matrices Σ^L and Θ^L, each n1×n2 row-major. */
export interface DeepKernelGram {
  /** Σ^L(x1_i, x2_j) at [i·n2 + j]. */
  readonly nngp: Float64Array;
  /** Θ^L(x1_i, x2_j) at [i·n2 + j]. */
  readonly ntk: Float64Array;
}

/**
 * Validates deep kernel options and fills in the defaults (activation 'relu', σ_w² =
 * DEFAULT_WEIGHT_VARIANCES[activation], σ_b² = 0, input variances equal to the hidden ones,
 * ⟨x, x'⟩ = x·x'/d, no residual blocks, β = 1/√L when residual, quadrature 'auto'). Throws
 * InvalidInputError naming the field (`options.depth`, `options.activation`, …).
 *
 * @example
 * resolveDeepKernelOptions({ depth: 4, activation: 'tanh', residual: true }).residualScale; // 0.5
 */
export function resolveDeepKernelOptions(options: DeepKernelOptions): ResolvedDeepKernelOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidInputError('options', 'expected an object with at least `depth`');
  }
  const depth = requireInteger('options.depth', options.depth, 1);
  const activation = requireOneOf('options.activation', options.activation ?? 'relu', ACTIVATIONS);
  const weightVariance = requireFinite('options.weightVariance', options.weightVariance ?? DEFAULT_WEIGHT_VARIANCES[activation], 0);
  const biasVariance = requireFinite('options.biasVariance', options.biasVariance ?? 0, 0);
  const inputWeightVariance = requireFinite('options.inputWeightVariance', options.inputWeightVariance ?? weightVariance, 0);
  const inputBiasVariance = requireFinite('options.inputBiasVariance', options.inputBiasVariance ?? biasVariance, 0);
  const inputProduct = requireOneOf('options.inputProduct', options.inputProduct ?? 'mean', DEEP_RELU_INPUT_PRODUCTS);
  const residual = options.residual ?? false;
  if (typeof residual !== 'boolean') throw new InvalidInputError('options.residual', `expected a boolean, got ${String(residual)}`);
  if (!residual && options.residualScale !== undefined && options.residualScale !== 0) {
    // (0 is accepted: it is what a resolved non-residual options object holds)
    throw new InvalidInputError('options.residualScale', 'only meaningful with residual: true');
  }
  const residualScale = residual ? requireFinite('options.residualScale', options.residualScale ?? 1 / Math.sqrt(depth), 0) : 0;
  const quadratureOrder = resolveQuadratureOrder('options.quadratureOrder', options.quadratureOrder);
  return { depth, activation, weightVariance, biasVariance, inputWeightVariance, inputBiasVariance, inputProduct, residual, residualScale, quadratureOrder };
}

/** Per-layer traces of one pair (each of length L + 1), when wanted. */
interface Trace {
  readonly nngp: Float64Array;
  readonly ntk: Float64Array;
  readonly varianceX: Float64Array;
  readonly varianceY: Float64Array;
}

/** Scratch space of one recursion. */
class Scratch {
  /** [0] Σ(x,x), [1] Σ(x',x'), [2] Σ(x,x'), [3] 1 − cos θ, [4] 1 + cos θ of the current layer. */
  readonly layer = new Float64Array(5);
  readonly arc = new Float64Array(4);
  readonly expectations = new Float64Array(4);
  readonly angle = new Float64Array(2);
  readonly distances = new Float64Array(2);
  nngp = 0;
  ntk = 0;
}

function record(trace: Trace | undefined, h: number, layer: Float64Array, tangent: number): void {
  if (trace === undefined) return;
  trace.nngp[h] = layer[2];
  trace.ntk[h] = tangent;
  trace.varianceX[h] = layer[0];
  trace.varianceY[h] = layer[1];
}

/**
 * Runs the recursion from Σ⁰ already in scratch.layer (with its angle in [3], [4]); leaves Σ^L,
 * Θ^L in scratch.nngp, scratch.ntk and, when given, every layer's values in `trace`.
 */
function recurseFromInput(o: ResolvedDeepKernelOptions, scratch: Scratch, trace?: Trace): void {
  const layer = scratch.layer;
  const arc = scratch.arc;
  const e = scratch.expectations;
  const sw = o.weightVariance;
  const sb = o.biasVariance;
  const beta2 = o.residualScale * o.residualScale;
  let tangent = layer[2];
  record(trace, 0, layer, tangent);
  const relu = o.activation === 'relu';
  const halfW = sw / 2;
  for (let h = 1; h <= o.depth; h++) {
    const block = o.residual && h < o.depth;
    if (relu && !block) {
      // Exactly deep-relu.ts's step: E[σ(u)σ(v)] = ½√(AB)·g, E[σ'(u)σ'(v)] = arc[3].
      reluArcCosine(layer[3], layer[4], arc);
      const nngpDerivative = sw * arc[3];
      affineLayer(layer[0], layer[1], arc[0], arc[1], arc[2], halfW, sb, layer);
      tangent = tangent * nngpDerivative + layer[2];
    } else if (relu) {
      // Residual block: Σ' = Σ + β²(σ_w² E[σσ] + σ_b²) as one affine step with s = 1 + k.
      reluArcCosine(layer[3], layer[4], arc);
      const A = layer[0];
      const B = layer[1];
      const u = layer[3];
      const v = layer[4];
      const k = beta2 * halfW;
      const b = beta2 * sb;
      const s = 1 + k;
      const increment = k * Math.sqrt(A * B) * arc[0] + b;
      const factor = 1 + beta2 * sw * arc[3];
      affineLayer(A, B, ((v - u) / 2 + k * arc[0]) / s, (u + k * arc[1]) / s, (v + k * arc[2]) / s, s, b, layer);
      tangent = tangent * factor + increment;
    } else {
      layerExpectations(o.activation, layer[0], layer[1], layer[2], o.quadratureOrder, e);
      if (block) {
        const increment = beta2 * (sw * e[0] + sb);
        layer[0] += beta2 * (sw * e[1] + sb);
        layer[1] += beta2 * (sw * e[2] + sb);
        layer[2] += increment;
        tangent = tangent * (1 + beta2 * sw * e[3]) + increment;
      } else {
        layer[0] = sw * e[1] + sb;
        layer[1] = sw * e[2] + sb;
        layer[2] = sw * e[0] + sb;
        tangent = tangent * (sw * e[3]) + layer[2];
      }
    }
    record(trace, h, layer, tangent);
  }
  scratch.nngp = layer[2];
  scratch.ntk = tangent;
}

/**
 * Σ⁰ from the input products ⟨x,x⟩ = A, ⟨x',x'⟩ = B and the input angle (u, v) = (1 − cos φ,
 * 1 + cos φ), then the recursion (as deep-relu.ts's `recurse`).
 */
function recurse(A: number, B: number, u: number, v: number, o: ResolvedDeepKernelOptions, scratch: Scratch, trace?: Trace): void {
  affineLayer(A, B, (v - u) / 2, u, v, o.inputWeightVariance, o.inputBiasVariance, scratch.layer);
  recurseFromInput(o, scratch, trace);
}


/** ⟨x,x⟩, ⟨x',x'⟩ and the input angle of one pair given as plain vectors, then the recursion. */
function recursePair(x: Float64Array, xp: Float64Array, o: ResolvedDeepKernelOptions, scratch: Scratch, trace?: Trace): void {
  const d = pairLength(x, xp);
  const bias = o.inputProduct === 'augmented';
  const D = bias ? d + 1 : d;
  const unit = new Float64Array(2 * D);
  const sq = new Float64Array(2);
  normalizeRows(x, 1, d, bias, unit, sq);
  normalizeRows(xp, 1, d, bias, unit.subarray(D), sq.subarray(1));
  const scale = o.inputProduct === 'mean' ? 1 / d : 1;
  pairAngleInto(unit, 0, unit, D, D, sq[0], sq[1], scratch);
  recurse(sq[0] * scale, sq[1] * scale, scratch.angle[0], scratch.angle[1], o, scratch, trace);
}

function newTrace(depth: number): Trace {
  return {
    nngp: new Float64Array(depth + 1),
    ntk: new Float64Array(depth + 1),
    varianceX: new Float64Array(depth + 1),
    varianceY: new Float64Array(depth + 1),
  };
}

/**
 * Σ^L(x,x') and Θ^L(x,x') of a deep network (ARCHITECTURE.md §7; conventions in the module notes)
 * for inputs x, x' ∈ R^d (finite, same length ≥ 1). Cost O(d + L) for relu, erf and linear;
 * tanh adds an n×n quadrature per layer (by default n = 32…1024, from the layer's variance).
 *
 * @example
 * deepKernel(new Float64Array([1, 0]), new Float64Array([0, 1]), { depth: 3, activation: 'erf', weightVariance: 1.5, biasVariance: 0.1 }).ntk;
 */
export function deepKernel(x: Float64Array, xp: Float64Array, options: DeepKernelOptions): DeepKernelValues {
  const o = resolveDeepKernelOptions(options);
  const scratch = new Scratch();
  recursePair(x, xp, o, scratch);
  return { nngp: scratch.nngp, ntk: scratch.ntk };
}

/**
 * Σʰ(x,x'), Θʰ(x,x'), Σʰ(x,x) and Σʰ(x',x') of every layer h = 0..L for one pair
 * (ARCHITECTURE.md §7), in one pass.
 *
 * @example
 * const layers = deepKernelLayers(new Float64Array([1, 2]), new Float64Array([2, -1]), { depth: 5, activation: 'tanh', residual: true });
 * layers.ntk[5]; // Θ⁵, the output's NTK
 */
export function deepKernelLayers(x: Float64Array, xp: Float64Array, options: DeepKernelOptions): DeepKernelLayers {
  const o = resolveDeepKernelOptions(options);
  const trace = newTrace(o.depth);
  recursePair(x, xp, o, new Scratch(), trace);
  return trace;
}

/**
 * The recursion of every layer h = 0..L from a given input covariance Σ⁰: Σ⁰(x,x) = `sxx`,
 * Σ⁰(x',x') = `syy`, Σ⁰(x,x') = `sxy` (sxx, syy ≥ 0; the correlation is clamped to [−1, 1]), in
 * place of the input layer (the `input*` options are not used). For a first layer other than a
 * dense one, or for the variance and correlation maps at equal variances.
 *
 * @example
 * deepKernelLayersFromCovariance(1, 1, 0.5, { depth: 2, activation: 'linear', weightVariance: 1 }).nngp[2]; // 0.5
 */
export function deepKernelLayersFromCovariance(sxx: number, syy: number, sxy: number, options: DeepKernelOptions): DeepKernelLayers {
  const A = requireFinite('sxx', sxx, 0);
  const B = requireFinite('syy', syy, 0);
  const C = requireFinite('sxy', sxy);
  const o = resolveDeepKernelOptions(options);
  const scratch = new Scratch();
  const root = Math.sqrt(A * B);
  const c = root > 0 ? Math.min(1, Math.max(-1, C / root)) : 1;
  scratch.layer[0] = A;
  scratch.layer[1] = B;
  scratch.layer[2] = root > 0 ? c * root : 0;
  scratch.layer[3] = 1 - c;
  scratch.layer[4] = 1 + c;
  const trace = newTrace(o.depth);
  recurseFromInput(o, scratch, trace);
  return trace;
}

/**
 * The correlation map of two inputs through the layers (ARCHITECTURE.md §7, signal propagation):
 * ρ_h = Σʰ(x,x')/√(Σʰ(x,x) Σʰ(x',x')), h = 0..L (length L + 1), the correlation of the
 * pre-activations z_{h+1}(x), z_{h+1}(x') (layer l = h + 1 of §7's numbering; ρ_L is the
 * output's). NaN where a variance is 0.
 *
 * @example
 * deepCorrelationLayers(new Float64Array([1, 0]), new Float64Array([0.6, 0.8]), { depth: 10, activation: 'tanh', weightVariance: 1.76, biasVariance: 0.05 });
 */
export function deepCorrelationLayers(x: Float64Array, xp: Float64Array, options: DeepKernelOptions): Float64Array {
  return correlations(deepKernelLayers(x, xp, options));
}

/** ρ_h = Σʰ_xy/√(Σʰ_xx Σʰ_yy) of a trace. */
function correlations(layers: DeepKernelLayers): Float64Array {
  const rho = new Float64Array(layers.nngp.length);
  for (let h = 0; h < rho.length; h++) {
    const root = Math.sqrt(layers.varianceX[h] * layers.varianceY[h]);
    rho[h] = root > 0 ? layers.nngp[h] / root : Number.NaN;
  }
  return rho;
}

/**
 * Gram matrices Σ^L and Θ^L of a deep network (ARCHITECTURE.md §7) between the n1 rows of `x1`
 * and the n2 rows of `x2` (sample-major n×d), each n1×n2 row-major. `x2 = null` (or
 * `x2 === x1`) means x2 = x1: the upper triangle is computed and mirrored (exactly symmetric).
 * `out.nngp` / `out.ntk`, when given, receive the results.
 *
 * @example
 * const gram = deepKernelGram(new Float64Array([1, 0, 0, 1, 1, 1]), null, 2, { depth: 2, activation: 'erf' });
 * gram.ntk.length; // 9
 */
export function deepKernelGram(
  x1: Float64Array,
  x2: Float64Array | null,
  d: number,
  options: DeepKernelOptions,
  out?: { readonly nngp?: Float64Array; readonly ntk?: Float64Array },
): DeepKernelGram {
  checkDimension(d);
  const o = resolveDeepKernelOptions(options);
  const n1 = rowCount('x1', x1, d);
  const same = x2 === null || x2 === x1;
  const n2 = same ? n1 : rowCount('x2', x2, d);
  const nngp = outputBuffer('out.nngp', out?.nngp, n1 * n2);
  const ntk = outputBuffer('out.ntk', out?.ntk, n1 * n2);
  const bias = o.inputProduct === 'augmented';
  const D = bias ? d + 1 : d;
  const scale = o.inputProduct === 'mean' ? 1 / d : 1;
  const scratch = new Scratch();
  pairGram(normalizeRowSets(x1, n1, x2, n2, same, d, bias), n1, n2, same, D, scale, scratch, scratch, nngp, ntk, (A, B, u, v) => recurse(A, B, u, v, o, scratch));
  return { nngp, ntk };
}

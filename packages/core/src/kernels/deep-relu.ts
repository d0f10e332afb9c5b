/**
 * NNGP and NTK of deep fully connected ReLU networks, ARCHITECTURE.md §1 ("Deep fully connected
 * ReLU networks"): L hidden layers, weight variance σ_w², bias variance σ_b²,
 *
 *     Σ⁰ = σ_w,in² ⟨x, x'⟩ + σ_b,in²                    (⟨x, x'⟩ = x·x'/d by default)
 *     Σʰ = σ_w² E[σ(u)σ(v)] + σ_b²,   Σ̇ʰ = σ_w² E[σ'(u)σ'(v)],   (u, v) ~ N(0, Σʰ⁻¹ on {x, x'})
 *     Θ⁰ = Σ⁰,   Θʰ = Θʰ⁻¹ Σ̇ʰ + Σʰ,   h = 1..L,
 *
 * with the closed forms (arc-cosine kernels, as in eq. (4)) for an angle θ between u and v:
 * E[σ(u)σ(v)] = √(Σ(x,x)Σ(x',x')) (sin θ + (π − θ) cos θ)/(2π), E[σ'(u)σ'(v)] = (π − θ)/(2π).
 * Σ^L and Θ^L are the kernels of the network output.
 *
 * With `inputProduct: 'augmented'` (⟨x, x'⟩ = x̃·x̃', x̃ = (x, 1)), depth 1, σ_w² = 1 and σ_b² = 0
 * (and the input variances left at their defaults, equal to those), Σ¹ and Θ¹ are exactly Σ and
 * Θ of eq. (4) with `bias: true`; `'raw'` (⟨x, x'⟩ = x·x') gives eq. (4) with `bias: false`.
 *
 * Numerics: the angle of each layer is carried as (1 − cos θ, 1 + cos θ), each updated without
 * cancellation (see angles.ts), so the recursion keeps full relative accuracy in θ even when
 * it is tiny (the diagonal, or deep networks at the edge of chaos where θ_L ≈ 3π/L).
 * A pre-activation of variance exactly 0 has angle 0 by convention (Σ̇ = σ_w²/2 there).
 */
import { InvalidInputError, requireFinite, requireInteger, requireOneOf } from '../errors.js';
import { affineLayer, normalizeRowSets, normalizeRows, pairAngleInto, pairGram, reluArcCosine } from './angles.js';
import { checkDimension, outputBuffer, pairLength, rowCount } from './shapes.js';

/**
 * How the input layer's product ⟨x, x'⟩ in Σ⁰ = σ_w,in² ⟨x, x'⟩ + σ_b,in² is formed:
 * 'mean': x·x'/d (ARCHITECTURE.md §1); 'augmented': x̃·x̃' = x·x' + 1; 'raw': x·x'.
 */
export type DeepReluInputProduct = 'mean' | 'augmented' | 'raw';
/** The values of {@link DeepReluInputProduct}. */
export const DEEP_RELU_INPUT_PRODUCTS: readonly DeepReluInputProduct[] = ['mean', 'augmented', 'raw'];

/** Options of the deep ReLU kernels (ARCHITECTURE.md §1, deep fully connected networks). */
export interface DeepReluKernelOptions {
  /** L, the number of hidden layers (integer ≥ 1). */
  readonly depth: number;
  /** σ_w² of the layers after the first (≥ 0, default 2: the edge of chaos with σ_b² = 0). */
  readonly weightVariance?: number;
  /** σ_b² of the layers after the first (≥ 0, default 0). */
  readonly biasVariance?: number;
  /** σ_w,in² of the first layer, in Σ⁰ (≥ 0, default `weightVariance`). */
  readonly inputWeightVariance?: number;
  /** σ_b,in² of the first layer, in Σ⁰ (≥ 0, default `biasVariance`). */
  readonly inputBiasVariance?: number;
  /** How ⟨x, x'⟩ is formed in Σ⁰ (default 'mean', x·x'/d). */
  readonly inputProduct?: DeepReluInputProduct;
}

/** {@link DeepReluKernelOptions} with every default filled in and validated. */
export interface ResolvedDeepReluOptions {
  readonly depth: number;
  readonly weightVariance: number;
  readonly biasVariance: number;
  readonly inputWeightVariance: number;
  readonly inputBiasVariance: number;
  readonly inputProduct: DeepReluInputProduct;
}

/** Σ^L(x,x') and Θ^L(x,x') for one pair. */
export interface DeepReluKernelValues {
  /** Σ^L(x,x'), the NNGP kernel of the output. */
  readonly nngp: number;
  /** Θ^L(x,x'), the neural tangent kernel of the output. */
  readonly ntk: number;
}

/** The kernels of every layer for one pair: index h = 0..L holds Σʰ(x,x') and Θʰ(x,x'). */
export interface DeepReluKernelLayers {
  /** Σʰ(x,x'), h = 0..L (length L + 1). */
  readonly nngp: Float64Array;
  /** Θʰ(x,x'), h = 0..L (length L + 1); Θ⁰ = Σ⁰. */
  readonly ntk: Float64Array;
}

/** Gram matrices Σ^L and Θ^L, each n1×n2 row-major. */
export interface DeepReluGram {
  /** Σ^L(x1_i, x2_j) at [i·n2 + j]. */
  readonly nngp: Float64Array;
  /** Θ^L(x1_i, x2_j) at [i·n2 + j]. */
  readonly ntk: Float64Array;
}

/**
 * Validates deep ReLU kernel options and fills in the defaults (σ_w² = 2, σ_b² = 0, input
 * variances equal to the hidden ones, ⟨x, x'⟩ = x·x'/d). Throws InvalidInputError naming the
 * field (`options.depth`, `options.weightVariance`, …).
 */
export function resolveDeepReluOptions(options: DeepReluKernelOptions): ResolvedDeepReluOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidInputError('options', 'expected an object with at least `depth`');
  }
  const depth = requireInteger('options.depth', options.depth, 1);
  const weightVariance = requireFinite('options.weightVariance', options.weightVariance ?? 2, 0);
  const biasVariance = requireFinite('options.biasVariance', options.biasVariance ?? 0, 0);
  const inputWeightVariance = requireFinite('options.inputWeightVariance', options.inputWeightVariance ?? weightVariance, 0);
  const inputBiasVariance = requireFinite('options.inputBiasVariance', options.inputBiasVariance ?? biasVariance, 0);
  const inputProduct = requireOneOf('options.inputProduct', options.inputProduct ?? 'mean', DEEP_RELU_INPUT_PRODUCTS);
  return { depth, weightVariance, biasVariance, inputWeightVariance, inputBiasVariance, inputProduct };
}

/** Scratch space of one recursion: the affine map's and the arc-cosine's outputs. */
class Scratch {
  readonly layer = new Float64Array(5);
  readonly arc = new Float64Array(4);
  readonly angle = new Float64Array(2);
  readonly distances = new Float64Array(2);
  nngp = 0;
  ntk = 0;
}

/**
 * Runs the recursion for one pair whose input products are ⟨x,x⟩ = A, ⟨x',x'⟩ = B and whose
 * input angle is (u, v) = (1 − cos φ, 1 + cos φ); leaves Σ^L, Θ^L in scratch.nngp, scratch.ntk
 * and, when given, every layer's values in the trace arrays.
 */
function recurse(
  A: number,
  B: number,
  u: number,
  v: number,
  o: ResolvedDeepReluOptions,
  scratch: Scratch,
  traceNngp?: Float64Array,
  traceNtk?: Float64Array,
): void {
  const layer = scratch.layer;
  const arc = scratch.arc;
  // Σ⁰ = σ_w,in² ⟨x, x'⟩ + σ_b,in², ⟨x, x'⟩ = √(AB) cos φ; Θ⁰ = Σ⁰.
  affineLayer(A, B, (v - u) / 2, u, v, o.inputWeightVariance, o.inputBiasVariance, layer);
  let tangent = layer[2];
  if (traceNngp !== undefined && traceNtk !== undefined) {
    traceNngp[0] = layer[2];
    traceNtk[0] = tangent;
  }
  const halfW = o.weightVariance / 2;
  for (let h = 1; h <= o.depth; h++) {
    // E[σ(u)σ(v)] = ½√(AB)·g, g = (sin θ + (π − θ) cos θ)/π;  E[σ'(u)σ'(v)] = (π − θ)/(2π).
    reluArcCosine(layer[3], layer[4], arc);
    const nngpDerivative = o.weightVariance * arc[3];
    // Σʰ = σ_w² E[σ(u)σ(v)] + σ_b² (and the new angle), from Σʰ⁻¹ in layer[0..4].
    affineLayer(layer[0], layer[1], arc[0], arc[1], arc[2], halfW, o.biasVariance, layer);
    // Θʰ = Θʰ⁻¹ Σ̇ʰ + Σʰ.
    tangent = tangent * nngpDerivative + layer[2];
    if (traceNngp !== undefined && traceNtk !== undefined) {
      traceNngp[h] = layer[2];
      traceNtk[h] = tangent;
    }
  }
  scratch.nngp = layer[2];
  scratch.ntk = tangent;
}

/** ⟨x,x⟩, ⟨x',x'⟩ and the input angle of one pair given as plain vectors, then the recursion. */
function recursePair(
  x: Float64Array,
  xp: Float64Array,
  o: ResolvedDeepReluOptions,
  scratch: Scratch,
  traceNngp?: Float64Array,
  traceNtk?: Float64Array,
): void {
  const d = pairLength(x, xp);
  const bias = o.inputProduct === 'augmented';
  const D = bias ? d + 1 : d;
  const unit = new Float64Array(2 * D);
  const sq = new Float64Array(2);
  normalizeRows(x, 1, d, bias, unit, sq);
  normalizeRows(xp, 1, d, bias, unit.subarray(D), sq.subarray(1));
  const scale = o.inputProduct === 'mean' ? 1 / d : 1;
  pairAngleInto(unit, 0, unit, D, D, sq[0], sq[1], scratch);
  recurse(sq[0] * scale, sq[1] * scale, scratch.angle[0], scratch.angle[1], o, scratch, traceNngp, traceNtk);
}


/**
 * Σ^L(x,x') and Θ^L(x,x') of a deep ReLU network (ARCHITECTURE.md §1) for inputs x, x' ∈ R^d
 * (finite, same length ≥ 1). Cost O(d + L).
 */
export function deepReluKernel(x: Float64Array, xp: Float64Array, options: DeepReluKernelOptions): DeepReluKernelValues {
  const o = resolveDeepReluOptions(options);
  const scratch = new Scratch();
  recursePair(x, xp, o, scratch);
  return { nngp: scratch.nngp, ntk: scratch.ntk };
}

/**
 * Σʰ(x,x') and Θʰ(x,x') of every layer h = 0..L of the recursion (ARCHITECTURE.md §1) for one
 * pair, in one pass: what depth studies (edge of chaos) need. Cost O(d + L).
 */
export function deepReluKernelLayers(x: Float64Array, xp: Float64Array, options: DeepReluKernelOptions): DeepReluKernelLayers {
  const o = resolveDeepReluOptions(options);
  const nngp = new Float64Array(o.depth + 1);
  const ntk = new Float64Array(o.depth + 1);
  recursePair(x, xp, o, new Scratch(), nngp, ntk);
  return { nngp, ntk };
}

/**
 * Gram matrices Σ^L and Θ^L of a deep ReLU network (ARCHITECTURE.md §1) between the n1 rows of
 * `x1` and the n2 rows of `x2` (sample-major n×d), each n1×n2 row-major. `x2 = null` (or
 * `x2 === x1`) means x2 = x1: the upper triangle is computed and mirrored (exactly symmetric).
 * `out.nngp` / `out.ntk`, when given, receive the results. Cost O(n1·n2·(d + L)); the pair loop
 * allocates nothing.
 */
export function deepReluGram(
  x1: Float64Array,
  x2: Float64Array | null,
  d: number,
  options: DeepReluKernelOptions,
  out?: { readonly nngp?: Float64Array; readonly ntk?: Float64Array },
): DeepReluGram {
  checkDimension(d);
  const o = resolveDeepReluOptions(options);
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

/**
 * The numbers an abc-parametrization gives each layer at its widths (ARCHITECTURE.md §7), and
 * how they generalize §1's constants (s, κ, ρ, γ):
 *
 *     W_l = μ_l w_l,           μ_l = n_l^{−a_l}   (× `outputMultiplier` for the output layer)
 *     w_l(0) ~ σ_l n_l^{−b_l} · N(0, 1)
 *     F(θ) = κ R(f) + (λ/2) Σ_l ρ_l ‖w_l‖²,    ρ_l = n_l^{c_l}
 *     GD: w_l ← w_l − η γ_l ∇_{w_l} F,          γ_l = n_l^{−c_l}
 *
 * so γ_l ρ_l = 1 in every layer, as in every row of §1's table: weight decay shrinks each
 * parameter by ηλ per step, w_l ← (1 − ηλ) w_l − η γ_l κ ∇_{w_l} R. At L = 1, μ_2 is §1's s, and
 * γ, ρ, κ are §1's (see `deepSpecOfTwoLayer`).
 *
 * The width base n_l: the input layer's is m_1 (TP4 holds the input dimension fixed and scales
 * by the width n), the hidden and output layers' their fan-in m_{l−1}, a bias's its length m_l.
 * With equal widths every base is m.
 */
import { InvalidInputError } from '../errors.js';
import { ABC_PRESETS, fanIn, hasBiasVector, type AbcExponents, type DeepSpec } from './spec.js';

/**
 * n^e, exactly rounded for the exponents the presets use (0, ±½, ±1: 1, √n, 1/√n, n, 1/n, as
 * §1's scalingOf computes s = 1/√m and 1/m), Math.pow otherwise.
 *
 * @example
 * widthPower(100, -0.5); // 0.1
 */
export function widthPower(n: number, e: number): number {
  if (e === 0) return 1;
  if (e === 1) return n;
  if (e === -1) return 1 / n;
  if (e === 0.5) return Math.sqrt(n);
  if (e === -0.5) return 1 / Math.sqrt(n);
  return Math.pow(n, e);
}

/** One parameter tensor's coefficients (a layer's weights, or a layer's bias vector). *
 * @example
 * const out: TensorCoefficients = deepCoefficients(resolveDeepSpec({ d: 3, depth: 1, width: 64 })).weights[1];
 * out.multiplier; // 1/64: §1's mean-field s
 */
export interface TensorCoefficients {
  /** n: the width base of the exponents. */
  readonly base: number;
  /** μ = n^{−a} (× outputMultiplier for the output layer): W = μ w. */
  readonly multiplier: number;
  /** n^{−b}: the init's standard deviation is σ times this. */
  readonly initScale: number;
  /** γ = n^{−c}: the learning rate is η γ. */
  readonly lrFactor: number;
  /** ρ = n^{c} = 1/γ: the weight of ‖w‖² in F. */
  readonly decayWeight: number;
}

/** Every tensor's coefficients: weights of layers 1..L+1 (index l − 1), biases of layers 2..L (null where a layer has no bias vector). *
 * @example
 * const co: DeepCoefficients = deepCoefficients(resolveDeepSpec({ d: 3, depth: 3, width: 64, scaling: 'mup' }));
 * co.weights[0].multiplier; // 8 = √64 (a_1 = −½)
 */
export interface DeepCoefficients {
  readonly weights: readonly TensorCoefficients[];
  readonly biases: readonly (TensorCoefficients | null)[];
}

function tensorCoefficients(base: number, e: AbcExponents, factor = 1): TensorCoefficients {
  const mu = widthPower(base, -e.a);
  return {
    base,
    multiplier: factor === 1 ? mu : factor * mu,
    initScale: widthPower(base, -e.b),
    lrFactor: widthPower(base, -e.c),
    decayWeight: widthPower(base, e.c),
  };
}

/**
 * The width base of layer l's weights (0-based; l = depth is the output layer): m_1 for the
 * input layer, the fan-in otherwise.
 *
 * @example
 * weightBase(resolveDeepSpec({ d: 3, depth: 2, width: [8, 6] }), 0); // 8
 */
export function weightBase(spec: DeepSpec, layer: number): number {
  return layer === 0 ? spec.widths[0] : fanIn(spec, layer);
}

/**
 * μ, n^{−b}, γ and ρ of every weight and bias tensor of `spec`.
 *
 * @example
 * const co = deepCoefficients(resolveDeepSpec({ d: 3, depth: 1, width: 100, scaling: 'ntk' }));
 * co.weights[1].multiplier; // 0.1 = 1/√m: §1's s for ntk
 */
export function deepCoefficients(spec: DeepSpec): DeepCoefficients {
  const weights: TensorCoefficients[] = [];
  const biases: (TensorCoefficients | null)[] = [];
  for (let l = 0; l <= spec.depth; l++) {
    weights.push(tensorCoefficients(weightBase(spec, l), spec.layers[l], l === spec.depth ? spec.outputMultiplier : 1));
    biases.push(hasBiasVector(spec, l) ? tensorCoefficients(spec.widths[l], spec.biasExponents) : null);
  }
  return { weights, biases };
}

/**
 * Adam's learning-rate factor of every tensor (`train.optimizer: adam`): n^{−c} with c from the
 * preset's Adam row (ABC_PRESETS[preset].adam, Tensor Programs V Table 3 for μP; input row for
 * the input layer and every bias, hidden rows, output row), on the width bases of
 * {@link deepCoefficients}. Adam normalizes the gradient, so SGD's factors would be wrong: they
 * compensate the gradient's width scale, which Adam divides out. For the same reason the overall
 * scale κ·outputMultiplier that `lazy` (α) puts into every gradient is put back: the factors are
 * multiplied by κ·outputMultiplier (1/α for lazy, 1 otherwise), so that at depth 1 they are the
 * two-layer net's Adam factor κγs of ARCHITECTURE.md §1 (mean-field 1, ntk 1/√m, lazy 1/α).
 * Exponents set by hand (no preset) have no Adam row: an error.
 *
 * @example
 * adamLrFactors(resolveDeepSpec({ d: 3, depth: 2, width: 64, scaling: 'mup' })).weights; // [1/8, 1/64, 1/8]
 */
export function adamLrFactors(spec: DeepSpec): { weights: number[]; biases: (number | null)[] } {
  if (spec.preset === null) {
    throw new InvalidInputError('train.optimizer', 'adam needs the Adam learning rates of a named scaling (model.parameterization standard, ntk, mup or mean-field); exponents set by hand have none — use optimizer sgd or momentum');
  }
  const table = ABC_PRESETS[spec.preset].adam;
  const overall = spec.kappa * spec.outputMultiplier;
  const factor = (base: number, c: number) => overall * widthPower(base, -c);
  const weights: number[] = [];
  const biases: (number | null)[] = [];
  for (let l = 0; l <= spec.depth; l++) {
    const row = l === 0 ? table.input : l === spec.depth ? table.output : table.hidden;
    weights.push(factor(weightBase(spec, l), row.c));
    biases.push(hasBiasVector(spec, l) ? factor(spec.widths[l], table.input.c) : null);
  }
  return { weights, biases };
}

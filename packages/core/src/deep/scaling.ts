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
import { fanIn, hasBiasVector, type AbcExponents, type DeepSpec } from './spec.js';

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

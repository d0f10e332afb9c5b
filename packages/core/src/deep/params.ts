/**
 * The parameters of a deep network (ARCHITECTURE.md §7): the raw w_l of the abc-parametrization
 * (the effective weights are W_l = μ_l w_l, see scaling.ts), as float64 typed arrays.
 */
import { InvalidInputError, requireFiniteArray } from '../errors.js';
import { fanIn, fanOut, hasBiasVector, type DeepSpec } from './spec.js';

/**
 * w_l for l = 1..L+1 at index l − 1, each row-major fan-out × fan-in: row j of weights[l] holds
 * the weights into unit j (weights[0] is m_1 × D, its last column the bias weight when inputs
 * are augmented; weights[L] is k × m_L). biases[l] is layer l+1's bias vector (length m_{l+1})
 * for the hidden layers 2..L, and empty for the input layer (its bias is W_1's last column) and
 * the output layer (no bias, as in §1).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 4 });
 * const p: DeepParams = allocateDeepParams(spec);
 * p.biases.map((b) => b.length); // [0, 4, 0]
 */
export interface DeepParams {
  readonly weights: readonly Float64Array[];
  readonly biases: readonly Float64Array[];
}

/**
 * Zeroed parameters of the shape `spec` says.
 *
 * @example
 * const p = allocateDeepParams(resolveDeepSpec({ d: 2, depth: 2, width: 4, outputs: 3 }));
 * p.weights.map((w) => w.length); // [12, 16, 12]: 4 × 3, 4 × 4, 3 × 4
 */
export function allocateDeepParams(spec: DeepSpec): DeepParams {
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l <= spec.depth; l++) {
    weights.push(new Float64Array(fanOut(spec, l) * fanIn(spec, l)));
    biases.push(new Float64Array(hasBiasVector(spec, l) ? spec.widths[l] : 0));
  }
  return { weights, biases };
}

/**
 * A deep copy (fresh buffers): a snapshot such as w(0) kept beside w(t).
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 4 });
 * const w0 = cloneDeepParams(initDeepParams(spec, resolveDeepInit(spec), 0));
 */
export function cloneDeepParams(p: DeepParams): DeepParams {
  return { weights: p.weights.map((w) => w.slice()), biases: p.biases.map((b) => b.slice()) };
}

/**
 * Throws unless `p` has the shape of `spec` and finite entries; errors name `field`.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 2, width: 4 });
 * checkDeepParams('params', spec, allocateDeepParams(spec)); // passes
 */
export function checkDeepParams(field: string, spec: DeepSpec, p: DeepParams): void {
  if (p.weights.length !== spec.depth + 1 || p.biases.length !== spec.depth + 1) {
    throw new InvalidInputError(field, `expected ${spec.depth + 1} weight and bias tensors (L + 1), got ${p.weights.length} and ${p.biases.length}`);
  }
  for (let l = 0; l <= spec.depth; l++) {
    const rows = fanOut(spec, l);
    const cols = fanIn(spec, l);
    if (p.weights[l].length !== rows * cols) {
      throw new InvalidInputError(`${field}.weights[${l}]`, `expected ${rows} × ${cols} = ${rows * cols} values, got ${p.weights[l].length}`);
    }
    const nb = hasBiasVector(spec, l) ? spec.widths[l] : 0;
    if (p.biases[l].length !== nb) throw new InvalidInputError(`${field}.biases[${l}]`, `expected ${nb} values, got ${p.biases[l].length}`);
    requireFiniteArray(`${field}.weights[${l}]`, p.weights[l]);
    requireFiniteArray(`${field}.biases[${l}]`, p.biases[l]);
  }
}

/**
 * Σ_l ‖w_l‖² per tensor, weighted: Σ_l ρ_l ‖w_l‖² + Σ_l ρ_l^bias ‖b_l‖² with the given weights
 * (pass all ones for the plain squared norm).
 *
 * @example
 * weightedSquaredNorm({ weights: [Float64Array.of(3), Float64Array.of(4)], biases: [new Float64Array(0), new Float64Array(0)] }, [1, 1], [1, 1]); // 25
 */
export function weightedSquaredNorm(p: DeepParams, weightWeights: readonly number[], biasWeights: readonly number[]): number {
  let total = 0;
  for (let l = 0; l < p.weights.length; l++) {
    let s = 0;
    for (const v of p.weights[l]) s += v * v;
    let sb = 0;
    for (const v of p.biases[l]) sb += v * v;
    total += weightWeights[l] * s + (sb === 0 ? 0 : biasWeights[l] * sb);
  }
  return total;
}

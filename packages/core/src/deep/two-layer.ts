/**
 * L = 1: the deep model as §1's two-layer network (ARCHITECTURE.md §7: "L = 1 is §1's two-layer
 * net"). Where the abc-table conventions and §1 could differ, §1 wins; the correspondence is
 *
 *     §1                                   deep, L = 1
 *     a_j ∈ R^D (bias weight last)         row j of w_1 (m × D)          a_1 = 0, b_1 = 0: W_1 = w_1
 *     b_j ∈ R^k                            column j of w_2 (k × m)
 *     s   (mean-field 1/m, ntk 1/√m)       μ_2 = outputMultiplier · m^{−a_2}   (a_2 = 1, ½)
 *     γ   (m, 1)                           γ_l = m^{−c}                  (c = −1, 0, both layers)
 *     ρ   (1/m, 1)                         ρ_l = m^{c} = 1/γ_l
 *     κ                                    κ
 *     lazy (α): s = α/m, κ = 1/α²          mean-field with outputMultiplier α, κ = 1/α²
 *     gaussian a ~ τσ_a N(0, I_D),         σ_1² = (τσ_a)², σ_b,1² = (τσ_a)² (the bias column),
 *              b ~ τσ_b N(0, I_k)          σ_2² = (τσ_b)², inputFanIn 'one'; the same streams (init.ts)
 *     step: w ← (1 − ηλ) w − ηκγs g        w_l ← (1 − ηλ) w_l − η γ_l κ ∇_{w_l} R  (the s is inside ∇R)
 *
 * so f, F and every GD step agree with core's two-layer engine to rounding (deep/two-layer.test.ts:
 * 1e−12 over 50 steps). Not mapped: `centered` (f − f_{w(0)}), and the `sphere` and `uniform-b`
 * inits and `symmetric`, which the deep init does not draw — convert the two-layer init's
 * parameters with {@link deepParamsFromTwoLayer} instead.
 */
import { InvalidInputError } from '../errors.js';
import type { TwoLayerModelSpec } from '../model/spec.js';
import { allocateParams, outputCount, type NetworkParams } from '../model/params.js';
import type { DeepInit } from './init.js';
import { allocateDeepParams, type DeepParams } from './params.js';
import { resolveDeepSpec, type DeepSpec } from './spec.js';

/**
 * The deep spec (L = 1) and init that reproduce §1's two-layer network `model` on d-dimensional
 * inputs with k outputs. Throws for what has no deep counterpart yet (`centered`; an init other
 * than gaussian — use {@link deepParamsFromTwoLayer} on `initParams`'s output for those).
 *
 * @example
 * const { spec, init } = deepSpecOfTwoLayer(resolveModelSpec({ width: 64, parameterization: 'ntk' }), 3, 1);
 * spec.preset; // 'ntk'
 */
export function deepSpecOfTwoLayer(model: TwoLayerModelSpec, d: number, k = 1): { spec: DeepSpec; init: DeepInit } {
  if (model.centered) throw new InvalidInputError('model.centered', 'the deep model has no centered output yet');
  const p = model.parameterization;
  const lazy = p === 'lazy';
  const spec = resolveDeepSpec({
    d,
    depth: 1,
    width: model.width,
    outputs: k,
    activation: 'relu',
    bias: model.bias,
    scaling: p === 'lazy' ? 'mean-field' : p,
    kappa: lazy ? 1 / (model.alpha * model.alpha) : 1,
    outputMultiplier: lazy ? model.alpha : 1,
    inputFanIn: 'one',
  });
  const init = model.init;
  if (init.kind !== 'gaussian' || init.symmetric) {
    throw new InvalidInputError('model.init.kind', `the deep init draws gaussian weights without pairing; convert ${init.kind}${init.symmetric ? ' (symmetric)' : ''} parameters with deepParamsFromTwoLayer`);
  }
  const sa = init.scale * init.sigmaA;
  const sb = init.scale * init.sigmaB;
  return { spec, init: { kind: 'gaussian', weightVariance: [sa * sa, sb * sb], biasVariance: [sa * sa], edgeOfChaos: null } };
}

/**
 * §1's parameters (a: m × D neuron-major, b: m × k) as the L = 1 deep parameters (w_1 = a,
 * w_2 = bᵀ), exact copies.
 *
 * @example
 * const p = allocateParams(4, 3, 2);
 * deepParamsFromTwoLayer(p).weights[1].length; // 8 = k × m
 */
export function deepParamsFromTwoLayer(p: NetworkParams): DeepParams {
  const k = outputCount(p);
  const out = allocateDeepParams(resolveDeepSpec({ d: p.D, depth: 1, width: p.m, outputs: k, bias: false }));
  out.weights[0].set(p.a);
  const w2 = out.weights[1];
  for (let j = 0; j < p.m; j++) for (let c = 0; c < k; c++) w2[c * p.m + j] = p.b[j * k + c];
  return out;
}

/**
 * The L = 1 deep parameters as §1's (a = w_1, b = w_2ᵀ), exact copies; the inverse of
 * {@link deepParamsFromTwoLayer}.
 *
 * @example
 * const spec = resolveDeepSpec({ d: 2, depth: 1, width: 4 });
 * twoLayerParamsFromDeep(spec, initDeepParams(spec, resolveDeepInit(spec), 0)).a.length; // 12 = m × D
 */
export function twoLayerParamsFromDeep(spec: DeepSpec, p: DeepParams): NetworkParams {
  if (spec.depth !== 1) throw new InvalidInputError('model.depth', `only L = 1 is a two-layer network, got ${spec.depth}`);
  const m = spec.widths[0];
  const k = spec.outputs;
  const out = allocateParams(m, spec.D, k);
  out.a.set(p.weights[0]);
  for (let j = 0; j < m; j++) for (let c = 0; c < k; c++) out.b[j * k + c] = p.weights[1][c * m + j];
  return out;
}

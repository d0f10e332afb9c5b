import { InvalidInputError, requireFiniteArray } from '../errors.js';

/**
 * The parameters of m neurons, neuron-major: a_j = a[j*D .. j*D+D) (its last entry is the
 * bias weight when inputs are augmented), b_j = b[j*k .. j*k+k) ∈ R^k (k = 1: b_j = b[j]).
 */
export interface NetworkParams {
  readonly m: number;
  readonly D: number;
  /** Number of outputs k (absent: 1, the scalar network of ARCHITECTURE.md §1). */
  readonly k?: number;
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** k, the number of outputs of a network (1 when the params do not say). */
export function outputCount(p: { readonly k?: number }): number {
  return p.k ?? 1;
}

/**
 * Zeroed parameters of m neurons with D input weights and k output weights each, in the
 * neuron-major layout of {@link NetworkParams} (a: m × D, b: m × k); `k` is set on the result
 * only when k ≠ 1. `initParams` draws w(0) into such a buffer.
 *
 * @example
 * const p = allocateParams(3, 2); // a = [a_0, a_1, a_2] ∈ R^{3×2}, b ∈ R^3
 * p.a.set([1, 0, 0, 1, -1, 1]);
 * p.b.set([1, -1, 0.5]);
 */
export function allocateParams(m: number, D: number, k = 1): NetworkParams {
  const base = { m, D, a: new Float64Array(m * D), b: new Float64Array(m * k) };
  return k === 1 ? base : { ...base, k };
}

/**
 * A deep copy of `p` (fresh a and b buffers, same m, D, k): a snapshot that later steps do not
 * touch — e.g. w(0) kept beside w(t), or a two-layer engine's `params`, which it refreshes in
 * place (a deep network's: `cloneDeepParams`).
 *
 * @example
 * const sim = Simulation.create({ model: { width: 64 } }, makeDataset(resolveDataSpec({ kind: 'teacher' }), 0));
 * const before = cloneParams(sim.params);
 * sim.step(10);
 */
export function cloneParams(p: NetworkParams): NetworkParams {
  const base = { m: p.m, D: p.D, a: p.a.slice(), b: p.b.slice() };
  return p.k === undefined ? base : { ...base, k: p.k };
}

/**
 * Copies the values of `from` into the existing buffers of `to` (no allocation; m, D and k of
 * `to` are left as they are). The shapes are not checked: use {@link checkParams} first when
 * they may differ.
 */
export function copyParams(from: NetworkParams, to: NetworkParams): void {
  to.a.set(from.a);
  to.b.set(from.b);
}

/** Checks that user-supplied parameters have the announced shape and finite entries. */
export function checkParams(field: string, p: NetworkParams, m: number, D: number, k = 1): void {
  const pk = outputCount(p);
  if (p.m !== m || p.D !== D || pk !== k || p.a.length !== m * D || p.b.length !== m * k) {
    throw new InvalidInputError(
      field,
      `expected m = ${m}, D = ${D}, k = ${k} (a: ${m * D} values, b: ${m * k}), got m = ${p.m}, D = ${p.D}, k = ${pk}, a: ${p.a.length}, b: ${p.b.length}`,
    );
  }
  requireFiniteArray(`${field}.a`, p.a);
  requireFiniteArray(`${field}.b`, p.b);
}

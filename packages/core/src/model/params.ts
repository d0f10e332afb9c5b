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

export function allocateParams(m: number, D: number, k = 1): NetworkParams {
  const base = { m, D, a: new Float64Array(m * D), b: new Float64Array(m * k) };
  return k === 1 ? base : { ...base, k };
}

export function cloneParams(p: NetworkParams): NetworkParams {
  const base = { m: p.m, D: p.D, a: p.a.slice(), b: p.b.slice() };
  return p.k === undefined ? base : { ...base, k: p.k };
}

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

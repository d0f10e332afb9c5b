import { InvalidInputError, requireFiniteArray } from '../errors.js';

/**
 * The parameters of m neurons, neuron-major: a_j = a[j*D .. j*D+D) (its last entry is the
 * bias weight when inputs are augmented), b_j = b[j].
 */
export interface NetworkParams {
  readonly m: number;
  readonly D: number;
  readonly a: Float64Array;
  readonly b: Float64Array;
}

export function allocateParams(m: number, D: number): NetworkParams {
  return { m, D, a: new Float64Array(m * D), b: new Float64Array(m) };
}

export function cloneParams(p: NetworkParams): NetworkParams {
  return { m: p.m, D: p.D, a: p.a.slice(), b: p.b.slice() };
}

export function copyParams(from: NetworkParams, to: NetworkParams): void {
  to.a.set(from.a);
  to.b.set(from.b);
}

/** Checks that user-supplied parameters have the announced shape and finite entries. */
export function checkParams(field: string, p: NetworkParams, m: number, D: number): void {
  if (p.m !== m || p.D !== D || p.a.length !== m * D || p.b.length !== m) {
    throw new InvalidInputError(field, `expected m = ${m}, D = ${D} (a: ${m * D} values, b: ${m}), got m = ${p.m}, D = ${p.D}, a: ${p.a.length}, b: ${p.b.length}`);
  }
  requireFiniteArray(`${field}.a`, p.a);
  requireFiniteArray(`${field}.b`, p.b);
}

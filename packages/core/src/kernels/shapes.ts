/** Internal shape checks shared by the kernel functions (not exported from the package). */
import { InvalidInputError, requireFiniteArray, requireInteger } from '../errors.js';

/**
 * Checks that `x` holds n whole rows of length `d` (sample-major, n ≥ 0) with finite entries, and
 * returns n. Errors name `field`.
 */
export function rowCount(field: string, x: unknown, d: number): number {
  if (!(x instanceof Float64Array)) {
    throw new InvalidInputError(field, 'expected a Float64Array of n×d values (sample-major)');
  }
  if (x.length % d !== 0) {
    throw new InvalidInputError(field, `expected n×d values with d = ${d}, got length ${x.length} (not a multiple of d)`);
  }
  requireFiniteArray(field, x);
  return x.length / d;
}

/** Checks that `x` is a finite Float64Array vector of length ≥ 1 and returns its length. */
export function vectorLength(field: string, x: unknown): number {
  if (!(x instanceof Float64Array) || x.length === 0) {
    throw new InvalidInputError(field, 'expected a non-empty Float64Array');
  }
  requireFiniteArray(field, x);
  return x.length;
}

/** Checks that two pairwise inputs are finite vectors of one length ≥ 1 and returns it. */
export function pairLength(x: unknown, xp: unknown): number {
  const d = vectorLength('x', x);
  const dp = vectorLength('xp', xp);
  if (dp !== d) throw new InvalidInputError('xp', `expected length ${d} (the length of x), got ${dp}`);
  return d;
}

/** Checks the input dimension d of a Gram call. */
export function checkDimension(d: unknown): number {
  return requireInteger('d', d, 1);
}

/** Returns `out` if it is a Float64Array of exactly `length`, a new one if it is undefined; throws otherwise. */
export function outputBuffer(field: string, out: Float64Array | undefined, length: number): Float64Array {
  if (out === undefined) return new Float64Array(length);
  if (!(out instanceof Float64Array) || out.length !== length) {
    throw new InvalidInputError(field, `expected a Float64Array of length ${length}`);
  }
  return out;
}

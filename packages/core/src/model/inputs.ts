import { InvalidInputError, requireFiniteArray } from '../errors.js';
import type { Dataset } from '../types.js';

/**
 * Inputs as the network sees them: x̃ = (x, 1) with bias, else x (ARCHITECTURE.md §1),
 * sample-major: x̃_i = x[i*D .. i*D+D).
 */
export interface AugmentedInputs {
  readonly n: number;
  readonly D: number;
  readonly x: Float64Array;
}

/**
 * D, the input dimension the network sees: d + 1 with the bias coordinate of x̃ = (x, 1), else d
 * (ARCHITECTURE.md §1). It is the length of each a_j and of each row of {@link AugmentedInputs}.
 *
 * @example
 * inputDimension(2, true); // 3
 */
export function inputDimension(d: number, bias: boolean): number {
  return bias ? d + 1 : d;
}

/** Builds x̃ for a data set; validates shape and finiteness, naming `field`. */
export function augmentInputs(data: Dataset, bias: boolean, field = 'data'): AugmentedInputs {
  const { n, d, x } = data;
  if (x.length !== n * d) {
    throw new InvalidInputError(`${field}.x`, `expected n·d = ${n}·${d} = ${n * d} values, got ${x.length}`);
  }
  if (data.y.length !== n) throw new InvalidInputError(`${field}.y`, `expected ${n} targets (one per point), got ${data.y.length}`);
  requireFiniteArray(`${field}.x`, x);
  requireFiniteArray(`${field}.y`, data.y);
  const D = inputDimension(d, bias);
  if (!bias) return { n, D, x };
  const out = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) out[i * D + k] = x[i * d + k];
    out[i * D + d] = 1;
  }
  return { n, D, x: out };
}

/** Writes x̃ for `count` raw points (count×d) into a preallocated count×D buffer. */
export function augmentInto(count: number, d: number, x: Float64Array, bias: boolean, out: Float64Array): void {
  const D = inputDimension(d, bias);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < d; k++) out[i * D + k] = x[i * d + k];
    if (bias) out[i * D + d] = 1;
  }
}

// The error hierarchy of every package lives in the lowest one (@mflab/store's errors.ts).
import { InvalidInputError } from '@mflab/store';

export { InvalidInputError, MflabError, type ErrorKind } from '@mflab/store';

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Throws unless `value` is an integer ≥ `min`. */
export function requireInteger(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidInputError(field, `expected an integer ≥ ${min}, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max] (bounds optional). */
export function requireFinite(field: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in [${min}, ${max}]`;
    throw new InvalidInputError(field, `expected ${range}, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is > 0 and finite. */
export function requirePositive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError(field, `expected a positive finite number, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidInputError(field, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

/** Throws unless every entry of `values` is finite; names the first bad index. */
export function requireFiniteArray(field: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidInputError(`${field}[${i}]`, `expected a finite number, got ${String(values[i])}`);
    }
  }
}

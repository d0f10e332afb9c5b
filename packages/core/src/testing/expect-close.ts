/** Tolerance assertions shared by the kernel suites (imports vitest: tests only). */
import { expect } from 'vitest';

export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** max |a − b| ≤ rel · max |b|. */
export function expectCloseVectors(a: ArrayLike<number>, b: ArrayLike<number>, rel: number): void {
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  expect(diff).toBeLessThanOrEqual(rel * maxAbs(b));
}

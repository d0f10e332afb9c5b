import { describe, expect, it } from 'vitest';
import { lossDerivative, lossValue, residuals } from './loss.js';

describe('losses', () => {
  it('derivatives agree with central differences of the values', () => {
    for (const loss of ['square', 'logistic'] as const) {
      for (const [f, y] of [[0.3, 1], [-2, 1], [1.7, -1], [0, -1], [5, 0.5]]) {
        const h = 1e-6;
        const fd = (lossValue(loss, f + h, y) - lossValue(loss, f - h, y)) / (2 * h);
        expect(Math.abs(lossDerivative(loss, f, y) - fd)).toBeLessThan(1e-8);
      }
    }
  });
  it('logistic loss is finite and accurate for large |y f| (no overflow, no lost tail)', () => {
    expect(lossValue('logistic', 1e4, 1)).toBe(0);
    expect(lossValue('logistic', -1e4, 1)).toBeCloseTo(1e4, 9);
    expect(lossValue('logistic', 40, 1)).toBeCloseTo(Math.exp(-40), 30);
    expect(lossDerivative('logistic', 1e4, 1)).toBe(-0);
    expect(lossDerivative('logistic', -1e4, 1)).toBe(-1);
    expect(lossDerivative('logistic', 1e4, -1)).toBe(1);
    expect(lossValue('logistic', 0, 1)).toBeCloseTo(Math.LN2, 15);
  });
  it('residuals are ℓ′/n', () => {
    const r = new Float64Array(2);
    residuals('square', 2, Float64Array.of(1, 3), Float64Array.of(0, 1), r);
    expect(Array.from(r)).toEqual([0.5, 1]);
  });
});

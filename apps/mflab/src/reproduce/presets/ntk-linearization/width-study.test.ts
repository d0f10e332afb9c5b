import { describe, expect, it } from 'vitest';
import { describeFit, exponentWithin, perWidth, widthFit } from './width-study.js';

describe('width summaries', () => {
  it('per-width geometric means, ranges and counts, in increasing width', () => {
    const rows = perWidth([
      { width: 256, value: 2 },
      { width: 64, value: 1 },
      { width: 64, value: 4 },
      { width: 256, value: 8 },
      { width: 256, value: Number.NaN },
    ]);
    expect(rows).toEqual([
      { width: 64, mean: 2, min: 1, max: 4, count: 2 },
      { width: 256, mean: 4, min: 2, max: 8, count: 2 },
    ]);
  });

  it('recovers an exact power law and states it; needs 3 widths', () => {
    const samples = [64, 128, 256, 512].flatMap((w) => [0.9, 1 / 0.9].map((c) => ({ width: w, value: c * 3 * w ** -0.75 })));
    const fit = widthFit(samples);
    expect(fit?.slope).toBeCloseTo(-0.75, 12);
    // Seed scatter symmetric in log: the slope is exact, the interval has width and contains it.
    expect(fit!.ci95![0]).toBeLessThan(-0.75);
    expect(fit!.ci95![1]).toBeGreaterThan(-0.75);
    expect(exponentWithin(fit, -0.8, -0.7)).toBe(true);
    expect(exponentWithin(fit, -0.6, -0.4)).toBe(false);
    expect(describeFit(fit)).toMatch(/^−0\.750 \(95% CI \[−0\.\d{3}, −0\.\d{3}\], 8 runs\)$/);
    expect(widthFit(samples, 256)).toBeNull();
    expect(exponentWithin(null, -1, 1)).toBeNull();
  });
});

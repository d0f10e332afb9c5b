import { describe, expect, it } from 'vitest';
import { mean, pearson, ranks, sampleStd, spearman } from './stats.js';

describe('trial statistics', () => {
  it('mean and sample standard deviation of a hand-computed list', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, sample variance 32/7.
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(sampleStd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(sampleStd([1])).toBeNaN();
    expect(mean([])).toBeNaN();
  });

  it('ranks share the mean rank across ties', () => {
    expect(ranks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
  });

  it("Spearman's ρ: ±1 for monotone data, a textbook value otherwise", () => {
    const x = [1, 2, 3, 4, 5];
    expect(spearman(x, [1, 8, 27, 64, 125])).toBeCloseTo(1, 14);
    expect(spearman(x, [5, 3, 2, 1, 0])).toBeCloseTo(-1, 14);
    // Without ties ρ = 1 − 6 Σ d² / (n(n² − 1)); ranks of y = (2, 1, 4, 3, 5): Σ d² = 4, ρ = 1 − 24/120 = 0.8.
    expect(spearman(x, [20, 10, 40, 30, 50])).toBeCloseTo(0.8, 14);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

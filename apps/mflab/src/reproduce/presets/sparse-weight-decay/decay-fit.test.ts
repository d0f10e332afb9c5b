import { describe, expect, it } from 'vitest';
import { fitPowerLaw } from '../../../report/fit.js';
import { fitExponentialDecay, fitLine, isExponential } from './decay-fit.js';

describe('fitLine', () => {
  it('recovers an exact line with R² = 1', () => {
    const fit = fitLine([0, 1, 2, 3], [1, -1, -3, -5]);
    expect(fit?.slope).toBeCloseTo(-2, 12);
    expect(fit?.intercept).toBeCloseTo(1, 12);
    expect(fit?.r2).toBeCloseTo(1, 12);
  });

  it('agrees with the report\'s power-law fit (an independent implementation) on log-transformed data', () => {
    const xs = [0.5, 1, 1.5, 2, 3, 4, 5.5];
    const ys = xs.map((x, i) => 2 - 0.7 * x + 0.05 * Math.sin(3 * i)); // a line with a deterministic wiggle
    const fit = fitLine(xs, ys);
    const reference = fitPowerLaw(xs.map(Math.exp), ys.map(Math.exp));
    expect(fit?.slope).toBeCloseTo(reference?.slope as number, 9);
    expect(fit?.ci95?.[0]).toBeCloseTo(reference?.ci95?.[0] as number, 9);
    expect(fit?.ci95?.[1]).toBeCloseTo(reference?.ci95?.[1] as number, 9);
    expect(fit?.r2).toBeGreaterThan(0.99);
    expect(fit?.r2).toBeLessThan(1);
  });

  it('needs two finite points with different x', () => {
    expect(fitLine([1], [2])).toBeNull();
    expect(fitLine([1, 1], [2, 3])).toBeNull();
    expect(fitLine([0, NaN, 1], [0, 5, 1])?.slope).toBeCloseTo(1, 12);
  });
});

describe('fitExponentialDecay', () => {
  const times = Array.from({ length: 301 }, (_, i) => i * 0.2);
  const window = { startBelow: 0.1, floor: 1e-13 };

  it('finds the rate of an exponential and calls it exponential', () => {
    const gaps = times.map((t) => 0.8 * Math.exp(-0.3 * t));
    const fit = fitExponentialDecay(times, gaps, window);
    expect(fit?.rate).toBeCloseTo(0.3, 10);
    // the window starts where 0.8·e^{−0.3t} first reaches 0.1: t = ln 8 / 0.3 = 6.93 → the grid point 7.0
    expect(fit?.from).toBeCloseTo(7, 10);
    expect(fit?.decades).toBeCloseTo((0.3 * (60 - 7)) / Math.LN10, 8);
    expect(isExponential(fit as NonNullable<typeof fit>)).toBe(true);
  });

  it('a power-law decay is not exponential', () => {
    const gaps = times.map((t) => 1 / (1 + t));
    const fit = fitExponentialDecay(times, gaps, window);
    expect(fit).not.toBeNull();
    expect(fit?.powerLawR2).toBeGreaterThan(fit?.r2 as number);
    expect(isExponential(fit as NonNullable<typeof fit>)).toBe(false);
  });

  it('leaves out the rounding floor and returns null when the gap never reaches the window', () => {
    const gaps = times.map((t) => Math.max(0.5 * Math.exp(-t), 1e-14));
    const fit = fitExponentialDecay(times, gaps, window);
    expect(fit?.rate).toBeCloseTo(1, 10);
    expect(fit?.to).toBeLessThan(32);
    expect(fitExponentialDecay(times, times.map(() => 0.5), window)).toBeNull();
  });
});

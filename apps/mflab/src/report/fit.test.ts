import { describe, expect, it } from 'vitest';
import { fitPowerLaw, powerLawAt, studentTCdf, studentTQuantile } from './fit.js';

/** mulberry32: a small seeded PRNG, so that the synthetic noise is the same on every run. */
function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const WIDTHS = [32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

describe('Student t quantiles', () => {
  it('match the closed forms for 1 and 2 degrees of freedom (to 1e-9)', () => {
    // df = 1 is Cauchy: q(p) = tan(π(p − ½)); df = 2: q(p) = (2p − 1)/sqrt(2p(1 − p)).
    for (const p of [0.6, 0.9, 0.975, 0.995]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
  });

  it('match published two-sided 95% critical values (to 1e-8)', () => {
    // Values of t.ppf(0.975, df) from scipy.stats (R's qt agrees).
    const table: [number, number][] = [
      [3, 3.1824463052837078],
      [5, 2.5705818356363146],
      [10, 2.228138851986274],
      [30, 2.0422724563012378],
      [1000, 1.9623390808264083],
    ];
    for (const [df, q] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 8);
  });

  it('is the inverse of the CDF and symmetric', () => {
    for (const df of [1, 4, 17]) {
      for (const p of [0.01, 0.3, 0.5, 0.8]) {
        const q = studentTQuantile(p, df);
        expect(studentTCdf(q, df)).toBeCloseTo(p, 10);
        expect(studentTQuantile(1 - p, df)).toBeCloseTo(-q, 9);
      }
    }
  });

  it('rejects p outside (0, 1) and non-positive degrees of freedom', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\)/);
    expect(() => studentTQuantile(0.5, 0)).toThrow(/degrees of freedom/);
  });
});

describe('fitPowerLaw', () => {
  it('recovers an exact power law exactly, with a zero-width interval', () => {
    const fit = fitPowerLaw(WIDTHS, WIDTHS.map((m) => 3 * m ** -0.5));
    expect(fit).not.toBeNull();
    expect(fit?.slope).toBeCloseTo(-0.5, 12);
    expect(fit?.intercept).toBeCloseTo(Math.log(3), 11);
    expect(fit?.points).toBe(WIDTHS.length);
    const [lo, hi] = fit?.ci95 ?? [NaN, NaN];
    expect(hi - lo).toBeLessThan(1e-10);
    expect(powerLawAt(fit as NonNullable<typeof fit>, 100)).toBeCloseTo(0.3, 12);
  });

  it('matches a hand-computed least-squares line and its t interval', () => {
    // On the log scale: points (1, 1), (2, 3), (3, 2), (4, 5). By hand: x̄ = 2.5, ȳ = 2.75,
    // Sxx = 5, Sxy = 5.5, slope 1.1, intercept 0, SSR = 2.7, se = sqrt(2.7/2/5),
    // half-width = qt(0.975, 2) · se = 4.302652729749464 · 0.5196152422706632.
    const fit = fitPowerLaw([1, 2, 3, 4].map(Math.exp), [1, 3, 2, 5].map(Math.exp));
    expect(fit?.slope).toBeCloseTo(1.1, 12);
    expect(fit?.intercept).toBeCloseTo(0, 12);
    expect(fit?.standardError).toBeCloseTo(0.5196152422706632, 12);
    const half = 4.302652729749464 * 0.5196152422706632;
    expect(fit?.ci95?.[0]).toBeCloseTo(1.1 - half, 9);
    expect(fit?.ci95?.[1]).toBeCloseTo(1.1 + half, 9);
  });

  it('gives 95% intervals that cover the true exponent about 95% of the time under log-normal noise', () => {
    // 2000 synthetic studies y = 2 m^(−1/2) e^(0.2 ε); coverage is Binomial(2000, 0.95): its
    // standard deviation is 0.0049, so [0.93, 0.97] is a ±4σ band.
    const normal = seededNormal(12345);
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const ys = WIDTHS.map((m) => 2 * m ** -0.5 * Math.exp(0.2 * normal()));
      const ci = fitPowerLaw(WIDTHS, ys)?.ci95;
      if (ci && ci[0] <= -0.5 && -0.5 <= ci[1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.97);
  });

  it('covers the truth on one noisy series with a few widths', () => {
    const normal = seededNormal(7);
    const widths = [32, 128, 512, 2048, 8192];
    const fit = fitPowerLaw(
      widths,
      widths.map((m) => 0.8 * m ** -0.5 * Math.exp(0.1 * normal())),
    );
    const [lo, hi] = fit?.ci95 ?? [NaN, NaN];
    expect(lo).toBeLessThan(-0.5);
    expect(hi).toBeGreaterThan(-0.5);
  });

  it('says so when only 2 widths are left: an exact slope and no interval', () => {
    const fit = fitPowerLaw([100, 400], [0.1, 0.05]);
    expect(fit?.slope).toBeCloseTo(-0.5, 12);
    expect(fit?.ci95).toBeNull();
    expect(fit?.standardError).toBeNull();
    expect(fit?.note).toMatch(/only 2 widths/);
  });

  it('drops non-positive and non-finite values, and returns null below 2 usable points', () => {
    const fit = fitPowerLaw([10, 20, 40, 80], [1, NaN, 0, 0.125]);
    expect(fit?.points).toBe(2);
    expect(fit?.slope).toBeCloseTo(-1, 12);
    expect(fitPowerLaw([10, 20], [1, -1])).toBeNull();
    expect(fitPowerLaw([10, 10, 10], [1, 2, 3])).toBeNull();
    expect(() => fitPowerLaw([1, 2], [1])).toThrow(/2 x values but 1 y values/);
  });
});

/**
 * Is a decay exponential? "A straight line on a log scale": ordinary least squares of ln(gap) on
 * time t, with its R² and a 95% interval for the rate, compared with the power law that a slow
 * (sublinear) decay would follow — ln(gap) on ln t over the same points.
 */
import { studentTQuantile } from '../../../report/fit.js';

/** y ≈ intercept + slope·x by least squares. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination, 1 − SSR/SST (1 for a perfect line). */
  r2: number;
  points: number;
  /** 95% interval of the slope (Student t, n − 2 degrees of freedom); null with 2 points. */
  ci95: [number, number] | null;
}

/** Least-squares line through the finite (x, y) pairs; null with fewer than 2 or no spread in x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  if (xs.length !== ys.length) throw new RangeError(`fitLine: ${xs.length} x values but ${ys.length} y values`);
  const px: number[] = [];
  const py: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
      px.push(xs[i]);
      py.push(ys[i]);
    }
  }
  const n = px.length;
  if (n < 2) return null;
  const mx = px.reduce((s, v) => s + v, 0) / n;
  const my = py.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (px[i] - mx) ** 2;
    sxy += (px[i] - mx) * (py[i] - my);
    syy += (py[i] - my) ** 2;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (py[i] - intercept - slope * px[i]) ** 2;
  const r2 = syy > 0 ? 1 - ssr / syy : 1;
  if (n === 2) return { slope, intercept, r2, points: 2, ci95: null };
  const half = studentTQuantile(0.975, n - 2) * Math.sqrt(ssr / (n - 2) / sxx);
  return { slope, intercept, r2, points: n, ci95: [slope - half, slope + half] };
}

export interface DecayFit {
  /** Time span of the points fitted. */
  from: number;
  to: number;
  points: number;
  /** ρ in gap ≈ C e^{−ρ t}, with its 95% interval (null with 2 points). */
  rate: number;
  rateCi95: [number, number] | null;
  /** R² of ln(gap) on t (exponential) and of ln(gap) on ln t (power law), same points. */
  r2: number;
  powerLawR2: number;
  /** log10 of the largest over the smallest gap fitted: how far down the line is followed. */
  decades: number;
  /** The fitted line ln(gap) = intercept − rate·t. */
  intercept: number;
}

export interface DecayWindow {
  /** The fit starts at the first point where the gap has fallen to this (past the initial, non-local phase). */
  startBelow: number;
  /** Points at or under this are left out: F − F* is a difference of O(1) numbers there, rounding, not signal. */
  floor: number;
}

/**
 * Fits gap ≈ C e^{−ρ t} over the window: from the first time the gap is ≤ `startBelow` to the
 * end of the curve, leaving out points ≤ `floor`. Null when fewer than 3 points qualify.
 */
export function fitExponentialDecay(times: readonly number[], gaps: readonly number[], window: DecayWindow): DecayFit | null {
  const first = gaps.findIndex((g) => g <= window.startBelow);
  if (first < 0) return null;
  const t: number[] = [];
  const lnGap: number[] = [];
  const lnT: number[] = [];
  for (let i = first; i < gaps.length; i++) {
    if (!(gaps[i] > window.floor) || !Number.isFinite(gaps[i]) || !(times[i] > 0)) continue;
    t.push(times[i]);
    lnGap.push(Math.log(gaps[i]));
    lnT.push(Math.log(times[i]));
  }
  if (t.length < 3) return null;
  const exponential = fitLine(t, lnGap);
  const powerLaw = fitLine(lnT, lnGap);
  if (!exponential || !powerLaw) return null;
  const decades = (Math.max(...lnGap) - Math.min(...lnGap)) / Math.LN10;
  return {
    from: t[0],
    to: t[t.length - 1],
    points: t.length,
    rate: -exponential.slope,
    rateCi95: exponential.ci95 ? [-exponential.ci95[1], -exponential.ci95[0]] : null,
    r2: exponential.r2,
    powerLawR2: powerLaw.r2,
    decades,
    intercept: exponential.intercept,
  };
}

/** The claim's test of "a straight line on a log scale", with the thresholds it uses. */
export const EXPONENTIAL_CRITERION = { minR2: 0.98, minDecades: 2 } as const;

/** Exponential: semi-log R² ≥ 0.98, at least the power law's, over ≥ 2 decades, with a rate whose 95% interval is above 0. */
export function isExponential(fit: DecayFit): boolean {
  return (
    fit.r2 >= EXPONENTIAL_CRITERION.minR2 &&
    fit.r2 >= fit.powerLawR2 &&
    fit.decades >= EXPONENTIAL_CRITERION.minDecades &&
    fit.rateCi95 !== null &&
    fit.rateCi95[0] > 0
  );
}

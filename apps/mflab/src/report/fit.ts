/**
 * Power-law fits for the report: ordinary least squares of log y on log m, with a 95% confidence
 * interval for the exponent from Student's t distribution (n − 2 degrees of freedom). The width
 * scalings the report checks (fluctuations ∝ m^(−1/2), `move` ∝ m^(−1/2) under ntk, O(1) under
 * mean-field) are exponents, so the slope on log–log axes is the quantity of interest.
 */

/** A fitted power law y ≈ e^intercept · x^slope. */
export interface PowerLawFit {
  /** The fitted exponent (slope of ln y on ln x). */
  slope: number;
  /** ln of the prefactor. */
  intercept: number;
  /** Number of (x, y) points used (positive, finite ones). */
  points: number;
  /** Standard error of the slope; null with only 2 points (the line goes through both). */
  standardError: number | null;
  /** 95% confidence interval of the slope; null with only 2 points. */
  ci95: [number, number] | null;
  /** Why the fit is weaker than it looks (e.g. only 2 widths), or undefined. */
  note?: string;
}

/**
 * Fits y ≈ C x^p by least squares on (ln x, ln y). Points with a non-positive or non-finite x or
 * y are dropped (a log axis cannot place them). Returns null when fewer than 2 points with
 * distinct x remain. With exactly 2 the slope is exact and no interval can be given (0 degrees
 * of freedom); the result says so in `note`.
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | null {
  if (xs.length !== ys.length) throw new RangeError(`fitPowerLaw: ${xs.length} x values but ${ys.length} y values`);
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] > 0 && ys[i] > 0 && Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
      lx.push(Math.log(xs[i]));
      ly.push(Math.log(ys[i]));
    }
  }
  const n = lx.length;
  if (n < 2) return null;
  const meanX = lx.reduce((s, v) => s + v, 0) / n;
  const meanY = ly.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i] - meanX) ** 2;
    sxy += (lx[i] - meanX) * (ly[i] - meanY);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  if (n === 2) {
    return { slope, intercept, points: 2, standardError: null, ci95: null, note: 'only 2 widths: exact line through both, no confidence interval' };
  }
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ly[i] - intercept - slope * lx[i]) ** 2;
  // Var(slope) = σ²/Sxx with σ² estimated by SSR/(n − 2) (the classical OLS interval).
  const standardError = Math.sqrt(ssr / (n - 2) / sxx);
  const half = studentTQuantile(0.975, n - 2) * standardError;
  const fit: PowerLawFit = { slope, intercept, points: n, standardError, ci95: [slope - half, slope + half] };
  if (n === 3) fit.note = 'only 3 widths: 1 degree of freedom, a wide interval';
  return fit;
}

/** The fitted curve's value at x. */
export function powerLawAt(fit: Pick<PowerLawFit, 'slope' | 'intercept'>, x: number): number {
  return Math.exp(fit.intercept + fit.slope * Math.log(x));
}

// Lanczos approximation of ln Γ (g = 7, 9 terms): relative error below 1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // Use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where the continued fraction converges fast.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` > 0 degrees of freedom (bisection on the CDF, to 1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: degrees of freedom must be positive, got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

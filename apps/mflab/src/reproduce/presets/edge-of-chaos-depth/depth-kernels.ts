/**
 * The normalized deep ReLU kernels against depth, for `mflab reproduce edge-of-chaos-depth`.
 *
 * For a pair of inputs with ⟨x,x⟩/d = ⟨x',x'⟩/d = 1 and ⟨x,x'⟩/d = ρ₀, core's recursion
 * (ARCHITECTURE.md §1, deep fully connected ReLU networks) gives Σʰ and Θʰ for h = 0..L. The
 * normalized kernels are the correlations
 *
 *     ρ_Σ(L) = Σᴸ(x,x') / √(Σᴸ(x,x) Σᴸ(x',x')),     ρ_Θ(L) = Θᴸ(x,x') / √(Θᴸ(x,x) Θᴸ(x',x')),
 *
 * and the decay of their distance to the degenerate limit is fitted two ways (a power of L and an
 * exponential in L), so that "polynomially" and "exponentially" become measured statements.
 */
import { deepReluKernelLayers } from '@mflab/core';
import { studentTQuantile } from '../../../report/fit.js';

/** One initialization (σ_w², σ_b²) of the hidden layers, with the phase it belongs to for ReLU. */
export interface Initialization {
  readonly id: string;
  readonly label: string;
  readonly weightVariance: number;
  readonly biasVariance: number;
  /**
   * 'edge': the edge of chaos (σ_w² = 2, σ_b² = 0); 'ordered': σ_w² < 2 and σ_b² > 0, where the
   * variance has a finite fixed point q* and χ = σ_w²/2 < 1; 'exploding': σ_w² > 2, where the
   * variance grows like (σ_w²/2)^L and σ_b² fades out; 'zero-bias': σ_b² = 0, σ_w² ≠ 2, where
   * the correlation map is that of the edge of chaos (ReLU is positively homogeneous).
   */
  readonly phase: 'edge' | 'ordered' | 'exploding' | 'zero-bias';
}

/** The normalized kernels of one input pair at depths 1..L (index L − 1). */
export interface DepthProfile {
  /** ρ₀ = ⟨x,x'⟩/d of the input pair. */
  readonly inputCorrelation: number;
  /** ρ_Σ(L), the normalized NNGP. */
  readonly nngpCorrelation: Float64Array;
  /** 1 − ρ_Σ(L), formed as (√(AB) − C)/√(AB); below about 1e-13 it is rounding noise. */
  readonly nngpGap: Float64Array;
  /** ρ_Θ(L), the normalized NTK. */
  readonly ntkCorrelation: Float64Array;
  /** Σᴸ(x,x), the output variance (bounded on the edge and in the ordered phase). */
  readonly variance: Float64Array;
}

/**
 * ρ_Σ and ρ_Θ at every depth 1..maxDepth for inputs with correlation ρ₀ (core's recursion with
 * ⟨x,x'⟩ = x·x'/d, d = 2). Cost O(maxDepth).
 */
export function depthProfile(init: Pick<Initialization, 'weightVariance' | 'biasVariance'>, inputCorrelation: number, maxDepth: number): DepthProfile {
  // x = √2 (1, 0) and x' = √2 (ρ₀, √(1 − ρ₀²)): ⟨x,x⟩/d = ⟨x',x'⟩/d = 1, ⟨x,x'⟩/d = ρ₀.
  const x = Float64Array.from([Math.SQRT2, 0]);
  const xp = Float64Array.from([Math.SQRT2 * inputCorrelation, Math.SQRT2 * Math.sqrt(Math.max(0, 1 - inputCorrelation * inputCorrelation))]);
  const options = { depth: maxDepth, weightVariance: init.weightVariance, biasVariance: init.biasVariance };
  const cross = deepReluKernelLayers(x, xp, options);
  const left = deepReluKernelLayers(x, x, options);
  const right = deepReluKernelLayers(xp, xp, options);
  const nngpCorrelation = new Float64Array(maxDepth);
  const nngpGap = new Float64Array(maxDepth);
  const ntkCorrelation = new Float64Array(maxDepth);
  const variance = new Float64Array(maxDepth);
  for (let L = 1; L <= maxDepth; L++) {
    const scale = Math.sqrt(left.nngp[L] * right.nngp[L]);
    nngpCorrelation[L - 1] = cross.nngp[L] / scale;
    nngpGap[L - 1] = (scale - cross.nngp[L]) / scale;
    ntkCorrelation[L - 1] = cross.ntk[L] / Math.sqrt(left.ntk[L] * right.ntk[L]);
    variance[L - 1] = left.nngp[L];
  }
  return { inputCorrelation, nngpCorrelation, nngpGap, ntkCorrelation, variance };
}

/** A least-squares line y ≈ intercept + slope·x with its fit quality. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination of the fit (1 = a perfect line). */
  r2: number;
  /** 95% confidence interval of the slope (Student t, n − 2 degrees of freedom); null with 2 points. */
  ci95: [number, number] | null;
  points: number;
}

/** Ordinary least squares of y on x (at least 2 points with distinct x, else null). */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  const n = xs.length;
  if (n !== ys.length) throw new RangeError(`fitLine: ${n} x values but ${ys.length} y values`);
  if (n < 2) return null;
  const meanX = xs.reduce((s, v) => s + v, 0) / n;
  const meanY = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - meanX) ** 2;
    sxy += (xs[i] - meanX) * (ys[i] - meanY);
    syy += (ys[i] - meanY) ** 2;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (ys[i] - intercept - slope * xs[i]) ** 2;
  const r2 = syy > 0 ? 1 - ssr / syy : 1;
  if (n === 2) return { slope, intercept, r2, ci95: null, points: 2 };
  const half = studentTQuantile(0.975, n - 2) * Math.sqrt(ssr / (n - 2) / sxx);
  return { slope, intercept, r2, ci95: [slope - half, slope + half], points: n };
}

/** Both fits of a decaying gap g(L) > 0, and which describes it better. */
export interface DecayFit {
  /** ln g = c − p ln L: `exponent` p (the power law g ∝ L^−p). */
  exponent: number;
  powerR2: number;
  /** ln g = c − λ L: `rate` λ per layer (the exponential g ∝ e^−λL). */
  rate: number;
  rateCi95: [number, number] | null;
  exponentialR2: number;
  /** 'polynomial' when the log–log line fits better (higher R²), else 'exponential'. */
  shape: 'polynomial' | 'exponential';
  /** The depths fitted (from, to) and how many. */
  from: number;
  to: number;
  points: number;
}

/**
 * Fits the gap g(L) (g[L − 1] at depth L) over depths from..to where g ≥ floor (the floor keeps
 * out values that float64 cannot resolve), as a power law and as an exponential; null when fewer
 * than 3 depths qualify.
 */
export function fitDecay(gap: Float64Array, from: number, to: number, floor: number): DecayFit | null {
  const depths: number[] = [];
  const logs: number[] = [];
  for (let L = from; L <= Math.min(to, gap.length); L++) {
    const g = gap[L - 1];
    if (g >= floor && Number.isFinite(g)) {
      depths.push(L);
      logs.push(Math.log(g));
    }
  }
  if (depths.length < 3) return null;
  const power = fitLine(depths.map(Math.log), logs);
  const exponential = fitLine(depths, logs);
  if (!power || !exponential) return null;
  return {
    exponent: -power.slope,
    powerR2: power.r2,
    rate: -exponential.slope,
    rateCi95: exponential.ci95 ? [-exponential.ci95[1], -exponential.ci95[0]] : null,
    exponentialR2: exponential.r2,
    shape: power.r2 > exponential.r2 ? 'polynomial' : 'exponential',
    from: depths[0],
    to: depths[depths.length - 1],
    points: depths.length,
  };
}

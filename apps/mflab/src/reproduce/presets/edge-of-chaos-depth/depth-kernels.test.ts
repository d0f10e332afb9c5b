import { describe, expect, it } from 'vitest';
import { depthProfile, fitDecay, fitLine } from './depth-kernels.js';

/**
 * An independent scalar version of the deep ReLU recursion (ARCHITECTURE.md §1), written with
 * acos and the textbook arc-cosine formulas (no cancellation-free angle bookkeeping): accurate
 * to ~1e-12 while 1 − ρ stays well above 1e-8, which holds at the depths used here.
 */
function referenceCorrelations(weightVariance: number, biasVariance: number, rho0: number, depth: number) {
  let q = weightVariance + biasVariance; // Σ⁰(x,x) = σ_w²·⟨x,x⟩/d + σ_b² with ⟨x,x⟩/d = 1
  let c = weightVariance * rho0 + biasVariance;
  let thetaDiag = q;
  let thetaCross = c;
  const nngp: number[] = [];
  const ntk: number[] = [];
  for (let h = 1; h <= depth; h++) {
    const angle = Math.acos(Math.min(1, Math.max(-1, c / q)));
    const post = (q * (Math.sin(angle) + (Math.PI - angle) * Math.cos(angle))) / (2 * Math.PI);
    const derivCross = (weightVariance * (Math.PI - angle)) / (2 * Math.PI);
    c = weightVariance * post + biasVariance;
    q = (weightVariance * q) / 2 + biasVariance;
    thetaCross = thetaCross * derivCross + c;
    thetaDiag = (thetaDiag * weightVariance) / 2 + q;
    nngp.push(c / q);
    ntk.push(thetaCross / thetaDiag);
  }
  return { nngp, ntk, variance: q };
}

describe('depthProfile', () => {
  it.each([
    [2, 0, 0],
    [2, 0, 0.9],
    [1.5, 0.5, -0.5],
    [1.9, 0.1, 0.5],
    [2.5, 0.1, 0],
  ])('matches an independent scalar recursion (σ_w² = %f, σ_b² = %f, ρ₀ = %f) to 1e-11', (w, b, rho0) => {
    const depth = 30;
    const profile = depthProfile({ weightVariance: w, biasVariance: b }, rho0, depth);
    const reference = referenceCorrelations(w, b, rho0, depth);
    for (let L = 1; L <= depth; L++) {
      expect(profile.nngpCorrelation[L - 1]).toBeCloseTo(reference.nngp[L - 1], 11);
      expect(profile.ntkCorrelation[L - 1]).toBeCloseTo(reference.ntk[L - 1], 11);
      expect(profile.nngpGap[L - 1]).toBeCloseTo(1 - reference.nngp[L - 1], 11);
    }
  });

  it('keeps the variance on the edge of chaos and reaches q* = σ_b²/(1 − σ_w²/2) in the ordered phase', () => {
    const edge = depthProfile({ weightVariance: 2, biasVariance: 0 }, 0, 100);
    // Σᴸ(x,x) = σ_w²/2 · Σᴸ⁻¹(x,x) = Σ⁰(x,x) = 2 at every depth.
    for (const v of edge.variance) expect(v).toBeCloseTo(2, 12);
    const ordered = depthProfile({ weightVariance: 1, biasVariance: 0.5 }, 0, 200);
    expect(ordered.variance[199]).toBeCloseTo(0.5 / (1 - 0.5), 12);
  });

  it('gives ρ_Θ = Θ(x,x′)/((L+1)·2) on the edge of chaos, whose diagonal is Θᴸ(x,x) = (L + 1)·Σ⁰(x,x)', () => {
    const profile = depthProfile({ weightVariance: 2, biasVariance: 0 }, 0, 12);
    const reference = referenceCorrelations(2, 0, 0, 12);
    expect(profile.ntkCorrelation[11]).toBeCloseTo(reference.ntk[11], 12);
    // At L = 1 with ρ₀ = 0: Θ¹(x,x') = Σ⁰·Σ̇¹ + Σ¹ = 0 + 2·(1/(2π))·2 = 2/π, Θ¹(x,x) = 2 + 2 = 4.
    expect(profile.ntkCorrelation[0]).toBeCloseTo(2 / Math.PI / 4, 14);
  });
});

describe('fitLine and fitDecay', () => {
  it('recover an exact line with R² = 1', () => {
    const fit = fitLine([1, 2, 3, 4], [5, 3, 1, -1]);
    expect(fit?.slope).toBeCloseTo(-2, 14);
    expect(fit?.intercept).toBeCloseTo(7, 14);
    expect(fit?.r2).toBeCloseTo(1, 14);
    expect(fit?.ci95?.[0]).toBeCloseTo(-2, 10);
  });

  it('classifies a power law as polynomial and an exponential as exponential, with their parameters', () => {
    const depth = 200;
    const power = Float64Array.from({ length: depth }, (_, i) => 44 / (i + 1) ** 2);
    const exponential = Float64Array.from({ length: depth }, (_, i) => 3 * Math.exp(-0.3 * (i + 1)));
    const p = fitDecay(power, 10, depth, 1e-9);
    const e = fitDecay(exponential, 10, depth, 1e-9);
    expect(p?.shape).toBe('polynomial');
    expect(p?.exponent).toBeCloseTo(2, 12);
    expect(e?.shape).toBe('exponential');
    expect(e?.rate).toBeCloseTo(0.3, 12);
    // The floor drops the exponential's depths below 1e-9: 3e^(−0.3L) ≥ 1e-9 ⇔ L ≤ 72.
    expect(e?.to).toBe(72);
    expect(e?.points).toBe(63);
  });

  it('returns null with fewer than 3 usable depths', () => {
    expect(fitDecay(Float64Array.from([1, 0, 0, 0]), 1, 4, 1e-9)).toBeNull();
  });
});

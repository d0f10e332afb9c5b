import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { ACTIVATIONS } from './activations.js';
import { chi1, correlationMap, edgeOfChaos, varianceFixedPoint, varianceMap } from './edge-of-chaos.js';

function relClose(actual: number, expected: number, rel: number, label = ''): void {
  expect(Math.abs(actual - expected), label).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/** E[g(Z)] by the trapezoidal rule, step 0.01 on [−10, 10] (spectrally accurate for q ≤ 4). */
function trapezoid(g: (z: number) => number): number {
  const h = 0.01;
  let sum = 0;
  for (let k = -1000; k <= 1000; k++) sum += g(k * h) * Math.exp(-0.5 * (k * h) ** 2);
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

/**
 * The tanh edge of chaos by a different route from edgeOfChaos (which solves the parametric
 * curve in q*): bisection on σ_w² for χ₁(σ_w², q*(σ_w²)) = 1, with q* from iterating the variance
 * map to convergence and every expectation by the trapezoidal rule.
 */
function nestedTanhEdge(sb: number): { sw: number; q: number } {
  const V = (q: number) => trapezoid((z) => Math.tanh(Math.sqrt(q) * z) ** 2);
  const D = (q: number) => trapezoid((z) => (1 - Math.tanh(Math.sqrt(q) * z) ** 2) ** 2);
  const fixedPoint = (sw: number) => {
    let q = 1;
    for (let k = 0; k < 500; k++) {
      const next = sw * V(q) + sb;
      if (Math.abs(next - q) < 1e-15) return next;
      q = next;
    }
    return q;
  };
  let lo = 1;
  let hi = 4;
  for (let k = 0; k < 45; k++) {
    const mid = 0.5 * (lo + hi);
    if (mid * D(fixedPoint(mid)) < 1) lo = mid;
    else hi = mid;
  }
  const sw = 0.5 * (lo + hi);
  return { sw, q: fixedPoint(sw) };
}

describe('edgeOfChaos', () => {
  it('σ_b² = 0: relu σ_w² = 2, linear 1, erf π/4, tanh 1 (q* = 0)', () => {
    expect(edgeOfChaos('relu')).toEqual({ activation: 'relu', weightVariance: 2, biasVariance: 0, fixedPoint: null, chi1: 1 });
    expect(edgeOfChaos('linear').weightVariance).toBe(1);
    const e = edgeOfChaos('erf', 0);
    expect(e.weightVariance).toBe(Math.PI / 4);
    expect(e.fixedPoint).toBe(0);
    expect(e.chi1).toBeCloseTo(1, 15);
    expect(edgeOfChaos('tanh', 0).weightVariance).toBe(1);
  });

  it('tanh and erf with σ_b² > 0 match 25-digit mpmath solutions, rounded to float64 (rel 1e-12)', () => {
    // mpmath 1.3, mp.dps = 25: q* = findroot(q − V(q)/D(q) − σ_b²), σ_w² = 1/D(q*), with V and D by
    // mp.quad split at 0 and ±1/√q (erf: its closed forms).
    const reference: Array<['tanh' | 'erf', number, number, number]> = [
      ['tanh', 0.01, 1.4242052904885958, 0.27330091345823126],
      ['tanh', 0.05, 1.760954639606739, 0.5700478816407641],
      ['tanh', 0.3, 2.505127189679765, 1.4611694469319796],
      ['erf', 0.05, 1.3758390073466804, 0.5171768379805644],
    ];
    for (const [activation, sb, sw, q] of reference) {
      const point = edgeOfChaos(activation, sb);
      relClose(point.weightVariance, sw, 1e-12, `${activation} ${sb}`);
      relClose(point.fixedPoint as number, q, 1e-12, `${activation} ${sb}`);
      expect(point.biasVariance).toBe(sb);
      expect(Math.abs(point.chi1 - 1)).toBeLessThan(1e-14);
    }
  });

  it('tanh at σ_b² = 0.05 agrees with an independent nested solve (trapezoidal integrals, fixed-point iteration, bisection on σ_w²) to 1e-10', () => {
    const nested = nestedTanhEdge(0.05);
    const point = edgeOfChaos('tanh', 0.05);
    relClose(point.weightVariance, nested.sw, 1e-10);
    relClose(point.fixedPoint as number, nested.q, 1e-9);
    expect(point.weightVariance).toBeCloseTo(1.76095, 5); // Schoenholz et al. 2017's ≈ 1.76
  });

  it('at the solution: χ₁ = 1, q* is the fixed point of the variance map, and the curve rises with σ_b²', () => {
    let previous = { sw: 0, q: -1 };
    for (const activation of ['tanh', 'erf'] as const) {
      previous = { sw: 0, q: -1 };
      for (const sb of [0, 0.001, 0.1, 2]) {
        const point = edgeOfChaos(activation, sb);
        const q = point.fixedPoint as number;
        expect(Math.abs(chi1(activation, point.weightVariance, q) - 1)).toBeLessThan(1e-12);
        expect(Math.abs(varianceMap(activation, q, point.weightVariance, sb) - q)).toBeLessThan(1e-12 * (1 + q));
        if (sb > 0) relClose(varianceFixedPoint(activation, point.weightVariance, sb), q, 1e-10);
        expect(point.weightVariance).toBeGreaterThan(previous.sw);
        expect(q).toBeGreaterThan(previous.q);
        previous = { sw: point.weightVariance, q };
      }
    }
  });

  it('relu and linear have no edge with σ_b² > 0: an InvalidInputError naming biasVariance', () => {
    expectFieldError(() => edgeOfChaos('relu', 0.1), 'biasVariance', /only at σ_b² = 0/);
    expectFieldError(() => edgeOfChaos('linear', 0.1), 'biasVariance');
    expectFieldError(() => edgeOfChaos('tanh', -0.1), 'biasVariance');
    expectFieldError(() => edgeOfChaos('selu' as never), 'activation');
  });
});

describe('variance and correlation maps', () => {
  it('varianceFixedPoint: relu and linear closed forms; erf/tanh: the limit of iterating the variance map', () => {
    expect(varianceFixedPoint('relu', 1, 0.3)).toBeCloseTo(0.6, 15); // σ_b²/(1 − σ_w²/2)
    expect(varianceFixedPoint('relu', 2, 0, { initialVariance: 1.7 })).toBe(1.7); // every q is fixed
    expect(varianceFixedPoint('relu', 2, 0.1)).toBe(Infinity);
    expect(varianceFixedPoint('relu', 3, 0)).toBe(Infinity);
    expect(varianceFixedPoint('relu', 3, 0, { initialVariance: 0 })).toBe(0);
    expect(varianceFixedPoint('linear', 0.5, 0.2)).toBeCloseTo(0.4, 15);
    expect(varianceFixedPoint('tanh', 0.8, 0)).toBe(0); // subcritical without bias
    expect(varianceFixedPoint('erf', 0.7, 0)).toBe(0); // 0.7·4/π < 1
    for (const [activation, sw, sb] of [
      ['tanh', 1.5, 0.2],
      ['tanh', 3, 0],
      ['erf', 2, 0.1],
      ['erf', 1.2, 0],
    ] as const) {
      let q = 1;
      for (let k = 0; k < 3000; k++) q = varianceMap(activation, q, sw, sb);
      const fixed = varianceFixedPoint(activation, sw, sb);
      expect(fixed).toBeGreaterThan(0);
      relClose(fixed, q, 1e-10, `${activation} ${sw} ${sb}`);
    }
  });

  it('correlationMap: ρ = 1 is fixed; its slope there is q·χ₁(q)/q′ (finite difference, rel 1e-4), which is χ₁ at q = q*', () => {
    for (const activation of ACTIVATIONS) {
      for (const [sw, sb] of [
        [1.5, 0.1],
        [2.5, 0],
      ]) {
        const variances = [0.8];
        if (activation === 'tanh' || activation === 'erf') variances.push(varianceFixedPoint(activation, sw, sb));
        for (const q of variances) {
          const options = { weightVariance: sw, biasVariance: sb, variance: q };
          expect(Math.abs(correlationMap(activation, 1, options) - 1)).toBeLessThan(1e-14);
          // relu's map has a (1 − ρ)^{3/2} term, so a small step: its error is ≈ √h
          const h = 1e-9;
          const slope = (1 - correlationMap(activation, 1 - h, options)) / h;
          const expected = (q * chi1(activation, sw, q)) / varianceMap(activation, q, sw, sb);
          relClose(slope, expected, 1e-4, `${activation} ${sw} ${sb} ${q}`);
          if (q !== 0.8) relClose(expected, chi1(activation, sw, q), 1e-12);
        }
      }
    }
    expect(correlationMap('relu', 0, { weightVariance: 2, variance: 1 })).toBeCloseTo(1 / Math.PI, 15);
    expect(correlationMap('linear', 0.3, { weightVariance: 1, variance: 2 })).toBeCloseTo(0.3, 15);
  });

  it('rejects bad arguments naming the field', () => {
    expectFieldError(() => varianceMap('tanh', -1, 1, 0), 'q');
    expectFieldError(() => chi1('tanh', -1, 1), 'weightVariance');
    expectFieldError(() => varianceFixedPoint('tanh', 1, 0, { initialVariance: -1 }), 'options.initialVariance');
    expectFieldError(() => correlationMap('tanh', 1.5, { weightVariance: 1 }), 'rho');
    expectFieldError(() => correlationMap('tanh', 0.5, { weightVariance: 0.5 }), 'options.variance', /fixed point is 0/);
    expectFieldError(() => correlationMap('tanh', 0.5, { weightVariance: 1, variance: 0 }), 'options.variance');
    expectFieldError(() => correlationMap('tanh', 0.5, null as never), 'options');
  });
});

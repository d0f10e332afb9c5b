import { describe, expect, it } from 'vitest';
import { expectFieldError } from '../testing/expect-field.js';
import { activationDerivative, activationFunction, erf } from './activations.js';
import { bivariateGaussianExpectation, gaussHermiteRule, gaussianExpectation } from './gauss-hermite.js';

/** (2k − 1)!! = E[Z^{2k}]. */
function evenMoment(k: number): number {
  let m = 1;
  for (let j = 1; j < 2 * k; j += 2) m *= j;
  return m;
}

describe('gaussHermiteRule (probabilists’, for N(0, 1))', () => {
  it('n = 1, 2, 3 are the textbook rules', () => {
    expect(Array.from(gaussHermiteRule(1).nodes)).toEqual([0]);
    expect(gaussHermiteRule(1).weights[0]).toBeCloseTo(1, 15);
    const two = gaussHermiteRule(2);
    expect(two.nodes[1]).toBeCloseTo(1, 15); // roots of He₂ = z² − 1
    expect(two.weights[0]).toBeCloseTo(0.5, 15);
    const three = gaussHermiteRule(3);
    expect(three.nodes[2]).toBeCloseTo(Math.sqrt(3), 14); // He₃ = z³ − 3z
    expect(three.nodes[1]).toBe(0);
    expect(three.weights[1]).toBeCloseTo(2 / 3, 15);
    expect(three.weights[2]).toBeCloseTo(1 / 6, 15);
  });

  it('is exact for every even moment E[Z^{2k}] = (2k−1)!! with 2k ≤ 2n − 1 (rel 1e-13), for n up to 2000', () => {
    for (const n of [4, 7, 20, 64, 257, 1024, 2000]) {
      const { nodes, weights } = gaussHermiteRule(n);
      expect(nodes.length).toBe(n);
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += weights[k];
        expect(weights[k]).toBeGreaterThanOrEqual(0);
        expect(nodes[k] + nodes[n - 1 - k]).toBe(0); // exactly symmetric
        if (k > 0) expect(nodes[k]).toBeGreaterThan(nodes[k - 1]);
      }
      expect(Math.abs(sum - 1)).toBeLessThan(1e-13);
      // moments up to degree min(2n − 2, 24) (beyond that the moments themselves overflow accuracy)
      for (let k = 1; 2 * k <= Math.min(2 * n - 2, 24); k++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += weights[i] * nodes[i] ** (2 * k);
        expect(Math.abs(m / evenMoment(k) - 1)).toBeLessThan(1e-13);
      }
    }
    // cached: the same object back
    expect(gaussHermiteRule(64)).toBe(gaussHermiteRule(64));
  });

  it('converges geometrically for smooth integrands: E[cos Z] = e^{−1/2} to 1e-15 at n = 30', () => {
    expect(Math.abs(gaussianExpectation(Math.cos, 30) - Math.exp(-0.5))).toBeLessThan(1e-15);
    expect(Math.abs(gaussianExpectation((z) => Math.exp(0.5 * z), 40) - Math.exp(0.125))).toBeLessThan(1e-14);
  });

  it('bivariate: polynomial moments are exact, E[u²v²] = AB + 2C², E[uv³] = 3BC (rel 1e-14)', () => {
    for (const [A, B, C] of [
      [2, 3, 1.5],
      [0.7, 0.2, -0.3],
      [1, 1, 1], // ρ = 1
      [1, 4, -2], // ρ = −1
    ]) {
      expect(bivariateGaussianExpectation((u, v) => u * v, A, B, C, 4)).toBeCloseTo(C, 14);
      const m22 = bivariateGaussianExpectation((u, v) => u * u * v * v, A, B, C, 6);
      expect(Math.abs(m22 - (A * B + 2 * C * C))).toBeLessThan(1e-14 * (A * B + 2 * C * C));
      const m13 = bivariateGaussianExpectation((u, v) => u * v * v * v, A, B, C, 6);
      expect(Math.abs(m13 - 3 * B * C)).toBeLessThan(1e-14 * Math.abs(3 * B * C));
    }
    // a zero variance is a point mass
    expect(bivariateGaussianExpectation((u, v) => (u + 1) * (v * v + 1), 0, 2, 0, 8)).toBeCloseTo(3, 14);
  });

  it('rejects a bad order with an InvalidInputError naming it', () => {
    expectFieldError(() => gaussHermiteRule(0), 'order');
    expectFieldError(() => gaussHermiteRule(2.5), 'order');
    expectFieldError(() => gaussHermiteRule(2001), 'order');
  });
});

describe('activations', () => {
  it('erf matches reference values (Python math.erf / mpmath) to rel 2e-15', () => {
    const reference: Array<[number, number]> = [
      [1e-8, 1.1283791670955126e-8],
      [0.01, 0.011283415555849616],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [5, 0.9999999999984626],
      [5.9, 0.9999999999999999],
      [-0.7, -0.6778011938374184],
    ];
    for (const [x, value] of reference) expect(Math.abs(erf(x) - value)).toBeLessThanOrEqual(2e-15 * Math.abs(value));
    expect(erf(0)).toBe(0);
    expect(erf(7)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Number.isNaN(erf(Number.NaN))).toBe(true);
  });

  it('derivatives agree with central differences of the functions (abs 1e-8)', () => {
    for (const a of ['erf', 'tanh', 'linear', 'relu'] as const) {
      const f = activationFunction(a);
      const df = activationDerivative(a);
      for (const x of [-2.3, -0.4, 0.3, 1.7]) {
        const h = 1e-5;
        expect(Math.abs((f(x + h) - f(x - h)) / (2 * h) - df(x))).toBeLessThan(1e-8);
      }
    }
    expect(activationFunction('relu')(-1)).toBe(0);
    expect(activationDerivative('relu')(0)).toBe(0);
    expectFieldError(() => activationFunction('gelu' as never), 'activation');
  });
});

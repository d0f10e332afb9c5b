/**
 * erf against reference values, and every activation's derivative against central differences.
 */
import { describe, expect, it } from 'vitest';
import { activate, activationDerivative, erf } from './activations.js';
import { DEEP_ACTIVATIONS } from './spec.js';

const ULP1 = 2.220446049250313e-16;

/** erf(x) from mpmath.erf at 40 significant digits, rounded to double (Python: float(mpmath.erf(x))). */
const ERF_REFERENCE: readonly [number, number][] = [
  [1e-12, 1.1283791670955126e-12],
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [-0.7, -0.6778011938374184],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3, 0.9999779095030014],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [5.9, 0.9999999999999999],
];

describe('erf', () => {
  it('matches mpmath to 4 ulps', () => {
    for (const [x, v] of ERF_REFERENCE) expect(Math.abs(erf(x) - v)).toBeLessThanOrEqual(4 * ULP1 * Math.abs(v));
  });

  it('is odd, 0 at 0, ±1 beyond |x| = 6, NaN for NaN', () => {
    for (const x of [0.3, 1.7, 4.2]) expect(erf(-x)).toBe(-erf(x));
    expect(erf(0)).toBe(0);
    expect(erf(6)).toBe(1);
    expect(erf(-40)).toBe(-1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });
});

describe('activation derivatives', () => {
  for (const phi of DEEP_ACTIVATIONS) {
    it(`${phi}: φ' matches central differences (rel. 1e-8) away from the kink`, () => {
      const h = 1e-6;
      for (const z of [-2.3, -0.4, 0.05, 0.9, 3.1]) {
        const fd = (activate(phi, z + h) - activate(phi, z - h)) / (2 * h);
        const g = activationDerivative(phi, z);
        expect(Math.abs(g - fd)).toBeLessThanOrEqual(1e-8 * Math.max(1, Math.abs(g)));
      }
    });
  }

  it('relu is 0 at the kink, as §1 (1[z > 0])', () => {
    expect(activationDerivative('relu', 0)).toBe(0);
    expect(activate('relu', -0)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import type { NetworkParams, Teacher } from '@mflab/core';
import { angleDegrees, atomsCarrying, atomsOf, massNearTeacher, median, outputMasses } from './analysis.js';

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Neurons in the plane given as (angle of a_j in degrees, ‖a_j‖, b_j). */
function planeParams(neurons: readonly [number, number, number][]): NetworkParams {
  const m = neurons.length;
  const a = new Float64Array(2 * m);
  const b = new Float64Array(m);
  neurons.forEach(([deg, norm, bj], j) => {
    a[2 * j] = norm * Math.cos(rad(deg));
    a[2 * j + 1] = norm * Math.sin(rad(deg));
    b[j] = bj;
  });
  return { m, D: 2, a, b };
}

function planeTeacher(neurons: readonly [number, number][]): Teacher {
  const directions = new Float64Array(2 * neurons.length);
  const signs = new Float64Array(neurons.length);
  neurons.forEach(([deg, sign], k) => {
    directions[2 * k] = Math.cos(rad(deg));
    directions[2 * k + 1] = Math.sin(rad(deg));
    signs[k] = sign;
  });
  return { d: 2, width: neurons.length, directions, signs, outputScale: 1 };
}

describe('particles-2d analysis', () => {
  it('output mass is |b_j|·‖a_j‖ (hand-computed)', () => {
    const masses = outputMasses(planeParams([[30, 2, -1.5], [200, 0.5, 4], [0, 0, 3]]));
    expect(Array.from(masses)).toEqual([expect.closeTo(3, 12), expect.closeTo(2, 12), 0]);
  });

  it('angles between vectors match the constructed ones (to 1e-9 degrees)', () => {
    const p = [Math.cos(rad(10)), Math.sin(rad(10))];
    for (const deg of [0, 35, 90, 179, 190, 300]) {
      const q = [3 * Math.cos(rad(10 + deg)), 3 * Math.sin(rad(10 + deg))];
      const expected = deg <= 180 ? deg : 360 - deg;
      expect(angleDegrees(p, 0, q, 0, 2)).toBeCloseTo(expected, 9);
    }
    expect(angleDegrees([0, 0], 0, [1, 0], 0, 2)).toBe(180);
  });

  it('mass near the teacher counts only neurons within the tolerance and with the teacher neuron\'s sign', () => {
    const teacher = planeTeacher([[0, 1], [120, -1]]);
    // masses: 2 (5° off, +: counted), 1 (15° off: not), 3 (118°, −: counted), 4 (120°, + but teacher −: not)
    const params = planeParams([[5, 1, 2], [-15, 1, 1], [118, 1, -3], [120, 2, 2]]);
    expect(massNearTeacher(params, teacher, 10)).toBeCloseTo(5 / 10, 12);
    expect(massNearTeacher(params, teacher, 20)).toBeCloseTo(6 / 10, 12);
    expect(massNearTeacher(planeParams([[0, 0, 1]]), teacher, 10)).toBeNaN();
  });

  it('rejects particles with a bias coordinate against a 2-D teacher', () => {
    const params: NetworkParams = { m: 1, D: 3, a: new Float64Array(3), b: new Float64Array(1) };
    expect(() => massNearTeacher(params, planeTeacher([[0, 1]]), 10)).toThrow(/model.bias/);
  });

  it('atoms group neurons by direction and sign; the count that carries 99% ignores a dust particle', () => {
    const params = planeParams([
      [0, 1, 4], [3, 1, 3], [-2, 1, 2], // atom A: + at ~0°, mass 9
      [90, 1, -5], [92, 1, -1], // atom B: − at ~90°, mass 6
      [90, 1, 3], // atom C: + at 90°, mass 3 (same direction as B, other sign)
      [200, 0.01, 0.5], // dust: mass 0.005
      [45, 0, 1], // zero mass: left out
    ]);
    const atoms = atomsOf(params, 10);
    expect(atoms.map((a) => [a.sign, Number(a.mass.toFixed(6)), a.neurons.length])).toEqual([
      [1, 9, 3],
      [-1, 6, 2],
      [1, 3, 1],
      [1, 0.005, 1],
    ]);
    // atom A's direction: mass-weighted mean of 0°, 3°, −2° ≈ (3·3 − 2·2)/9 = 0.556° (small-angle)
    expect((Math.atan2(atoms[0].direction[1], atoms[0].direction[0]) * 180) / Math.PI).toBeCloseTo(5 / 9, 2);
    expect(atomsCarrying(atoms, 0.99)).toBe(3);
    expect(atomsCarrying(atoms, 1)).toBe(4);
    expect(atomsCarrying(atoms, 0.45)).toBe(1); // 9 of 18.005
    expect(atomsCarrying(atoms, 0.5)).toBe(2);
    expect(atomsCarrying([], 0.99)).toBe(0);
    expect(() => atomsCarrying(atoms, 0)).toThrow(/share/);
  });

  it('median of finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

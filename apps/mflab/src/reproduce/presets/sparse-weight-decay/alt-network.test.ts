import { describe, expect, it } from 'vitest';
import { makePopulationSampler, makeTeacher } from '@mflab/core';
import { AltNetwork, altTeacher, altTeacherOutput, signedSquare, teacherEnergy, zeroNetworkCertificate } from './alt-network.js';

const d = 6;
const teacher = altTeacher(makeTeacher(11, d, 3).directions, d);
/** A fixed, non-symmetric parameter set (no randomness needed). */
const weights = (m: number) => Float64Array.from({ length: m * d }, (_, i) => 0.9 * Math.sin(1.7 * i + 0.3) + 0.2);

/** Population samples x (n×d on the sphere) from core's sampler, an independent source of points. */
function samples(n: number, seed: number): Float64Array {
  const x = new Float64Array(n * d);
  makePopulationSampler({ kind: 'teacher', d, teacherWidth: 1, sphere: true }, seed).sample(0, n, x, new Float64Array(n));
  return x;
}

/** f_w(x) = (1/m) Σ_j σ(ss(w_j)·x), written out directly. */
function studentOutput(w: Float64Array, m: number, x: Float64Array, offset: number): number {
  const u = new Float64Array(w.length);
  signedSquare(w, u);
  let f = 0;
  for (let j = 0; j < m; j++) {
    let z = 0;
    for (let c = 0; c < d; c++) z += u[j * d + c] * x[offset + c];
    f += Math.max(z, 0);
  }
  return f / m;
}

/** Mean and standard error of values. */
function meanAndError(values: Float64Array): [number, number] {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return [mean, Math.sqrt(variance / n)];
}

describe('AltNetwork (Chizat 2019 §5)', () => {
  it('the closed-form population risk matches a Monte Carlo estimate within 4 standard errors', () => {
    const m = 4;
    const w = weights(m);
    const net = new AltNetwork(w, d, teacher, 0);
    const n = 200_000;
    const x = samples(n, 5);
    const halfSquares = new Float64Array(n);
    for (let i = 0; i < n; i++) halfSquares[i] = 0.5 * (studentOutput(w, m, x, i * d) - altTeacherOutput(teacher, x, i * d)) ** 2;
    const [mean, error] = meanAndError(halfSquares);
    expect(Math.abs(net.populationRisk() - mean)).toBeLessThan(4 * error);
    const energies = new Float64Array(n);
    for (let i = 0; i < n; i++) energies[i] = 0.5 * altTeacherOutput(teacher, x, i * d) ** 2;
    const [energy, energyError] = meanAndError(energies);
    expect(Math.abs(teacherEnergy(teacher) - energy)).toBeLessThan(4 * energyError);
  });

  it('the population velocity is −m times the gradient of the closed-form objective (central differences, 1e-6)', () => {
    const m = 3;
    const lambda = 0.07;
    const w = weights(m);
    const velocity = new Float64Array(m * d);
    new AltNetwork(w, d, teacher, lambda).populationVelocity(velocity);
    const h = 1e-6;
    for (let i = 0; i < w.length; i++) {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[i] += h;
      minus[i] -= h;
      const gradient = (new AltNetwork(plus, d, teacher, lambda).populationObjective() - new AltNetwork(minus, d, teacher, lambda).populationObjective()) / (2 * h);
      expect(velocity[i]).toBeCloseTo(-m * gradient, 6);
    }
  });

  it('an SGD step moves w by −η·m·∇(batch objective) and returns the batch risk', () => {
    const m = 3;
    const lambda = 0.05;
    const batch = 40;
    const x = samples(batch, 9);
    const y = Float64Array.from({ length: batch }, (_, i) => altTeacherOutput(teacher, x, i * d));
    const w = weights(m);
    const batchRisk = (v: Float64Array) => {
      let s = 0;
      for (let i = 0; i < batch; i++) s += 0.5 * (studentOutput(v, m, x, i * d) - y[i]) ** 2;
      return s / batch;
    };
    const batchObjective = (v: Float64Array) => batchRisk(v) + (lambda / m) * v.reduce((s, value) => s + value * value, 0);
    const net = new AltNetwork(w, d, teacher, lambda);
    const lr = 1e-3;
    expect(net.sgdStep(x, y, batch, lr)).toBeCloseTo(batchRisk(w), 12);
    const h = 1e-6;
    for (let i = 0; i < w.length; i++) {
      const plus = Float64Array.from(w);
      const minus = Float64Array.from(w);
      plus[i] += h;
      minus[i] -= h;
      const gradient = (batchObjective(plus) - batchObjective(minus)) / (2 * h);
      expect((w[i] - net.w[i]) / lr).toBeCloseTo(m * gradient, 6);
    }
  });

  it('the zero-network certificate is the largest correlation E[f* σ(±x_i)], by Monte Carlo within 4 standard errors', () => {
    const n = 200_000;
    const x = samples(n, 21);
    let best = -Infinity;
    let bestError = 0;
    for (let i = 0; i < d; i++) {
      for (const sign of [1, -1]) {
        const products = new Float64Array(n);
        for (let p = 0; p < n; p++) products[p] = altTeacherOutput(teacher, x, p * d) * Math.max(sign * x[p * d + i], 0);
        const [mean, error] = meanAndError(products);
        if (mean > best) [best, bestError] = [mean, error];
      }
    }
    expect(Math.abs(zeroNetworkCertificate(teacher) - best)).toBeLessThan(4 * bestError + 1e-4 * best);
  });

  it('above the certificate no small neuron lowers the objective below the zero network\'s; below it one does', () => {
    const certificate = zeroNetworkCertificate(teacher);
    const objectiveAlong = (lambda: number, vertex: number, sign: number) => {
      const w = new Float64Array(d);
      w[vertex] = sign * 1e-3; // u = ±1e-6 e_i: a tiny neuron at the vertex
      return new AltNetwork(w, d, teacher, lambda).populationObjective() - teacherEnergy(teacher);
    };
    for (let i = 0; i < d; i++) for (const sign of [1, -1]) expect(objectiveAlong(1.05 * certificate, i, sign)).toBeGreaterThan(0);
    const decreases = [];
    for (let i = 0; i < d; i++) for (const sign of [1, -1]) decreases.push(objectiveAlong(0.95 * certificate, i, sign) < 0);
    expect(decreases).toContain(true);
  });

  it('rejects a shape or a λ that does not fit, naming the field', () => {
    expect(() => new AltNetwork(new Float64Array(5), d, teacher, 0)).toThrow(/^w: /);
    expect(() => new AltNetwork(weights(2), d, teacher, -1)).toThrow(/^lambda: /);
    expect(() => new AltNetwork(new Float64Array(4), 4, teacher, 0)).toThrow(/^d: /);
    expect(() => altTeacher(new Float64Array(0), d)).toThrow(/^teacher.directions: /);
  });
});

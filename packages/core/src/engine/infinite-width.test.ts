/**
 * The finite network against its infinite-width references (ARCHITECTURE.md §1, eq. 4 and the
 * kernel gradient-flow predictor): the two halves of core tested against each other.
 */
import { describe, expect, it } from 'vitest';
import { KernelFlowPredictor } from '../kernels/kernel-flow.js';
import { reluKernel } from '../kernels/relu-kernels.js';
import { augmentInputs } from '../model/inputs.js';
import { randomDataset, randomSplit } from '../testing/fixtures.js';
import { Simulation } from './simulation.js';
import { empiricalTangentKernel } from './tangent-kernel.js';

/** Rows of a data set rescaled to the unit sphere (the inputs of the papers mflab reproduces). */
function onSphere<T extends { n: number; d: number; x: Float64Array }>(data: T): T {
  for (let i = 0; i < data.n; i++) {
    const row = data.x.subarray(i * data.d, (i + 1) * data.d);
    const norm = Math.hypot(...row);
    for (let k = 0; k < data.d; k++) row[k] /= norm;
  }
  return data;
}

/**
 * The Monte Carlo standard error of K_m(x, x') = (1/m) Σ_j t_j at init, from the per-neuron
 * terms t_j = σ(z_j)σ(z'_j) + b_j² 1[z_j>0]1[z'_j>0] x̃·x̃' (ntk: γ s² = 1/m).
 */
function monteCarloStandardError(a: Float64Array, b: Float64Array, m: number, x: number[], xp: number[]): number {
  const D = x.length;
  const dot = x.reduce((acc, v, k) => acc + v * xp[k], 0);
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < m; j++) {
    let z = 0;
    let zp = 0;
    for (let k = 0; k < D; k++) {
      z += a[j * D + k] * x[k];
      zp += a[j * D + k] * xp[k];
    }
    const t = Math.max(z, 0) * Math.max(zp, 0) + (z > 0 && zp > 0 ? b[j] * b[j] * dot : 0);
    s1 += t;
    s2 += t * t;
  }
  const mean = s1 / m;
  return Math.sqrt((s2 / m - mean * mean) / m);
}

describe('empirical tangent kernel at init → Θ of eq. (4)', () => {
  const d = 3;
  const m = 20_000;
  const compare = (left: ReturnType<typeof randomDataset>, right: ReturnType<typeof randomDataset>) => {
    const sim = Simulation.create({ seed: 4, model: { width: m, parameterization: 'ntk' } }, { train: left, test: right, classification: false });
    const kEmp = empiricalTangentKernel(sim.initialParams, sim.scaling, augmentInputs(left, true), augmentInputs(right, true));
    return Array.from({ length: 50 }, (_, i) => {
      const x = left.x.subarray(i * d, i * d + d);
      const xp = right.x.subarray(i * d, i * d + d);
      const se = monteCarloStandardError(sim.initialParams.a, sim.initialParams.b, m, [...x, 1], [...xp, 1]);
      return { empirical: kEmp[i * 50 + i], theta: reluKernel(x, xp, { kind: 'ntk', bias: true }), se };
    });
  };

  // atol 0.01 + rtol 0.05 is neural-tangents' tolerance for its Monte Carlo checks, which use
  // normalized inputs; the Monte Carlo error grows like ‖x̃‖‖x̃'‖, so it is stated for the sphere.
  it('m = 20 000 (ntk, gaussian σ = 1), 50 random pairs on the sphere: within atol 0.01 + rtol 0.05', () => {
    const pairs = compare(onSphere(randomDataset(50, d, 21)), onSphere(randomDataset(50, d, 22)));
    for (const { empirical, theta } of pairs) expect(Math.abs(empirical - theta)).toBeLessThanOrEqual(0.01 + 0.05 * Math.abs(theta));
    // Finite width shows: the agreement is that of a Monte Carlo average, not an identity.
    expect(Math.max(...pairs.map((p) => Math.abs(p.empirical - p.theta)))).toBeGreaterThan(1e-5);
  });

  it('m = 20 000, 50 random pairs of Gaussian inputs (any norm): every error within 5 Monte Carlo standard errors', () => {
    const pairs = compare(randomDataset(50, d, 21), randomDataset(50, d, 22));
    for (const { empirical, theta, se } of pairs) expect(Math.abs(empirical - theta)).toBeLessThanOrEqual(5 * se);
  });
});

describe('lazy training: a wide ntk network tracks the kernel gradient-flow predictor', () => {
  it('m = 4096, 20 points: RMSE between network and predictor (same K₀) < 0.05 over the trajectory', () => {
    const lr = 0.1;
    const split = randomSplit(20, 30, 2, 31);
    // Symmetric init: f_{w(0)} ≡ 0, the predictor's starting point.
    const sim = Simulation.create({ seed: 5, model: { width: 4096, parameterization: 'ntk', init: { symmetric: true } }, train: { lr } }, split);
    const train = augmentInputs(split.train, true);
    const test = augmentInputs(split.test, true);
    const k0 = empiricalTangentKernel(sim.initialParams, sim.scaling, train);
    const k0Test = empiricalTangentKernel(sim.initialParams, sim.scaling, test, train);
    const predictor = new KernelFlowPredictor(k0, split.train.y, { lr });

    let sumSq = 0;
    let count = 0;
    let maxErr = 0;
    const risk0 = sim.observe().risk_train;
    for (let t = 0; t <= 3000; t += 100) {
      if (t > 0) sim.step(100);
      const pairs: [Float64Array, Float64Array][] = [
        [sim.trainOutputs(), predictor.predictTrain(t)],
        [sim.testOutputs(), predictor.predict(k0Test, t)],
      ];
      for (const [net, kernel] of pairs) {
        for (let i = 0; i < net.length; i++) {
          sumSq += (net[i] - kernel[i]) ** 2;
          maxErr = Math.max(maxErr, Math.abs(net[i] - kernel[i]));
          count++;
        }
      }
    }
    const rmse = Math.sqrt(sumSq / count);
    expect(rmse).toBeLessThan(0.05);
    // The network did learn (the comparison is not of two constants).
    expect(sim.observe().risk_train).toBeLessThan(0.2 * risk0);
    console.info(`kernel-flow tracking: rmse ${rmse.toExponential(2)}, max |Δf| ${maxErr.toExponential(2)}, risk ${risk0.toExponential(2)} → ${sim.observe().risk_train.toExponential(2)}`);
  });
});

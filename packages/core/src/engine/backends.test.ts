/**
 * Every step backend against the float64 reference (issue: fast kernels): 50 steps on random
 * problems whose n and m are not multiples of the SIMD width or the neuron block, with D = 1
 * and D = 785 among them. Tolerances: f64 rel. 1e-10, f32 rel. 1e-4 (risk and parameters).
 */
import { describe, expect, it } from 'vitest';
import { randomSplit, relativeError } from '../testing/fixtures.js';
import type { LossName, Parameterization, Precision } from '../types.js';
import { Simulation } from './simulation.js';
import type { SimulationConfigInput } from './config.js';
import { WasmKernel } from './wasm-kernel.js';

interface Case {
  n: number;
  d: number;
  m: number;
  bias: boolean;
  parameterization: Parameterization;
  loss: LossName;
  centered?: boolean;
  blockSize?: number;
  lr: number;
}

const cases: Case[] = [
  { n: 37, d: 2, m: 13, bias: true, parameterization: 'mean-field', loss: 'square', lr: 0.5 },
  { n: 64, d: 3, m: 263, bias: true, parameterization: 'ntk', loss: 'square', lr: 0.2, blockSize: 256 },
  { n: 5, d: 1, m: 30, bias: false, parameterization: 'lazy', loss: 'logistic', lr: 0.5, blockSize: 7 },
  { n: 3, d: 4, m: 4, bias: true, parameterization: 'mean-field', loss: 'logistic', lr: 1, centered: true },
  { n: 21, d: 784, m: 9, bias: true, parameterization: 'ntk', loss: 'square', lr: 0.002 },
  { n: 130, d: 5, m: 515, bias: true, parameterization: 'mean-field', loss: 'square', lr: 1, blockSize: 64, centered: true },
];

const tolerance: Record<Precision, number> = { f64: 1e-10, f32: 1e-4 };

function run(c: Case, backend: 'reference' | 'wasm', precision: Precision) {
  const split = randomSplit(c.n, 7, c.d, c.n + c.d, c.loss === 'logistic' ? 'classification' : 'regression');
  const config: SimulationConfigInput = {
    seed: 3,
    model: { width: c.m, parameterization: c.parameterization, alpha: 2, bias: c.bias, centered: c.centered ?? false },
    loss: c.loss,
    train: { lr: c.lr, weightDecay: 0.01, backend, precision },
  };
  const kernel = backend === 'wasm' ? new WasmKernel(precision, { blockSize: c.blockSize }) : undefined;
  const sim = Simulation.create(config, split, { kernel });
  sim.step(50);
  return { sim, row: sim.observe() };
}

describe('step backends agree with the float64 reference over 50 steps', () => {
  for (const c of cases) {
    const label = `n=${c.n} D=${c.bias ? c.d + 1 : c.d} m=${c.m} ${c.parameterization} ${c.loss}${c.centered ? ' centered' : ''}${c.blockSize ? ` block=${c.blockSize}` : ''}`;
    const reference = () => run(c, 'reference', 'f64');
    for (const precision of ['f64', 'f32'] as const) {
      it(`wasm ${precision}: ${label}`, () => {
        const ref = reference();
        const fast = run(c, 'wasm', precision);
        expect(fast.sim.backendInfo).toEqual({ backend: 'wasm', precision });
        const tol = tolerance[precision];
        expect(relativeError(fast.sim.params.a, ref.sim.params.a)).toBeLessThan(tol);
        expect(relativeError(fast.sim.params.b, ref.sim.params.b)).toBeLessThan(tol);
        expect(Math.abs(fast.row.risk_train - ref.row.risk_train) / ref.row.risk_train).toBeLessThan(tol);
        expect(Math.abs(fast.row.risk_test - ref.row.risk_test) / ref.row.risk_test).toBeLessThan(tol);
        // The comparison is of a trajectory that moved.
        expect(ref.row.move).toBeGreaterThan(1e-4);
      });
    }
  }

  it('f32 parameters are float32 values (the run is really in single precision)', () => {
    const fast = run(cases[0], 'wasm', 'f32');
    expect(Array.from(fast.sim.params.a).every((v) => Math.fround(v) === v)).toBe(true);
    expect(Array.from(fast.sim.initialParams.b).every((v) => Math.fround(v) === v)).toBe(true);
  });
});

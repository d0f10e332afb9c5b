/**
 * The block-structured step (blocks.ts) against the float64 reference (network.ts, ARCHITECTURE.md
 * §7): in f64 the blocked step is bitwise the reference's GD step (`deepGdStep`: gradient, then
 * w ← (1 − ηλ) w − ηγ_l g) for L = 1..3, residual and not, relu and tanh, k = 1 (square loss) and
 * k = 3 (softmax), weight decay on, full batch (GD) and a fresh batch per step (SGD), for block
 * sizes 16 (partial blocks: widths 37 and 40) and 64 (one partial block). (Blocks split over
 * threads: packages/parallel's deep-shard.test.ts.) In f32 the
 * same step stays within rel 1e-4 of f64 over 20 steps (per tensor, ‖w32 − w64‖ / ‖w64‖).
 */
import { describe, expect, it } from 'vitest';
import { outputResiduals } from '../loss.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { updateCoefficients } from '../engine/step-plan.js';
import { CounterRng } from '../random/index.js';
import type { LossName } from '../types.js';
import { DeepBlockRunner, TS_BLOCK_KERNEL, allocateDeepStepBuffers, type DeepBlockKernel, sgdBlockUpdate, type DeepParamsOf, type DeepUpdateCoefficients, type RealArray, type RealArrayConstructor } from './blocks.js';
import { initDeepParams, resolveDeepInit } from './init.js';
import { deepGdStep } from './network.js';
import { cloneDeepParams, type DeepParams } from './params.js';
import { deepCoefficients } from './scaling.js';
import { resolveDeepSpec, type DeepActivation, type DeepSpec } from './spec.js';
import { randomClassSplit } from '../testing/fixtures.js';
import { DeepSimulation } from './engine.js';

const D_IN = 3;
const LR = 0.05;
const DECAY = 1e-3;

function randomInputs(n: number, seed: number): AugmentedInputs {
  const rng = new CounterRng(seed, 4101).at(0);
  const x = new Float64Array(n * (D_IN + 1));
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < D_IN; q++) x[i * (D_IN + 1) + q] = rng.normal();
    x[i * (D_IN + 1) + D_IN] = 1;
  }
  return { n, D: D_IN + 1, x };
}

function targets(n: number, k: number, seed: number): Float64Array {
  const rng = new CounterRng(seed, 4102).at(0);
  return Float64Array.from({ length: n }, () => (k === 1 ? rng.normal() : rng.below(k)));
}

function coefficientsOf(spec: DeepSpec): DeepUpdateCoefficients {
  const co = deepCoefficients(spec);
  return {
    weights: co.weights.map((c) => updateCoefficients(LR, c.lrFactor, DECAY)),
    biases: co.biases.map((c) => (c ? updateCoefficients(LR, c.lrFactor, DECAY) : null)),
  };
}

/** One blocked step per batch in the precision of `Real`, on one thread (all blocks, in order). */
function blockedRun(spec: DeepSpec, w0: DeepParams, batches: readonly AugmentedInputs[], ys: readonly Float64Array[], loss: LossName, Real: RealArrayConstructor, blockSize: number, kernel: DeepBlockKernel = TS_BLOCK_KERNEL): DeepParamsOf<RealArray> {
  const copy = (t: Float64Array) => Real.from(t);
  const params = { weights: w0.weights.map(copy), biases: w0.biases.map(copy) };
  const buffers = allocateDeepStepBuffers(spec, Real, batches[0].n);
  const step = { spec, co: deepCoefficients(spec), params, buffers, update: sgdBlockUpdate };
  const runner = new DeepBlockRunner(step, blockSize, 1, 0, kernel);
  const noBarrier = () => {};
  const c = coefficientsOf(spec);
  for (let t = 0; t < batches.length; t++) {
    buffers.x.set(batches[t].x);
    runner.forwardPhases(noBarrier);
    outputResiduals(loss, spec.outputs, buffers.n, buffers.f, ys[t], buffers.r);
    if (spec.kappa !== 1) for (let i = 0; i < buffers.r.length; i++) buffers.r[i] *= spec.kappa;
    runner.backwardPhases(c, noBarrier);
  }
  return params;
}

function referenceRun(spec: DeepSpec, w0: DeepParams, batches: readonly AugmentedInputs[], ys: readonly Float64Array[], loss: LossName): DeepParams {
  const params = cloneDeepParams(w0);
  for (let t = 0; t < batches.length; t++) deepGdStep(spec, params, batches[t], ys[t], loss, { lr: LR, weightDecay: DECAY });
  return params;
}

function firstMismatch(a: DeepParamsOf<RealArray>, b: DeepParamsOf<RealArray>): string | null {
  for (const key of ['weights', 'biases'] as const) {
    for (let l = 0; l < a[key].length; l++) {
      const x = a[key][l];
      const y = b[key][l];
      if (x.length !== y.length) return `${key}[${l}] length ${x.length} vs ${y.length}`;
      for (let q = 0; q < x.length; q++) if (!Object.is(x[q], y[q])) return `${key}[${l}][${q}]: ${x[q]} vs ${y[q]}`;
    }
  }
  return null;
}

const n = 9;
const cases: { depth: number; residual: boolean; activation: DeepActivation; k: number; sgd: boolean }[] = [];
for (const depth of [1, 2, 3]) {
  for (const residual of [false, true]) {
    if (residual && depth === 1) continue;
    for (const activation of ['relu', 'tanh'] as const) for (const k of [1, 3]) cases.push({ depth, residual, activation, k, sgd: (depth + k) % 2 === 0 });
  }
}

describe('blocked deep step (f64) is bitwise the reference', () => {
  it.each(cases)('L = $depth, residual $residual, $activation, k = $k, SGD $sgd', ({ depth, residual, activation, k, sgd }) => {
    // Widths 37 or 40: partial blocks at block size 16; residual blocks need equal widths.
    const width = residual ? Array.from({ length: depth }, () => 37) : Array.from({ length: depth }, (_, l) => (l % 2 === 0 ? 40 : 37));
    const spec = resolveDeepSpec({ d: D_IN, depth, width, outputs: k, activation, residual, scaling: depth % 2 === 0 ? 'mup' : 'ntk' });
    const w0 = initDeepParams(spec, resolveDeepInit(spec), 7);
    const loss: LossName = k === 1 ? 'square' : 'softmax';
    const steps = 4;
    const batches = Array.from({ length: steps }, (_, t) => randomInputs(n, sgd ? 100 + t : 100));
    const ys = Array.from({ length: steps }, (_, t) => targets(n, k, sgd ? 200 + t : 200));
    const reference = referenceRun(spec, w0, batches, ys, loss);
    for (const blockSize of [16, 64]) {
      const blocked = blockedRun(spec, w0, batches, ys, loss, Float64Array, blockSize);
      expect(firstMismatch(blocked, reference), `block size ${blockSize}`).toBeNull();
    }
    // The run moved the parameters (the comparison is not of two untouched copies).
    expect(firstMismatch(reference, w0)).not.toBeNull();
  });
});

describe('blocked deep step in f32', () => {
  it.each([false, true])('stays within rel 1e-4 of f64 over 20 steps (L = 3, residual %s, tanh, softmax k = 3)', (residual) => {
    const spec = resolveDeepSpec({ d: D_IN, depth: 3, width: 40, outputs: 3, activation: 'tanh', residual, scaling: 'mup' });
    // w(0) as the f32 step stores it, for both runs: the difference is then the step's rounding alone.
    const w0 = initDeepParams(spec, resolveDeepInit(spec), 3);
    for (const t of [...w0.weights, ...w0.biases]) for (let q = 0; q < t.length; q++) t[q] = Math.fround(t[q]);
    const batches = Array.from({ length: 20 }, () => randomInputs(16, 5));
    const ys = Array.from({ length: 20 }, () => targets(16, 3, 6));
    const p64 = blockedRun(spec, w0, batches, ys, 'softmax', Float64Array, 16);
    const p32 = blockedRun(spec, w0, batches, ys, 'softmax', Float32Array, 16);
    expect(p32.weights[0]).toBeInstanceOf(Float32Array);
    let worst = 0;
    for (const key of ['weights', 'biases'] as const) {
      for (let l = 0; l < p64[key].length; l++) {
        let diff = 0;
        let norm = 0;
        let moved = 0;
        for (let q = 0; q < p64[key][l].length; q++) {
          diff += (p32[key][l][q] - p64[key][l][q]) ** 2;
          norm += p64[key][l][q] ** 2;
          moved += (p64[key][l][q] - w0[key][l][q]) ** 2;
        }
        if (norm === 0) continue;
        expect(moved, `${key}[${l}] moved`).toBeGreaterThan(0);
        worst = Math.max(worst, Math.sqrt(diff / norm));
      }
    }
    expect(worst).toBeLessThan(1e-4);
    // …and f32 is not secretly f64: the runs differ.
    expect(worst).toBeGreaterThan(0);
  });
});

describe('DeepSimulation in f32', () => {
  it('runs train.precision: f32 (SGD, softmax k = 3, weight decay, cosine schedule) within rel 1e-4 of f64 over 20 steps', () => {
    const data = randomClassSplit(32, 8, 4, 3, 11);
    const run = (precision: 'f32' | 'f64') => {
      const sim = DeepSimulation.create({ model: { depth: 3, width: 40, activation: 'tanh', parameterization: 'mup' }, loss: 'softmax', train: { steps: 20, lr: 0.2, weightDecay: 1e-3, integrator: 'sgd', batchSize: 8, schedule: 'cosine', precision }, log: { ntk: { every: 0 } } }, data);
      sim.step(20);
      return sim;
    };
    const s32 = run('f32');
    const s64 = run('f64');
    expect(s32.backendInfo.precision).toBe('f32');
    // f32's w(0) is f64's rounded: the same draws.
    for (let l = 0; l < 4; l++) for (let q = 0; q < s64.initialParams.weights[l].length; q++) expect(s32.initialParams.weights[l][q]).toBe(Math.fround(s64.initialParams.weights[l][q]));
    for (let l = 0; l < 4; l++) {
      const a = s32.params.weights[l];
      const b = s64.params.weights[l];
      let diff = 0;
      let norm = 0;
      for (let q = 0; q < a.length; q++) {
        expect(Math.fround(a[q])).toBe(a[q]);
        diff += (a[q] - b[q]) ** 2;
        norm += b[q] ** 2;
      }
      expect(Math.sqrt(diff / norm), `weights[${l}]`).toBeLessThan(1e-4);
    }
    const r32 = s32.observe().risk_train;
    const r64 = s64.observe().risk_train;
    expect(Math.abs(r32 - r64) / r64).toBeLessThan(1e-4);
  });
});

describe('pluggable per-block compute', () => {
  it('runs every block through the kernel it is given (a delegating kernel: same bits, one call per block and phase)', () => {
    const spec = resolveDeepSpec({ d: D_IN, depth: 2, width: [40, 37], outputs: 1, activation: 'relu' });
    const w0 = initDeepParams(spec, resolveDeepInit(spec), 2);
    const batches = [randomInputs(n, 1)];
    const ys = [targets(n, 1, 2)];
    const calls: Record<string, number> = {};
    const counted = Object.fromEntries(
      Object.entries(TS_BLOCK_KERNEL).map(([name, f]) => [
        name,
        (...args: unknown[]) => {
          calls[name] = (calls[name] ?? 0) + 1;
          (f as (...a: unknown[]) => void)(...args);
        },
      ]),
    ) as unknown as DeepBlockKernel;
    const plain = blockedRun(spec, w0, batches, ys, 'square', Float64Array, 16);
    const viaKernel = blockedRun(spec, w0, batches, ys, 'square', Float64Array, 16, counted);
    expect(firstMismatch(viaKernel, plain)).toBeNull();
    // Blocks of 16: layer 1 (40 neurons) has 3, layer 2 (37) has 3.
    expect(calls).toEqual({ forwardBlock: 6, outputRows: 1, deltaTopBlock: 3, deltaBlock: 3, updateLayerBlock: 6, updateOutputBlock: 3 });
  });
});

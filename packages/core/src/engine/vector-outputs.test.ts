/**
 * k-output networks (b_j ∈ R^k): the applied gradient against central finite differences of a
 * naive objective written from the definitions, softmax cross-entropy at huge logits, and k = 1
 * through the vector API against the scalar path, bitwise.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { classLossGradient, classLossValue, outputResiduals, residuals } from '../loss.js';
import { initParams } from '../model/init.js';
import { allocateParams, cloneParams, type NetworkParams } from '../model/params.js';
import { resolveModelSpec, twoLayerModel } from '../model/spec.js';
import { scalingOf } from '../model/scaling.js';
import { CounterRng } from '../random/index.js';
import { randomClassSplit, randomSplit, relativeError } from '../testing/fixtures.js';
import type { DataSplit, LossName, Parameterization } from '../types.js';
import { resolveSimulationConfig, type SimulationConfig } from './config.js';
import { observableRow, twoLayerParameterSummary } from './observables.js';
import { ReferenceKernel } from './reference-kernel.js';
import { Simulation } from './simulation.js';
import { wasmKernelsAvailable } from './wasm-module.js';
import { WasmKernel } from './wasm-kernel.js';
import type { StepKernel } from './kernel.js';
import { loadTensorBackend } from '../tensor/backend.js';
import { TfjsKernel } from './tfjs-kernel.js';

/** F(w) of eq. (2) with k outputs, from the definitions: log Σ e^f written naively (the logits here are O(1)). */
function naiveObjective(config: SimulationConfig, split: DataSplit, w: NetworkParams, w0: NetworkParams, k: number): number {
  const model = twoLayerModel(config.model);
  const data = split.train;
  const { s, kappa, rho } = scalingOf(model);
  const net = (p: NetworkParams, i: number, c: number) => {
    let f = 0;
    for (let j = 0; j < p.m; j++) {
      let z = 0;
      for (let q = 0; q < data.d; q++) z += p.a[j * p.D + q] * data.x[i * data.d + q];
      if (model.bias) z += p.a[j * p.D + data.d];
      f += p.b[j * k + c] * Math.max(z, 0);
    }
    return s * f;
  };
  let risk = 0;
  for (let i = 0; i < data.n; i++) {
    const f = Array.from({ length: k }, (_, c) => net(w, i, c) - (model.centered ? net(w0, i, c) : 0));
    const y = data.y[i];
    if (config.loss === 'softmax') risk += Math.log(f.reduce((acc, v) => acc + Math.exp(v), 0)) - f[y];
    else risk += 0.5 * f.reduce((acc, v, c) => acc + (v - (c === y ? 1 : 0)) ** 2, 0);
  }
  risk /= data.n;
  let norm2 = 0;
  for (const v of w.a) norm2 += v * v;
  for (const v of w.b) norm2 += v * v;
  return kappa * risk + 0.5 * config.train.weightDecay * rho * norm2;
}

function paramsPair(m: number, D: number, k: number, seed: number): { w0: NetworkParams; w: NetworkParams } {
  const w0 = initParams(resolveModelSpec().init, m, D, seed, k);
  const w = cloneParams(w0);
  const rng = new CounterRng(seed + 99, 77);
  for (let q = 0; q < w.a.length; q++) w.a[q] += 0.3 * rng.at(q).normal();
  for (let q = 0; q < w.b.length; q++) w.b[q] += 0.3 * rng.at(10_000 + q).normal();
  return { w0, w };
}

const parameterizations: [Parameterization, number][] = [['mean-field', 1], ['ntk', 1], ['lazy', 3]];

describe('k-output gradient (softmax and one-hot square) applied by the reference step', () => {
  for (const [parameterization, alpha] of parameterizations) {
    for (const loss of ['softmax', 'square'] as LossName[]) {
      for (const [bias, centered] of [[true, false], [false, true]] as const) {
        it(`${parameterization}, ${loss}, k=4, bias=${bias}, centered=${centered}: central finite differences agree (rel < 1e-6)`, () => {
          const m = 5;
          const d = 3;
          const k = 4;
          const config = resolveSimulationConfig({ seed: 2, model: { width: m, parameterization, alpha, bias, centered }, loss, train: { lr: 1, weightDecay: 0.05 }, log: { ntk: { every: 0 } } });
          const split = randomClassSplit(10, 0, d, k, 4);
          const { w0, w } = paramsPair(m, bias ? d + 1 : d, k, 3);
          const fd = new Float64Array(w.a.length + w.b.length);
          const probe = cloneParams(w);
          let g = 0;
          for (const arr of [probe.a, probe.b]) {
            for (let q = 0; q < arr.length; q++) {
              const keep = arr[q];
              arr[q] = keep + 1e-6;
              const up = naiveObjective(config, split, probe, w0, k);
              arr[q] = keep - 1e-6;
              const down = naiveObjective(config, split, probe, w0, k);
              arr[q] = keep;
              fd[g++] = (up - down) / 2e-6;
            }
          }
          const sim = new Simulation(config, split, { initialParams: w0, params: w, kernel: new ReferenceKernel() });
          expect(sim.outputs).toBe(k);
          sim.step(1);
          const engine = new Float64Array(fd.length);
          const gamma = sim.scaling.gamma;
          for (let q = 0; q < w.a.length; q++) engine[q] = (w.a[q] - sim.params.a[q]) / gamma;
          for (let q = 0; q < w.b.length; q++) engine[w.a.length + q] = (w.b[q] - sim.params.b[q]) / gamma;
          expect(relativeError(engine, fd)).toBeLessThan(1e-6);
        });
      }
    }
  }
});

describe('softmax cross-entropy at huge logits', () => {
  it('is finite and exact at |f| = 1e4 (and 1e300), with gradients summing to 0', () => {
    const f = new Float64Array([1e4, -1e4, 0, 1e4 - 1]);
    expect(classLossValue('softmax', 4, f, 0, 0)).toBeCloseTo(Math.log1p(Math.exp(-1)), 12);
    expect(classLossValue('softmax', 4, f, 0, 1)).toBeCloseTo(2e4 + Math.log1p(Math.exp(-1)), 6);
    const r = new Float64Array(4);
    classLossGradient('softmax', 4, f, 0, 1, 1, r, 0);
    expect(Array.from(r).every(Number.isFinite)).toBe(true);
    expect(r[1]).toBe(-1);
    expect(r[0] + r[1] + r[2] + r[3]).toBeCloseTo(0, 14);
    const big = new Float64Array([1e300, -1e300, 5]);
    expect(classLossValue('softmax', 3, big, 0, 0)).toBe(0);
    expect(classLossValue('softmax', 3, big, 0, 1)).toBe(2e300);
  });

  it('a simulation whose logits are ±1e4 steps and observes without NaN', () => {
    const split = randomClassSplit(12, 6, 3, 3, 8);
    const config = resolveSimulationConfig({ model: { width: 6, parameterization: 'ntk', init: { scale: 300 } }, loss: 'softmax', train: { lr: 1e-6 }, log: { ntk: { every: 0 } } });
    const sim = new Simulation(config, split, { kernel: new ReferenceKernel() });
    const f = sim.trainOutputs();
    expect(Math.max(...Array.from(f, Math.abs))).toBeGreaterThan(1e4);
    sim.step(3);
    const row = sim.observe();
    for (const key of ['risk_train', 'risk_test', 'objective', 'error_train', 'margin'] as const) expect(Number.isFinite(row[key])).toBe(true);
    expect(Array.from(sim.params.b).every(Number.isFinite)).toBe(true);
  });
});

describe('k = 1 through the vector API', () => {
  type Backend = readonly ['reference' | 'wasm', 'f32' | 'f64'];
  const wasm: Backend[] = [['wasm', 'f64'], ['wasm', 'f32']];
  const backends: Backend[] = [['reference', 'f64'], ...(wasmKernelsAvailable() ? wasm : [])];
  for (const [backend, precision] of backends) {
    it(`${backend} ${precision}: params with k = 1, outputResiduals and observableRow with outputs = 1 are the scalar path, bitwise, over 50 steps`, () => {
      const split = randomSplit(40, 10, 3, 5);
      const config = resolveSimulationConfig({ seed: 3, model: { width: 24 }, train: { lr: 0.3, weightDecay: 0.01, precision, backend }, log: { ntk: { every: 0 } } });
      const kernel = () => (backend === 'reference' ? new ReferenceKernel() : new WasmKernel(precision));
      const scalarInit = initParams(config.model.init, 24, 4, 3);
      const vectorInit: NetworkParams = { ...cloneParams(initParams(config.model.init, 24, 4, 3, 1)), k: 1 };
      expect(Array.from(vectorInit.b)).toEqual(Array.from(scalarInit.b));
      const scalar = new Simulation(config, split, { initialParams: scalarInit, kernel: kernel() });
      const vector = new Simulation(config, split, { initialParams: vectorInit, kernel: kernel() });
      scalar.step(50);
      vector.step(50);
      expect(vector.outputs).toBe(1);
      expect(Array.from(vector.params.a)).toEqual(Array.from(scalar.params.a));
      expect(Array.from(vector.params.b)).toEqual(Array.from(scalar.params.b));
      expect(vector.observe()).toEqual(scalar.observe());
      const f = scalar.trainOutputs();
      const r1 = new Float64Array(40);
      const r2 = new Float64Array(40);
      residuals('square', 40, f, split.train.y, r1);
      outputResiduals('square', 1, 40, f, split.train.y, r2);
      expect(Array.from(r2)).toEqual(Array.from(r1));
    });
  }

  it('observableRow with outputs = 1 equals the scalar row', () => {
    const split = randomSplit(20, 0, 2, 1, 'classification');
    const p = initParams(resolveModelSpec().init, 8, 3, 1);
    const base = { step: 0, time: 0, loss: 'logistic' as const, kappa: 1, classification: true, trainOutputs: split.train.y.map((v) => v * 0.3), trainTargets: split.train.y, testOutputs: new Float64Array(0), testTargets: new Float64Array(0), parameters: twoLayerParameterSummary(p, p, 0.1, 1 / 8), ntkDrift: NaN };
    expect(observableRow({ ...base, outputs: 1 })).toEqual(observableRow(base));
  });
});

describe('multi-class observables', () => {
  it('error is the argmax mismatch, margin the correct output minus the best other, over l2', () => {
    const p = allocateParams(1, 1, 3);
    p.a[0] = 1;
    p.b.set([1, 1, 1]);
    const trainOutputs = new Float64Array([3, 1, 2, /* */ 0, 5, 1, /* */ 2, 2, 1]);
    const trainTargets = new Float64Array([0, 2, 1]);
    const row = observableRow({ step: 0, time: 0, loss: 'softmax', kappa: 1, classification: true, outputs: 3, trainOutputs, trainTargets, testOutputs: new Float64Array(0), testTargets: new Float64Array(0), parameters: twoLayerParameterSummary(p, p, 0, 1), ntkDrift: NaN });
    // argmax: 0 ✓, 1 ≠ 2 ✗, 0 (tie goes to the lowest index) ≠ 1 ✗
    expect(row.error_train).toBeCloseTo(2 / 3, 15);
    // margins: 3−2 = 1, 1−5 = −4, 2−2 = 0; l2 = (1/m)(‖a‖² + ‖b‖²) = 4
    expect(row.margin).toBe(-4 / 4);
    const lse = (f: number[]) => Math.log(f.reduce((s, v) => s + Math.exp(v), 0));
    expect(row.risk_train).toBeCloseTo((lse([3, 1, 2]) - 3 + lse([0, 5, 1]) - 1 + lse([2, 2, 1]) - 2) / 3, 14);
    expect(row.l2).toBe(4);
    expect(row.path).toBeCloseTo(Math.sqrt(3), 15);
  });

  it('the loss decides k, and a mismatched loss names the field', () => {
    const classes = randomClassSplit(10, 0, 2, 5, 1);
    expect(Simulation.create({ model: { width: 4 }, loss: 'square', log: { ntk: { every: 0 } } }, classes).outputs).toBe(5);
    expect(() => Simulation.create({ model: { width: 4 }, loss: 'logistic' }, classes)).toThrow(/^loss: logistic loss is for ±1 labels/);
    expect(() => Simulation.create({ model: { width: 4 }, loss: 'softmax' }, randomSplit(10, 0, 2, 1))).toThrow(/^loss: softmax cross-entropy needs multi-class data/);
    expect(() => Simulation.create({ model: { width: 4 }, loss: 'softmax', log: { ntk: { every: 5 } } }, classes)).toThrow(/^log\.ntk\.every:/);
  });
});

describe('every backend on k outputs with minibatch SGD, through Simulation', () => {
  beforeAll(async () => {
    await loadTensorBackend();
  });
  const split = randomClassSplit(60, 20, 4, 3, 9);
  const input = { seed: 4, loss: 'softmax' as const, model: { width: 37, centered: true }, train: { integrator: 'sgd' as const, batchSize: 12, epochs: 4, lr: 0.8, weightDecay: 0.01, schedule: 'cosine' as const }, log: { ntk: { every: 0 } } };
  let reference: Simulation;
  beforeAll(() => {
    reference = Simulation.create({ ...input, train: { ...input.train, backend: 'reference', precision: 'f64' } }, split, { kernel: new ReferenceKernel() });
    reference.step(reference.config.train.steps);
  });
  const kernels: [string, () => StepKernel][] = [
    ['wasm f64', () => new WasmKernel('f64', { blockSize: 8 })],
    ['wasm f32', () => new WasmKernel('f32', { blockSize: 8 })],
    ['tfjs f32', () => new TfjsKernel({ blockSize: 8 })],
  ];
  for (const [name, make] of kernels) {
    it(`${name}: the same 20-step trajectory as the float64 reference (rel ≤ 1e-12 in f64, 1e-4 in f32)`, () => {
      const precision = name.endsWith('f64') ? 'f64' : 'f32';
      const sim = Simulation.create({ ...input, train: { ...input.train, precision } }, split, { kernel: make() });
      expect(sim.config.train.steps).toBe(20);
      sim.step(20);
      const tol = precision === 'f64' ? 1e-12 : 1e-4;
      expect(relativeError(sim.params.a, reference.params.a)).toBeLessThan(tol);
      expect(relativeError(sim.params.b, reference.params.b)).toBeLessThan(tol);
      expect(relativeError(sim.testOutputs(), reference.testOutputs())).toBeLessThan(tol);
      expect(relativeError(reference.params.b, reference.initialParams.b)).toBeGreaterThan(1e-2);
    });
  }
});

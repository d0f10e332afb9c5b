/**
 * `train.optimizer` in the engines (ARCHITECTURE.md §7): momentum and adam lower the risk of a
 * deep (depth 3) and a two-layer run; at depth 1 the deep engine follows the two-layer
 * Simulation to 1e-10 with momentum and adam too (mean-field, ntk, lazy: the Adam factors of
 * scaling.ts's `adamLrFactors` are §1's κγs there); a run resumed from (w(0), w(t), t, optimizer
 * state) is bitwise the uninterrupted one; the deep sgd step is bitwise network.ts's reference
 * `deepGdStep`, momentum with β = 0 bitwise sgd; the Adam factors of mup are TP5 Table 3's; the
 * native kernel (ONNX Runtime GEMM, f64; skipped where it is not installed) runs momentum and
 * adam block by block and follows the reference kernel to 1e-11.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationConfigInput } from '../engine/config.js';
import { Simulation } from '../engine/simulation.js';
import { augmentInputs } from '../model/inputs.js';
import { randomSplit } from '../testing/fixtures.js';
import type { TwoLayerParameterization } from '../types.js';
import { DeepSimulation } from '../deep/engine.js';
import { deepGdStep } from '../deep/network.js';
import { cloneDeepParams } from '../deep/params.js';
import { adamLrFactors } from '../deep/scaling.js';
import { resolveDeepSpec } from '../deep/spec.js';
import { twoLayerParamsFromDeep } from '../deep/two-layer.js';
import type { OptimizerName } from './optimizer.js';
import { loadNativeRuntime } from '../native/runtime.js';

const data = randomSplit(32, 8, 3, 11);

function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

const bits = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

function optimizerKeys(optimizer: OptimizerName): SimulationConfigInput['train'] {
  if (optimizer === 'momentum') return { optimizer, momentum: 0.8 };
  if (optimizer === 'adam') return { optimizer, betas: [0.85, 0.99], eps: 1e-7 };
  return { optimizer };
}

function deepConfig(optimizer: OptimizerName, steps: number, lr: number): SimulationConfigInput {
  return {
    seed: 5,
    model: { depth: 3, width: 16, activation: 'tanh', parameterization: 'mup' },
    train: { steps, lr, weightDecay: 0.01, ...optimizerKeys(optimizer) },
    log: { every: 5, ntk: { every: 0 } },
  };
}

function twoLayerConfig(optimizer: OptimizerName, steps: number, lr: number, parameterization: TwoLayerParameterization = 'mean-field'): SimulationConfigInput {
  return {
    seed: 5,
    model: { width: 24, parameterization, alpha: 3 },
    train: { steps, lr, weightDecay: 0.01, ...optimizerKeys(optimizer) },
    log: { every: 5, particles: { every: 0 }, ntk: { every: 0 } },
  };
}

describe('momentum and adam lower the training risk', () => {
  for (const optimizer of ['momentum', 'adam'] as const) {
    it(`${optimizer}: deep (depth 3, mup, tanh) and two-layer (mean-field), 60 steps, risk ≤ half its start`, () => {
      const lr = optimizer === 'adam' ? 0.02 : 0.05;
      const deep = DeepSimulation.create(deepConfig(optimizer, 60, lr), data);
      const two = Simulation.create(twoLayerConfig(optimizer, 60, lr), data);
      expect(two.backendInfo.backend).toBe('reference');
      for (const sim of [deep, two]) {
        const start = sim.observe().risk_train;
        sim.step(60);
        const end = sim.observe().risk_train;
        expect(Number.isFinite(end)).toBe(true);
        expect(end).toBeLessThanOrEqual(0.5 * start);
      }
    });
  }
});

describe('at depth 1 the deep engine follows the two-layer Simulation (reference, f64) to 1e-10 over 40 steps', () => {
  for (const optimizer of ['momentum', 'adam'] as const) {
    for (const parameterization of ['mean-field', 'ntk', 'lazy'] as const) {
      it(`${optimizer}, ${parameterization}`, () => {
        const lr = optimizer === 'adam' ? 0.01 : 0.1;
        const config = twoLayerConfig(optimizer, 40, lr, parameterization);
        const two = Simulation.create(config, data);
        const deep = DeepSimulation.create({ ...config, model: { ...config.model, activation: 'relu' }, log: { every: 5, ntk: { every: 0 } } }, data);
        two.step(40);
        deep.step(40);
        const end = twoLayerParamsFromDeep(deep.spec, deep.params);
        const start = twoLayerParamsFromDeep(deep.spec, deep.initialParams);
        expect(relativeMaxError(end.a, two.params.a)).toBeLessThanOrEqual(1e-10);
        expect(relativeMaxError(end.b, two.params.b)).toBeLessThanOrEqual(1e-10);
        expect(relativeMaxError(deep.trainOutputs(), two.trainOutputs())).toBeLessThanOrEqual(1e-10);
        // It moved (not two frozen copies).
        expect(relativeMaxError(end.b, start.b)).toBeGreaterThan(1e-3);
      });
    }
  }
});

describe('resume from (w(0), w(t), t, optimizer state) is bitwise the uninterrupted run', () => {
  for (const optimizer of ['momentum', 'adam'] as const) {
    it(`${optimizer}: deep and two-layer, stopped at step 7 of 20`, () => {
      for (const make of [(steps: number) => DeepSimulation.create(deepConfig(optimizer, steps, 0.02), data), (steps: number) => Simulation.create(twoLayerConfig(optimizer, steps, 0.02), data)]) {
        const full = make(20);
        full.step(20);
        const first = make(20);
        first.step(7);
        // What a checkpoint holds: copies (the engine's own arrays move on).
        const saved = Object.fromEntries(Object.entries(first.optimizerState()).map(([k, v]) => [k, Float64Array.from(v)]));
        expect(Object.keys(saved).length).toBeGreaterThan(0);
        const params = 'weights' in first.params ? cloneDeepParams(first.params) : { ...first.params, a: Float64Array.from(first.params.a), b: Float64Array.from(first.params.b) };
        const resumed =
          first instanceof DeepSimulation
            ? DeepSimulation.create(deepConfig(optimizer, 20, 0.02), data, { initialParams: first.initialParams, params: params as never, startStep: 7, optimizerState: saved })
            : Simulation.create(twoLayerConfig(optimizer, 20, 0.02), data, { initialParams: first.initialParams, params: params as never, startStep: 7, optimizerState: saved });
        resumed.step(13);
        const flat = (p: typeof full.params) => ('weights' in p ? [...p.weights, ...p.biases] : [p.a, p.b]);
        expect(flat(resumed.params).map(bits)).toEqual(flat(full.params).map(bits));
        expect(Object.values(resumed.optimizerState()).map(bits)).toEqual(Object.values(full.optimizerState()).map(bits));
        // Without the state the run differs: the test sees the buffers.
        const amnesiac = first instanceof DeepSimulation ? DeepSimulation.create(deepConfig(optimizer, 20, 0.02), data, { initialParams: first.initialParams, params: params as never, startStep: 7 }) : null;
        if (amnesiac) {
          amnesiac.step(13);
          expect(flat(amnesiac.params).map(bits)).not.toEqual(flat(full.params).map(bits));
        }
      }
    });
  }
});

describe('sgd is unchanged', () => {
  it("the deep engine's sgd step is bitwise network.ts's deepGdStep (30 steps, weight decay), and momentum β = 0 is bitwise sgd", () => {
    const config: SimulationConfigInput = { seed: 2, model: { depth: 3, width: 12, activation: 'relu', parameterization: 'ntk' }, train: { steps: 30, lr: 0.1, weightDecay: 0.02 }, log: { ntk: { every: 0 } } };
    const sim = DeepSimulation.create(config, data);
    const heavy = DeepSimulation.create({ ...config, train: { ...config.train, optimizer: 'momentum', momentum: 0 } }, data);
    const reference = cloneDeepParams(sim.initialParams);
    const inputs = augmentInputs(data.train, true, 'data.train');
    for (let t = 0; t < 30; t++) deepGdStep(sim.spec, reference, inputs, data.train.y, 'square', { lr: 0.1, weightDecay: 0.02 });
    sim.step(30);
    heavy.step(30);
    const flat = (p: typeof reference) => [...p.weights, ...p.biases].map(bits);
    expect(flat(sim.params)).toEqual(flat(reference));
    expect(flat(heavy.params)).toEqual(flat(reference));
  });

  it('the two-layer momentum path with β = 0 follows the fused sgd kernel to 1e-13 (same data terms, another rounding order)', () => {
    const sgd = Simulation.create({ ...twoLayerConfig('sgd', 30, 0.2), train: { steps: 30, lr: 0.2, weightDecay: 0.01, backend: 'reference' } }, data);
    const heavy = Simulation.create({ ...twoLayerConfig('momentum', 30, 0.2), train: { steps: 30, lr: 0.2, weightDecay: 0.01, optimizer: 'momentum', momentum: 0 } }, data);
    sgd.step(30);
    heavy.step(30);
    expect(relativeMaxError(heavy.params.a, sgd.params.a)).toBeLessThanOrEqual(1e-13);
    expect(relativeMaxError(heavy.params.b, sgd.params.b)).toBeLessThanOrEqual(1e-13);
  });
});

describe("Adam's learning-rate factors (scaling.ts adamLrFactors)", () => {
  it('mup: TP5 Table 3 (input and biases η/√m in our a = −½ form, hidden η/m, output η/√m); ntk η/√m; mean-field 1', () => {
    const m = 64;
    const mup = adamLrFactors(resolveDeepSpec({ d: 3, depth: 3, width: m, scaling: 'mup' }));
    expect(mup.weights).toEqual([1 / 8, 1 / 64, 1 / 64, 1 / 8]);
    expect(mup.biases.filter((b) => b !== null)).toEqual([1 / 8, 1 / 8]);
    expect(adamLrFactors(resolveDeepSpec({ d: 3, depth: 1, width: m, scaling: 'ntk' })).weights).toEqual([1 / 8, 1 / 8]);
    expect(adamLrFactors(resolveDeepSpec({ d: 3, depth: 2, width: m, scaling: 'mean-field' })).weights).toEqual([1, Math.sqrt(m) ** -1, 1]);
  });

  it('exponents set by hand have no Adam row: a one-line train.optimizer error', () => {
    const spec = resolveDeepSpec({ d: 2, depth: 2, width: 8, scaling: { layers: [{ a: 0, b: 0, c: 0 }, { a: 0, b: 0.5, c: 0 }, { a: 0, b: 0.5, c: 0 }] } });
    expect(() => adamLrFactors(spec)).toThrow(/^train\.optimizer: adam needs the Adam learning rates of a named scaling[^\n]*$/);
  });
});

const native = loadNativeRuntime();
describe.skipIf(!native.ok)('the native kernel (f64) runs momentum and adam per block', () => {
  for (const optimizer of ['momentum', 'adam'] as const) {
    it(`${optimizer}: 30 steps, width 300 (two blocks of the native kernel's 256, the second partial), k = 1, follow the reference to 1e-11; resume is bitwise`, () => {
      const config = (steps: number, backend: 'native' | 'reference'): SimulationConfigInput => ({ ...twoLayerConfig(optimizer, steps, 0.02), model: { width: 300 }, train: { ...twoLayerConfig(optimizer, steps, 0.02).train, backend } });
      const nat = Simulation.create(config(30, 'native'), data);
      const ref = Simulation.create(config(30, 'reference'), data);
      expect(nat.backendInfo.backend).toBe('native');
      nat.step(30);
      ref.step(30);
      expect(relativeMaxError(nat.params.a, ref.params.a)).toBeLessThanOrEqual(1e-11);
      expect(relativeMaxError(nat.params.b, ref.params.b)).toBeLessThanOrEqual(1e-11);
      expect(relativeMaxError(Object.values(nat.optimizerState())[0], Object.values(ref.optimizerState())[0])).toBeLessThanOrEqual(1e-10);
      const first = Simulation.create(config(30, 'native'), data);
      first.step(11);
      const saved = Object.fromEntries(Object.entries(first.optimizerState()).map(([k, v]) => [k, Float64Array.from(v)]));
      const params = { ...first.params, a: Float64Array.from(first.params.a), b: Float64Array.from(first.params.b) };
      const resumed = Simulation.create(config(30, 'native'), data, { initialParams: first.initialParams, params, startStep: 11, optimizerState: saved });
      resumed.step(19);
      expect([bits(resumed.params.a), bits(resumed.params.b)]).toEqual([bits(nat.params.a), bits(nat.params.b)]);
    });
  }
});

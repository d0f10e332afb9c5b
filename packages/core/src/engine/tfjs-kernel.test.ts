/**
 * The TensorFlow.js step kernel (float32) against the float64 reference kernel: 50 full steps
 * through Simulation on the problems of backends.test.ts (n and m not multiples of the block or
 * SIMD width, D = 1, D = 785), rel. 1e-4 on risk and parameters; partial outputs and updates of
 * a neuron sub-range; the block summation contract; no tensor leak; selection and its errors.
 * Vector outputs (k = 2 and 10): 30 GD steps driven through the kernel interface against the
 * reference on the same float32-rounded start, rel. 1e-4 on outputs, a and b (measured ≤ ~1e-6);
 * sub-range partial outputs rel. 1e-6 of Σ|terms|, sub-range updates rel. 1e-6.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentInputs } from '../model/inputs.js';
import { initParams } from '../model/init.js';
import { cloneParams, type NetworkParams } from '../model/params.js';
import { CounterRng } from '../random/index.js';
import { loadTensorBackend, loadedTensorRuntime, type TfNamespace } from '../tensor/backend.js';
import { expectFieldError } from '../testing/expect-field.js';
import { fixedSampler, randomSplit, relativeError } from '../testing/fixtures.js';
import type { LossName, Parameterization } from '../types.js';
import { resolveSimulationConfig, type SimulationConfigInput } from './config.js';
import type { StepKernel } from './kernel.js';
import { updateCoefficients, type StepCoefficients } from './step-plan.js';
import { ReferenceKernel } from './reference-kernel.js';
import { Simulation, prepareKernel, selectKernel } from './simulation.js';
import { TfjsKernel, tfjsStepIsFaster, type TfjsKernelOptions } from './tfjs-kernel.js';
import { WasmKernel } from './wasm-kernel.js';
import { NativeKernel, nativeStepIsFaster } from './native-kernel.js';
import { loadNativeRuntime } from '../native/runtime.js';

const F32_TOLERANCE = 1e-4;

const f32Config = (backend: 'tfjs' | 'auto' | 'wasm', precision: 'f32' | 'f64' = 'f32') =>
  resolveSimulationConfig({ model: { width: 8 }, train: { backend, precision } });

// Must run first: TensorFlow.js is loaded once per process (vitest gives each file its own).
describe('before TensorFlow.js is loaded', () => {
  it('backend tfjs is refused with the way to load it, and f64 with tfjs is refused whatever is loaded', () => {
    expect(loadedTensorRuntime()).toBeNull();
    expectFieldError(() => selectKernel(f32Config('tfjs')), 'train.backend', /prepareKernel/);
    expectFieldError(() => new TfjsKernel(), 'train.backend', /loadTensorBackend/);
    expectFieldError(() => selectKernel(f32Config('tfjs', 'f64')), 'train.precision', /float32 only; use f32 or backend wasm/);
  });

  it('auto does not pick tfjs while it is not loaded, even on a shape it would', () => {
    const shape = { n: 10_000, D: 785, m: 1024 };
    expect(tfjsStepIsFaster(shape)).toBe(true);
    // The native GEMM kernel comes first where onnxruntime-node loads; never tfjs.
    expect(selectKernel(f32Config('auto'), shape)).toBeInstanceOf(loadNativeRuntime().ok ? NativeKernel : WasmKernel);
  });
});

interface Case {
  n: number;
  d: number;
  m: number;
  bias: boolean;
  parameterization: Parameterization;
  loss: LossName;
  centered?: boolean;
  lr: number;
  kernel?: TfjsKernelOptions;
}

// The problems of backends.test.ts, plus one cut into many row and neuron chunks.
const cases: Case[] = [
  { n: 37, d: 2, m: 13, bias: true, parameterization: 'mean-field', loss: 'square', lr: 0.5 },
  { n: 64, d: 3, m: 263, bias: true, parameterization: 'ntk', loss: 'square', lr: 0.2, kernel: { blockSize: 256 } },
  { n: 5, d: 1, m: 30, bias: false, parameterization: 'lazy', loss: 'logistic', lr: 0.5, kernel: { blockSize: 7 } },
  { n: 3, d: 4, m: 4, bias: true, parameterization: 'mean-field', loss: 'logistic', lr: 1, centered: true },
  { n: 21, d: 784, m: 9, bias: true, parameterization: 'ntk', loss: 'square', lr: 0.002 },
  { n: 130, d: 5, m: 515, bias: true, parameterization: 'mean-field', loss: 'square', lr: 1, kernel: { blockSize: 64 }, centered: true },
  { n: 101, d: 6, m: 75, bias: true, parameterization: 'mean-field', loss: 'square', lr: 0.5, kernel: { blockSize: 5, neuronChunk: 16, chunkElements: 16 * 9 } },
];

function run(c: Case, kernel?: TfjsKernel) {
  const split = randomSplit(c.n, 7, c.d, c.n + c.d, c.loss === 'logistic' ? 'classification' : 'regression');
  const config: SimulationConfigInput = {
    seed: 3,
    model: { width: c.m, parameterization: c.parameterization, alpha: 2, bias: c.bias, centered: c.centered ?? false },
    loss: c.loss,
    train: { lr: c.lr, weightDecay: 0.01, backend: kernel ? 'tfjs' : 'reference', precision: kernel ? 'f32' : 'f64' },
  };
  const sim = Simulation.create(config, split, { kernel });
  sim.step(50);
  return { sim, row: sim.observe() };
}

describe('TfjsKernel (float32) agrees with the float64 reference over 50 steps', () => {
  let tf: TfNamespace;
  beforeAll(async () => {
    await loadTensorBackend();
    tf = (loadedTensorRuntime() as NonNullable<ReturnType<typeof loadedTensorRuntime>>).tf;
  });

  for (const c of cases) {
    const options = c.kernel ? ` ${JSON.stringify(c.kernel)}` : '';
    it(`n=${c.n} D=${c.bias ? c.d + 1 : c.d} m=${c.m} ${c.parameterization} ${c.loss}${c.centered ? ' centered' : ''}${options}`, () => {
      const ref = run(c);
      const kernel = new TfjsKernel(c.kernel);
      const fast = run(c, kernel);
      expect(fast.sim.backendInfo.backend).toBe('tfjs');
      expect(fast.sim.backendInfo.precision).toBe('f32');
      expect(relativeError(fast.sim.params.a, ref.sim.params.a)).toBeLessThan(F32_TOLERANCE);
      expect(relativeError(fast.sim.params.b, ref.sim.params.b)).toBeLessThan(F32_TOLERANCE);
      expect(Math.abs(fast.row.risk_train - ref.row.risk_train) / ref.row.risk_train).toBeLessThan(F32_TOLERANCE);
      expect(Math.abs(fast.row.risk_test - ref.row.risk_test) / ref.row.risk_test).toBeLessThan(F32_TOLERANCE);
      // The comparison is of a trajectory that moved, computed in single precision.
      expect(ref.row.move).toBeGreaterThan(1e-4);
      expect(Array.from(fast.sim.params.a).every((v) => Math.fround(v) === v)).toBe(true);
      kernel.dispose();
    });
  }

  describe('on a neuron sub-range', () => {
    const n = 45;
    const D = 7;
    const m = 50;
    const split = randomSplit(n, 0, D, 11);
    const inputs = augmentInputs({ ...split.train, d: D }, false);
    const reference = new ReferenceKernel();
    const setup = () => {
      const kernel = new TfjsKernel({ blockSize: 8 });
      const params = initParams({ kind: 'gaussian', scale: 1, symmetric: false, sigmaA: 1, sigmaB: 1 }, m, D, 5);
      const handle = kernel.uploadParams(params);
      // The float32-rounded parameters, so that the reference sees the same starting point.
      kernel.downloadParams(handle, params);
      return { kernel, params, handle, x: kernel.uploadInputs(inputs) };
    };

    it('partial outputs of neurons [j0, j1) match the reference on them (rel. 1e-6 of Σ|terms|)', () => {
      const { kernel, params, handle, x } = setup();
      const out = new Float64Array(n);
      kernel.partialOutputs(handle, x, 11, 43, out);
      const expected = new Float64Array(n);
      reference.partialOutputs(params, inputs, 11, 43, expected);
      const magnitude = new Float64Array(n);
      const absParams = cloneParams(params);
      absParams.b.forEach((v, j) => (absParams.b[j] = Math.abs(v)));
      reference.partialOutputs(absParams, inputs, 11, 43, magnitude);
      for (let i = 0; i < n; i++) expect(Math.abs(out[i] - expected[i])).toBeLessThan(1e-6 * magnitude[i] + 1e-30);
      expect(expected.some((v) => v !== 0)).toBe(true);
      kernel.dispose();
    });

    it('a range cut at block boundaries sums to the same float64 value, bit for bit (summation contract)', () => {
      const { kernel, handle, x } = setup();
      const whole = new Float64Array(n);
      kernel.partialOutputs(handle, x, 8, 48, whole);
      const summed = new Float64Array(n);
      const part = new Float64Array(n);
      for (let block = 8; block < 48; block += 8) {
        kernel.partialOutputs(handle, x, block, block + 8, part);
        for (let i = 0; i < n; i++) summed[i] += part[i];
      }
      expect(whole).toEqual(summed);
      kernel.dispose();
    });

    it('update of neurons [j0, j1) matches the reference there and leaves the others exactly as they were', () => {
      const { kernel, params, handle, x } = setup();
      const r = new Float64Array(n).map((_, i) => Math.sin(i + 1) / n);
      const coef = updateCoefficients(0.3, 1.7, 0.05);
      kernel.update(handle, x, r, coef, 9, 37);
      const got = cloneParams(params);
      kernel.downloadParams(handle, got);
      const expected = cloneParams(params);
      reference.update(expected, inputs, r, coef, 9, 37);
      expect(relativeError(got.a.subarray(9 * D, 37 * D), expected.a.subarray(9 * D, 37 * D))).toBeLessThan(1e-6);
      expect(relativeError(got.b.subarray(9, 37), expected.b.subarray(9, 37))).toBeLessThan(1e-6);
      expect(relativeError(expected.b.subarray(9, 37), params.b.subarray(9, 37))).toBeGreaterThan(1e-3);
      expect(got.a.subarray(0, 9 * D)).toEqual(params.a.subarray(0, 9 * D));
      expect(got.a.subarray(37 * D)).toEqual(params.a.subarray(37 * D));
      expect(got.b.subarray(0, 9)).toEqual(params.b.subarray(0, 9));
      expect(got.b.subarray(37)).toEqual(params.b.subarray(37));
      kernel.dispose();
    });
  });

  it('holds no more tensors after steps than before (GD with logging, and SGD refreshing its batch)', () => {
    const split = randomSplit(300, 20, 3, 4);
    const config: SimulationConfigInput = { model: { width: 40, centered: true }, train: { lr: 0.5, backend: 'tfjs', precision: 'f32' } };
    const kernel = new TfjsKernel({ blockSize: 16, neuronChunk: 16, chunkElements: 16 * 64 });
    const before = tf.memory().numTensors;
    const gd = Simulation.create(config, split, { kernel });
    const sgd = Simulation.create({ ...config, train: { ...config.train, integrator: 'sgd', batchSize: 50 } }, { ...split, sampler: fixedSampler(split.train) }, { kernel });
    gd.step(1);
    sgd.step(1);
    gd.observe();
    const resident = tf.memory().numTensors;
    gd.step(5);
    gd.observe();
    sgd.step(5);
    sgd.observe();
    expect(tf.memory().numTensors).toBe(resident);
    expect(resident).toBeGreaterThan(before);
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports the TensorFlow.js backend that ran; f64 with tfjs is still refused once loaded', async () => {
    const split = randomSplit(10, 0, 2, 1);
    const sim = Simulation.create({ model: { width: 4 }, train: { backend: 'tfjs', precision: 'f32' } }, split);
    expect(sim.backendInfo).toEqual({ backend: 'tfjs', precision: 'f32', tensorBackend: (loadedTensorRuntime() as NonNullable<ReturnType<typeof loadedTensorRuntime>>).info.name });
    expect(Simulation.create({ model: { width: 4 }, train: { backend: 'wasm', precision: 'f32' } }, split).backendInfo).toEqual({ backend: 'wasm', precision: 'f32' });
    expectFieldError(() => selectKernel(f32Config('tfjs', 'f64')), 'train.precision');
    await expect(prepareKernel(f32Config('tfjs', 'f64'), { n: 10, D: 3, m: 4 })).rejects.toThrow(/^train\.precision: /);
    (sim.kernel as TfjsKernel).dispose();
  });

  it('auto takes tfjs for f32 on GEMM-bound shapes only (after the native kernel, where it loads), and never for f64', async () => {
    const big = { n: 10_000, D: 785, m: 1024 };
    const small = { n: 256, D: 3, m: 4096 };
    const native = loadNativeRuntime().ok;
    expect(await prepareKernel(f32Config('auto'), big)).toBeInstanceOf(native ? NativeKernel : TfjsKernel);
    expect(await prepareKernel(f32Config('auto'), small)).toBeInstanceOf(WasmKernel);
    expect(await prepareKernel(f32Config('auto', 'f64'), big)).toBeInstanceOf(native ? NativeKernel : WasmKernel);
    // A shape tfjs is faster on and the native kernel is not preferred for (D < 65).
    const mid = { n: 2048, D: 33, m: 4096 };
    expect(nativeStepIsFaster(mid) || !tfjsStepIsFaster(mid)).toBe(false);
    expect(await prepareKernel(f32Config('auto'), mid)).toBeInstanceOf(TfjsKernel);
    expect(await prepareKernel(f32Config('tfjs'), small)).toBeInstanceOf(TfjsKernel);
    // A simulation resolves `auto` the same way from its own shape (n = 1024, D = 33, m = 64).
    const sim = Simulation.create({ model: { width: 64 }, train: { precision: 'f32' } }, randomSplit(1024, 0, 32, 2));
    expect(sim.backendInfo.backend).toBe('tfjs');
    (sim.kernel as TfjsKernel).dispose();
  });
});

interface VectorCase {
  n: number;
  D: number;
  m: number;
  k: number;
  /** The output scale s of eq. (1) (1/m mean-field, 1/√m ntk). */
  s: number;
  coef: StepCoefficients;
  kernel?: TfjsKernelOptions;
}

// n, m not multiples of the blocks; D = 1 and D = 785; one case cut into many row and neuron chunks.
const vectorCases: VectorCase[] = [
  { n: 37, D: 3, m: 13, k: 2, s: 1 / 13, coef: updateCoefficients(0.5, 1, 0.01) },
  { n: 64, D: 4, m: 263, k: 10, s: 1 / Math.sqrt(263), coef: updateCoefficients(0.2, 1 / Math.sqrt(263), 0.01), kernel: { blockSize: 256 } },
  { n: 5, D: 1, m: 30, k: 2, s: 0.1, coef: updateCoefficients(0.4, 1.3, 0.05), kernel: { blockSize: 7 } },
  { n: 9, D: 1, m: 41, k: 10, s: 1 / 41, coef: updateCoefficients(0.7, 0.9, 0.02), kernel: { blockSize: 16 } },
  { n: 21, D: 785, m: 9, k: 10, s: 1 / Math.sqrt(9), coef: updateCoefficients(0.002, 1 / 3, 0.01) },
  { n: 13, D: 785, m: 70, k: 2, s: 1 / 70, coef: updateCoefficients(0.05, 1.5, 0.03), kernel: { blockSize: 32 } },
  { n: 130, D: 6, m: 515, k: 10, s: 1 / 515, coef: updateCoefficients(1, 1, 0.01), kernel: { blockSize: 64 } },
  { n: 101, D: 7, m: 75, k: 10, s: 1 / 75, coef: updateCoefficients(0.5, 1, 0.01), kernel: { blockSize: 5, neuronChunk: 16, chunkElements: 16 * 9 } },
];

/** Seeded inputs x̃ (n×D), targets (n×k) and float32-representable parameters (m neurons, k outputs). */
function vectorProblem(n: number, D: number, m: number, k: number, seed: number) {
  const rng = new CounterRng(seed, 77);
  let counter = 0;
  const normal = () => rng.at(counter++).normal();
  const x = new Float64Array(n * D).map(normal);
  const y = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let z = 0;
      for (let q = 0; q < D; q++) z += Math.sin(1 + q + 3 * c) * x[i * D + q];
      y[i * k + c] = Math.tanh(z / Math.sqrt(D));
    }
  }
  const params: NetworkParams = {
    m,
    D,
    k,
    a: new Float64Array(m * D).map(() => Math.fround(normal() / Math.sqrt(D))),
    b: new Float64Array(m * k).map(() => Math.fround(normal())),
  };
  return { inputs: { n, D, x }, y, params };
}

/** `steps` GD steps on the square loss through the StepKernel interface; the final outputs f = s·Σ_j b_j σ(a_j·x̃). */
function vectorTrajectory(kernel: StepKernel, start: NetworkParams, inputs: { n: number; D: number; x: Float64Array }, y: Float64Array, c: VectorCase, steps: number) {
  const params = cloneParams(start);
  const handle = kernel.uploadParams(params);
  const x = kernel.uploadInputs(inputs);
  const out = new Float64Array(c.n * c.k);
  const r = new Float64Array(c.n * c.k);
  for (let t = 0; t < steps; t++) {
    kernel.partialOutputs(handle, x, 0, c.m, out);
    for (let t2 = 0; t2 < r.length; t2++) r[t2] = (c.s * out[t2] - y[t2]) / c.n;
    kernel.update(handle, x, r, c.coef, 0, c.m);
  }
  kernel.partialOutputs(handle, x, 0, c.m, out);
  kernel.downloadParams(handle, params);
  return { params, outputs: out.map((v) => c.s * v) };
}

describe('TfjsKernel with k outputs (float32) agrees with the float64 reference over 30 steps', () => {
  let tf: TfNamespace;
  beforeAll(async () => {
    await loadTensorBackend();
    tf = (loadedTensorRuntime() as NonNullable<ReturnType<typeof loadedTensorRuntime>>).tf;
  });

  for (const c of vectorCases) {
    const options = c.kernel ? ` ${JSON.stringify(c.kernel)}` : '';
    it(`n=${c.n} D=${c.D} m=${c.m} k=${c.k} lr=${c.coef.lr} step=${c.coef.step.toPrecision(3)} shrink=${c.coef.shrink}${options}`, () => {
      const { inputs, y, params } = vectorProblem(c.n, c.D, c.m, c.k, c.n + c.m);
      const ref = vectorTrajectory(new ReferenceKernel(), params, inputs, y, c, 30);
      const kernel = new TfjsKernel(c.kernel);
      const fast = vectorTrajectory(kernel, params, inputs, y, c, 30);
      expect(relativeError(fast.outputs, ref.outputs)).toBeLessThan(F32_TOLERANCE);
      expect(relativeError(fast.params.a, ref.params.a)).toBeLessThan(F32_TOLERANCE);
      expect(relativeError(fast.params.b, ref.params.b)).toBeLessThan(F32_TOLERANCE);
      // A trajectory that moved, in single precision, with k-vector outputs.
      expect(relativeError(ref.params.a, params.a)).toBeGreaterThan(1e-3);
      expect(relativeError(ref.params.b, params.b)).toBeGreaterThan(1e-3);
      expect(fast.params.b.length).toBe(c.m * c.k);
      expect(Array.from(fast.params.b).every((v) => Math.fround(v) === v)).toBe(true);
      kernel.dispose();
    });
  }

  describe('on a neuron sub-range (k = 10)', () => {
    const n = 45;
    const D = 7;
    const m = 50;
    const k = 10;
    const { inputs, params: start } = vectorProblem(n, D, m, k, 5);
    const reference = new ReferenceKernel();
    const setup = () => {
      const kernel = new TfjsKernel({ blockSize: 8, neuronChunk: 8, chunkElements: 8 * 20 });
      const params = cloneParams(start);
      return { kernel, params, handle: kernel.uploadParams(params), x: kernel.uploadInputs(inputs) };
    };

    it('partial outputs of neurons [j0, j1) match the reference on them (rel. 1e-6 of Σ|terms|)', () => {
      const { kernel, params, handle, x } = setup();
      const out = new Float64Array(n * k);
      kernel.partialOutputs(handle, x, 11, 43, out);
      const expected = new Float64Array(n * k);
      reference.partialOutputs(params, inputs, 11, 43, expected);
      const magnitude = new Float64Array(n * k);
      const absParams = cloneParams(params);
      absParams.b.forEach((v, j) => (absParams.b[j] = Math.abs(v)));
      reference.partialOutputs(absParams, inputs, 11, 43, magnitude);
      for (let t = 0; t < n * k; t++) expect(Math.abs(out[t] - expected[t])).toBeLessThan(1e-6 * magnitude[t] + 1e-30);
      expect(expected.some((v) => v !== 0)).toBe(true);
      kernel.dispose();
    });

    it('a range cut at block boundaries sums to the same float64 value, bit for bit (summation contract)', () => {
      const { kernel, handle, x } = setup();
      const whole = new Float64Array(n * k);
      kernel.partialOutputs(handle, x, 8, 48, whole);
      const summed = new Float64Array(n * k);
      const part = new Float64Array(n * k);
      for (let block = 8; block < 48; block += 8) {
        kernel.partialOutputs(handle, x, block, block + 8, part);
        for (let t = 0; t < n * k; t++) summed[t] += part[t];
      }
      expect(whole).toEqual(summed);
      kernel.dispose();
    });

    it('update of neurons [j0, j1) matches the reference there and leaves the others exactly as they were', () => {
      const { kernel, params, handle, x } = setup();
      const r = new Float64Array(n * k).map((_, t) => Math.sin(t + 1) / n);
      const coef = updateCoefficients(0.3, 1.7, 0.05);
      kernel.update(handle, x, r, coef, 9, 37);
      const got = cloneParams(params);
      kernel.downloadParams(handle, got);
      const expected = cloneParams(params);
      reference.update(expected, inputs, r, coef, 9, 37);
      expect(relativeError(got.a.subarray(9 * D, 37 * D), expected.a.subarray(9 * D, 37 * D))).toBeLessThan(1e-6);
      expect(relativeError(got.b.subarray(9 * k, 37 * k), expected.b.subarray(9 * k, 37 * k))).toBeLessThan(1e-6);
      expect(relativeError(expected.a.subarray(9 * D, 37 * D), params.a.subarray(9 * D, 37 * D))).toBeGreaterThan(1e-3);
      expect(relativeError(expected.b.subarray(9 * k, 37 * k), params.b.subarray(9 * k, 37 * k))).toBeGreaterThan(1e-3);
      expect(got.a.subarray(0, 9 * D)).toEqual(params.a.subarray(0, 9 * D));
      expect(got.a.subarray(37 * D)).toEqual(params.a.subarray(37 * D));
      expect(got.b.subarray(0, 9 * k)).toEqual(params.b.subarray(0, 9 * k));
      expect(got.b.subarray(37 * k)).toEqual(params.b.subarray(37 * k));
      kernel.dispose();
    });

    it('with no samples, an update is weight decay alone', () => {
      const { kernel, params, handle } = setup();
      const empty = kernel.uploadInputs({ n: 0, D, x: new Float64Array(0) });
      kernel.update(handle, empty, new Float64Array(0), updateCoefficients(0.5, 2, 0.1), 0, m);
      const got = cloneParams(params);
      kernel.downloadParams(handle, got);
      expect(relativeError(got.a, params.a.map((v) => 0.95 * v))).toBeLessThan(1e-7);
      expect(relativeError(got.b, params.b.map((v) => 0.95 * v))).toBeLessThan(1e-7);
      kernel.dispose();
    });
  });

  it('holds no more tensors after steps than before (k = 10, many chunks, inputs refreshed)', () => {
    const n = 300;
    const D = 4;
    const m = 40;
    const k = 10;
    const { inputs, y, params } = vectorProblem(n, D, m, k, 9);
    const batch = vectorProblem(50, D, m, k, 10).inputs;
    const kernel = new TfjsKernel({ blockSize: 16, neuronChunk: 16, chunkElements: 16 * 64 });
    const before = tf.memory().numTensors;
    const handle = kernel.uploadParams(params);
    const full = kernel.uploadInputs(inputs);
    const sgd = kernel.uploadInputs(batch);
    const out = new Float64Array(n * k);
    const r = new Float64Array(n * k);
    const coef = updateCoefficients(0.5, 1, 0.01);
    const step = () => {
      kernel.partialOutputs(handle, full, 0, m, out);
      for (let t = 0; t < r.length; t++) r[t] = (out[t] / m - y[t]) / n;
      kernel.update(handle, full, r, coef, 0, m);
      kernel.update(handle, full, r, coef, 3, 29);
      kernel.refreshInputs(sgd, batch);
      kernel.partialOutputs(handle, sgd, 0, m, out.subarray(0, 50 * k));
      kernel.update(handle, sgd, r.subarray(0, 50 * k), coef, 0, m);
    };
    step();
    const resident = tf.memory().numTensors;
    for (let t = 0; t < 5; t++) step();
    kernel.downloadParams(handle, params);
    expect(tf.memory().numTensors).toBe(resident);
    expect(resident).toBeGreaterThan(before);
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

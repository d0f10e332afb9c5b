/**
 * The native (ONNX Runtime GEMM) step kernel against the float64 ReferenceKernel: partial
 * outputs and 20 closed-loop GD steps with weight decay, k = 1, 3 and 10, on shapes whose m is
 * not a multiple of the block and whose n, D are odd. Tolerances (relative L2): f64 1e-12,
 * f32 1e-4 (inputs and parameters rounded to float32 first, so only the arithmetic differs).
 * Also: the engine runs it under `train.backend: native` (GD and minibatch SGD, softmax), and
 * `auto` picks it only where nativeStepIsFaster says so. Skips, with the reason, where
 * onnxruntime-node (an optional dependency) did not install.
 */
import { describe, expect, it } from 'vitest';
import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { loadNativeRuntime } from '../native/runtime.js';
import { CounterRng } from '../random/index.js';
import { randomClassSplit, randomSplit, relativeError } from '../testing/fixtures.js';
import type { Precision } from '../types.js';
import { resolveSimulationConfig } from './config.js';
import type { StepKernel } from './kernel.js';
import { NATIVE_SAMPLE_CHUNK, NativeKernel, nativeStepIsFaster } from './native-kernel.js';
import { ReferenceKernel } from './reference-kernel.js';
import { Simulation, selectKernel } from './simulation.js';
import { updateCoefficients } from './step-plan.js';

const runtime = loadNativeRuntime();
const describeNative = runtime.ok ? describe : describe.skip;
if (!runtime.ok) console.warn(`native kernel tests skipped: ${runtime.reason}`);

const tolerance: Record<Precision, number> = { f64: 1e-12, f32: 1e-4 };

function normals(count: number, seed: number, f32: boolean): Float64Array {
  const rng = new CounterRng(seed, 1002);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = f32 ? Math.fround(rng.at(i).normal()) : rng.at(i).normal();
  return out;
}

function problem(n: number, m: number, D: number, k: number, seed: number, f32: boolean) {
  const x = normals(n * D, seed, f32);
  for (let i = 0; i < n; i++) x[i * D + D - 1] = 1;
  const params: NetworkParams = { m, D, k, a: normals(m * D, seed + 1, f32), b: normals(m * k, seed + 2, f32) };
  const inputs: AugmentedInputs = { n, D, x };
  return { params, inputs, y: normals(n * k, seed + 3, false) };
}

/** 20 GD steps on the square loss in NTK scaling with weight decay; every step's outputs and the final parameters. */
function train(kernel: StepKernel, pb: ReturnType<typeof problem>, steps: number) {
  const { m, D } = pb.params;
  const k = pb.params.k ?? 1;
  const n = pb.inputs.n;
  const s = 1 / Math.sqrt(m);
  const coef = updateCoefficients(0.3, s, 0.01);
  const ph = kernel.uploadParams({ ...pb.params, a: pb.params.a.slice(), b: pb.params.b.slice() });
  const xh = kernel.uploadInputs(pb.inputs);
  const out = new Float64Array(n * k);
  const r = new Float64Array(n * k);
  const outputs: Float64Array[] = [];
  for (let t = 0; t < steps; t++) {
    kernel.partialOutputs(ph, xh, 0, m, out);
    outputs.push(out.slice());
    for (let q = 0; q < n * k; q++) r[q] = (s * out[q] - pb.y[q]) / n;
    kernel.update(ph, xh, r, coef, 0, m);
  }
  const final: NetworkParams = { m, D, k, a: new Float64Array(m * D), b: new Float64Array(m * k) };
  kernel.downloadParams(ph, final);
  return { final, outputs };
}

describeNative('native kernel agrees with the float64 reference', () => {
  const shapes = [
    { n: 37, m: 13, D: 5, blockSize: 4 },
    { n: 129, m: 300, D: 33, blockSize: 256 },
    { n: 3, m: 70, D: 2, blockSize: 8 },
  ];
  for (const precision of ['f64', 'f32'] as const) {
    const tol = tolerance[precision];
    for (const k of [1, 3, 10]) {
      for (const { n, m, D, blockSize } of shapes) {
        it(`${precision} k=${k} n=${n} m=${m} D=${D} block=${blockSize}: outputs and 20 steps within ${tol}`, () => {
          const pb = problem(n, m, D, k, 7 * n + m + k, precision === 'f32');
          const ref = train(new ReferenceKernel(), pb, 20);
          const fast = train(new NativeKernel(precision, blockSize), pb, 20);
          for (let t = 0; t < 20; t++) expect(relativeError(fast.outputs[t], ref.outputs[t])).toBeLessThan(tol);
          expect(relativeError(fast.final.a, ref.final.a)).toBeLessThan(tol);
          expect(relativeError(fast.final.b, ref.final.b)).toBeLessThan(tol);
          // The comparison is of a trajectory that moved.
          expect(relativeError(ref.final.b, pb.params.b)).toBeGreaterThan(1e-3);
          expect(relativeError(ref.final.a, pb.params.a)).toBeGreaterThan(1e-4);
        });
      }
    }
  }

  for (const precision of ['f64', 'f32'] as const) {
    it(`${precision}: the update from kept σ(Z) and the one that recomputes it give the same bits (20 steps, k = 1 and 3)`, () => {
      for (const k of [1, 3]) {
        const pb = problem(45, 70, 12, k, 9 + k, precision === 'f32');
        const kept = train(new NativeKernel(precision, 16), pb, 20);
        const recomputed = train(new NativeKernel(precision, 16, 0), pb, 20);
        expect(Array.from(kept.final.a)).toEqual(Array.from(recomputed.final.a));
        expect(Array.from(kept.final.b)).toEqual(Array.from(recomputed.final.b));
      }
    });
  }

  it('sets beyond one sample chunk (n = 20 000 > NATIVE_SAMPLE_CHUNK): 5 steps within 1e-12 of the reference (f64, k = 2)', () => {
    expect(20_000).toBeGreaterThan(NATIVE_SAMPLE_CHUNK);
    const pb = problem(20_000, 40, 6, 2, 31, false);
    const ref = train(new ReferenceKernel(), pb, 5);
    const fast = train(new NativeKernel('f64', 16), pb, 5);
    for (let t = 0; t < 5; t++) expect(relativeError(fast.outputs[t], ref.outputs[t])).toBeLessThan(1e-12);
    expect(relativeError(fast.final.a, ref.final.a)).toBeLessThan(1e-12);
    expect(relativeError(fast.final.b, ref.final.b)).toBeLessThan(1e-12);
  });

  it('block ranges: partial outputs of blocks [0, 2) and [2, end) add up to the whole, and a range off a block boundary is refused', () => {
    const pb = problem(40, 50, 9, 2, 3, false);
    const kernel = new NativeKernel('f64', 16);
    const ph = kernel.uploadParams(pb.params);
    const xh = kernel.uploadInputs(pb.inputs);
    const whole = new Float64Array(80);
    const first = new Float64Array(80);
    const rest = new Float64Array(80);
    kernel.partialOutputs(ph, xh, 0, 50, whole);
    kernel.partialOutputs(ph, xh, 0, 32, first);
    kernel.partialOutputs(ph, xh, 32, 50, rest);
    const sum = first.map((v, i) => v + rest[i]);
    expect(relativeError(sum, whole)).toBeLessThan(1e-14);
    expect(() => kernel.partialOutputs(ph, xh, 5, 50, rest)).toThrow(/block boundary \(16\), got 5/);
  });

  for (const precision of ['f64', 'f32'] as const) {
    it(`${precision}: Simulation with backend native follows the reference engine (GD square, and softmax SGD k = 4) for 20 steps`, () => {
      const tol = tolerance[precision];
      const cases = [
        { config: { loss: 'square' as const, model: { width: 300, parameterization: 'ntk' as const }, train: { steps: 20, lr: 0.2, weightDecay: 0.01 } }, data: randomSplit(64, 16, 40, 1) },
        {
          config: { loss: 'softmax' as const, model: { width: 260, centered: true }, train: { steps: 20, lr: 0.5, integrator: 'sgd' as const, batchSize: 16, weightDecay: 0.01 } },
          data: randomClassSplit(64, 16, 40, 4, 2),
        },
      ];
      for (const { config, data } of cases) {
        const run = (backend: 'native' | 'reference', p: Precision) => {
          const sim = Simulation.create({ ...config, train: { ...config.train, backend, precision: p } }, data);
          sim.step(20);
          return { params: sim.params, test: sim.testOutputs().slice(), backend: sim.backendInfo.backend };
        };
        const ref = run('reference', 'f64');
        const native = run('native', precision);
        expect(native.backend).toBe('native');
        expect(relativeError(native.params.a, ref.params.a)).toBeLessThan(tol);
        expect(relativeError(native.params.b, ref.params.b)).toBeLessThan(tol);
        expect(relativeError(native.test, ref.test)).toBeLessThan(tol * 10);
      }
    });
  }

  it('auto takes native on GEMM-bound shapes only, in both precisions', () => {
    for (const precision of ['f32', 'f64'] as const) {
      const config = resolveSimulationConfig({ train: { backend: 'auto', precision } });
      expect(selectKernel(config, { n: 10_000, D: 785, m: 1024 }).backend).toBe('native');
      expect(selectKernel(config, { n: 1024, D: 3, m: 65_536 }).backend).toBe('wasm');
    }
    expect(nativeStepIsFaster({ n: 100, D: 785, m: 1024 })).toBe(true);
  });
});

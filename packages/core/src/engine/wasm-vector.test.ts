/**
 * Vector outputs (b_j ∈ R^k, k ≥ 2) in the wasm kernels, against the float64 ReferenceKernel:
 * partial outputs and 20 closed-loop GD steps (each kernel forms its own residuals) on shapes
 * whose n, m and D are not multiples of 4, the SIMD width or the neuron block.
 * Tolerances (relative L2): f64 1e-12, f32 1e-4 (inputs and parameters are rounded to float32
 * first, so only the arithmetic differs). The data-sharded path (updateVec in grad mode on
 * strided sample-block slices, then applyGradientsVec) must give the direct update's parameters
 * to 1e-12 in f64 (1e-6 in f32). k = 1 handles must keep the scalar kernels, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { CounterRng } from '../random/index.js';
import { relativeError } from '../testing/fixtures.js';
import type { Precision } from '../types.js';
import type { StepKernel } from './kernel.js';
import { updateCoefficients, type StepCoefficients } from './step-plan.js';
import { ReferenceKernel } from './reference-kernel.js';
import { instantiateWasmKernels, kernelsOf } from './wasm-module.js';
import { sampleStride, WasmKernel } from './wasm-kernel.js';

const tolerance: Record<Precision, number> = { f64: 1e-12, f32: 1e-4 };

function normals(count: number, seed: number, scale = 1, f32 = false): Float64Array {
  const rng = new CounterRng(seed, 1001);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = scale * rng.at(i).normal();
    out[i] = f32 ? Math.fround(v) : v;
  }
  return out;
}

interface Problem {
  params: NetworkParams;
  inputs: AugmentedInputs;
  /** n × k targets */
  y: Float64Array;
}

function problem(n: number, m: number, D: number, k: number, seed: number, f32: boolean): Problem {
  const x = normals(n * D, seed, 1, f32);
  // A bias-like last coordinate, as x̃ = (x, 1), when D > 1.
  if (D > 1) for (let i = 0; i < n; i++) x[i * D + D - 1] = 1;
  return {
    params: { m, D, k, a: normals(m * D, seed + 1, 1, f32), b: normals(m * k, seed + 2, 1, f32) },
    inputs: { n, D, x },
    y: normals(n * k, seed + 3),
  };
}

function cloneParams(p: NetworkParams): NetworkParams {
  return { m: p.m, D: p.D, k: p.k, a: p.a.slice(), b: p.b.slice() };
}

/** `steps` GD steps on the square loss, f = s·Σ_j b_j σ(a_j·x̃), s = 1/√m (ntk); returns the final params and every step's outputs. */
function train(kernel: StepKernel, pb: Problem, steps: number) {
  const { m, D } = pb.params;
  const k = pb.params.k ?? 1;
  const n = pb.inputs.n;
  const s = 1 / Math.sqrt(m);
  const coef: StepCoefficients = updateCoefficients(0.3, s, 0.01);
  const ph = kernel.uploadParams(cloneParams(pb.params));
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

const shapes = [
  { n: 37, m: 13, D: 5, blockSize: 4 },
  { n: 128, m: 300, D: 17, blockSize: 64 },
  { n: 29, m: 22, D: 1, blockSize: 8 },
  { n: 3, m: 5, D: 2, blockSize: 256 },
];

describe('wasm vector outputs agree with the float64 reference', () => {
  for (const precision of ['f64', 'f32'] as const) {
    const tol = tolerance[precision];
    for (const k of [2, 3, 10]) {
      for (const { n, m, D, blockSize } of shapes) {
        it(`${precision} k=${k} n=${n} m=${m} D=${D} block=${blockSize}: outputs and 20 steps within ${tol}`, () => {
          const pb = problem(n, m, D, k, 11 * n + m + k, precision === 'f32');
          const ref = train(new ReferenceKernel(), pb, 20);
          const fast = train(new WasmKernel(precision, { blockSize }), pb, 20);
          for (let t = 0; t < 20; t++) expect(relativeError(fast.outputs[t], ref.outputs[t])).toBeLessThan(tol);
          expect(relativeError(fast.final.a, ref.final.a)).toBeLessThan(tol);
          expect(relativeError(fast.final.b, ref.final.b)).toBeLessThan(tol);
          // The comparison is of a trajectory that moved.
          expect(relativeError(ref.final.b, pb.params.b)).toBeGreaterThan(1e-3);
          expect(relativeError(ref.final.a, pb.params.a)).toBeGreaterThan(1e-4);
        });
      }
    }

    it(`${precision}: partial outputs of a neuron range not on the register tile (j = 3..18, k = 3)`, () => {
      const pb = problem(41, 23, 6, 3, 5, precision === 'f32');
      const want = new Float64Array(41 * 3);
      const got = new Float64Array(41 * 3);
      const reference = new ReferenceKernel();
      reference.partialOutputs(reference.uploadParams(pb.params), reference.uploadInputs(pb.inputs), 3, 19, want);
      const wasm = new WasmKernel(precision, { blockSize: 5 });
      wasm.partialOutputs(wasm.uploadParams(pb.params), wasm.uploadInputs(pb.inputs), 3, 19, got);
      expect(relativeError(got, want)).toBeLessThan(tol);
    });
  }

  it('one kernel serves k = 1, k = 10 and k = 2 handles side by side (scratch grows at upload only)', () => {
    const kernel = new WasmKernel('f64', { blockSize: 16 });
    const reference = new ReferenceKernel();
    const inputs = problem(50, 1, 7, 2, 1, false).inputs;
    const xh = kernel.uploadInputs(inputs);
    for (const k of [1, 10, 2]) {
      const pb = problem(50, 33, 7, k, 40 + k, false);
      const params: NetworkParams = k === 1 ? { m: 33, D: 7, a: pb.params.a, b: pb.params.b } : pb.params;
      const got = new Float64Array(50 * k);
      const want = new Float64Array(50 * k);
      kernel.partialOutputs(kernel.uploadParams(params), xh, 0, 33, got);
      reference.partialOutputs(params, inputs, 0, 33, want);
      expect(relativeError(got, want)).toBeLessThan(1e-12);
    }
  });
});

describe('k = 1 stays on the scalar kernels', () => {
  for (const precision of ['f64', 'f32'] as const) {
    it(`${precision}: a handle with k = 1 or without k gives the scalar kernels' bits`, () => {
      const pb = problem(37, 13, 5, 1, 9, precision === 'f32');
      const withoutK: NetworkParams = { m: 13, D: 5, a: pb.params.a, b: pb.params.b };
      const a = train(new WasmKernel(precision, { blockSize: 4 }), { ...pb, params: withoutK }, 10);
      const b = train(new WasmKernel(precision, { blockSize: 4 }), pb, 10);
      // The scalar kernels called directly, laid out as WasmKernel lays them out.
      const direct = scalarRun(precision, pb, 10, 4);
      for (const run of [a, b]) {
        expect(Array.from(run.final.a)).toEqual(Array.from(direct.a));
        expect(Array.from(run.final.b)).toEqual(Array.from(direct.b));
      }
      expect(new WasmKernel(precision).uploadParams(withoutK)).not.toHaveProperty('k');
    });
  }
});

/** A bump allocator over a fresh kernels instance's own memory. */
function arena(precision: Precision) {
  const wasm = instantiateWasmKernels();
  const S = precision === 'f32' ? 4 : 8;
  let top = wasm.memory.buffer.byteLength;
  const alloc = (bytes: number) => {
    const ptr = top;
    top += Math.ceil(bytes / 16) * 16;
    const have = wasm.memory.buffer.byteLength;
    if (top > have) wasm.memory.grow(Math.ceil((top - have) / 65536));
    return ptr;
  };
  const view = () => (precision === 'f32' ? new Float32Array(wasm.memory.buffer) : new Float64Array(wasm.memory.buffer));
  const f64 = () => new Float64Array(wasm.memory.buffer);
  const write = (ptr: number, values: ArrayLike<number>) => view().set(values, ptr / S);
  const read = (ptr: number, count: number) => Float64Array.from(view().subarray(ptr / S, ptr / S + count));
  /** x̃ (n × D sample-major) into D rows of `stride`. */
  const writeRows = (ptr: number, v: Float64Array, n: number, rows: number, stride: number) => {
    const h = view();
    for (let c = 0; c < rows; c++) for (let i = 0; i < n; i++) h[ptr / S + c * stride + i] = v[i * rows + c];
  };
  return { wasm, kernels: kernelsOf(wasm, precision), S, alloc, write, read, writeRows, f64 };
}

function scalarRun(precision: Precision, pb: Problem, steps: number, blockSize: number) {
  const { m, D } = pb.params;
  const n = pb.inputs.n;
  const A = arena(precision);
  const stride = sampleStride(n, A.S);
  const x = A.alloc(D * stride * A.S);
  const a = A.alloc(m * D * A.S);
  const b = A.alloc(m * A.S);
  const acc = A.alloc(stride * A.S);
  const r = A.alloc(stride * A.S);
  const out = A.alloc(stride * 8);
  const ga = A.alloc(4 * D * 16);
  const coef = A.alloc(16);
  A.writeRows(x, pb.inputs.x, n, D, stride);
  A.write(a, pb.params.a);
  A.write(b, pb.params.b);
  const s = 1 / Math.sqrt(m);
  A.f64().set([0.3 * s, 1 - 0.3 * 0.01], coef / 8);
  for (let t = 0; t < steps; t++) {
    A.kernels.forward(n, stride, D, x, a, b, 0, m, blockSize, acc, out, 0);
    const f = A.f64().subarray(out / 8, out / 8 + n);
    const rv = new Float64Array(n);
    for (let i = 0; i < n; i++) rv[i] = (s * f[i] - pb.y[i]) / n;
    A.write(r, rv);
    A.kernels.update(n, stride, D, x, a, b, r, 0, m, coef, ga, 0);
  }
  return { a: A.read(a, m * D), b: A.read(b, m) };
}

describe('data-sharded vector update: grad mode + applyGradientsVec equals the direct update', () => {
  const cases = [
    { precision: 'f64' as const, n: 37, m: 13, D: 5, k: 3, sampleBlock: 16, tol: 1e-12 },
    { precision: 'f64' as const, n: 128, m: 300, D: 17, k: 10, sampleBlock: 48, tol: 1e-12 },
    { precision: 'f64' as const, n: 29, m: 9, D: 1, k: 2, sampleBlock: 12, tol: 1e-12 },
    { precision: 'f32' as const, n: 37, m: 13, D: 5, k: 3, sampleBlock: 16, tol: 1e-6 },
  ];
  for (const { precision, n, m, D, k, sampleBlock, tol } of cases) {
    it(`${precision} n=${n} m=${m} D=${D} k=${k}: 3 sample blocks of ≤ ${sampleBlock}, 5 steps, within ${tol}`, () => {
      const pb = problem(n, m, D, k, 3 * n + k, precision === 'f32');
      const A = arena(precision);
      const S = A.S;
      const stride = sampleStride(n, S);
      const x = A.alloc(D * stride * S);
      const r = A.alloc(k * stride * S);
      const acc = A.alloc(k * stride * S);
      const out = A.alloc(n * k * 8);
      const ga = A.alloc(4 * D * 16);
      const gb = A.alloc(4 * k * 16);
      const coef = A.alloc(16);
      const blocks = Math.ceil(n / sampleBlock);
      expect(blocks).toBe(3);
      const gradBytes = (k + D) * 8;
      const blockBytes = m * gradBytes;
      const grad = A.alloc(blocks * blockBytes);
      const direct = { a: A.alloc(m * D * S), b: A.alloc(m * k * S) };
      const sharded = { a: A.alloc(m * D * S), b: A.alloc(m * k * S) };
      A.writeRows(x, pb.inputs.x, n, D, stride);
      for (const p of [direct, sharded]) {
        A.write(p.a, pb.params.a);
        A.write(p.b, pb.params.b);
      }
      A.f64().set([0.3 / Math.sqrt(m), 1 - 0.3 * 0.01], coef / 8);
      const { forwardVec, updateVec, applyGradientsVec } = A.kernels;
      // Neuron tiles as the partitioner cuts them (multiples of 4, a ragged last one).
      const tiles = [0, 8, Math.min(m, 12), m].filter((v, i, all) => i === 0 || v > all[i - 1]);
      const s = 1 / Math.sqrt(m);
      for (let t = 0; t < 5; t++) {
        // Residuals from the direct run's outputs, shared by both (the update is what is compared).
        forwardVec(n, stride, D, k, x, direct.a, direct.b, 0, m, 64, acc, out, 0);
        const f = A.f64().slice(out / 8, out / 8 + n * k);
        const rv = new Float64Array(n * k);
        for (let q = 0; q < n * k; q++) rv[q] = (s * f[q] - pb.y[q]) / n;
        A.writeRows(r, rv, n, k, stride);
        updateVec(n, stride, D, k, x, direct.a, direct.b, r, 0, m, coef, ga, gb, 0);
        for (let sb = 0; sb < blocks; sb++) {
          const i0 = sb * sampleBlock;
          const nb = Math.min(n, i0 + sampleBlock) - i0;
          for (let q = 0; q + 1 < tiles.length; q++) {
            const j0 = tiles[q];
            updateVec(nb, stride, D, k, x + i0 * S, sharded.a, sharded.b, r + i0 * S, j0, tiles[q + 1], coef, ga, gb, grad + sb * blockBytes + j0 * gradBytes);
          }
        }
        for (let q = 0; q + 1 < tiles.length; q++) {
          const j0 = tiles[q];
          applyGradientsVec(D, k, sharded.a, sharded.b, grad + j0 * gradBytes, blocks, blockBytes, j0, tiles[q + 1], coef);
        }
      }
      const da = A.read(direct.a, m * D);
      const db = A.read(direct.b, m * k);
      expect(relativeError(A.read(sharded.a, m * D), da)).toBeLessThan(tol);
      expect(relativeError(A.read(sharded.b, m * k), db)).toBeLessThan(tol);
      expect(relativeError(db, pb.params.b)).toBeGreaterThan(1e-4);
    });
  }
});

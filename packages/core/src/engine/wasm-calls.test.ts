/**
 * Bounded wasm calls (wasm-calls.ts): the start-up fix for large shapes. V8 runs the first call
 * of a wasm function in baseline code to its end, so a forward pass or update done in one call
 * at (n, D, m) = (10 000, 785, 1024) ran seconds slower at the first step. These tests guard the
 * fix without timing anything:
 * - the call plan: at that shape (f32 and f64, k = 1 and 10, one thread's range and a shard
 *   worker's) every kernel call stays within WASM_CALL_WORK multiply-adds or the kernel's smallest
 *   unit, the calls cover each (block, sample) and each neuron once, in block order per sample;
 *   small problems still make one call;
 * - the bits: cut calls give exactly the one-call results (forward, forwardVec, update and
 *   updateVec, direct and grad mode), with a small budget on shapes with ragged ends;
 * - the engines: Simulation's kernel and the kernels that the shard workers take (kernelsOf)
 *   are the bounded ones.
 */
import { describe, expect, it, vi } from 'vitest';
import { makeDataset } from '../data/generators.js';
import { CounterRng } from '../random/index.js';
import type { Precision } from '../types.js';
import { CALL_SAMPLE_ALIGN, WASM_CALL_WORK, boundedCalls } from './wasm-calls.js';
import { sampleStride } from './wasm-kernel.js';
import { instantiateWasmKernels, kernelsOf, type PrecisionKernels } from './wasm-module.js';
import { Simulation } from './simulation.js';

/** Every call of the wasm exports made in this file (instances come from the wrapped instantiateWasmKernels). */
const wasmCalls: { name: string; args: number[] }[] = [];
vi.mock(import('./wasm-module.js'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    instantiateWasmKernels: () => {
      const exports = original.instantiateWasmKernels() as unknown as Record<string, unknown>;
      const recorded: Record<string, unknown> = { memory: exports.memory };
      for (const [name, value] of Object.entries(exports)) {
        if (typeof value !== 'function') continue;
        const fn = value as (...args: number[]) => void;
        recorded[name] = (...args: number[]) => {
          wasmCalls.push({ name, args });
          fn(...args);
        };
      }
      return recorded as unknown as ReturnType<typeof original.instantiateWasmKernels>;
    },
  };
});

interface Call {
  fn: 'forward' | 'forwardVec' | 'update' | 'updateVec';
  n: number;
  D: number;
  k: number;
  x: number;
  j0: number;
  j1: number;
  out: number;
  accumulate: number;
  grad: number;
}

/** Raw kernels that only record their calls (no wasm): the plan of a call at any shape, at once. */
function recorder(): { kernels: PrecisionKernels; calls: Call[] } {
  const calls: Call[] = [];
  const kernels: PrecisionKernels = {
    forward: (n, _stride, D, x, _a, _b, j0, j1, _bs, _acc, out, accumulate) => void calls.push({ fn: 'forward', n, D, k: 1, x, j0, j1, out, accumulate, grad: 0 }),
    forwardVec: (n, _stride, D, k, x, _a, _b, j0, j1, _bs, _acc, out, accumulate) => void calls.push({ fn: 'forwardVec', n, D, k, x, j0, j1, out, accumulate, grad: 0 }),
    update: (n, _stride, D, x, _a, _b, _r, j0, j1, _coef, _ga, grad) => void calls.push({ fn: 'update', n, D, k: 1, x, j0, j1, out: 0, accumulate: 0, grad }),
    updateVec: (n, _stride, D, k, x, _a, _b, _r, j0, j1, _coef, _ga, _gb, grad) => void calls.push({ fn: 'updateVec', n, D, k, x, j0, j1, out: 0, accumulate: 0, grad }),
    applyGradients: () => undefined,
    applyGradientsVec: () => undefined,
  };
  return { kernels, calls };
}

const workOf = (c: Call) => c.n * (c.j1 - c.j0) * (c.D + c.k);

describe('call plan at (n, D, m) = (10 000, 785, 1024): no call beyond WASM_CALL_WORK', () => {
  const n = 10_000;
  const D = 785;
  const m = 1024;
  const blockSize = 256;
  const X = 1 << 20;
  const OUT = 1 << 26;
  const GRAD = 1 << 28;
  for (const precision of ['f32', 'f64'] as const) {
    const S = precision === 'f32' ? 4 : 8;
    for (const k of [1, 10]) {
      // A thread's whole range, and what a shard worker is given (2 blocks; a sample slice of every block).
      for (const [j0, j1, i0, i1] of [
        [0, m, 0, n],
        [512, 1024, 0, n],
        [0, 256, 4992, n],
      ]) {
        it(`${precision}, k = ${k}: forward over neurons [${j0}, ${j1}) × samples [${i0}, ${i1}), accumulate 0 and 1`, () => {
          for (const accumulate of [0, 1]) {
            const { kernels, calls } = recorder();
            const bounded = boundedCalls(kernels, precision);
            const count = i1 - i0;
            if (k === 1) bounded.forward(count, 10_000, D, X + i0 * S, 0, 0, j0, j1, blockSize, 0, OUT, accumulate);
            else bounded.forwardVec(count, 10_000, D, k, X + i0 * S, 0, 0, j0, j1, blockSize, 0, OUT, accumulate);
            expect(calls.length).toBeGreaterThan(1);
            // Each sample meets every block once, in block order; the first block clears (or not, as asked).
            const seen = new Map<number, number[]>();
            for (const c of calls) {
              expect(c.fn).toBe(k === 1 ? 'forward' : 'forwardVec');
              // Within the budget: whole blocks (from j0), sample ranges on multiples of the alignment.
              expect(workOf(c)).toBeLessThanOrEqual(Math.max(WASM_CALL_WORK, blockSize * CALL_SAMPLE_ALIGN * (D + k)));
              expect((c.j0 - j0) % blockSize).toBe(0);
              expect(c.j1 === j1 || (c.j1 - j0) % blockSize === 0).toBe(true);
              const first = (c.x - X) / S - i0;
              expect(first % CALL_SAMPLE_ALIGN).toBe(0);
              expect(c.out).toBe(OUT + first * k * 8);
              expect(c.accumulate).toBe(c.j0 === j0 ? accumulate : 1);
              for (let i = first; i < first + c.n; i++) {
                const blocks = seen.get(i) ?? [];
                for (let j = c.j0; j < c.j1; j += blockSize) blocks.push(j);
                seen.set(i, blocks);
              }
            }
            const order = Array.from({ length: Math.ceil((j1 - j0) / blockSize) }, (_, q) => j0 + q * blockSize);
            expect(seen.size).toBe(count);
            for (const blocks of seen.values()) expect(blocks).toEqual(order);
          }
        });
      }
      for (const grad of [0, GRAD]) {
        for (const [j0, j1] of [
          [0, m],
          [512, m],
          [256, 258],
        ]) {
          it(`${precision}, k = ${k}: update of neurons [${j0}, ${j1})${grad ? ' in grad mode' : ''}`, () => {
            const { kernels, calls } = recorder();
            const bounded = boundedCalls(kernels, precision);
            if (k === 1) bounded.update(n, 10_000, D, X, 0, 0, 0, j0, j1, 0, 0, grad);
            else bounded.updateVec(n, 10_000, D, k, X, 0, 0, 0, j0, j1, 0, 0, 0, grad);
            const gradBytes = (k + D) * 8;
            let next = j0;
            for (const c of calls) {
              expect(c.fn).toBe(k === 1 ? 'update' : 'updateVec');
              expect(c.n).toBe(n);
              expect(c.x).toBe(X);
              // Neuron ranges in order, on multiples of 4 from j0, within the budget or 4 neurons.
              expect(c.j0).toBe(next);
              expect((c.j0 - j0) % 4).toBe(0);
              expect(workOf(c)).toBeLessThanOrEqual(Math.max(WASM_CALL_WORK, 4 * n * (D + k)));
              expect(c.grad).toBe(grad === 0 ? 0 : grad + (c.j0 - j0) * gradBytes);
              next = c.j1;
            }
            expect(next).toBe(j1);
            expect(calls.length).toBe(Math.ceil((j1 - j0) / 4));
          });
        }
      }
    }
  }

  it('a small problem is one call, as before: (n, D, m) = (256, 3, 65 536) and (1024, 17, 512)', () => {
    for (const [nn, DD, mm] of [
      [256, 3, 4096],
      [1024, 17, 512],
    ]) {
      const { kernels, calls } = recorder();
      const bounded = boundedCalls(kernels, 'f32');
      bounded.forward(nn, nn, DD, X, 0, 0, 0, mm, blockSize, 0, OUT, 0);
      bounded.update(nn, nn, DD, X, 0, 0, 0, 0, mm, 0, 0, 0);
      expect(calls.map((c) => [c.fn, c.n, c.j0, c.j1])).toEqual([
        ['forward', nn, 0, mm],
        ['update', nn, 0, mm],
      ]);
    }
    // Many small blocks: several blocks per call, not one call per block.
    const { kernels, calls } = recorder();
    boundedCalls(kernels, 'f32').forward(256, 256, 9, X, 0, 0, 0, 1 << 20, blockSize, 0, OUT, 0);
    // (at most twice the fewest calls the budget allows; 4096 blocks)
    expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(((1 << 20) * 256 * 10) / WASM_CALL_WORK));
    expect(calls.every((c) => c.n === 256 && (c.j1 - c.j0) % blockSize === 0)).toBe(true);
  });
});

function values(count: number, seed: number, f32: boolean): Float64Array {
  const rng = new CounterRng(seed, 2024);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = rng.at(i).normal();
    out[i] = f32 ? Math.fround(v) : v;
  }
  return out;
}

describe('cut calls give the one-call results bit for bit (real kernels, small budget)', () => {
  // Ragged shapes: n, m, D not multiples of the SIMD width, the block, the sample alignment or 4.
  const shapes = [
    { n: 203, D: 13, m: 70, k: 1, blockSize: 16 },
    { n: 203, D: 13, m: 70, k: 3, blockSize: 16 },
    { n: 61, D: 1, m: 9, k: 2, blockSize: 4 },
  ];
  for (const precision of ['f32', 'f64'] as const) {
    for (const { n, D, m, k, blockSize } of shapes) {
      it(`${precision} n=${n} D=${D} m=${m} k=${k} block ${blockSize}: forward, update, grad mode`, () => {
        const S = precision === 'f32' ? 4 : 8;
        const wasm = instantiateWasmKernels();
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
        const stride = sampleStride(n, S);
        const x = alloc(D * stride * S);
        const r = alloc(k * stride * S);
        const acc = alloc(k * stride * S);
        const ga = alloc(4 * D * 16);
        const gb = alloc(4 * k * 16);
        const coef = alloc(16);
        const gradBytes = (k + D) * 8;
        const xs = values(D * n, n + k, precision === 'f32');
        for (let q = 0; q < D; q++) for (let i = 0; i < n; i++) view()[x / S + q * stride + i] = xs[i * D + q];
        const rs = values(k * n, 7 * n + k, precision === 'f32');
        for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) view()[r / S + c * stride + i] = rs[c * n + i] / n;
        f64().set([0.37, 1 - 1e-3], coef / 8);
        const a0 = values(m * D, 3 * m + k, precision === 'f32');
        const b0 = values(m * k, 5 * m + k, precision === 'f32');
        const whole = kernelsOf(wasm, precision, { callWork: Infinity });
        // A budget of a few hundred multiply-adds cuts every call (also past the ragged ends).
        const cut = kernelsOf(wasm, precision, { callWork: 300 });
        const run = (kernels: PrecisionKernels) => {
          const a = alloc(m * D * S);
          const b = alloc(m * k * S);
          view().set(a0, a / S);
          view().set(b0, b / S);
          const out = alloc(n * k * 8);
          const outs: number[] = [];
          // The forward pass (cleared, then accumulated onto) and its slices of neurons.
          for (const [j0, j1, accumulate] of [
            [0, m, 0],
            [0, m, 1],
            [blockSize, m, 1],
          ]) {
            if (k === 1) kernels.forward(n, stride, D, x, a, b, j0, j1, blockSize, acc, out, accumulate);
            else kernels.forwardVec(n, stride, D, k, x, a, b, j0, j1, blockSize, acc, out, accumulate);
            outs.push(...f64().subarray(out / 8, out / 8 + n * k));
          }
          // Grad mode on a slice of neurons, then the update of every neuron.
          const grad = alloc(m * gradBytes);
          if (k === 1) kernels.update(n, stride, D, x, a, b, r, 4, m, coef, ga, grad);
          else kernels.updateVec(n, stride, D, k, x, a, b, r, 4, m, coef, ga, gb, grad);
          const grads = Array.from(f64().subarray(grad / 8, grad / 8 + (m - 4) * (k === 1 ? D + 1 : k + D)));
          if (k === 1) kernels.update(n, stride, D, x, a, b, r, 0, m, coef, ga, 0);
          else kernels.updateVec(n, stride, D, k, x, a, b, r, 0, m, coef, ga, gb, 0);
          return { outs, grads, a: Array.from(view().subarray(a / S, a / S + m * D)), b: Array.from(view().subarray(b / S, b / S + m * k)) };
        };
        const one = run(whole);
        const many = run(cut);
        expect(many.outs).toEqual(one.outs);
        expect(many.grads).toEqual(one.grads);
        expect(many.a).toEqual(one.a);
        expect(many.b).toEqual(one.b);
        // The update moved the parameters (the comparison is not of untouched copies).
        expect(one.a).not.toEqual(Array.from(a0));
      });
    }
  }
});

describe('the engines use the bounded calls', () => {
  it('the kernels of kernelsOf (the shard workers take theirs from it) are the bounded ones by default', () => {
    const wasm = instantiateWasmKernels();
    for (const precision of ['f32', 'f64'] as const) {
      const kernels = kernelsOf(wasm, precision);
      expect(kernels.forward).not.toBe(precision === 'f32' ? wasm.forwardF32 : wasm.forwardF64);
      expect(kernels.update).not.toBe(precision === 'f32' ? wasm.updateF32 : wasm.updateF64);
      expect(kernelsOf(wasm, precision, { callWork: Infinity }).forward).toBe(precision === 'f32' ? wasm.forwardF32 : wasm.forwardF64);
    }
  });

  it("Simulation's wasm kernel cuts a large forward pass and update: every wasm call within the budget", () => {
    // n · (D + 1) · block = 512 · 257 · 256 ≈ 3.4·10⁷ > WASM_CALL_WORK: one call each before the fix.
    const n = 512;
    const D = 256;
    const data = makeDataset({ kind: 'teacher', d: D - 1, n, nTest: 0 }, 0);
    for (const precision of ['f32', 'f64'] as Precision[]) {
      wasmCalls.length = 0;
      const sim = Simulation.create({ model: { width: 256 }, train: { steps: 1, precision, backend: 'wasm' } }, data);
      expect(sim.backendInfo.backend).toBe('wasm');
      sim.observe();
      sim.step();
      const forward = wasmCalls.filter((c) => c.name === `forward${precision.toUpperCase()}`);
      const update = wasmCalls.filter((c) => c.name === `update${precision.toUpperCase()}`);
      expect(forward.length).toBeGreaterThan(1);
      expect(update.length).toBeGreaterThan(1);
      // forward(n, stride, D, x, a, b, j0, j1, …) and update(n, stride, D, x, a, b, r, j0, j1, …)
      for (const { args } of forward) expect(args[0] * (args[7] - args[6]) * (args[2] + 1)).toBeLessThanOrEqual(WASM_CALL_WORK);
      for (const { args } of update) expect(args[0] * (args[8] - args[7]) * (args[2] + 1)).toBeLessThanOrEqual(WASM_CALL_WORK);
      // Together they cover the whole pass: every neuron once per sample range, every neuron once in the update.
      expect(forward.reduce((sum, { args }) => sum + args[0] * (args[7] - args[6]), 0)).toBe(n * 256);
      expect(update.reduce((sum, { args }) => sum + (args[8] - args[7]), 0)).toBe(256);
    }
  });
});

import type { AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import { outputCount } from '../model/params.js';
import type { Precision } from '../types.js';
import type { InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
import type { StepCoefficients } from './step-plan.js';
import { instantiateWasmKernels, kernelsOf, type PrecisionKernels, type WasmKernelExports } from './wasm-module.js';

interface WasmParams extends ParamsHandle {
  readonly a: number;
  /** m × k values (k = 1 when the handle has no k). */
  readonly b: number;
}

interface WasmInputs extends InputsHandle {
  /** Row stride: n padded (see sampleStride); the padding samples are 0 (they contribute nothing). */
  readonly nPad: number;
  /** D × nPad, sample-minor */
  readonly x: number;
}

const SIMD_BYTES = 16;
const PAGE = 65536;
const CACHE_LINE = 64;

/**
 * The row stride (in values) of x̃ stored D × stride, sample-minor: n rounded up to whole SIMD
 * chunks and then to an odd number of cache lines. The kernels read the D rows of a chunk at
 * once; with a stride of a multiple of 4 KiB (n = 1024 in f32) those D loads all map to one L1
 * set and evict each other, which halved the step at (1024, 16, 16 384). An odd number of lines
 * spreads them over every set. The padding holds zeros and is never part of a chunk, so the
 * results do not depend on it.
 */
export function sampleStride(n: number, bytesPerValue: number): number {
  const lanes = SIMD_BYTES / bytesPerValue;
  const valuesPerLine = CACHE_LINE / bytesPerValue;
  const lines = Math.ceil(Math.max(lanes, Math.ceil(n / lanes) * lanes) / valuesPerLine);
  return (lines % 2 === 0 ? lines + 1 : lines) * valuesPerLine;
}

/**
 * x̃ as the wasm kernels read it: sample-major n × D float64 transposed into D rows of `nPad`
 * values (sample-minor, the SIMD axis), rounded to the heap's precision, from index `base` of
 * `heap`; the padding is left as it is (zeros). The single-thread kernel and the sharded
 * engine's shared memory both load inputs through it.
 *
 * @example
 * const heap = new Float64Array(8);
 * writeSampleMinor({ n: 2, D: 2, x: Float64Array.of(1, 2, 3, 4) }, heap, 0, 4); // heap = 1 3 0 0 2 4 0 0
 */
export function writeSampleMinor(inputs: AugmentedInputs, heap: Float32Array | Float64Array, base: number, nPad: number): void {
  const { n, D, x } = inputs;
  for (let q = 0; q < D; q++) for (let i = 0; i < n; i++) heap[base + q * nPad + i] = x[i * D + q];
}

/**
 * The fused SIMD kernels of `wasm/kernels.ts` behind the StepKernel interface, in float32
 * (4 lanes) or float64 (2 lanes). Each kernel owns one wasm instance and lays out its buffers
 * with a bump allocator in the instance's linear memory; nothing is freed before the kernel
 * is dropped, and a step allocates nothing.
 */
export class WasmKernel implements StepKernel {
  readonly backend = 'wasm' as const;
  readonly precision: Precision;
  /** Neurons per block: partial outputs are summed in this precision within a block, in float64 across blocks. */
  readonly blockSize: number;
  private readonly wasm: WasmKernelExports;
  /** The kernels of this precision, their large calls cut into bounded ones (wasm-calls.ts). */
  private readonly kernels: PrecisionKernels;
  private readonly bytesPerValue: number;
  private top: number;
  private heap: ArrayBuffer;
  private heapF32: Float32Array;
  private heapF64: Float64Array;
  // Scratch sized for the largest input set, D and k seen so far: acc and r hold k rows of
  // scratchN values of T (k = 1: one row, the scalar kernels' layout), out n·k float64.
  private accPtr = 0;
  private outPtr = 0;
  private rPtr = 0;
  private scratchN = 0;
  private gaPtr = 0;
  private scratchD = 0;
  /** 4·k v128: the vector update's b-sums. */
  private gbPtr = 0;
  private scratchK = 1;
  /** Two float64: the update's step and shrink coefficients. */
  private readonly coefPtr: number;

  constructor(precision: Precision, options: { blockSize?: number } = {}) {
    this.precision = precision;
    this.blockSize = options.blockSize ?? 256;
    this.bytesPerValue = precision === 'f32' ? 4 : 8;
    this.wasm = instantiateWasmKernels();
    this.kernels = kernelsOf(this.wasm, precision);
    // Everything past the module's initial memory (its static data) is ours.
    this.top = this.wasm.memory.buffer.byteLength;
    this.heap = this.wasm.memory.buffer;
    this.heapF32 = new Float32Array(this.heap);
    this.heapF64 = new Float64Array(this.heap);
    this.coefPtr = this.alloc(16);
  }

  private alloc(bytes: number): number {
    const ptr = this.top;
    this.top += Math.ceil(bytes / SIMD_BYTES) * SIMD_BYTES;
    const have = this.wasm.memory.buffer.byteLength;
    if (this.top > have) this.wasm.memory.grow(Math.ceil((this.top - have) / PAGE));
    if (this.wasm.memory.buffer !== this.heap) {
      // Growing detaches the old buffer: rebuild the views (only ever at upload time).
      this.heap = this.wasm.memory.buffer;
      this.heapF32 = new Float32Array(this.heap);
      this.heapF64 = new Float64Array(this.heap);
    }
    return ptr;
  }

  /** Writes v[i] at value index (ptr / bytesPerValue) + i in the kernel's precision. */
  private writeValues(ptr: number, values: ArrayLike<number>, count: number, stride = 1, offset = 0): void {
    const heap = this.precision === 'f32' ? this.heapF32 : this.heapF64;
    const base = ptr / this.bytesPerValue;
    for (let i = 0; i < count; i++) heap[base + i] = values[offset + i * stride];
  }

  // Only ever called at upload time (k comes with the parameters, n with the inputs), so a
  // step never allocates.
  private ensureScratch(nPad: number, D: number, k = 1): void {
    if (nPad > this.scratchN || k > this.scratchK) {
      const N = Math.max(nPad, this.scratchN);
      const K = Math.max(k, this.scratchK);
      this.accPtr = this.alloc(K * N * this.bytesPerValue);
      this.rPtr = this.alloc(K * N * this.bytesPerValue);
      this.outPtr = this.alloc(K * N * 8);
      this.scratchN = N;
      if (K > this.scratchK) this.gbPtr = this.alloc(4 * K * SIMD_BYTES);
      this.scratchK = K;
    }
    if (D > this.scratchD) {
      this.gaPtr = this.alloc(4 * D * SIMD_BYTES);
      this.scratchD = D;
    }
  }

  uploadParams(params: NetworkParams): ParamsHandle {
    const { m, D } = params;
    const k = outputCount(params);
    const a = this.alloc(m * D * this.bytesPerValue);
    const b = this.alloc(m * k * this.bytesPerValue);
    // k = 1 handles carry no k, as before vector outputs existed.
    const handle: WasmParams = k === 1 ? { m, D, a, b } : { m, D, k, a, b };
    this.ensureScratch(0, D, k);
    this.writeValues(handle.a, params.a, m * D);
    this.writeValues(handle.b, params.b, m * k);
    return handle;
  }

  downloadParams(handle: ParamsHandle, into: NetworkParams): void {
    const h = handle as WasmParams;
    const heap = this.precision === 'f32' ? this.heapF32 : this.heapF64;
    const aBase = h.a / this.bytesPerValue;
    const bBase = h.b / this.bytesPerValue;
    into.a.set(heap.subarray(aBase, aBase + h.m * h.D));
    into.b.set(heap.subarray(bBase, bBase + h.m * outputCount(h)));
  }

  uploadInputs(inputs: AugmentedInputs): InputsHandle {
    const nPad = sampleStride(inputs.n, this.bytesPerValue);
    const handle: WasmInputs = { n: inputs.n, D: inputs.D, nPad, x: this.alloc(inputs.D * nPad * this.bytesPerValue) };
    this.ensureScratch(nPad, inputs.D);
    this.refreshInputs(handle, inputs);
    return handle;
  }

  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void {
    const h = handle as WasmInputs;
    writeSampleMinor(inputs, this.precision === 'f32' ? this.heapF32 : this.heapF64, h.x / this.bytesPerValue, h.nPad);
  }

  partialOutputs(params: ParamsHandle, inputs: InputsHandle, j0: number, j1: number, out: Float64Array): void {
    const p = params as WasmParams;
    const x = inputs as WasmInputs;
    const k = outputCount(p);
    if (k !== 1) {
      this.partialOutputsVector(p, x, k, j0, j1, out);
      return;
    }
    this.kernels.forward(x.n, x.nPad, x.D, x.x, p.a, p.b, j0, j1, this.blockSize, this.accPtr, this.outPtr, 0);
    // An index loop rather than out.set(heap.subarray(…)): subarray allocates a view per call.
    const heap = this.heapF64;
    const base = this.outPtr / 8;
    for (let i = 0; i < x.n; i++) out[i] = heap[base + i];
  }

  update(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    const p = params as WasmParams;
    const x = inputs as WasmInputs;
    const k = outputCount(p);
    if (k !== 1) {
      this.updateVector(p, x, k, r, coef, j0, j1);
      return;
    }
    this.writeValues(this.rPtr, r, x.n);
    const heap = this.precision === 'f32' ? this.heapF32 : this.heapF64;
    const rBase = this.rPtr / this.bytesPerValue;
    heap.fill(0, rBase + x.n, rBase + x.nPad);
    this.heapF64[this.coefPtr / 8] = coef.step;
    this.heapF64[this.coefPtr / 8 + 1] = coef.shrink;
    this.kernels.update(x.n, x.nPad, x.D, x.x, p.a, p.b, this.rPtr, j0, j1, this.coefPtr, this.gaPtr, 0);
  }

  /** k ≥ 2: out[i·k + c], from the k rows × nPad accumulator of forwardVec. */
  private partialOutputsVector(p: WasmParams, x: WasmInputs, k: number, j0: number, j1: number, out: Float64Array): void {
    this.kernels.forwardVec(x.n, x.nPad, x.D, k, x.x, p.a, p.b, j0, j1, this.blockSize, this.accPtr, this.outPtr, 0);
    const heap = this.heapF64;
    const base = this.outPtr / 8;
    const count = x.n * k;
    for (let i = 0; i < count; i++) out[i] = heap[base + i];
  }

  /** k ≥ 2: r (n × k, sample-major) transposed into k rows of nPad values of T, zero-padded. */
  private updateVector(p: WasmParams, x: WasmInputs, k: number, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    const heap = this.precision === 'f32' ? this.heapF32 : this.heapF64;
    const rowBytes = x.nPad * this.bytesPerValue;
    for (let c = 0; c < k; c++) {
      const row = this.rPtr + c * rowBytes;
      this.writeValues(row, r, x.n, k, c);
      const base = row / this.bytesPerValue;
      heap.fill(0, base + x.n, base + x.nPad);
    }
    this.heapF64[this.coefPtr / 8] = coef.step;
    this.heapF64[this.coefPtr / 8 + 1] = coef.shrink;
    this.kernels.updateVec(x.n, x.nPad, x.D, k, x.x, p.a, p.b, this.rPtr, j0, j1, this.coefPtr, this.gaPtr, this.gbPtr, 0);
  }
}

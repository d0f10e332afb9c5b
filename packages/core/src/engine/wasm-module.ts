import { readFileSync } from 'node:fs';
import type { Precision } from '../types.js';
import { WASM_CALL_WORK, boundedCalls } from './wasm-calls.js';

// The few WebAssembly JS-API members used here, typed locally: TypeScript declares the
// `WebAssembly` namespace only in the DOM lib, which a Node library should not pull in.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
/** A shared linear memory: its buffer is a SharedArrayBuffer that every thread can view. */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedWasmMemory;
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Forward = (n: number, stride: number, D: number, x: number, a: number, b: number, j0: number, j1: number, blockSize: number, acc: number, out: number, accumulate: number) => void;
type Update = (n: number, stride: number, D: number, x: number, a: number, b: number, r: number, j0: number, j1: number, coef: number, ga: number, grad: number) => void;
type ApplyGradients = (D: number, a: number, b: number, grad: number, blocks: number, blockBytes: number, j0: number, j1: number, coef: number) => void;
// Vector outputs (k ≥ 2): b m × k, outputs n × k float64 sample-major, residuals and the
// forward accumulator k rows × stride of T, gradients k + D float64 per neuron.
type ForwardVec = (n: number, stride: number, D: number, k: number, x: number, a: number, b: number, j0: number, j1: number, blockSize: number, acc: number, out: number, accumulate: number) => void;
type UpdateVec = (n: number, stride: number, D: number, k: number, x: number, a: number, b: number, r: number, j0: number, j1: number, coef: number, ga: number, gb: number, grad: number) => void;
type ApplyGradientsVec = (D: number, k: number, a: number, b: number, grad: number, blocks: number, blockBytes: number, j0: number, j1: number, coef: number) => void;

/**
 * The exports of `wasm/kernels.ts` (AssemblyScript), compiled by `npm run build:wasm` into
 * `wasm-build/kernels.wasm` (own memory) and `wasm-build/kernels-shared.wasm` (imported shared
 * memory) at the package root. Pointers are byte offsets into `memory`; signatures and layout
 * are documented in the AssemblyScript source.
 */
export interface WasmKernelExports {
  readonly memory: WasmMemory;
  forwardF32: Forward;
  forwardF64: Forward;
  updateF32: Update;
  updateF64: Update;
  applyGradientsF32: ApplyGradients;
  applyGradientsF64: ApplyGradients;
  forwardVecF32: ForwardVec;
  forwardVecF64: ForwardVec;
  updateVecF32: UpdateVec;
  updateVecF64: UpdateVec;
  applyGradientsVecF32: ApplyGradientsVec;
  applyGradientsVecF64: ApplyGradientsVec;
}

/** The kernels of one precision, picked once so that hot loops do not branch on it. */
export interface PrecisionKernels {
  readonly forward: Forward;
  readonly update: Update;
  readonly applyGradients: ApplyGradients;
  /** k ≥ 2 outputs (k = 1 uses the scalar kernels above). */
  readonly forwardVec: ForwardVec;
  readonly updateVec: UpdateVec;
  readonly applyGradientsVec: ApplyGradientsVec;
}

/**
 * The six kernels of one precision from a wasm instance's exports (the `…F32` or `…F64`
 * functions): forward, update and applyGradients, and their vector-output versions (k ≥ 2).
 * Picked once, so that hot loops do not branch on the precision; @mflab/parallel's shard
 * workers call it on their instance of the shared-memory build. Forward and update calls larger
 * than `callWork` multiply-adds (default {@link WASM_CALL_WORK}) are cut into several calls with
 * the same results bit for bit, so that V8's optimized code takes over within the first call
 * (see wasm-calls.ts); `callWork: Infinity` gives the exports as they are.
 *
 * @example
 * const memory = createSharedWasmMemory(SHARED_MEMORY_BASE + (1 << 20));
 * const { forward, update } = kernelsOf(instantiateSharedWasmKernels(memory), 'f32');
 */
export function kernelsOf(exports: WasmKernelExports, precision: Precision, options: { callWork?: number } = {}): PrecisionKernels {
  const work = options.callWork ?? WASM_CALL_WORK;
  const raw = rawKernelsOf(exports, precision);
  return work === Infinity ? raw : boundedCalls(raw, precision, work);
}

function rawKernelsOf(exports: WasmKernelExports, precision: Precision): PrecisionKernels {
  return precision === 'f32'
    ? {
        forward: exports.forwardF32,
        update: exports.updateF32,
        applyGradients: exports.applyGradientsF32,
        forwardVec: exports.forwardVecF32,
        updateVec: exports.updateVecF32,
        applyGradientsVec: exports.applyGradientsVecF32,
      }
    : {
        forward: exports.forwardF64,
        update: exports.updateF64,
        applyGradients: exports.applyGradientsF64,
        forwardVec: exports.forwardVecF64,
        updateVec: exports.updateVecF64,
        applyGradientsVec: exports.applyGradientsVecF64,
      };
}

// src/engine/ and dist/engine/ sit at the same depth, so one relative path serves the sources
// (tests, tsx) and the build.
const WASM_URL = new URL('../../wasm-build/kernels.wasm', import.meta.url);
const SHARED_WASM_URL = new URL('../../wasm-build/kernels-shared.wasm', import.meta.url);

const compiled = new Map<string, WasmModule>();

function compile(url: URL): WasmModule {
  let module = compiled.get(url.href);
  if (!module) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      throw new Error(`the wasm kernels are not built (${url.pathname} is missing): run \`npm run build\` first`);
    }
    // Compiled once per thread, synchronously: Node allows it at any size.
    module = new WebAssemblyApi.Module(bytes);
    compiled.set(url.href, module);
  }
  return module;
}

/** The compiled module with its own memory. */
export function wasmKernelModule(): WasmModule {
  return compile(WASM_URL);
}

const abort = () => {
  throw new Error('wasm kernel aborted');
};

/** A fresh instance with its own linear memory. */
export function instantiateWasmKernels(): WasmKernelExports {
  const instance = new WebAssemblyApi.Instance(wasmKernelModule(), { env: { abort } });
  return instance.exports as unknown as WasmKernelExports;
}

/** The first byte of a shared memory that the host may lay out: below it is the module's static area. */
export const SHARED_MEMORY_BASE = 65536;
const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
export const SHARED_MEMORY_MAX_BYTES = 65536 * PAGE_BYTES;

/** A shared linear memory of at least `bytes` bytes (fixed size: a shared memory never detaches, but other threads would not see it grow). */
export function createSharedWasmMemory(bytes: number): SharedWasmMemory {
  const pages = Math.ceil(Math.max(bytes, SHARED_MEMORY_BASE + PAGE_BYTES) / PAGE_BYTES);
  return new WebAssemblyApi.Memory({ initial: pages, maximum: pages, shared: true });
}

/** An instance of the shared-memory build over `memory`: one per thread, all on the same bytes. */
export function instantiateSharedWasmKernels(memory: SharedWasmMemory): WasmKernelExports {
  const instance = new WebAssemblyApi.Instance(compile(SHARED_WASM_URL), { env: { abort, memory } });
  return instance.exports as unknown as WasmKernelExports;
}

/** Whether the wasm kernels can be loaded here (built, and the engine supports wasm SIMD). */
export function wasmKernelsAvailable(): boolean {
  try {
    wasmKernelModule();
    return true;
  } catch {
    return false;
  }
}

import { readFileSync } from 'node:fs';

// The few WebAssembly JS-API members used here, typed locally: TypeScript declares the
// `WebAssembly` namespace only in the DOM lib, which a Node library should not pull in.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The exports of `wasm/kernels.ts` (AssemblyScript), compiled by `npm run build:wasm` into
 * `wasm-build/kernels.wasm` at the package root. Pointers are byte offsets into `memory`.
 */
export interface WasmKernelExports {
  readonly memory: WasmMemory;
  forwardF32(n: number, nPad: number, D: number, x: number, a: number, b: number, j0: number, j1: number, blockSize: number, acc: number, out: number, accumulate: number): void;
  forwardF64(n: number, nPad: number, D: number, x: number, a: number, b: number, j0: number, j1: number, blockSize: number, acc: number, out: number, accumulate: number): void;
  updateF32(nPad: number, D: number, x: number, a: number, b: number, r: number, j0: number, j1: number, coef: number, ga: number): void;
  updateF64(nPad: number, D: number, x: number, a: number, b: number, r: number, j0: number, j1: number, coef: number, ga: number): void;
}

// src/engine/ and dist/engine/ sit at the same depth, so one relative path serves the sources
// (tests, tsx) and the build.
const WASM_URL = new URL('../../wasm-build/kernels.wasm', import.meta.url);

let compiled: WasmModule | null = null;

/** The compiled module (compiled once per process, synchronously: Node allows it at any size). */
export function wasmKernelModule(): WasmModule {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_URL);
    } catch {
      throw new Error(`the wasm kernels are not built (${WASM_URL.pathname} is missing): run \`npm run build\` first`);
    }
    compiled = new WebAssemblyApi.Module(bytes);
  }
  return compiled;
}

/** A fresh instance with its own linear memory. */
export function instantiateWasmKernels(): WasmKernelExports {
  const instance = new WebAssemblyApi.Instance(wasmKernelModule(), {
    env: {
      abort: () => {
        throw new Error('wasm kernel aborted');
      },
    },
  });
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

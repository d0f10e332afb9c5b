/**
 * ONNX Runtime's CPU kernels (MLAS GEMM) as a synchronous GEMM engine for the native backend.
 *
 * `onnxruntime-node` ships its CPU library inside the registry package (no download; its
 * install script, which fetches GPU parts, is left un-run by `allowScripts`), and it is an
 * optional dependency: where it is absent or fails to load, the native backend is simply
 * unavailable and `auto` keeps the wasm kernels.
 *
 * We call the package's native binding directly rather than `InferenceSession.run`: that
 * wrapper defers the (synchronous) native call to `setImmediate` and returns a promise, while a
 * step kernel — on the main thread or inside a shard worker between Atomics barriers — must
 * run synchronously. Sessions run with one intra-op thread: parallelism is ours (the
 * partitioner's neuron blocks, one thread per block), which keeps every product's summation
 * order fixed, so results do not depend on the number of workers.
 */
import { createRequire } from 'node:module';
import { encodeOnnxModel, type OnnxElementType, type OnnxGraph } from './onnx-model.js';

/** The tensor class of onnxruntime-common (what the binding reads and writes). */
interface OrtTensorClass {
  new (type: string, data: Float32Array | Float64Array, dims: readonly number[]): OrtTensor;
}
/** A tensor over a caller-owned typed array: the binding reads inputs from it and writes preallocated outputs into it. */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
}
interface BindingSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>, options: object): unknown;
  dispose(): void;
}
interface OrtBinding {
  InferenceSession: new () => BindingSession;
}

/** What {@link loadNativeRuntime} found: the runtime and its version, or why it is absent. */
export type NativeRuntimeStatus = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: string };

interface LoadedRuntime {
  readonly binding: OrtBinding;
  readonly Tensor: OrtTensorClass;
  readonly version: string;
}

// A variable specifier keeps TypeScript (and bundlers) from resolving the optional package.
const ORT_NODE: string = 'onnxruntime-node';
let runtime: LoadedRuntime | null = null;
let status: NativeRuntimeStatus | null = null;

/**
 * Loads onnxruntime-node once per process (thread), synchronously; never throws.
 *
 * @example
 * const status = loadNativeRuntime();
 * if (!status.ok) console.log(`native GEMM unavailable: ${status.reason}`);
 */
export function loadNativeRuntime(): NativeRuntimeStatus {
  if (status) return status;
  try {
    const require = createRequire(import.meta.url);
    // The package's own entry loads the binding and registers its backend; its binding module
    // is what we drive. onnxruntime-common is resolved from onnxruntime-node's directory (its dependency).
    const entry = require.resolve(ORT_NODE);
    const local = createRequire(entry);
    const { binding, initOrt } = local('./binding.js') as { binding: OrtBinding; initOrt: () => void };
    const { Tensor } = local('onnxruntime-common') as { Tensor: OrtTensorClass };
    initOrt();
    const version = (local('../package.json') as { version: string }).version;
    runtime = { binding, Tensor, version };
    status = { ok: true, version };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    status = { ok: false, reason: `onnxruntime-node could not be loaded (${message}); it is an optional dependency: run npm ci on a platform it ships binaries for` };
  }
  return status;
}

function loaded(): LoadedRuntime {
  const s = loadNativeRuntime();
  if (!s.ok || !runtime) throw new Error(`native backend: ${s.ok ? 'not loaded' : s.reason}`);
  return runtime;
}

/** The ORT element-type string of a precision's arrays. */
export function ortType(type: OnnxElementType): 'float32' | 'float64' {
  if (type === 'bool') throw new RangeError('bool tensors are not fed from typed arrays here');
  return type;
}

/**
 * A tensor over `data` with shape `dims` (no copy: ORT reads the array in place, and writes
 * an output given in `fetches` into it). `data` must be a plain (not shared) typed array:
 * the binding refuses SharedArrayBuffer views.
 *
 * @example
 * const A = nativeTensor(new Float32Array(6), [2, 3]);
 */
export function nativeTensor(data: Float32Array | Float64Array, dims: readonly number[]): OrtTensor {
  const { Tensor } = loaded();
  return new Tensor(data instanceof Float32Array ? 'float32' : 'float64', data, dims);
}

/**
 * One ONNX graph in an ONNX Runtime CPU session with a single intra-op thread, run
 * synchronously on the calling thread.
 *
 * @example
 * const mm = new NativeSession({ name: 'mm', nodes: [{ op: 'MatMul', inputs: ['A', 'X'], outputs: ['Z'] }],
 *   inputs: [{ name: 'A', type: 'float32', dims: ['m', 'K'] }, { name: 'X', type: 'float32', dims: ['K', 'n'] }],
 *   outputs: [{ name: 'Z', type: 'float32', dims: ['m', 'n'] }] });
 * const Z = new Float32Array(4);
 * mm.run({ A: nativeTensor(new Float32Array([1, 2, 3, 4]), [2, 2]), X: nativeTensor(new Float32Array([1, 0, 0, 1]), [2, 2]) }, { Z: nativeTensor(Z, [2, 2]) });
 */
export class NativeSession {
  private readonly session: BindingSession;
  private static readonly RUN_OPTIONS = {};

  constructor(graph: OnnxGraph) {
    const { binding } = loaded();
    const model = encodeOnnxModel(graph);
    this.session = new binding.InferenceSession();
    this.session.loadModel(model.buffer, model.byteOffset, model.byteLength, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  }

  /** Runs the graph: reads `feeds`, writes every output into its preallocated tensor in `fetches`. */
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor>): void {
    this.session.run(feeds, fetches, NativeSession.RUN_OPTIONS);
  }

  dispose(): void {
    this.session.dispose();
  }
}

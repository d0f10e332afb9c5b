/**
 * Internal helpers of the tensor path (not exported from the package): chunk sizes, host
 * float64 → float32 staging, uploads.
 *
 * Why chunks: the tensor functions never hold an n×m (or p×m) matrix. Work is cut into neuron
 * chunks and sample chunks so that every intermediate is at most CHUNK_ELEMENTS float32 values
 * (16 MB), which keeps the wasm heap small and lets results be summed on the host in float64.
 *
 * Why host transposes: the wasm backend's matMul runs at ~30 GFLOP/s when neither operand is
 * transposed and at ~2 GFLOP/s with transposeA or transposeB (measured, STACK-NOTES.md), so
 * every right operand is laid out as K×N on the host while it is converted to float32 anyway.
 */
import { InvalidInputError } from '../errors.js';
import type { TensorBackendInfo, TfNamespace } from './backend.js';

/** The largest intermediate of one chunk, in float32 elements (16 MB). */
export const CHUNK_ELEMENTS = 4 * 1024 * 1024;
/** Neurons per chunk: wide enough that each GEMM runs at full speed, small enough to bound p×chunk. */
export const NEURON_CHUNK = 2048;

/** Neurons per chunk for a width m. */
export function neuronChunkSize(m: number): number {
  return Math.max(1, Math.min(m, NEURON_CHUNK));
}

/**
 * Rows per chunk so that a rows×cols float32 intermediate stays within CHUNK_ELEMENTS, balanced
 * so the last chunk is not a sliver (ceil(n / chunks) rows each).
 */
export function rowChunkSize(n: number, cols: number): number {
  if (n <= 0) return 1;
  const max = Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, cols)));
  const chunks = Math.ceil(n / max);
  return Math.ceil(n / chunks);
}

/**
 * Float32 staging buffers for uploads. The wasm backend copies a typed array into its heap when
 * the tensor is created, so one buffer can be reused chunk after chunk; tfjs-node keeps a
 * reference and copies lazily at first use, so there every upload gets a fresh buffer.
 */
export class Staging {
  private readonly reuse: boolean;
  private readonly buffers = new Map<string, Float32Array>();

  constructor(info: TensorBackendInfo) {
    this.reuse = info.name === 'tfjs-wasm';
  }

  /** A float32 buffer of exactly `length` values for the slot `key` (contents unspecified). */
  get(key: string, length: number): Float32Array {
    if (!this.reuse) return new Float32Array(length);
    let buf = this.buffers.get(key);
    if (buf === undefined || buf.length < length) {
      buf = new Float32Array(length);
      this.buffers.set(key, buf);
    }
    return buf.length === length ? buf : buf.subarray(0, length);
  }
}

/** Rows [r0, r1) of a row-major float64 matrix with `cols` columns, as float32, row-major. */
export function rowsToF32(src: Float64Array, cols: number, r0: number, r1: number, dst: Float32Array): Float32Array {
  const len = (r1 - r0) * cols;
  const from = r0 * cols;
  for (let k = 0; k < len; k++) dst[k] = src[from + k];
  return dst;
}

/**
 * Rows [r0, r1) of a row-major float64 matrix with `cols` columns, transposed to a cols×(r1−r0)
 * row-major float32 matrix (the K×N layout of a fast right operand).
 */
export function rowsToF32Transposed(src: Float64Array, cols: number, r0: number, r1: number, dst: Float32Array): Float32Array {
  const rows = r1 - r0;
  for (let i = 0; i < rows; i++) {
    const from = (r0 + i) * cols;
    for (let k = 0; k < cols; k++) dst[k * rows + i] = src[from + k];
  }
  return dst;
}

/** Entries [i0, i1) of a float64 vector as float32 (optionally of their absolute values). */
export function vectorToF32(src: Float64Array, i0: number, i1: number, dst: Float32Array, abs = false): Float32Array {
  for (let i = i0; i < i1; i++) dst[i - i0] = abs ? Math.abs(src[i]) : src[i];
  return dst;
}

/** Uploads a float32 host buffer as a 2-D tensor. */
export function upload(tf: TfNamespace, data: Float32Array, rows: number, cols: number): ReturnType<TfNamespace['tensor2d']> {
  return tf.tensor2d(data, [rows, cols], 'float32');
}

/** Reads a float32 tensor into a host array (the wasm backend copies out of its heap). */
export function read(t: { dataSync(): ArrayLike<number> }): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Checks that parameters and inputs agree on D and have the announced lengths. */
export function checkShapes(params: { m: number; D: number; a: Float64Array; b: Float64Array }, ...inputs: { field: string; n: number; D: number; x: Float64Array }[]): void {
  const { m, D } = params;
  if (!Number.isSafeInteger(m) || m < 1 || !Number.isSafeInteger(D) || D < 1 || params.a.length !== m * D || params.b.length !== m) {
    throw new InvalidInputError('params', `expected a: m·D = ${m}·${D} values and b: m values, got a: ${params.a.length}, b: ${params.b.length}`);
  }
  for (const input of inputs) {
    if (input.D !== D) throw new InvalidInputError(`${input.field}.D`, `expected D = ${D} (the parameters' D), got ${input.D}`);
    if (!Number.isSafeInteger(input.n) || input.n < 0 || input.x.length !== input.n * D) {
      throw new InvalidInputError(`${input.field}.x`, `expected n·D = ${input.n}·${D} values, got ${input.x.length}`);
    }
  }
}

/** Returns `out` if it is a Float64Array of `length`, a new one if undefined; throws otherwise. */
export function outputOf(field: string, out: Float64Array | undefined, length: number): Float64Array {
  if (out === undefined) return new Float64Array(length);
  if (!(out instanceof Float64Array) || out.length !== length) throw new InvalidInputError(field, `expected a Float64Array of length ${length}`);
  return out;
}

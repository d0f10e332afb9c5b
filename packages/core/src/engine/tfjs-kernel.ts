/**
 * The GD step (eq. 3 of ARCHITECTURE.md) as float32 GEMMs on TensorFlow.js (tfjs-node when it
 * loaded, else tfjs-core on its wasm backend), behind the StepKernel interface. It serves the
 * GEMM-bound shapes (large D, n and m) where a blocked matMul beats the fused wasm loops.
 *
 * Layout, chosen so that no matMul transposes an operand (the wasm backend's slow path,
 * STACK-NOTES.md): parameters as A (m×D, neuron-major) and B (m×k, neuron-major: the host
 * layout of b); inputs cut once at upload into row chunks I, each kept both as X̃_I (|I|×D) and
 * X̃_Iᵀ (D×|I|); residuals uploaded per update as R (n×k, the host's sample-major layout) and,
 * for k ≥ 2, Rᵀ (k×n, transposed on the host). For a neuron range J:
 *
 *     partial outputs  σ(X̃_I A_Jᵀ) B_J             |I|×|J| → |I|×k, per block of J (Aᵀ
 *                                                   transposed on the device once per call)
 *     update           Hᵀ = σ(A_J X̃_Iᵀ)             |J|×|I|   (ReLU fused into the GEMM)
 *                      G_b = Hᵀ R_I                  |J|×k
 *              k = 1:  G_a = (1[Hᵀ > 0] diag r_I) X̃_I, a ← (1 − ηλ) a − η κγs (b ⊙ G_a)
 *              k ≥ 2:  ρ = B_J R_Iᵀ (|J|×|I|: ⟨b_j, r_i⟩),  G_a = (1[Hᵀ > 0] ⊙ ρ) X̃_I,
 *                      a ← (1 − ηλ) a − η κγs G_a        (b is inside ρ)
 *                      b ← (1 − ηλ) b − η κγs G_b, all on the device, at w(t)
 *
 * Row chunks keep every neurons × samples intermediate within `chunkElements` floats (16 MB by
 * default), so no n×m matrix is ever held. TensorFlow.js computes only in float32, and so does
 * this kernel.
 */
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { InvalidInputError } from '../errors.js';
import type { AugmentedInputs } from '../model/inputs.js';
import { outputCount, type NetworkParams } from '../model/params.js';
import { loadedTensorRuntime, type TensorBackendName, type TfNamespace } from '../tensor/backend.js';
import { CHUNK_ELEMENTS, NEURON_CHUNK, Staging, rowsToF32, rowsToF32Transposed, vectorToF32 } from '../tensor/chunks.js';
import type { InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
import type { KernelShape } from './registry.js';
import type { StepCoefficients } from './step-plan.js';

interface TfjsParams extends ParamsHandle {
  /** m×D, neuron-major (replaced by every update). */
  a: Tensor2D;
  /** m×k, neuron-major (k = 1: a column, so that it scales the rows of g_a by broadcasting). */
  b: Tensor2D;
  /** Number of outputs. */
  readonly k: number;
}

interface InputChunk {
  readonly i0: number;
  readonly i1: number;
  /** X̃_I, |I|×D: the right operand of g_a = W X̃_I. */
  readonly x: Tensor2D;
  /** X̃_Iᵀ, D×|I|: the right operand of A_J X̃_Iᵀ. */
  readonly xt: Tensor2D;
}

interface TfjsInputs extends InputsHandle {
  chunks: InputChunk[];
}

/** The data term of a neuron chunk (A_J, B_J) on input chunk `ci`: [G_a (|J|×D), G_b (|J|×k)]. */
type ChunkGradients = (aChunk: Tensor2D, bChunk: Tensor2D, ci: number) => [Tensor2D, Tensor2D];

/**
 * Chunk sizes of a {@link TfjsKernel}: what its GEMMs and intermediates look like, not what they
 * compute. They trade memory for GEMM size, and since they set the order of the float32 sums
 * (blockSize of the outputs, the row chunks of the gradients), changing them may change the
 * last bits of a run.
 *
 * @example
 * await loadTensorBackend();
 * const sim = new Simulation(config, data, { kernel: new TfjsKernel({ neuronChunk: 4096 }) });
 */
export interface TfjsKernelOptions {
  /** Neurons per block of partial outputs (default 256, as WasmKernel): float32 within a block, float64 across blocks. */
  readonly blockSize?: number;
  /** Neurons per GEMM of the update (default 2048, at least blockSize). */
  readonly neuronChunk?: number;
  /** The largest neurons × samples intermediate, in floats (default 4M = 16 MB); sets the row chunks of uploaded inputs. */
  readonly chunkElements?: number;
}

export type { KernelShape };

/**
 * Whether the float32 GD step is faster on this kernel than on the fused wasm kernel, for
 * `train.backend: auto` (measured with tfjs-wasm; tfjs-node, multithreaded, is faster still).
 * Full `Simulation.step`s in f32, one thread of a 2-core AMD EPYC, best of repeats: the wasm
 * kernel runs at ≈ 4·10⁹ pair·D/s up to n ≈ 640 and ≈ 2·10⁹ from n ≈ 1024 on, while the GEMMs
 * of tfjs-wasm reach ≈ 3–5·10⁹ pair·D/s once D ≥ 33 but pay ~0.1 ms per op. tfjs/wasm speed
 * ratios: n ≥ 1024, D = 33…785: 1.3–3.6 (D = 17: 0.85–1.4); n = 512 or 640: 0.8–1.0 up to
 * D = 129, 1.2–1.3 at D = 785; n ≤ 256: 0.5–0.97 at every D. Hence: enough work to hide the
 * per-op cost (n·m·D ≥ 2²¹), D ≥ 33, and n ≥ 1024, or n ≥ 512 with D ≥ 513.
 */
export function tfjsStepIsFaster({ n, D, m }: KernelShape): boolean {
  if (n * m * D < 2 ** 21 || D < 33) return false;
  return n >= 1024 || (n >= 512 && D >= 513);
}

/** The error for a tfjs kernel asked for before TensorFlow.js is loaded (the kernel is synchronous, loading is not). */
export function tensorBackendNotLoaded(): InvalidInputError {
  return new InvalidInputError(
    'train.backend',
    'the tfjs backend needs TensorFlow.js loaded first: build the kernel with `await prepareKernel(config, shape)` (or call `await loadTensorBackend()` before creating the simulation)',
  );
}

/**
 * StepKernel on TensorFlow.js, float32. Requires `loadTensorBackend()` to have resolved. Every
 * intermediate tensor is disposed within the call that made it; the resident tensors are the
 * uploaded parameter and input sets, which `dispose()` releases.
 */
export class TfjsKernel implements StepKernel {
  readonly backend = 'tfjs' as const;
  readonly precision = 'f32' as const;
  /** Which TensorFlow.js backend runs the GEMMs. */
  readonly tensorBackend: TensorBackendName;
  readonly blockSize: number;
  /** Neurons per update GEMM: wide enough for full-speed GEMMs. */
  private readonly neuronChunk: number;
  /** Samples per input row chunk, so that neuronChunk × rows ≤ chunkElements. */
  private readonly maxRows: number;
  private readonly tf: TfNamespace;
  private readonly staging: Staging;
  private readonly params = new Set<TfjsParams>();
  private readonly inputs = new Set<TfjsInputs>();

  constructor(options: TfjsKernelOptions = {}) {
    const runtime = loadedTensorRuntime();
    if (!runtime) throw tensorBackendNotLoaded();
    const positive = (field: keyof TfjsKernelOptions, fallback: number): number => {
      const value = options[field] ?? fallback;
      if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInputError(field, `expected an integer ≥ 1, got ${String(value)}`);
      return value;
    };
    this.tf = runtime.tf;
    this.tensorBackend = runtime.info.name;
    this.blockSize = positive('blockSize', 256);
    this.neuronChunk = Math.max(this.blockSize, positive('neuronChunk', NEURON_CHUNK));
    this.maxRows = Math.max(1, Math.floor(positive('chunkElements', CHUNK_ELEMENTS) / this.neuronChunk));
    this.staging = new Staging(runtime.info);
  }

  uploadParams(params: NetworkParams): ParamsHandle {
    const { m, D } = params;
    const k = outputCount(params);
    const tf = this.tf;
    const handle: TfjsParams = {
      m,
      D,
      k,
      a: tf.tensor2d(vectorToF32(params.a, 0, m * D, new Float32Array(m * D)), [m, D], 'float32'),
      b: tf.tensor2d(vectorToF32(params.b, 0, m * k, new Float32Array(m * k)), [m, k], 'float32'),
    };
    this.params.add(handle);
    return handle;
  }

  downloadParams(handle: ParamsHandle, into: NetworkParams): void {
    const h = handle as TfjsParams;
    into.a.set(h.a.dataSync() as Float32Array);
    into.b.set(h.b.dataSync() as Float32Array);
  }

  uploadInputs(inputs: AugmentedInputs): InputsHandle {
    const handle: TfjsInputs = { n: inputs.n, D: inputs.D, chunks: [] };
    this.refreshInputs(handle, inputs);
    this.inputs.add(handle);
    return handle;
  }

  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void {
    const h = handle as TfjsInputs;
    const { n, D, x } = inputs;
    const tf = this.tf;
    this.disposeChunks(h);
    // Balanced row chunks: the widest intermediate, neuronChunk × |I|, stays ≤ chunkElements.
    const count = Math.ceil(n / this.maxRows);
    const rows = Math.ceil(n / Math.max(1, count));
    for (let i0 = 0; i0 < n; i0 += rows) {
      const i1 = Math.min(n, i0 + rows);
      const ri = i1 - i0;
      h.chunks.push({
        i0,
        i1,
        x: tf.tensor2d(rowsToF32(x, D, i0, i1, this.staging.get('x', ri * D)), [ri, D], 'float32'),
        xt: tf.tensor2d(rowsToF32Transposed(x, D, i0, i1, this.staging.get('xt', D * ri)), [D, ri], 'float32'),
      });
    }
  }

  partialOutputs(params: ParamsHandle, inputs: InputsHandle, j0: number, j1: number, out: Float64Array): void {
    const p = params as TfjsParams;
    const x = inputs as TfjsInputs;
    const tf = this.tf;
    const k = p.k;
    out.fill(0, 0, x.n * k);
    if (j1 <= j0 || x.n === 0) return;
    tf.tidy(() => {
      // Z = X̃_I A_Jᵀ puts the neurons on the columns, so the block sum is σ(Z) B_J (a GEMV
      // for k = 1), whose right operand (packed by the GEMM on every call) is |J|×k values,
      // not |J|×|I|; its |I|×k result is already in the sample-major layout of `out`.
      // Aᵀ costs one m×D transpose per call, small next to the n·m·D of the GEMMs.
      const at = tf.transpose(tf.slice(p.a, [j0, 0], [j1 - j0, p.D]));
      // Block by block, in block order: each block's float32 sum B_Jᵀσ(A_J x̃_i) is added to
      // the float64 `out` (the partitioner's summation contract, ARCHITECTURE.md §3).
      for (let block = j0; block < j1; block += this.blockSize) {
        const width = Math.min(this.blockSize, j1 - block);
        const atBlock = tf.slice(at, [0, block - j0], [p.D, width]);
        const bBlock = tf.slice(p.b, [block, 0], [width, k]);
        for (const chunk of x.chunks) {
          const hidden = tf.fused.matMul({ a: chunk.x, b: atBlock, activation: 'relu' });
          const sums = tf.matMul(hidden, bBlock);
          const values = sums.dataSync();
          // Disposed now, not at the end of the tidy: one chunk's |I|×|J| matrix at a time.
          tf.dispose([hidden, sums]);
          const from = chunk.i0 * k;
          for (let t = 0, len = (chunk.i1 - chunk.i0) * k; t < len; t++) out[from + t] += values[t];
        }
        tf.dispose([atBlock, bBlock]);
      }
    });
  }

  update(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    if (j1 <= j0) return;
    const p = params as TfjsParams;
    const x = inputs as TfjsInputs;
    const tf = this.tf;
    const k = p.k;
    const { step, shrink } = coef;
    const { a, b } = tf.tidy(() => {
      // The data term of one neuron chunk, summed over the input chunks (null without samples).
      const gradients = x.n === 0 ? null : k === 1 ? this.scalarGradients(x, r) : this.vectorGradients(x, r, k);
      const aPieces: Tensor2D[] = [];
      const bPieces: Tensor2D[] = [];
      if (j0 > 0) {
        aPieces.push(tf.slice(p.a, [0, 0], [j0, p.D]));
        bPieces.push(tf.slice(p.b, [0, 0], [j0, k]));
      }
      for (let c0 = j0; c0 < j1; c0 += this.neuronChunk) {
        const width = Math.min(this.neuronChunk, j1 - c0);
        const aChunk = tf.slice(p.a, [c0, 0], [width, p.D]);
        const bChunk = tf.slice(p.b, [c0, 0], [width, k]);
        let gradA: Tensor2D | null = null;
        let gradB: Tensor2D | null = null;
        if (gradients) {
          for (let ci = 0; ci < x.chunks.length; ci++) {
            const sumA = gradA;
            const sumB = gradB;
            const [nextA, nextB] = tf.tidy(() => {
              const [partA, partB] = gradients(aChunk, bChunk, ci);
              return sumA && sumB ? [tf.add(sumA, partA), tf.add(sumB, partB)] : [partA, partB];
            }) as Tensor2D[];
            // The running sums are replaced, not kept: memory stays one chunk's worth.
            if (sumA && sumB) tf.dispose([sumA, sumB]);
            gradA = nextA;
            gradB = nextB;
          }
        }
        if (gradA && gradB) {
          // eq. (3): w ← (1 − ηλ) w − η κγs g, all at w(t). For k = 1, g_a = b_j Σ_i r_i 1[z_ij > 0] x̃_i
          // (b_j factored out, as it always was); for k ≥ 2, b_j is already inside ρ.
          const moveA = k === 1 ? tf.mul(tf.mul(bChunk, step), gradA) : tf.mul(gradA, step);
          aPieces.push(tf.sub(tf.mul(aChunk, shrink), moveA));
          bPieces.push(tf.sub(tf.mul(bChunk, shrink), tf.mul(gradB, step)));
        } else {
          // No samples: the data term vanishes and eq. (3) is weight decay alone.
          aPieces.push(tf.mul(aChunk, shrink));
          bPieces.push(tf.mul(bChunk, shrink));
        }
      }
      if (j1 < p.m) {
        aPieces.push(tf.slice(p.a, [j1, 0], [p.m - j1, p.D]));
        bPieces.push(tf.slice(p.b, [j1, 0], [p.m - j1, k]));
      }
      return { a: aPieces.length === 1 ? aPieces[0] : tf.concat2d(aPieces, 0), b: bPieces.length === 1 ? bPieces[0] : tf.concat2d(bPieces, 0) };
    });
    tf.dispose([p.a, p.b]);
    p.a = a;
    p.b = b;
  }

  /**
   * k = 1: the per-chunk terms (Σ_i r_i 1[z_ij > 0] x̃_i, Σ_i r_i σ(z_ij)) of a neuron chunk,
   * with r uploaded once as a 1×n row that scales the columns of 1[Hᵀ > 0].
   */
  private scalarGradients(x: TfjsInputs, r: Float64Array): ChunkGradients {
    const tf = this.tf;
    const rAll = tf.tensor2d(vectorToF32(r, 0, x.n, this.staging.get('r', x.n)), [1, x.n], 'float32');
    return (aChunk, _bChunk, ci) => {
      const chunk = x.chunks[ci];
      const rows = chunk.i1 - chunk.i0;
      const rRow = x.chunks.length > 1 ? tf.slice(rAll, [0, chunk.i0], [1, rows]) : rAll;
      const hidden = tf.fused.matMul({ a: aChunk, b: chunk.xt, activation: 'relu' });
      // 1[z > 0] = 1[σ(z) > 0], times r_i per column: the |J|×|I| weights of g_a.
      const weights = tf.mul(tf.step(hidden), rRow);
      const partA: Tensor2D = tf.matMul(weights, chunk.x);
      const partB: Tensor2D = tf.matMul(hidden, tf.reshape(rRow, [rows, 1]));
      return [partA, partB];
    };
  }

  /**
   * k ≥ 2: the per-chunk terms (G_a = (1[Hᵀ > 0] ⊙ B_J R_Iᵀ) X̃_I, G_b = Hᵀ R_I) of a neuron
   * chunk. R_I (|I|×k) and R_Iᵀ (k×|I|) are laid out on the host per input chunk, once per
   * update, so that every GEMM takes its operands untransposed.
   */
  private vectorGradients(x: TfjsInputs, r: Float64Array, k: number): ChunkGradients {
    const tf = this.tf;
    const residuals = x.chunks.map(({ i0, i1 }) => ({
      r: tf.tensor2d(rowsToF32(r, k, i0, i1, this.staging.get('rk', (i1 - i0) * k)), [i1 - i0, k], 'float32'),
      rt: tf.tensor2d(rowsToF32Transposed(r, k, i0, i1, this.staging.get('rkt', k * (i1 - i0))), [k, i1 - i0], 'float32'),
    }));
    return (aChunk, bChunk, ci) => {
      const chunk = x.chunks[ci];
      const hidden = tf.fused.matMul({ a: aChunk, b: chunk.xt, activation: 'relu' });
      // ρ_ji = ⟨b_j, r_i⟩, kept only where neuron j is active on sample i.
      const weights = tf.mul(tf.step(hidden), tf.matMul(bChunk, residuals[ci].rt));
      const partA: Tensor2D = tf.matMul(weights, chunk.x);
      const partB: Tensor2D = tf.matMul(hidden, residuals[ci].r);
      return [partA, partB];
    };
  }

  /** Releases every tensor this kernel uploaded; its handles must not be used afterwards. */
  dispose(): void {
    for (const h of this.params) this.tf.dispose([h.a, h.b]);
    for (const h of this.inputs) this.disposeChunks(h);
    this.params.clear();
    this.inputs.clear();
  }

  private disposeChunks(h: TfjsInputs): void {
    for (const c of h.chunks) this.tf.dispose([c.x, c.xt]);
    h.chunks = [];
  }
}

/**
 * The native step kernel: eq. (3) of ARCHITECTURE.md §1 as GEMMs on ONNX Runtime's CPU kernels
 * (MLAS), block of neurons by block of neurons, for the matrix-bound shapes (large D: real data).
 *
 * Per block of `blockSize` neurons (A: bs×D, B: bs×k) and chunk of samples (X̃: D×n, feature-major):
 *
 *   forward   Z = A X̃,  P = Bᵀ σ(Z)                        → P: k×n, the block's partial outputs
 *   gradient  Z = A X̃,  H = σ(Z),  S = B R  (R: k×n, r_i = ∂ℓ/∂f(x_i)/n, eq. 3)
 *             g_b = H Rᵀ  (bs×k),   g_a = (S ⊙ 1[Z > 0]) X̃ᵀ  (bs×D)
 *   update    w ← shrink·w − step·g                        (step-plan.ts)
 *
 * The bs×n matrices Z, H, S of a block live inside its graph run. The update needs H = σ(Z) at
 * the parameters the forward pass just saw: when the forward pass ran on the same parameters and
 * inputs (a GD or SGD step: outputs, residual, update) and all blocks' H fit in
 * {@link NATIVE_CACHE_BYTES}, the forward pass keeps them and the update starts from them (one
 * GEMM saved per block); otherwise the update recomputes Z, as the fused kernels always do.
 * Either way the numbers are the same bits (same graph ops on the same operands), and memory
 * stays bounded: the two-layer step never holds an unbounded n×m matrix. Partial
 * outputs are summed across blocks in float64, in block order. Each block's products run on one
 * thread with MLAS's fixed summation order, so a block's numbers do not depend on which thread
 * (or how many) runs it: the sharded engine gives each worker whole blocks.
 */
import { outputCount, type NetworkParams } from '../model/params.js';
import type { AugmentedInputs } from '../model/inputs.js';
import type { OnnxGraph } from '../native/onnx-model.js';
import { NativeSession, nativeTensor, type OrtTensor } from '../native/runtime.js';
import type { Precision } from '../types.js';
import type { BlockUpdate, InputsHandle, ParamsHandle, StepKernel } from './kernel.js';
import { InvalidInputError } from '../errors.js';
import type { KernelShape } from './registry.js';
import type { StepCoefficients } from './step-plan.js';

type Values = Float32Array | Float64Array;

/** Neurons per block: one GEMM's rows (and the sharded engine's unit of work). */
export const NATIVE_BLOCK_SIZE = 256;

/**
 * Samples per GEMM: an input set is stored and multiplied in chunks of this many samples, so a
 * block's intermediates (Z, σ(Z), B R: bs × chunk) stay bounded whatever n; a block's gradient
 * sums its chunks in float64 in chunk order. The chunking is fixed by this constant alone, so it
 * is the same in every thread and worker count.
 */
export const NATIVE_SAMPLE_CHUNK = 16_384;

/** At most this many bytes of kept σ(Z) blocks per kernel (beyond it the update recomputes Z). */
export const NATIVE_CACHE_BYTES = 256 * 2 ** 20;

/** The two graphs of a precision (symbolic dims: bs neurons, D inputs, n samples, k outputs). */
export function twoLayerGraphs(precision: Precision): { forward: OnnxGraph; forwardKeep: OnnxGraph; gradient: OnnxGraph; gradientFromH: OnnxGraph } {
  const type = precision === 'f32' ? 'float32' : 'float64';
  const v = (name: string, ...dims: string[]) => ({ name, type, dims }) as const;
  return {
    forward: {
      name: 'two_layer_forward',
      nodes: [
        { op: 'MatMul', inputs: ['A', 'X'], outputs: ['Z'] },
        { op: 'Relu', inputs: ['Z'], outputs: ['H'] },
        { op: 'Gemm', inputs: ['B', 'H'], outputs: ['P'], ints: { transA: 1 } },
      ],
      inputs: [v('A', 'bs', 'D'), v('X', 'D', 'n'), v('B', 'bs', 'k')],
      outputs: [v('P', 'k', 'n')],
    },
    // The same, also writing H = σ(Z) out for the update.
    forwardKeep: {
      name: 'two_layer_forward_keep',
      nodes: [
        { op: 'MatMul', inputs: ['A', 'X'], outputs: ['Z'] },
        { op: 'Relu', inputs: ['Z'], outputs: ['H'] },
        { op: 'Gemm', inputs: ['B', 'H'], outputs: ['P'], ints: { transA: 1 } },
      ],
      inputs: [v('A', 'bs', 'D'), v('X', 'D', 'n'), v('B', 'bs', 'k')],
      outputs: [v('P', 'k', 'n'), v('H', 'bs', 'n')],
    },
    gradientFromH: {
      name: 'two_layer_gradient_from_h',
      nodes: [
        { op: 'Gemm', inputs: ['H', 'R'], outputs: ['GB'], ints: { transB: 1 } },
        { op: 'MatMul', inputs: ['B', 'R'], outputs: ['S'] },
        { op: 'Sign', inputs: ['H'], outputs: ['Mask'] },
        { op: 'Mul', inputs: ['S', 'Mask'], outputs: ['M'] },
        { op: 'Gemm', inputs: ['M', 'X'], outputs: ['GA'], ints: { transB: 1 } },
      ],
      inputs: [v('H', 'bs', 'n'), v('X', 'D', 'n'), v('B', 'bs', 'k'), v('R', 'k', 'n')],
      outputs: [v('GA', 'bs', 'D'), v('GB', 'bs', 'k')],
    },
    gradient: {
      name: 'two_layer_gradient',
      nodes: [
        { op: 'MatMul', inputs: ['A', 'X'], outputs: ['Z'] },
        { op: 'Relu', inputs: ['Z'], outputs: ['H'] },
        { op: 'Gemm', inputs: ['H', 'R'], outputs: ['GB'], ints: { transB: 1 } },
        { op: 'MatMul', inputs: ['B', 'R'], outputs: ['S'] },
        // 1[z > 0] = sign(σ(z)), as σ(z) ≥ 0.
        { op: 'Sign', inputs: ['H'], outputs: ['Mask'] },
        { op: 'Mul', inputs: ['S', 'Mask'], outputs: ['M'] },
        { op: 'Gemm', inputs: ['M', 'X'], outputs: ['GA'], ints: { transB: 1 } },
      ],
      inputs: [v('A', 'bs', 'D'), v('X', 'D', 'n'), v('B', 'bs', 'k'), v('R', 'k', 'n')],
      outputs: [v('GA', 'bs', 'D'), v('GB', 'bs', 'k')],
    },
  };
}

/** Parameters in the kernel's precision, neuron-major (A: m×D, B: m×k), with one tensor pair per block. */
class NativeParams implements ParamsHandle {
  readonly blockA: OrtTensor[] = [];
  readonly blockB: OrtTensor[] = [];
  /** Bumped whenever the values change (update, or a write through {@link NativeKernel.paramsChanged}): kept σ(Z) is for one version. */
  version = 0;
  constructor(
    readonly m: number,
    readonly D: number,
    readonly k: number,
    readonly a: Values,
    readonly b: Values,
    blockSize: number,
  ) {
    for (let j0 = 0; j0 < m; j0 += blockSize) {
      const bs = Math.min(blockSize, m - j0);
      this.blockA.push(nativeTensor(a.subarray(j0 * D, (j0 + bs) * D), [bs, D]));
      this.blockB.push(nativeTensor(b.subarray(j0 * k, (j0 + bs) * k), [bs, k]));
    }
  }
}

/** One chunk of an input set: samples [i0, i0 + n), feature-major (X̃: D×n), with its k×n residual and partial-output buffers. */
interface InputChunk {
  readonly i0: number;
  readonly n: number;
  readonly x: Values;
  readonly X: OrtTensor;
  readonly R: OrtTensor;
  readonly P: OrtTensor;
}

/** An input set in chunks of {@link NATIVE_SAMPLE_CHUNK} samples (the last one shorter). */
class NativeInputs implements InputsHandle {
  readonly chunks: InputChunk[] = [];
  version = 0;
  constructor(
    readonly n: number,
    readonly D: number,
    readonly k: number,
    make: (length: number) => Values,
  ) {
    for (let i0 = 0; i0 < n; i0 += NATIVE_SAMPLE_CHUNK) {
      const len = Math.min(NATIVE_SAMPLE_CHUNK, n - i0);
      const x = make(D * len);
      this.chunks.push({ i0, n: len, x, X: nativeTensor(x, [D, len]), R: nativeTensor(make(k * len), [k, len]), P: nativeTensor(make(k * len), [k, len]) });
    }
  }
}

/** σ(Z) of one (block, chunk) as a forward pass left it, and for which parameters and inputs. */
interface KeptBlock {
  readonly H: OrtTensor;
  params: NativeParams | null;
  paramsVersion: number;
  inputs: NativeInputs | null;
  inputsVersion: number;
}

/**
 * The {@link StepKernel} on ONNX Runtime (backend `native`), f32 or f64. Needs onnxruntime-node
 * (see native/runtime.ts); `auto` takes it on GEMM-bound shapes ({@link nativeStepIsFaster}),
 * where it was measured faster than the fused wasm kernels.
 *
 * @example
 * const kernel = new NativeKernel('f32');
 * const sim = new Simulation(resolveSimulationConfig({ train: { backend: 'native', precision: 'f32' } }), data, { kernel });
 */
export class NativeKernel implements StepKernel {
  readonly backend = 'native' as const;
  private readonly graphs: Record<'forward' | 'forwardKeep' | 'gradient' | 'gradientFromH', NativeSession>;
  private readonly make: (length: number) => Values;
  private readonly bytesPerValue: number;
  /** g_a and g_b of one (block, chunk), with tensors per block length (the last block may be shorter). */
  private gradA: Values;
  private gradB: Values;
  private readonly gradTensors = new Map<number, { GA: OrtTensor; GB: OrtTensor }>();
  /** A block's gradient summed over chunks, in float64, in chunk order. */
  private sumA = new Float64Array(0);
  private sumB = new Float64Array(0);
  /** Kept σ(Z) per block and chunk (see the module comment), allocated on first use. */
  private kept: (KeptBlock | undefined)[][] = [];
  private outputs = 1;

  constructor(
    readonly precision: Precision,
    readonly blockSize = NATIVE_BLOCK_SIZE,
    /** Bytes of σ(Z) blocks the forward pass may keep for the update (0: always recompute). */
    private readonly keepBytes = NATIVE_CACHE_BYTES,
  ) {
    const graphs = twoLayerGraphs(precision);
    this.graphs = {
      forward: new NativeSession(graphs.forward),
      forwardKeep: new NativeSession(graphs.forwardKeep),
      gradient: new NativeSession(graphs.gradient),
      gradientFromH: new NativeSession(graphs.gradientFromH),
    };
    this.make = precision === 'f32' ? (length) => new Float32Array(length) : (length) => new Float64Array(length);
    this.bytesPerValue = precision === 'f32' ? 4 : 8;
    this.gradA = this.make(0);
    this.gradB = this.make(0);
  }

  uploadParams(params: NetworkParams): ParamsHandle {
    const k = outputCount(params);
    const a = this.make(params.m * params.D);
    const b = this.make(params.m * k);
    a.set(params.a);
    b.set(params.b);
    // Input sets uploaded from now on get k×n residual and output buffers.
    this.outputs = k;
    return new NativeParams(params.m, params.D, k, a, b, this.blockSize);
  }

  downloadParams(handle: ParamsHandle, into: NetworkParams): void {
    const h = handle as NativeParams;
    into.a.set(h.a);
    into.b.set(h.b);
  }

  /** The handle's own arrays (A: m×D, B: m×k in the kernel's precision), for callers that write parameters in place; call {@link paramsChanged} after. */
  paramsArrays(handle: ParamsHandle): { a: Values; b: Values } {
    const h = handle as NativeParams;
    return { a: h.a, b: h.b };
  }

  /** Tells the kernel that a handle's values were written from outside (kept σ(Z) no longer applies). */
  paramsChanged(handle: ParamsHandle): void {
    (handle as NativeParams).version++;
  }

  uploadInputs(inputs: AugmentedInputs): InputsHandle {
    const handle = new NativeInputs(inputs.n, inputs.D, this.outputs, this.make);
    this.refreshInputs(handle, inputs);
    return handle;
  }

  /**
   * An input set of n samples from feature-major values (x[q·rowStride + i] = x̃_i[q]), copied:
   * the layout the sharded engine's shared memory holds.
   */
  uploadFeatureMajor(n: number, D: number, x: Values, rowStride = n): InputsHandle {
    const handle = new NativeInputs(n, D, this.outputs, this.make);
    this.refreshFeatureMajor(handle, x, rowStride);
    return handle;
  }

  /** Overwrites a set from feature-major values (D rows of `rowStride`, the first n of each used). */
  refreshFeatureMajor(handle: InputsHandle, x: Values, rowStride = handle.n): void {
    const h = handle as NativeInputs;
    for (const c of h.chunks) for (let q = 0; q < h.D; q++) c.x.set(x.subarray(q * rowStride + c.i0, q * rowStride + c.i0 + c.n), q * c.n);
    h.version++;
  }

  refreshInputs(handle: InputsHandle, inputs: AugmentedInputs): void {
    const h = handle as NativeInputs;
    const { D } = inputs;
    const x = inputs.x;
    for (const c of h.chunks) {
      for (let i = 0; i < c.n; i++) for (let q = 0; q < D; q++) c.x[q * c.n + i] = x[(c.i0 + i) * D + q];
    }
    h.version++;
  }

  partialOutputs(params: ParamsHandle, inputs: InputsHandle, j0: number, j1: number, out: Float64Array): void {
    const p = params as NativeParams;
    const x = this.checkedInputs(p, inputs);
    const k = p.k;
    out.fill(0, 0, x.n * k);
    const keep = p.m * x.n * this.bytesPerValue <= this.keepBytes;
    for (let block = this.firstBlock(j0); block * this.blockSize < j1; block++) {
      const bs = Math.min(this.blockSize, p.m - block * this.blockSize);
      for (let chunk = 0; chunk < x.chunks.length; chunk++) {
        const c = x.chunks[chunk];
        const feeds = { A: p.blockA[block], X: c.X, B: p.blockB[block] };
        if (keep) {
          const kept = this.keptBlock(block, chunk, bs, c.n);
          this.graphs.forwardKeep.run(feeds, { P: c.P, H: kept.H });
          kept.params = p;
          kept.paramsVersion = p.version;
          kept.inputs = x;
          kept.inputsVersion = x.version;
        } else {
          this.graphs.forward.run(feeds, { P: c.P });
        }
        // Float64 accumulation across blocks, in block order (the sharded reduce does the same).
        const P = c.P.data;
        for (let q = 0; q < k; q++) for (let i = 0; i < c.n; i++) out[(c.i0 + i) * k + q] += P[q * c.n + i];
      }
    }
  }

  update(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number): void {
    this.blockUpdates(params, inputs, r, coef, j0, j1, null);
  }

  /** `update` with `apply` in place of the SGD formula, per block (float64 only: `apply` gets the kernel's arrays). */
  updateWith(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, j0: number, j1: number, apply: BlockUpdate): void {
    if (this.precision !== 'f64') throw new InvalidInputError('train.precision', 'the native kernel hands out its gradients in float64 only; use f64');
    this.blockUpdates(params, inputs, r, NO_COEFFICIENTS, j0, j1, apply);
  }

  private blockUpdates(params: ParamsHandle, inputs: InputsHandle, r: Float64Array, coef: Readonly<StepCoefficients>, j0: number, j1: number, apply: BlockUpdate | null): void {
    const p = params as NativeParams;
    const x = this.checkedInputs(p, inputs);
    const { k, D } = p;
    // R: k×n per chunk in the kernel's precision (the f32 path rounds r as the wasm kernels do).
    for (const c of x.chunks) {
      const R = c.R.data;
      for (let i = 0; i < c.n; i++) for (let q = 0; q < k; q++) R[q * c.n + i] = r[(c.i0 + i) * k + q];
    }
    const { step, shrink } = coef;
    const a = p.a;
    const b = p.b;
    if (this.sumA.length < this.blockSize * D) this.sumA = new Float64Array(this.blockSize * D);
    if (this.sumB.length < this.blockSize * k) this.sumB = new Float64Array(this.blockSize * k);
    const { sumA, sumB } = this;
    for (let block = this.firstBlock(j0); block * this.blockSize < j1; block++) {
      const start = block * this.blockSize;
      const bs = Math.min(this.blockSize, p.m - start);
      const grads = this.gradientTensors(bs, D, k);
      const gA = this.gradA;
      const gB = this.gradB;
      const chunks = x.chunks;
      for (let chunk = 0; chunk < chunks.length; chunk++) {
        const c = chunks[chunk];
        const kept = this.kept[block]?.[chunk];
        if (kept && kept.params === p && kept.paramsVersion === p.version && kept.inputs === x && kept.inputsVersion === x.version && kept.H.dims[0] === bs) {
          this.graphs.gradientFromH.run({ H: kept.H, X: c.X, B: p.blockB[block], R: c.R }, grads);
        } else {
          this.graphs.gradient.run({ A: p.blockA[block], X: c.X, B: p.blockB[block], R: c.R }, grads);
        }
        if (chunks.length === 1) break;
        // Several chunks add up in chunk order, in float64.
        if (chunk === 0) {
          for (let v = 0; v < bs * D; v++) sumA[v] = gA[v];
          for (let v = 0; v < bs * k; v++) sumB[v] = gB[v];
        } else {
          for (let v = 0; v < bs * D; v++) sumA[v] += gA[v];
          for (let v = 0; v < bs * k; v++) sumB[v] += gB[v];
        }
      }
      // One chunk: the GEMM's own values (the same numbers the float64 sum would hold).
      const totalA = chunks.length === 1 ? gA : sumA;
      const totalB = chunks.length === 1 ? gB : sumB;
      if (apply) {
        apply('a', a as Float64Array, start * D, totalA as Float64Array, bs * D);
        apply('b', b as Float64Array, start * k, totalB as Float64Array, bs * k);
      } else {
        applyUpdate(a, start * D, totalA, bs * D, shrink, step);
        applyUpdate(b, start * k, totalB, bs * k, shrink, step);
      }
    }
    p.version++;
  }

  private keptBlock(block: number, chunk: number, bs: number, n: number): KeptBlock {
    const row = (this.kept[block] ??= []);
    let kept = row[chunk];
    if (!kept || kept.H.dims[0] !== bs || kept.H.dims[1] !== n) {
      kept = { H: nativeTensor(this.make(bs * n), [bs, n]), params: null, paramsVersion: -1, inputs: null, inputsVersion: -1 };
      row[chunk] = kept;
    }
    return kept;
  }

  private firstBlock(j0: number): number {
    if (j0 % this.blockSize !== 0) throw new RangeError(`native kernel: neuron range must start on a block boundary (${this.blockSize}), got ${j0}`);
    return j0 / this.blockSize;
  }

  private checkedInputs(p: NativeParams, inputs: InputsHandle): NativeInputs {
    const x = inputs as NativeInputs;
    if (x.k !== p.k) throw new RangeError(`native kernel: inputs were uploaded for ${x.k} outputs but the parameters have ${p.k}; upload the parameters before the inputs`);
    return x;
  }

  private gradientTensors(bs: number, D: number, k: number): { GA: OrtTensor; GB: OrtTensor } {
    if (this.gradA.length !== this.blockSize * D || this.gradB.length !== this.blockSize * k) {
      this.gradA = this.make(this.blockSize * D);
      this.gradB = this.make(this.blockSize * k);
      this.gradTensors.clear();
    }
    let t = this.gradTensors.get(bs);
    if (!t) {
      t = { GA: nativeTensor(this.gradA.subarray(0, bs * D), [bs, D]), GB: nativeTensor(this.gradB.subarray(0, bs * k), [bs, k]) };
      this.gradTensors.set(bs, t);
    }
    return t;
  }
}

/** w[off + v] ← shrink·w[off + v] − step·g[v] for v < count (one monomorphic loop per array type pair). */
const NO_COEFFICIENTS: Readonly<StepCoefficients> = { lr: 0, step: 0, shrink: 1 };

function applyUpdate(w: Values, off: number, g: Values | Float64Array, count: number, shrink: number, step: number): void {
  for (let v = 0; v < count; v++) w[off + v] = shrink * w[off + v] - step * g[v];
}

/**
 * `auto`'s rule: the native kernel where the step is GEMM-bound. Measured with `npm run bench`
 * on 2 cores (see the README's backend table): the fused wasm kernels win at small D, where a
 * step is a few multiply-adds per (sample, neuron) pair and GEMM set-up would dominate.
 *
 * @example
 * nativeStepIsFaster({ n: 10_000, D: 785, m: 1024 }); // true
 * nativeStepIsFaster({ n: 1024, D: 3, m: 65_536 }); // false
 */
export function nativeStepIsFaster({ n, D, m }: KernelShape): boolean {
  return D >= 65 && n * m * D >= 2 ** 22;
}

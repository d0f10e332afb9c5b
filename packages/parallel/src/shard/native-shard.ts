/**
 * A shard worker's part of a sharded run on the native (ONNX Runtime GEMM) kernel. The worker
 * owns a contiguous range of whole neuron blocks, and runs core's NativeKernel on them as a
 * sub-network: its own blocks have the shapes and values they have in a single-thread run, and
 * each block's products run on this one thread, so a block's partial outputs and gradient are
 * the same bits whichever worker (and however many) computes them. The forward phase writes one
 * row of float64 partials per block into the shared memory (the reduce phase is the wasm path's),
 * the update phase reads the shared residuals and writes the block's new parameters back.
 *
 * ONNX Runtime cannot read SharedArrayBuffer views, so the worker keeps private copies: its
 * blocks' parameters (copied in when a call starts, written back after each update), x̃ of the
 * set the steps run on (the training set, once; a finite-data SGD batch after each gather), and
 * one chunk of samples at a time of the sets it only evaluates (test; the training set under
 * SGD) — the kernel's own sample chunks (NATIVE_SAMPLE_CHUNK), so the products have the same
 * shapes, hence the same bits, as in a single-thread run.
 */
import type { StepCoefficients } from '@mflab/core';
import { NATIVE_SAMPLE_CHUNK, NativeKernel, type InputsHandle, type ParamsHandle } from '@mflab/core';
import { partRange } from './plan.js';
import type { InputSetLayout, ShardLayout } from './protocol.js';

type Values = Float32Array | Float64Array;

export class NativeShard {
  private readonly kernel: NativeKernel;
  /** This worker's blocks [b0, b1) and neurons [j0, j1). */
  readonly b0: number;
  readonly b1: number;
  readonly j0: number;
  readonly j1: number;
  private readonly current: ParamsHandle | null;
  private readonly initial: ParamsHandle | null;
  /** x̃ of the set the steps run on. */
  private readonly stepping: InputSetLayout;
  private readonly steppingInputs: InputsHandle | null;
  /** One chunk of an evaluated set, by chunk length (a full chunk and a set's last one). */
  private readonly windows = new Map<number, InputsHandle>();
  /** One block's partial outputs (n × k, float64) and the step's residuals (n × k, sample-major). */
  private readonly out: Float64Array;
  private readonly r: Float64Array;

  constructor(
    private readonly layout: ShardLayout,
    private readonly heap: Values,
    private readonly f64: Float64Array,
    workerIndex: number,
    workerCount: number,
  ) {
    const L = layout;
    this.kernel = new NativeKernel(L.precision, L.blockSize);
    [this.b0, this.b1] = partRange(L.blocks, workerCount, workerIndex);
    this.j0 = Math.min(L.m, this.b0 * L.blockSize);
    this.j1 = Math.min(L.m, this.b1 * L.blockSize);
    const mine = this.j1 - this.j0;
    const empty = (m: number) => ({ m, D: L.D, k: L.k, a: new Float64Array(m * L.D), b: new Float64Array(m * L.k) });
    this.current = mine > 0 ? this.kernel.uploadParams(empty(mine)) : null;
    this.initial = mine > 0 ? this.kernel.uploadParams(empty(mine)) : null;
    this.stepping = L.batch ?? L.train;
    this.steppingInputs = mine > 0 ? this.kernel.uploadFeatureMajor(this.stepping.n, L.D, this.heap.subarray(this.stepping.x / L.bytesPerValue), this.stepping.nPad) : null;
    const nMax = Math.max(L.train.n, L.test?.n ?? 0, L.batch?.n ?? 0);
    this.out = new Float64Array(nMax * L.k);
    this.r = new Float64Array((L.batch ?? L.train).n * L.k);
    if (this.initial) this.copyIn(this.initial, L.a0, L.b0);
  }

  /** Re-reads this worker's current parameters from the shared memory (a call may follow a resume or a reset). */
  refreshParams(): void {
    if (this.current) this.copyIn(this.current, this.layout.a, this.layout.b);
  }

  /** Re-reads the stepping set's x̃ from the shared memory (the SGD batch after a gather). */
  refreshInputs(): void {
    if (this.steppingInputs) this.kernel.refreshFeatureMajor(this.steppingInputs, this.heap.subarray(this.stepping.x / this.layout.bytesPerValue), this.stepping.nPad);
  }

  /** This worker's blocks' partial outputs on `set` into the shared partials, one float64 row per block. */
  forward(set: InputSetLayout, initial: boolean): void {
    const params = initial ? this.initial : this.current;
    if (!params) return;
    if (set === this.stepping && this.steppingInputs) {
      this.forwardOn(params, this.steppingInputs, 0);
      return;
    }
    // An evaluated set: one chunk of samples at a time, copied out of the shared memory.
    const S = this.layout.bytesPerValue;
    for (let i0 = 0; i0 < set.n; i0 += NATIVE_SAMPLE_CHUNK) {
      const len = Math.min(NATIVE_SAMPLE_CHUNK, set.n - i0);
      let window = this.windows.get(len);
      const rows = this.heap.subarray(set.x / S + i0);
      if (window) this.kernel.refreshFeatureMajor(window, rows, set.nPad);
      else this.windows.set(len, (window = this.kernel.uploadFeatureMajor(len, this.layout.D, rows, set.nPad)));
      this.forwardOn(params, window, i0);
    }
  }

  /** Partial outputs of every own block on `inputs` (samples i0…), into the shared partial rows. */
  private forwardOn(params: ParamsHandle, inputs: InputsHandle, i0: number): void {
    const L = this.layout;
    const out = this.out.subarray(0, inputs.n * L.k);
    for (let blk = this.b0; blk < this.b1; blk++) {
      const local = (blk - this.b0) * L.blockSize;
      this.kernel.partialOutputs(params, inputs, local, Math.min(this.j1 - this.j0, local + L.blockSize), out);
      this.f64.set(out, (L.partials + blk * L.partialsStride) / 8 + i0 * L.k);
    }
  }

  /** The update of this worker's neurons on the stepping set from the shared residuals (k rows of the set's nPad), written back. */
  update(coef: Readonly<StepCoefficients>): void {
    const params = this.current;
    const inputs = this.steppingInputs;
    if (!params || !inputs) return;
    const L = this.layout;
    const { n, nPad } = this.stepping;
    const K = L.k;
    const base = L.residuals / L.bytesPerValue;
    const r = this.r;
    for (let c = 0; c < K; c++) for (let i = 0; i < n; i++) r[i * K + c] = this.heap[base + c * nPad + i];
    this.kernel.update(params, inputs, r, coef, 0, this.j1 - this.j0);
    const { a, b } = this.kernel.paramsArrays(params);
    const S = L.bytesPerValue;
    this.heap.set(a, L.a / S + this.j0 * L.D);
    this.heap.set(b, L.b / S + this.j0 * K);
  }

  private copyIn(handle: ParamsHandle, aPtr: number, bPtr: number): void {
    const L = this.layout;
    const S = L.bytesPerValue;
    const { a, b } = this.kernel.paramsArrays(handle);
    a.set(this.heap.subarray(aPtr / S + this.j0 * L.D, aPtr / S + this.j1 * L.D));
    b.set(this.heap.subarray(bPtr / S + this.j0 * L.k, bPtr / S + this.j1 * L.k));
    this.kernel.paramsChanged(handle);
  }
}

/**
 * A shard worker: one long-lived thread of a sharded run. It instantiates the shared-memory
 * wasm kernels over the run's SharedArrayBuffer and, on each comlink call, runs its part of
 * every phase, meeting its siblings at Atomics barriers between phases:
 *
 *   forward  — its tiles of P[block][i] = Σ_{j∈block} b_j σ(a_j·x̃_i)            (eq. 1, unscaled)
 *   reduce   — its samples: f_i = s Σ_blocks P[block][i] in block order, − f_{w(0)}(x_i) if centered,
 *              r_i = ∂ℓ/∂f(f_i, y_i)/n                                              (eq. 3)
 *   update   — its neurons: w_j ← (1 − ηλ) w_j − η κγs g_j                          (eq. 3)
 *              (data-sharded: its (block, sample block) gradient tiles, a barrier, then
 *              its neurons summing the sample blocks' gradients in block order)
 *
 * With k outputs the partials, outputs and residuals are n × k, and the vector kernels run.
 * Finite-data minibatch SGD adds a first phase, `gather`: each worker copies its share of the
 * step's batch (the same seeded EpochBatches order in every worker) from the training set.
 *
 * Only the partial outputs and residuals — n-vectors — are shared between phases; each worker
 * writes only its own tiles, samples and neurons. Nothing is allocated per step.
 */
import { parentPort } from 'node:worker_threads';
import { StepPlan, classLossGradient, lossDerivative, scalingOf, twoLayerModel, type LossName } from '@mflab/core';
import { gatherRows, instantiateSharedWasmKernels, kernelsOf, type PrecisionKernels } from '@mflab/core/internal';
import { Barrier } from './barrier.js';
import { NativeShard } from './native-shard.js';
import { exposeOnPort } from './comlink-node.js';
import { partRange, forwardTiles, gradientTiles } from './plan.js';
import { SAMPLE_ALIGN } from './layout.js';
import type { InputSetLayout, InputSetName, ParamsName, ShardLayout, ShardSetup, ShardWorkerApi, WorkerScratch } from './protocol.js';

interface SetPlan {
  readonly set: InputSetLayout;
  readonly tiles: Int32Array;
  /** This worker's samples in the reduce phase. */
  readonly i0: number;
  readonly i1: number;
}

class ShardWorker implements ShardWorkerApi {
  private layout!: ShardLayout;
  /** The run's step pipeline (core's StepPlan over the same config: the same numbers as one thread). */
  private plan!: StepPlan;
  /** What the reduce phase needs of the config: the loss, s of eq. (1), centering. */
  private loss!: LossName;
  private s = 1;
  private centered = false;
  private kernels!: PrecisionKernels;
  private scratch!: WorkerScratch;
  private barrier!: Barrier;
  private train!: SetPlan;
  private test: SetPlan | null = null;
  /** Finite-data SGD: the batch's plan, else null. */
  private batch: SetPlan | null = null;
  /** The set the update runs on: the batch, else the training set. */
  private stepping!: SetPlan;
  /** One sample's k residuals (k > 1), before they are scattered into the k rows of r. */
  private sampleResidual = new Float64Array(0);
  /** This worker's neurons in the update (or apply) phase. */
  private j0 = 0;
  private j1 = 0;
  private gradTiles: Int32Array = new Int32Array(0);
  private f64!: Float64Array;
  private residualsT!: Float32Array | Float64Array;
  /** The native (ONNX Runtime GEMM) kernel's part, when the run uses it; else the wasm kernels run. */
  private native: NativeShard | null = null;

  init(setup: ShardSetup): void {
    const { layout, workerIndex: w, workerCount: W } = setup;
    this.layout = layout;
    const { config } = setup;
    this.plan = new StepPlan(config, { nTrain: setup.nTrain, finiteBatches: layout.batch !== null });
    this.loss = config.loss;
    this.s = scalingOf(twoLayerModel(config.model)).s;
    this.centered = config.model.centered;
    this.kernels = kernelsOf(instantiateSharedWasmKernels(setup.memory), layout.precision);
    this.scratch = layout.scratch[w];
    this.barrier = new Barrier(new Int32Array(setup.control), W, setup.spin);
    const plan = (set: InputSetLayout): SetPlan => {
      const [i0, i1] = partRange(set.n, W, w, SAMPLE_ALIGN);
      return { set, tiles: forwardTiles(layout.m, layout.blockSize, set.n, W, w), i0, i1 };
    };
    this.train = plan(layout.train);
    this.test = layout.test ? plan(layout.test) : null;
    this.batch = layout.batch ? plan(layout.batch) : null;
    this.stepping = this.batch ?? this.train;
    this.sampleResidual = new Float64Array(layout.k);
    // Neuron ranges on multiples of 4: the kernels' register tile (any split gives the same bits).
    [this.j0, this.j1] = partRange(layout.m, W, w, 4);
    if (layout.sampleBlocks > 0) this.gradTiles = gradientTiles(layout.m, layout.blockSize, layout.sampleBlocks, W, w);
    const buffer = setup.memory.buffer;
    this.f64 = new Float64Array(buffer);
    this.residualsT = layout.precision === 'f32' ? new Float32Array(buffer) : new Float64Array(buffer);
    if (layout.kernel === 'native') this.native = new NativeShard(layout, this.residualsT, this.f64, w, W);
    this.writeCoefficients(0);
  }

  /** Update t's (step, shrink) from the plan, where the kernels read them: this worker's scratch. */
  private writeCoefficients(t: number): void {
    const coef = this.scratch.coef / 8;
    const { step, shrink } = this.plan.at(t);
    this.f64[coef] = step;
    this.f64[coef + 1] = shrink;
  }

  step(count: number, start: number): void {
    const L = this.layout;
    const { update, applyGradients, updateVec, applyGradientsVec } = this.kernels;
    const { ga, gb, coef } = this.scratch;
    const S = L.bytesPerValue;
    const K = L.k;
    const plan = this.stepping;
    const set = plan.set;
    const native = this.native;
    native?.refreshParams();
    for (let t = 0; t < count; t++) {
      this.barrier.checkAbort();
      this.writeCoefficients(start + t);
      if (this.batch) {
        this.gather(start + t);
        this.barrier.arrive();
        native?.refreshInputs();
      }
      this.forward(plan, L.a, L.b);
      this.barrier.arrive();
      this.reduce(plan, false, true);
      this.barrier.arrive();
      if (native) {
        native.update(this.plan.at(start + t));
      } else if (L.sampleBlocks === 0) {
        if (this.j1 > this.j0) {
          if (K === 1) update(set.n, set.nPad, L.D, set.x, L.a, L.b, L.residuals, this.j0, this.j1, coef, ga, 0);
          else updateVec(set.n, set.nPad, L.D, K, set.x, L.a, L.b, L.residuals, this.j0, this.j1, coef, ga, gb, 0);
        }
      } else {
        const tiles = this.gradTiles;
        const gradBytes = (K === 1 ? L.D + 1 : K + L.D) * 8;
        const blockBytes = L.m * gradBytes;
        for (let q = 0; q < tiles.length; q += 3) {
          const j0 = tiles[q];
          const sb = tiles[q + 2];
          const i0 = sb * L.sampleBlockSize;
          const n = Math.min(set.n, i0 + L.sampleBlockSize) - i0;
          const grad = L.gradients + sb * blockBytes + j0 * gradBytes;
          if (K === 1) update(n, set.nPad, L.D, set.x + i0 * S, L.a, L.b, L.residuals + i0 * S, j0, tiles[q + 1], coef, ga, grad);
          else updateVec(n, set.nPad, L.D, K, set.x + i0 * S, L.a, L.b, L.residuals + i0 * S, j0, tiles[q + 1], coef, ga, gb, grad);
        }
        this.barrier.arrive();
        if (this.j1 > this.j0) {
          const grad = L.gradients + this.j0 * gradBytes;
          if (K === 1) applyGradients(L.D, L.a, L.b, grad, L.sampleBlocks, blockBytes, this.j0, this.j1, coef);
          else applyGradientsVec(L.D, K, L.a, L.b, grad, L.sampleBlocks, blockBytes, this.j0, this.j1, coef);
        }
      }
      // The next forward reads neurons other workers just updated.
      this.barrier.arrive();
    }
  }

  /**
   * Finite-data SGD: copies this worker's share of update t's batch — x̃ (in T, sample-minor
   * rows), its label and f_{w(0)} — from the training set into the batch set (core's gatherRows).
   */
  private gather(t: number): void {
    const L = this.layout;
    const batch = this.batch as SetPlan;
    const offset = this.plan.batchStart(t);
    const order = (this.plan.batches as NonNullable<StepPlan['batches']>).order;
    const S = L.bytesPerValue;
    const train = L.train;
    const K = L.k;
    const { i0, i1 } = batch;
    gatherRows(order, offset, i0, i1, L.D, this.residualsT, train.x / S, 1, train.nPad, this.residualsT, batch.set.x / S, 1, batch.set.nPad);
    gatherRows(order, offset, i0, i1, 1, this.f64, L.y / 8, 1, 1, this.f64, L.batchY / 8, 1, 1);
    if (this.centered) gatherRows(order, offset, i0, i1, K, this.f64, train.centering / 8, K, 1, this.f64, batch.set.centering / 8, K, 1);
  }

  evaluate(setName: InputSetName, params: ParamsName, into: 'outputs' | 'centering'): void {
    const plan = setName === 'train' ? this.train : this.test;
    if (!plan) throw new Error('this run has no test set');
    const L = this.layout;
    this.barrier.checkAbort();
    if (params === 'current') this.native?.refreshParams();
    this.forward(plan, params === 'current' ? L.a : L.a0, params === 'current' ? L.b : L.b0);
    this.barrier.arrive();
    this.reduce(plan, into === 'centering', false);
    this.barrier.arrive();
  }

  private forward(plan: SetPlan, a: number, b: number): void {
    const L = this.layout;
    if (this.native) {
      this.native.forward(plan.set, a === L.a0);
      return;
    }
    const { forward, forwardVec } = this.kernels;
    const S = L.bytesPerValue;
    const K = L.k;
    const tiles = plan.tiles;
    for (let t = 0; t < tiles.length; t += 4) {
      const j0 = tiles[t];
      const i0 = tiles[t + 2];
      const out = L.partials + (j0 / L.blockSize) * L.partialsStride + i0 * K * 8;
      if (K === 1) forward(tiles[t + 3] - i0, plan.set.nPad, L.D, plan.set.x + i0 * S, a, b, j0, tiles[t + 1], L.blockSize, this.scratch.acc, out, 0);
      else forwardVec(tiles[t + 3] - i0, plan.set.nPad, L.D, K, plan.set.x + i0 * S, a, b, j0, tiles[t + 1], L.blockSize, this.scratch.acc, out, 0);
    }
  }

  /**
   * f_i for this worker's samples, in exactly the single-thread engine's order of operations
   * (Σ from 0 over blocks, × s, − f_{w(0)}), and with `residuals` the step's r_i in T.
   */
  private reduce(plan: SetPlan, intoCentering: boolean, residuals: boolean): void {
    const L = this.layout;
    const { s, loss, centered } = this;
    const f64 = this.f64;
    const set = plan.set;
    const P = L.partials / 8;
    const stride = L.partialsStride / 8;
    const out = (intoCentering ? set.centering : set.outputs) / 8;
    const f0 = centered && !intoCentering ? set.centering / 8 : -1;
    const y = (plan === this.batch ? L.batchY : L.y) / 8;
    const r = L.residuals / L.bytesPerValue;
    const invN = 1 / set.n;
    const { i0, i1 } = plan;
    if (L.k > 1) {
      this.reduceVector(plan, out, f0, y, r, invN, residuals);
      return;
    }
    // Block-major passes over this worker's samples (cache-friendly); each f_i still sums the
    // blocks from 0 in block order, exactly as the single-thread kernel does.
    for (let i = i0; i < i1; i++) f64[out + i] = 0;
    for (let blk = 0; blk < L.blocks; blk++) {
      const row = P + blk * stride;
      for (let i = i0; i < i1; i++) f64[out + i] += f64[row + i];
    }
    for (let i = i0; i < i1; i++) {
      let f = f64[out + i] * s;
      if (f0 >= 0) f -= f64[f0 + i];
      f64[out + i] = f;
      if (residuals) this.residualsT[r + i] = lossDerivative(loss, f, f64[y + i]) * invN;
    }
  }

  /**
   * The k-output reduce: f_ic = s Σ_blocks P[block][i·k + c] (block order) − f_{w(0)}, and with
   * `residuals` r_ic = ∂ℓ/∂f_c(f_i, y_i)/n scattered into the k rows of r (row stride: the set's nPad).
   */
  private reduceVector(plan: SetPlan, out: number, f0: number, y: number, r: number, invN: number, residuals: boolean): void {
    const L = this.layout;
    const { s, loss } = this;
    const f64 = this.f64;
    const K = L.k;
    const P = L.partials / 8;
    const stride = L.partialsStride / 8;
    const rowStride = plan.set.nPad;
    const sample = this.sampleResidual;
    const { i0, i1 } = plan;
    for (let v = i0 * K; v < i1 * K; v++) f64[out + v] = 0;
    for (let blk = 0; blk < L.blocks; blk++) {
      const row = P + blk * stride;
      for (let v = i0 * K; v < i1 * K; v++) f64[out + v] += f64[row + v];
    }
    for (let i = i0; i < i1; i++) {
      for (let c = 0; c < K; c++) {
        let f = f64[out + i * K + c] * s;
        if (f0 >= 0) f -= f64[f0 + i * K + c];
        f64[out + i * K + c] = f;
      }
      if (residuals) {
        classLossGradient(loss, K, f64, out + i * K, f64[y + i], invN, sample, 0);
        for (let c = 0; c < K; c++) this.residualsT[r + c * rowStride + i] = sample[c];
      }
    }
  }
}

exposeOnPort(new ShardWorker(), parentPort);

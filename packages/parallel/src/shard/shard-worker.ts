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
 * Only the partial outputs and residuals — n-vectors — are shared between phases; each worker
 * writes only its own tiles, samples and neurons. Nothing is allocated per step.
 */
import { parentPort } from 'node:worker_threads';
import { instantiateSharedWasmKernels, kernelsOf, lossDerivative, type PrecisionKernels } from '@mflab/core';
import { Barrier } from './barrier.js';
import { exposeOnPort } from './comlink-node.js';
import { partRange, forwardTiles, gradientTiles } from './plan.js';
import { SAMPLE_ALIGN } from './layout.js';
import type { InputSetLayout, InputSetName, ParamsName, ShardLayout, ShardSetup, ShardWorkerApi, StepConstants, WorkerScratch } from './protocol.js';

interface SetPlan {
  readonly set: InputSetLayout;
  readonly tiles: Int32Array;
  /** This worker's samples in the reduce phase. */
  readonly i0: number;
  readonly i1: number;
}

class ShardWorker implements ShardWorkerApi {
  private layout!: ShardLayout;
  private constants!: StepConstants;
  private kernels!: PrecisionKernels;
  private scratch!: WorkerScratch;
  private barrier!: Barrier;
  private train!: SetPlan;
  private test: SetPlan | null = null;
  /** This worker's neurons in the update (or apply) phase. */
  private j0 = 0;
  private j1 = 0;
  private gradTiles: Int32Array = new Int32Array(0);
  private f64!: Float64Array;
  private residualsT!: Float32Array | Float64Array;

  init(setup: ShardSetup): void {
    const { layout, workerIndex: w, workerCount: W } = setup;
    this.layout = layout;
    this.constants = setup.constants;
    this.kernels = kernelsOf(instantiateSharedWasmKernels(setup.memory), layout.precision);
    this.scratch = layout.scratch[w];
    this.barrier = new Barrier(new Int32Array(setup.control), W, setup.spin);
    const plan = (set: InputSetLayout): SetPlan => {
      const [i0, i1] = partRange(set.n, W, w, SAMPLE_ALIGN);
      return { set, tiles: forwardTiles(layout.m, layout.blockSize, set.n, W, w), i0, i1 };
    };
    this.train = plan(layout.train);
    this.test = layout.test ? plan(layout.test) : null;
    // Neuron ranges on multiples of 4: the kernels' register tile (any split gives the same bits).
    [this.j0, this.j1] = partRange(layout.m, W, w, 4);
    if (layout.sampleBlocks > 0) this.gradTiles = gradientTiles(layout.m, layout.blockSize, layout.sampleBlocks, W, w);
    const buffer = setup.memory.buffer;
    this.f64 = new Float64Array(buffer);
    this.residualsT = layout.precision === 'f32' ? new Float32Array(buffer) : new Float64Array(buffer);
    const coef = this.scratch.coef / 8;
    this.f64[coef] = setup.constants.lr * setup.constants.drive;
    this.f64[coef + 1] = 1 - setup.constants.lr * setup.constants.decay;
  }

  step(count: number): void {
    const L = this.layout;
    const { update, applyGradients } = this.kernels;
    const { ga, coef } = this.scratch;
    const S = L.bytesPerValue;
    const train = L.train;
    for (let k = 0; k < count; k++) {
      this.barrier.checkAbort();
      this.forward(this.train, L.a, L.b);
      this.barrier.arrive();
      this.reduce(this.train, false, true);
      this.barrier.arrive();
      if (L.sampleBlocks === 0) {
        if (this.j1 > this.j0) update(train.n, train.nPad, L.D, train.x, L.a, L.b, L.residuals, this.j0, this.j1, coef, ga, 0);
      } else {
        const tiles = this.gradTiles;
        const gradBytes = (L.D + 1) * 8;
        const blockBytes = L.m * gradBytes;
        for (let t = 0; t < tiles.length; t += 3) {
          const j0 = tiles[t];
          const sb = tiles[t + 2];
          const i0 = sb * L.sampleBlockSize;
          const n = Math.min(train.n, i0 + L.sampleBlockSize) - i0;
          update(n, train.nPad, L.D, train.x + i0 * S, L.a, L.b, L.residuals + i0 * S, j0, tiles[t + 1], coef, ga, L.gradients + sb * blockBytes + j0 * gradBytes);
        }
        this.barrier.arrive();
        if (this.j1 > this.j0) applyGradients(L.D, L.a, L.b, L.gradients + this.j0 * gradBytes, L.sampleBlocks, blockBytes, this.j0, this.j1, coef);
      }
      // The next forward reads neurons other workers just updated.
      this.barrier.arrive();
    }
  }

  evaluate(setName: InputSetName, params: ParamsName, into: 'outputs' | 'centering'): void {
    const plan = setName === 'train' ? this.train : this.test;
    if (!plan) throw new Error('this run has no test set');
    const L = this.layout;
    this.barrier.checkAbort();
    this.forward(plan, params === 'current' ? L.a : L.a0, params === 'current' ? L.b : L.b0);
    this.barrier.arrive();
    this.reduce(plan, into === 'centering', false);
    this.barrier.arrive();
  }

  private forward(plan: SetPlan, a: number, b: number): void {
    const L = this.layout;
    const { forward } = this.kernels;
    const S = L.bytesPerValue;
    const tiles = plan.tiles;
    for (let t = 0; t < tiles.length; t += 4) {
      const j0 = tiles[t];
      const i0 = tiles[t + 2];
      const out = L.partials + (j0 / L.blockSize) * L.partialsStride + i0 * 8;
      forward(tiles[t + 3] - i0, plan.set.nPad, L.D, plan.set.x + i0 * S, a, b, j0, tiles[t + 1], L.blockSize, this.scratch.acc, out, 0);
    }
  }

  /**
   * f_i for this worker's samples, in exactly the single-thread engine's order of operations
   * (Σ from 0 over blocks, × s, − f_{w(0)}), and with `residuals` the step's r_i in T.
   */
  private reduce(plan: SetPlan, intoCentering: boolean, residuals: boolean): void {
    const L = this.layout;
    const { s, loss, centered } = this.constants;
    const f64 = this.f64;
    const set = plan.set;
    const P = L.partials / 8;
    const stride = L.partialsStride / 8;
    const out = (intoCentering ? set.centering : set.outputs) / 8;
    const f0 = centered && !intoCentering ? set.centering / 8 : -1;
    const y = L.y / 8;
    const r = L.residuals / L.bytesPerValue;
    const invN = 1 / set.n;
    const { i0, i1 } = plan;
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
}

exposeOnPort(new ShardWorker(), parentPort);

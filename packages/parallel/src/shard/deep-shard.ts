import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Remote } from 'comlink';
import { DeepSimulation, InvalidInputError, type BackendInfo, type DataSplit, type DeepParams, type EngineStart, type SimulationConfig } from '@mflab/core';
import { DEEP_BLOCK_SIZE, type StepAllocator } from '@mflab/core/internal';
import { workerExecArgv } from '../worker-argv.js';
import { abortBarrier } from './barrier.js';
import { wrapWorker } from './comlink-node.js';
import type { DeepShardWorkerApi } from './deep-protocol.js';
import { CONTROL } from './protocol.js';

/**
 * Options of {@link ShardedDeepSimulation.start}: the partition on top of core's EngineStart
 * (w(0), and w(t) with `startStep` to resume). Neither changes the numbers.
 *
 * @example
 * const options: ShardedDeepOptions = { workers: 2, blockSize: 16 };
 */
export interface ShardedDeepOptions extends EngineStart<DeepParams> {
  /** Worker threads (default: os.availableParallelism()). The result does not depend on it. */
  workers?: number;
  /**
   * Output neurons per block of every layer (default core's DEEP_BLOCK_SIZE, 64). Each element of
   * a step is one inner product over its full fan-in, so the result does not depend on it either.
   */
  blockSize?: number;
}

// The worker is always the built JS (as shard-worker.js): from src/shard/ and dist/shard/ this
// resolves to packages/parallel/dist/shard/.
const WORKER_URL = new URL('../../dist/shard/deep-shard-worker.js', import.meta.url);

/** Spin iterations before a barrier sleeps (as the two-layer sharded engine). */
const BARRIER_SPIN = 20000;

/** The step's arrays in SharedArrayBuffers, seen by every worker. */
const sharedMemory: StepAllocator = (Real, length) => {
  const buffer = new SharedArrayBuffer(length * Real.BYTES_PER_ELEMENT);
  return Real === Float32Array ? new Float32Array(buffer) : new Float64Array(buffer);
};

interface DeepShardThread {
  readonly worker: Worker;
  readonly api: Remote<DeepShardWorkerApi>;
}

/**
 * A deep network (ARCHITECTURE.md §7) trained on several threads: core's `DeepSimulation` (every
 * check, batch, observable and the f32/f64 step of deep/blocks.ts) whose step runs on workers.
 * **Shard axis: the output neurons of every layer** — each worker owns a contiguous range of the
 * fixed-size neuron blocks of each layer (and a range of samples for the output f). Parameters
 * and the step's z, h, δ live in shared memory; the workers meet at a barrier after each layer's
 * forward phase, after the output, and after each layer's backward phase; a block's update is done
 * by its owner. The main thread draws the batch (EngineBase's code, as on one thread), writes the
 * residuals between the forward and backward calls, and computes the observables with core's code.
 * Every element is one inner product in a fixed order, so the result is bitwise the single-thread
 * DeepSimulation's for any worker count and block size.
 *
 * @example
 * import { ShardedDeepSimulation } from '@mflab/parallel';
 * import { makeDataset, resolveDataSpec, resolveSimulationConfig, runSimulationAsync } from '@mflab/core';
 * const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 8, n: 1024 }), 0);
 * const config = resolveSimulationConfig({ model: { depth: 3, width: 512 }, train: { steps: 20, precision: 'f32' } });
 * const sim = await ShardedDeepSimulation.start(config, data, { workers: 2 });
 * try {
 *   console.log((await runSimulationAsync(sim)).last.risk_train);
 * } finally {
 *   await sim.dispose();
 * }
 */
export class ShardedDeepSimulation extends DeepSimulation {
  readonly workers: number;
  readonly blockSize: number;
  private readonly threads: DeepShardThread[] = [];
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
  /** (shrink, step) per tensor for the workers: weights 0..L, then biases 0..L. */
  private readonly sharedCoefficients: Float64Array;
  private disposed = false;
  private failure: Error | null = null;
  private onFailure: ((error: Error) => void) | null = null;

  private constructor(config: SimulationConfig, data: DataSplit, options: ShardedDeepOptions, workers: number) {
    super(config, data, options, sharedMemory);
    this.workers = workers;
    this.blockSize = options.blockSize ?? DEEP_BLOCK_SIZE;
    this.sharedCoefficients = new Float64Array(new SharedArrayBuffer(4 * (this.spec.depth + 1) * 8));
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(WORKER_URL, { name: `mflab-deep-shard-${w}`, execArgv: workerExecArgv() });
      worker.on('error', (error) => this.fail(new Error(`deep shard worker ${w} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!this.disposed) this.fail(new Error(`deep shard worker ${w} exited with code ${code} during the run`));
      });
      worker.unref();
      this.threads.push({ worker, api: wrapWorker<DeepShardWorkerApi>(worker) });
    }
  }

  /**
   * Builds the engine and starts its workers, for a resolved config (`resolveSimulationConfig`).
   * (Not `create`: DeepSimulation.create is synchronous and takes a partial config.)
   */
  static async start(config: SimulationConfig, data: DataSplit, options: ShardedDeepOptions = {}): Promise<ShardedDeepSimulation> {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) throw new InvalidInputError('workers', `expected an integer from 1 to 256, got ${String(options.workers)}`);
    const blockSize = options.blockSize ?? DEEP_BLOCK_SIZE;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new InvalidInputError('blockSize', `expected an integer ≥ 1, got ${String(options.blockSize)}`);
    const sim = new ShardedDeepSimulation(config, data, options, workers);
    try {
      const spin = workers <= availableParallelism() ? BARRIER_SPIN : 0;
      const { spec } = sim;
      const hasBias = sim.stepCoefficients.biases.map((b) => b !== null);
      await sim.onAll((api, w) =>
        api.init({ spec, params: sim.stepParams, buffers: sim.stepBuffers, coefficients: sim.sharedCoefficients, hasBias, control: sim.control.buffer as SharedArrayBuffer, blockSize, workerIndex: w, workerCount: workers, spin }),
      );
    } catch (error) {
      await sim.dispose();
      throw error;
    }
    return sim;
  }

  override get backendInfo(): BackendInfo {
    return { backend: 'reference', precision: this.config.train.precision, workers: this.workers, blockSize: this.blockSize };
  }

  /** Runs `count` updates: per update, the batch and coefficients here, the phases on the workers. */
  override async step(count = 1): Promise<void> {
    const c = this.sharedCoefficients;
    const { weights, biases } = this.stepCoefficients;
    const tensors = weights.length;
    try {
      for (let s = 0; s < count; s++) {
        this.prepareStep();
        for (let l = 0; l < tensors; l++) {
          c[2 * l] = weights[l].shrink;
          c[2 * l + 1] = weights[l].step;
          const b = biases[l];
          c[2 * (tensors + l)] = b ? b.shrink : 1;
          c[2 * (tensors + l) + 1] = b ? b.step : 0;
        }
        await this.onAll((api) => api.forward());
        this.writeResiduals();
        await this.onAll((api) => api.backward());
        this.stepCount++;
      }
    } finally {
      this.syncParams();
    }
  }

  /** Stops and terminates the workers. Safe to call twice. */
  override async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    abortBarrier(this.control);
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    abortBarrier(this.control);
    this.onFailure?.(this.failure);
  }

  /** Calls every worker at once and waits for all; rejects at once when a worker dies. */
  private async onAll(call: (api: Remote<DeepShardWorkerApi>, w: number) => Promise<void>): Promise<void> {
    if (this.disposed) throw new Error(this.failure ? `the sharded run failed: ${this.failure.message}` : 'the sharded run was disposed');
    if (this.failure) throw this.failure;
    for (const t of this.threads) t.worker.ref();
    const died = new Promise<never>((_, reject) => (this.onFailure = reject));
    try {
      await Promise.race([Promise.all(this.threads.map((t, w) => call(t.api, w))), died]);
    } catch (error) {
      throw this.failure ?? error;
    } finally {
      this.onFailure = null;
      // Idle workers do not keep the process alive: forgetting dispose() cannot hang an exit.
      for (const t of this.threads) t.worker.unref();
    }
  }
}

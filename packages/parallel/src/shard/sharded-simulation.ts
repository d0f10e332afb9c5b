import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Remote } from 'comlink';
import { InvalidInputError, TWO_LAYER, cloneParams, twoLayerModel, kernelShapeOf, loadNativeRuntime, resolveKernel, resolveRunLength, usesFiniteBatches, type AugmentedInputs, type BackendInfo, type DataSplit, type Engine, type EngineStart, type NetworkParams, type ObservableRow, type SimulationConfig } from '@mflab/core';
import { TwoLayerEngineBase, createSharedWasmMemory, writeSampleMinor, type SharedWasmMemory } from '@mflab/core/internal';
import { workerExecArgv } from '../worker-argv.js';
import { abortBarrier } from './barrier.js';
import { wrapWorker } from './comlink-node.js';
import { SAMPLE_ALIGN, planLayout } from './layout.js';
import { CONTROL, type InputSetLayout, type ShardLayout, type ShardWorkerApi } from './protocol.js';

/**
 * Options of {@link ShardedSimulation.create}: the partition (ARCHITECTURE.md §3) on top of core's
 * EngineStart (w(0), and w(t) with `startStep` to resume). Every field is optional; only
 * `blockSize` and `sampleBlockSize` change the numbers, never `workers`.
 */
export interface ShardedSimulationOptions extends EngineStart<NetworkParams> {
  /** Worker threads (default: os.availableParallelism()). The result does not depend on it. */
  workers?: number;
  /**
   * Neurons per block (default 256, as the single-thread wasm engine): partial outputs are summed
   * within a block in the run's precision and across blocks in float64, in block order. The
   * result depends on it (not on the worker count).
   */
  blockSize?: number;
  /**
   * Data sharding: samples per sample block of the update (a multiple of 4), or 0 (default) for
   * none. With it, the gradient of each (neuron block, sample block) tile is computed apart and
   * the sample blocks are summed in block order — the result then depends on this size (not on
   * the worker count), and differs in the last bits from the unsharded update.
   */
  sampleBlockSize?: number;
}

/** Which implementation ran: core's BackendInfo with the partition filled in. */
export type ShardedBackendInfo = BackendInfo & { backend: 'wasm' | 'native'; workers: number; blockSize: number; sampleBlockSize: number };

// The worker is always the built JS: from src/shard/ and dist/shard/ this resolves to
// packages/parallel/dist/shard/ (tests run the sources, but a worker thread needs JavaScript).
const WORKER_URL = new URL('../../dist/shard/shard-worker.js', import.meta.url);

/** Spin iterations before a barrier sleeps: a few tens of µs, when every worker has a core. */
const BARRIER_SPIN = 20000;

interface ShardThread {
  readonly worker: Worker;
  readonly api: Remote<ShardWorkerApi>;
}

const threadsOf = new WeakMap<ShardedSimulation, readonly ShardThread[]>();

/** The worker threads of a run — for tests that kill one (not exported from the package). */
export function shardWorkersOf(sim: ShardedSimulation): readonly Worker[] {
  return (threadsOf.get(sim) ?? []).map((t) => t.worker);
}

/**
 * A two-layer ReLU network trained by full-batch GD or finite-data minibatch SGD
 * (ARCHITECTURE.md §1, eq. 3) on several threads: an {@link Engine} like core's `Simulation`
 * (sharing its base: checks, w(0), step pipeline, observables, particles, prediction), whose
 * step and outputs are asynchronous. Neurons sit in fixed-size blocks, the data in one shared
 * wasm memory; each long-lived worker owns a share of the forward tiles, of the samples (for the
 * residual) and of the neurons (for the update), and `step(k)` runs k steps in one call. Results
 * are bitwise identical for any worker count, and (unsharded data, same block size) bitwise
 * identical to the single-thread wasm `Simulation`.
 *
 * @example
 * import { ShardedSimulation } from '@mflab/parallel';
 * import { makeDataset, resolveDataSpec, resolveSimulationConfig, runSimulationAsync } from '@mflab/core';
 * const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 8, n: 1024, nTest: 256 }), 0);
 * const config = resolveSimulationConfig({ model: { width: 16384 }, train: { steps: 40, precision: 'f32' }, log: { every: 10 } });
 * const sim = await ShardedSimulation.create(config, data, { workers: 2 });
 * try {
 *   const { last } = await runSimulationAsync(sim);
 *   console.log(last.risk_train, sim.backendInfo);
 * } finally {
 *   await sim.dispose();
 * }
 */
export class ShardedSimulation extends TwoLayerEngineBase implements Engine<NetworkParams> {
  readonly workers: number;
  private readonly layout: ShardLayout;
  private readonly memory: SharedWasmMemory;
  private readonly control: Int32Array;
  private readonly threads: ShardThread[];
  private readonly hostParams: NetworkParams;
  private hostParamsStale = true;
  private readonly trainOut: Float64Array;
  private readonly testOut: Float64Array;
  private failure: Error | null = null;
  private disposed = false;
  private inFlight: Promise<unknown> = Promise.resolve();

  private constructor(config: SimulationConfig, data: DataSplit, options: ShardedSimulationOptions, workers: number) {
    super(config, data, options);
    this.workers = workers;
    const { model, train } = this.config;
    const k = this.outputs;
    this.layout = planLayout({
      kernel: shardKernelOf(this.config, data),
      precision: train.precision,
      m: model.width,
      D: this.D,
      k,
      nTrain: this.trainInputs.n,
      batchSize: this.plan.batches ? this.plan.batchSize : 0,
      nTest: this.testInputs.n,
      blockSize: options.blockSize ?? 256,
      sampleBlockSize: options.sampleBlockSize ?? 0,
      centered: model.centered,
      workers,
    });
    this.memory = createSharedWasmMemory(this.layout.totalBytes);
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
    const L = this.layout;
    writeInputs(this.memory, L, L.train, this.trainInputs);
    if (L.test) writeInputs(this.memory, L, L.test, this.testInputs);
    new Float64Array(this.memory.buffer, L.y, data.train.n).set(data.train.y);
    writeParams(this.memory, L, L.a0, L.b0, this.initialParams);
    // w(0) as the run's precision rounds it, for `move` and centering.
    readParams(this.memory, L, L.a0, L.b0, this.initialParams);
    writeParams(this.memory, L, L.a, L.b, options.params ?? this.initialParams);
    this.hostParams = cloneParams(this.initialParams);
    this.trainOut = new Float64Array(this.trainInputs.n * k);
    this.testOut = new Float64Array(this.testInputs.n * k);
    this.threads = [];
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(WORKER_URL, { name: `mflab-shard-${w}`, execArgv: workerExecArgv() });
      worker.on('error', (error) => this.fail(new Error(`shard worker ${w} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!this.disposed) this.fail(new Error(`shard worker ${w} exited with code ${code} during the run`));
      });
      this.threads.push({ worker, api: wrapWorker<ShardWorkerApi>(worker) });
    }
    threadsOf.set(this, this.threads);
  }

  /**
   * Lays out the shared memory, starts the workers and computes f_{w(0)} when centered, for a
   * resolved config (`resolveSimulationConfig`, or the CLI's validated config): full-batch `gd`,
   * or minibatch SGD over the finite training set (population SGD runs on one thread);
   * `train.backend` must be `auto`, `wasm` or `native` (the sharded engine runs the fused wasm
   * kernels, or the native GEMM kernel on whole neuron blocks per worker; `auto` picks as core's
   * `selectKernel` does for the step's shape).
   */
  static async create(config: SimulationConfig, data: DataSplit, options: ShardedSimulationOptions = {}): Promise<ShardedSimulation> {
    const workers = checkOptions(resolveRunLength(config, data), data, options);
    const sim = new ShardedSimulation(config, data, options, workers);
    try {
      const spin = workers <= availableParallelism() ? BARRIER_SPIN : 0;
      await sim.onAll((api, w) => api.init({ memory: sim.memory, control: sim.control.buffer as SharedArrayBuffer, layout: sim.layout, config: sim.config, nTrain: data.train.n, workerIndex: w, workerCount: workers, spin }));
      if (sim.config.model.centered) {
        await sim.onAll((api) => api.evaluate('train', 'initial', 'centering'));
        if (sim.layout.test) await sim.onAll((api) => api.evaluate('test', 'initial', 'centering'));
      }
    } catch (error) {
      await sim.dispose();
      throw error;
    }
    return sim;
  }

  get backendInfo(): ShardedBackendInfo {
    const L = this.layout;
    return { backend: L.kernel, precision: L.precision, workers: this.workers, blockSize: L.blockSize, sampleBlockSize: L.sampleBlockSize };
  }

  /** w(t): a float64 copy of the shared parameters, refreshed when stale (read-only). */
  get params(): NetworkParams {
    if (this.hostParamsStale) {
      readParams(this.memory, this.layout, this.layout.a, this.layout.b, this.hostParams);
      this.hostParamsStale = false;
    }
    return this.hostParams;
  }

  /** Runs `count` GD steps: one call per worker, the steps in lockstep inside it. */
  async step(count = 1): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError('count', `expected a non-negative integer number of steps, got ${String(count)}`);
    if (count === 0) return;
    const start = this.stepCount;
    await this.onAll((api) => api.step(count, start));
    this.stepCount += count;
    this.hostParamsStale = true;
  }

  /** f on the training set after the current step (a view into an internal buffer, valid until the next call). */
  async trainOutputs(): Promise<Float64Array> {
    await this.onAll((api) => api.evaluate('train', 'current', 'outputs'));
    return this.copyOut(this.layout.train, this.trainOut);
  }

  /** f on the test set (a view into an internal buffer, valid until the next call). */
  async testOutputs(): Promise<Float64Array> {
    if (!this.layout.test) return this.testOut;
    await this.onAll((api) => api.evaluate('test', 'current', 'outputs'));
    return this.copyOut(this.layout.test, this.testOut);
  }

  /** Every observable of ARCHITECTURE.md §1 at the current step (the same function as `Simulation.observe`). */
  async observe(options: { ntk?: boolean } = {}): Promise<ObservableRow> {
    const trainOutputs = await this.trainOutputs();
    const testOutputs = await this.testOutputs();
    return this.observableRowOf(trainOutputs, testOutputs, options.ntk === true);
  }

  /** Stops and terminates the workers. Safe to call twice; the process can exit afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    abortBarrier(this.control);
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    // Wake the surviving workers out of their barriers: their calls reject, and so does ours.
    abortBarrier(this.control);
  }

  /**
   * Calls every worker at once and waits for all; rejects with the first failure — a worker
   * that died (exit, uncaught error) rejects the call at once instead of leaving it hanging.
   */
  private async onAll(call: (api: Remote<ShardWorkerApi>, w: number) => Promise<void>): Promise<void> {
    if (this.disposed) throw new Error(this.failure ? `the sharded run failed: ${this.failure.message}` : 'the sharded run was disposed');
    if (this.failure) throw this.failure;
    const previous = this.inFlight;
    let release!: () => void;
    this.inFlight = new Promise<void>((resolve) => (release = resolve));
    await previous;
    for (const t of this.threads) t.worker.ref();
    let onFailure!: (error: Error) => void;
    const died = new Promise<never>((_, reject) => (onFailure = reject));
    const watch = setInterval(() => {
      if (this.failure) onFailure(this.failure);
    }, 20);
    try {
      await Promise.race([Promise.all(this.threads.map((t, w) => call(t.api, w))), died]);
    } catch (error) {
      throw this.failure ?? error;
    } finally {
      clearInterval(watch);
      // Idle workers do not keep the process alive: forgetting dispose() cannot hang an exit.
      for (const t of this.threads) t.worker.unref();
      release();
    }
  }

  private copyOut(set: InputSetLayout, into: Float64Array): Float64Array {
    into.set(new Float64Array(this.memory.buffer, set.outputs, set.n * this.outputs));
    return into;
  }
}

function checkOptions(config: SimulationConfig, data: DataSplit, options: ShardedSimulationOptions): number {
  // The two-layer network only (no sharded engine of deep networks exists yet): one line naming model.depth.
  twoLayerModel(config.model);
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256) {
    throw new InvalidInputError('workers', `expected an integer from 1 to 256, got ${String(options.workers)}`);
  }
  const blockSize = options.blockSize ?? 256;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new InvalidInputError('blockSize', `expected a positive integer, got ${String(blockSize)}`);
  const sampleBlockSize = options.sampleBlockSize ?? 0;
  if (!Number.isSafeInteger(sampleBlockSize) || sampleBlockSize < 0 || sampleBlockSize % SAMPLE_ALIGN !== 0) {
    throw new InvalidInputError('sampleBlockSize', `expected 0 (no data sharding) or a positive multiple of ${SAMPLE_ALIGN}, got ${String(sampleBlockSize)}`);
  }
  if (config.train.integrator !== 'gd' && !usesFiniteBatches(config, data)) {
    throw new InvalidInputError('train.integrator', 'the sharded engine runs full-batch "gd" or minibatch SGD over the training set (train.epochs); run population SGD on one thread (workers: 1 uses core\'s Simulation)');
  }
  if (!SHARDED_BACKENDS.includes(config.train.backend)) {
    throw new InvalidInputError('train.backend', `the sharded engine runs the wasm or native kernels; use "auto", "wasm" or "native", got "${config.train.backend}"`);
  }
  if (shardKernelOf(config, data) === 'native') {
    // The registry's rule: a named native kernel that cannot load fails with its reason (and `auto` never picks it then).
    const runtime = loadNativeRuntime();
    if (!runtime.ok) throw new InvalidInputError('train.backend', `${runtime.reason}; use backend wasm or auto`);
  }
  if (sampleBlockSize > 0 && shardKernelOf(config, data) === 'native') {
    throw new InvalidInputError('sampleBlockSize', 'the native kernel shards whole neuron blocks, not samples; use sampleBlockSize 0 (or train.backend "wasm")');
  }
  return workers;
}

/** `train.backend` values the sharded engine runs. */
export const SHARDED_BACKENDS: readonly string[] = ['auto', 'wasm', 'native'];

/**
 * The kernel a sharded run uses: core's choice for the step's shape (registry.ts) when that is
 * the native kernel, else the fused wasm kernels (what `auto` means for them everywhere else).
 */
export function shardKernelOf(config: SimulationConfig, data: DataSplit): 'wasm' | 'native' {
  return resolveKernel(TWO_LAYER, config.train, kernelShapeOf(config, data)).backend === 'native' ? 'native' : 'wasm';
}

function valuesOf(memory: SharedWasmMemory, layout: ShardLayout): Float32Array | Float64Array {
  return layout.precision === 'f32' ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
}

/** x̃ into an input set of the shared memory (core's writeSampleMinor: as the single-thread kernel loads it). */
function writeInputs(memory: SharedWasmMemory, layout: ShardLayout, set: InputSetLayout, inputs: AugmentedInputs): void {
  writeSampleMinor(inputs, valuesOf(memory, layout), set.x / layout.bytesPerValue, set.nPad);
}

function writeParams(memory: SharedWasmMemory, layout: ShardLayout, a: number, b: number, params: NetworkParams): void {
  const heap = valuesOf(memory, layout);
  heap.set(params.a, a / layout.bytesPerValue);
  heap.set(params.b, b / layout.bytesPerValue);
}

function readParams(memory: SharedWasmMemory, layout: ShardLayout, a: number, b: number, into: NetworkParams): void {
  const heap = valuesOf(memory, layout);
  const S = layout.bytesPerValue;
  into.a.set(heap.subarray(a / S, a / S + layout.m * layout.D));
  into.b.set(heap.subarray(b / S, b / S + layout.m * layout.k));
}

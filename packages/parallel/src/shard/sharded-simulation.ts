import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Remote } from 'comlink';
import {
  InvalidInputError,
  augmentInputs,
  checkBatchSize,
  checkParams,
  cloneParams,
  createSharedWasmMemory,
  driveOf,
  empiricalTangentKernel,
  flowTime,
  initParams,
  inputDimension,
  observableRow,
  outputsFor,
  particleSnapshot,
  particleSubsample,
  predictOn,
  relativeFrobeniusDistance,
  resolveRunLength,
  resolveSimulationConfig,
  scalingOf,
  usesFiniteBatches,
  type AugmentedInputs,
  type DataSplit,
  type Dataset,
  type NetworkParams,
  type ObservableRow,
  type ParticleSnapshot,
  type Scaling,
  type SharedWasmMemory,
  type SimulationConfig,
  type SimulationConfigInput,
} from '@mflab/core';
import { workerExecArgv } from '../worker-argv.js';
import { abortBarrier } from './barrier.js';
import { wrapWorker } from './comlink-node.js';
import { SAMPLE_ALIGN, planLayout } from './layout.js';
import { CONTROL, type InputSetLayout, type ShardLayout, type ShardWorkerApi, type StepConstants } from './protocol.js';

export interface ShardedSimulationOptions {
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
  /** w(0) (default: drawn from `config.model.init` and the seed). */
  initialParams?: NetworkParams;
  /** w(t) to start from with `startStep` (resuming); default w(0). */
  params?: NetworkParams;
  startStep?: number;
}

/** Which implementation ran, for every run's metadata. */
export interface ShardedBackendInfo {
  backend: 'wasm';
  precision: 'f32' | 'f64';
  workers: number;
  blockSize: number;
  sampleBlockSize: number;
}

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
 * A two-layer ReLU network trained by full-batch GD (ARCHITECTURE.md §1, eq. 3) on several
 * threads: the same step/observables API as core's `Simulation`, asynchronous. Neurons sit in
 * fixed-size blocks, the data in one shared wasm memory; each long-lived worker owns a share of
 * the forward tiles, of the samples (for the residual) and of the neurons (for the update), and
 * `step(k)` runs k steps in one call. Results are bitwise identical for any worker count, and
 * (unsharded data, same block size) bitwise identical to the single-thread wasm `Simulation`.
 */
export class ShardedSimulation {
  readonly config: SimulationConfig;
  readonly scaling: Scaling;
  readonly data: DataSplit;
  readonly D: number;
  /** k: outputs per sample (the number of classes of multi-class data, else 1). */
  readonly outputs: number;
  /** w(0), as the run's precision rounds it. */
  readonly initialParams: NetworkParams;
  readonly particleNeurons: Int32Array;
  readonly workers: number;
  private readonly layout: ShardLayout;
  private readonly memory: SharedWasmMemory;
  private readonly control: Int32Array;
  private readonly threads: ShardThread[];
  private readonly probe: AugmentedInputs | null;
  private kernelAtInit: Float64Array | null = null;
  private readonly hostParams: NetworkParams;
  private hostParamsStale = true;
  private readonly trainOut: Float64Array;
  private readonly testOut: Float64Array;
  private stepCount: number;
  private failure: Error | null = null;
  private disposed = false;
  private inFlight: Promise<unknown> = Promise.resolve();

  private constructor(config: SimulationConfig, data: DataSplit, options: ShardedSimulationOptions, workers: number) {
    this.config = config;
    this.data = data;
    this.workers = workers;
    const { model, train } = config;
    const d = data.train.d;
    this.D = inputDimension(d, model.bias);
    this.scaling = scalingOf(model);
    const k = outputsFor(config, data);
    this.outputs = k;
    const trainInputs = augmentInputs(data.train, model.bias, 'data.train');
    const testInputs = data.test.n > 0 ? augmentInputs(data.test, model.bias, 'data.test') : null;
    if (options.initialParams) checkParams('initialParams', options.initialParams, model.width, this.D, k);
    if (options.params) checkParams('params', options.params, model.width, this.D, k);
    const blockSize = options.blockSize ?? 256;
    const sampleBlockSize = options.sampleBlockSize ?? 0;
    this.layout = planLayout({
      precision: train.precision,
      m: model.width,
      D: this.D,
      k,
      nTrain: trainInputs.n,
      batchSize: usesFiniteBatches(config, data) ? (train.batchSize ?? trainInputs.n) : 0,
      nTest: testInputs?.n ?? 0,
      blockSize,
      sampleBlockSize,
      centered: model.centered,
      workers,
    });
    this.memory = createSharedWasmMemory(this.layout.totalBytes);
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
    const L = this.layout;
    writeInputs(this.memory, L, L.train, trainInputs);
    if (L.test && testInputs) writeInputs(this.memory, L, L.test, testInputs);
    new Float64Array(this.memory.buffer, L.y, data.train.n).set(data.train.y);
    this.initialParams = options.initialParams ? cloneParams(options.initialParams) : initParams(model.init, model.width, this.D, config.seed, k);
    writeParams(this.memory, L, L.a0, L.b0, this.initialParams);
    readParams(this.memory, L, L.a0, L.b0, this.initialParams);
    writeParams(this.memory, L, L.a, L.b, options.params ?? this.initialParams);
    this.hostParams = cloneParams(this.initialParams);
    this.stepCount = options.startStep ?? 0;
    this.particleNeurons = particleSubsample(model.width, config.log.particles.count, config.seed);
    const probeCount = Math.min(config.log.ntk.probe, trainInputs.n);
    this.probe = config.log.ntk.every > 0 ? { n: probeCount, D: this.D, x: trainInputs.x.slice(0, probeCount * this.D) } : null;
    this.trainOut = new Float64Array(trainInputs.n * k);
    this.testOut = new Float64Array((testInputs?.n ?? 0) * k);
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
   * Resolves the config (defaults of ARCHITECTURE.md §6), lays out the shared memory, starts the
   * workers and computes f_{w(0)} when centered. Full-batch `gd`, or minibatch SGD over the
   * finite training set (population SGD runs on one thread); `train.backend` must be `auto` or
   * `wasm` (the sharded engine runs the wasm kernels).
   */
  static async create(configInput: SimulationConfigInput, data: DataSplit, options: ShardedSimulationOptions = {}): Promise<ShardedSimulation> {
    const config = resolveRunLength(resolveSimulationConfig(configInput), data);
    const workers = checkOptions(config, data, options);
    const sim = new ShardedSimulation(config, data, options, workers);
    try {
      const constants: StepConstants = {
        loss: config.loss,
        s: sim.scaling.s,
        lr: config.train.lr,
        drive: driveOf(sim.scaling),
        decay: config.train.weightDecay,
        centered: config.model.centered,
        schedule: config.train.schedule,
        steps: config.train.steps,
        batches: sim.layout.batch ? { seed: config.seed, nTrain: data.train.n, batchSize: sim.layout.batch.n } : null,
      };
      const spin = workers <= availableParallelism() ? BARRIER_SPIN : 0;
      await sim.onAll((api, w) => api.init({ memory: sim.memory, control: sim.control.buffer as SharedArrayBuffer, layout: sim.layout, constants, workerIndex: w, workerCount: workers, spin }));
      if (config.model.centered) {
        await sim.onAll((api) => api.evaluate('train', 'initial', 'centering'));
        if (sim.layout.test) await sim.onAll((api) => api.evaluate('test', 'initial', 'centering'));
      }
    } catch (error) {
      await sim.dispose();
      throw error;
    }
    return sim;
  }

  get currentStep(): number {
    return this.stepCount;
  }

  /** The flow's time: Σ_{t < step} η_t (step · η for a constant step size). */
  get time(): number {
    return flowTime(this.config.train, this.stepCount);
  }

  get backendInfo(): ShardedBackendInfo {
    const L = this.layout;
    return { backend: 'wasm', precision: L.precision, workers: this.workers, blockSize: L.blockSize, sampleBlockSize: L.sampleBlockSize };
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

  /** Network outputs on any points, in float64 by the reference kernel on the current parameters (as `Simulation.predict`). */
  predict(points: Dataset): Float64Array {
    return predictOn(points, this.config.model, this.scaling, this.params, this.initialParams);
  }

  /** The empirical tangent kernel on the probe set (ARCHITECTURE.md §1). */
  tangentKernelOnProbe(params: NetworkParams = this.params): Float64Array {
    if (!this.probe) throw new InvalidInputError('log.ntk.every', 'the NTK probe is off; set log.ntk.every > 0');
    return empiricalTangentKernel(params, this.scaling, this.probe);
  }

  /** Every observable of ARCHITECTURE.md §1 at the current step (the same function as `Simulation.observe`). */
  async observe(options: { ntk?: boolean } = {}): Promise<ObservableRow> {
    const trainOutputs = await this.trainOutputs();
    const testOutputs = await this.testOutputs();
    let drift = NaN;
    if (options.ntk && this.probe) {
      this.kernelAtInit ??= this.tangentKernelOnProbe(this.initialParams);
      drift = relativeFrobeniusDistance(this.tangentKernelOnProbe(), this.kernelAtInit);
    }
    return observableRow({
      step: this.stepCount,
      time: this.time,
      loss: this.config.loss,
      scaling: this.scaling,
      weightDecay: this.config.train.weightDecay,
      classification: this.data.classification,
      outputs: this.outputs,
      trainOutputs,
      trainTargets: this.data.train.y,
      testOutputs,
      testTargets: this.layout.test ? this.data.test.y : this.testOut,
      params: this.params,
      initialParams: this.initialParams,
      ntkDrift: drift,
    });
  }

  /** (a_j, b_j) of the fixed neuron subsample, copied. */
  particles(): ParticleSnapshot {
    return particleSnapshot(this.params, this.particleNeurons, this.stepCount);
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
  if (usesFiniteBatches(config, data)) checkBatchSize(config, data);
  outputsFor(config, data);
  if (config.train.backend !== 'auto' && config.train.backend !== 'wasm') {
    throw new InvalidInputError('train.backend', `the sharded engine runs the wasm kernels; use "auto" or "wasm", got "${config.train.backend}"`);
  }
  if (data.train.n < 1) throw new InvalidInputError('data.n', 'the training set is empty; expected at least one point');
  if (data.test.n > 0 && data.test.d !== data.train.d) {
    throw new InvalidInputError('data.test', `test points have dimension ${data.test.d} but training points have ${data.train.d}`);
  }
  return workers;
}

function valuesOf(memory: SharedWasmMemory, layout: ShardLayout): Float32Array | Float64Array {
  return layout.precision === 'f32' ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
}

/** x̃ sample-major (n × D) into D rows of nPad values (sample-minor), rounded to the run's precision; padding stays 0. */
function writeInputs(memory: SharedWasmMemory, layout: ShardLayout, set: InputSetLayout, inputs: AugmentedInputs): void {
  const heap = valuesOf(memory, layout);
  const base = set.x / layout.bytesPerValue;
  const D = layout.D;
  for (let k = 0; k < D; k++) for (let i = 0; i < set.n; i++) heap[base + k * set.nPad + i] = inputs.x[i * D + k];
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

/**
 * The engine interface: what every implementation of a model's training — core's single-thread
 * `Simulation`, the sharded engine of @mflab/parallel, and later other model families — offers
 * the run loop (run.ts), the app and library users. And `EngineBase`, what they share, written
 * once: the run's checks, w(0), the step pipeline (step-plan.ts), the observables of
 * ARCHITECTURE.md §1, the NTK probe, particle snapshots and prediction.
 */
import { InvalidInputError } from '../errors.js';
import { initParams } from '../model/init.js';
import { augmentInputs, augmentInto, inputDimension, type AugmentedInputs } from '../model/inputs.js';
import { checkParams, cloneParams, outputCount, type NetworkParams } from '../model/params.js';
import { scalingOf, type Scaling } from '../model/scaling.js';
import type { DataSplit, Dataset, Precision } from '../types.js';
import { checkBatchSize, flowTime, resolveRunLength, usesFiniteBatches, type SimulationConfig } from './config.js';
import { observableRow, particleSnapshot, particleSubsample, type ObservableRow, type ParticleSnapshot } from './observables.js';
import { ReferenceKernel } from './reference-kernel.js';
import { StepPlan } from './step-plan.js';
import { empiricalTangentKernel, relativeFrobeniusDistance } from './tangent-kernel.js';

/** A value, or a promise of it: single-thread engines answer at once, sharded ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** Which implementation ran, for every run's metadata. */
export interface BackendInfo {
  /** The step kernel's backend. */
  backend: 'reference' | 'wasm' | 'tfjs' | 'native';
  precision: Precision;
  /** With backend 'tfjs': which TensorFlow.js backend ran the GEMMs (tfjs-node or tfjs-wasm). */
  tensorBackend?: 'tfjs-node' | 'tfjs-wasm';
  /** Sharded engines: worker threads, neurons per block and samples per data-shard block (0: none). */
  workers?: number;
  blockSize?: number;
  sampleBlockSize?: number;
}

/**
 * One line for logs and run.json: `wasm/f32, 1 thread`, `tfjs/f32 (tfjs-wasm), 1 thread`,
 * `wasm/f64, 4 threads (sharded, block 256)`.
 *
 * @example
 * describeBackend({ backend: 'wasm', precision: 'f32' }); // 'wasm/f32, 1 thread'
 */
export function describeBackend(info: BackendInfo): string {
  const base = `${info.backend}/${info.precision}${info.tensorBackend ? ` (${info.tensorBackend})` : ''}`;
  return info.workers === undefined ? `${base}, 1 thread` : `${base}, ${info.workers} threads (sharded, block ${info.blockSize})`;
}

/**
 * What every engine offers: the parameters w(t) and w(0), steps, the observables of
 * ARCHITECTURE.md §1, particle snapshots, outputs and prediction. Calls that touch the step
 * machinery may be asynchronous (a sharded engine's workers); the rest never are.
 */
export interface Engine {
  /** The resolved config, its run length resolved on the data (`train.steps`). */
  readonly config: SimulationConfig;
  readonly data: DataSplit;
  /** D: input dimension seen by the neurons (d + 1 with bias). */
  readonly D: number;
  /** k: outputs per sample (the classes of multi-class data, else 1). */
  readonly outputs: number;
  readonly backendInfo: BackendInfo;
  /** Updates applied so far (the parameters describe step `currentStep`). */
  readonly currentStep: number;
  /** The flow's time Σ_{t < step} η_t. */
  readonly time: number;
  /** w(t), a float64 copy (read-only). */
  readonly params: NetworkParams;
  /** w(0), as the run's precision rounds it. */
  readonly initialParams: NetworkParams;
  /** Runs `count` updates (default 1). */
  step(count?: number): MaybePromise<void>;
  /** Every observable at the current step (`ntk`: also ntk_drift, when the probe is on). */
  observe(options?: { ntk?: boolean }): MaybePromise<ObservableRow>;
  /** (a_j, b_j) of the fixed neuron subsample, copied. */
  particles(): ParticleSnapshot;
  /** f on the training / test set at the current step (a view, valid until the next call or step). */
  trainOutputs(): MaybePromise<Float64Array>;
  testOutputs(): MaybePromise<Float64Array>;
  /** f_w(x) (eq. 1) on any points, in float64. */
  predict(points: Dataset): Float64Array;
  /** The empirical tangent kernel of §1 on the probe set. */
  tangentKernelOnProbe(params?: NetworkParams): Float64Array;
  /** Frees threads and backend memory; safe to call twice. */
  dispose(): MaybePromise<void>;
}

/** Where an engine starts: w(0) and, to resume, w(t) at `startStep`. */
export interface EngineStart {
  /** w(0) (default: drawn from `config.model.init` and the seed). */
  initialParams?: NetworkParams;
  /** w(t) to start from with `startStep` (resuming); default w(0). */
  params?: NetworkParams;
  startStep?: number;
}

/**
 * f_w(x) of eq. (1) on any points (n×d, sample-major), in float64 by the reference kernel, minus
 * f_{w(0)} when the model is centered. Every engine's `predict`, so that calls on ever new point
 * sets leave no buffers behind in a backend.
 */
export function predictOn(points: Dataset, model: { bias: boolean; centered: boolean }, scaling: Scaling, params: NetworkParams, initialParams: NetworkParams): Float64Array {
  const inputs = augmentInputs(points, model.bias, 'points');
  const reference = new ReferenceKernel();
  const size = inputs.n * outputCount(params);
  const raw = (p: NetworkParams) => {
    const out = new Float64Array(size);
    reference.partialOutputs(p, inputs, 0, p.m, out);
    for (let i = 0; i < size; i++) out[i] *= scaling.s;
    return out;
  };
  const out = raw(params);
  if (model.centered) {
    const f0 = raw(initialParams);
    for (let i = 0; i < size; i++) out[i] -= f0[i];
  }
  return out;
}

/**
 * k, the number of network outputs, for a config's loss on this data: the number of classes of
 * multi-class data (softmax cross-entropy, or square loss on one-hot targets), else 1. Checks
 * what k > 1 rules out; errors name the field to change.
 */
export function outputsFor(config: Pick<SimulationConfig, 'loss' | 'log'>, data: Pick<DataSplit, 'classes'>): number {
  const k = outputCountFor(config.loss, data.classes);
  if (k > 1 && config.log.ntk.every > 0) {
    throw new InvalidInputError('log.ntk.every', `ntk_drift is defined for one output; with ${k} outputs set log.ntk.every: 0`);
  }
  return k;
}

function outputCountFor(loss: SimulationConfig['loss'], classes: number | undefined): number {
  if (classes === undefined) {
    if (loss === 'softmax') {
      throw new InvalidInputError('loss', 'softmax cross-entropy needs multi-class data (integer labels 0..C−1): use data.kind idx, or a file with data.classes set; for ±1 labels use logistic');
    }
    return 1;
  }
  if (loss === 'logistic') {
    throw new InvalidInputError('loss', `logistic loss is for ±1 labels, but the data has ${classes} classes; use softmax (cross-entropy) or square (one-hot targets)`);
  }
  return classes;
}

const NO_TARGETS = new Float64Array(0);

/**
 * What every engine of the two-layer network shares, written once: the run's checks (data,
 * outputs, batch size, given parameters), w(0), the step pipeline, the NTK probe and drift, the
 * observable row, particles and prediction. Subclasses own the step and the outputs.
 */
export abstract class EngineBase {
  readonly config: SimulationConfig;
  readonly scaling: Scaling;
  readonly data: DataSplit;
  readonly D: number;
  readonly outputs: number;
  /** w(0): subclasses round it to their precision in place before the first step. */
  readonly initialParams: NetworkParams;
  readonly particleNeurons: Int32Array;
  /** The coefficients and batches of every update (step-plan.ts). */
  readonly plan: StepPlan;
  /** x̃ of the training and test sets (sample-major float64; test may be empty). */
  protected readonly trainInputs: AugmentedInputs;
  protected readonly testInputs: AugmentedInputs;
  protected stepCount: number;
  private readonly probe: AugmentedInputs | null;
  private kernelAtInit: Float64Array | null = null;

  protected constructor(config: SimulationConfig, data: DataSplit, start: EngineStart) {
    // train.epochs becomes train.steps once the training set's size is known.
    config = resolveRunLength(config, data);
    this.config = config;
    this.data = data;
    const { model } = config;
    const k = outputsFor(config, data);
    this.outputs = k;
    const d = data.train.d;
    if (data.train.n < 1) throw new InvalidInputError('data.n', 'the training set is empty; expected at least one point');
    if (data.test.n > 0 && data.test.d !== d) throw new InvalidInputError('data.test', `test points have dimension ${data.test.d} but training points have ${d}`);
    const finiteBatches = usesFiniteBatches(config, data);
    if (finiteBatches) checkBatchSize(config, data);
    this.D = inputDimension(d, model.bias);
    this.scaling = scalingOf(model);
    this.trainInputs = augmentInputs(data.train, model.bias, 'data.train');
    this.testInputs = data.test.n > 0 ? augmentInputs(data.test, model.bias, 'data.test') : { n: 0, D: this.D, x: new Float64Array(0) };
    if (start.initialParams) checkParams('initialParams', start.initialParams, model.width, this.D, k);
    if (start.params) checkParams('params', start.params, model.width, this.D, k);
    this.initialParams = start.initialParams ? cloneParams(start.initialParams) : initParams(model.init, model.width, this.D, config.seed, k);
    this.stepCount = start.startStep ?? 0;
    this.plan = new StepPlan(config, { nTrain: data.train.n, finiteBatches });
    this.particleNeurons = particleSubsample(model.width, config.log.particles.count, config.seed);
    const probeCount = Math.min(config.log.ntk.probe, this.trainInputs.n);
    this.probe = config.log.ntk.every > 0 ? { n: probeCount, D: this.D, x: this.trainInputs.x.subarray(0, probeCount * this.D) } : null;
  }

  /** w(t): a float64 copy of the engine's parameters (read-only). */
  abstract get params(): NetworkParams;

  /** Updates applied so far (the parameters describe step `currentStep`). */
  get currentStep(): number {
    return this.stepCount;
  }

  /** The flow's time: Σ_{t < step} η_t (step · η for a constant step size). */
  get time(): number {
    return flowTime(this.config.train, this.stepCount);
  }

  /** The empirical tangent kernel on the probe set (ARCHITECTURE.md §1) for the given parameters. */
  tangentKernelOnProbe(params: NetworkParams = this.params): Float64Array {
    if (!this.probe) throw new InvalidInputError('log.ntk.every', 'the NTK probe is off; set log.ntk.every > 0');
    return empiricalTangentKernel(params, this.scaling, this.probe);
  }

  /** f_w(x) (eq. 1, centered if configured) on any points, in float64 on the current parameters. */
  predict(points: Dataset): Float64Array {
    return predictOn(points, this.config.model, this.scaling, this.params, this.initialParams);
  }

  /** (a_j, b_j) of the fixed neuron subsample, copied. */
  particles(): ParticleSnapshot {
    return particleSnapshot(this.params, this.particleNeurons, this.stepCount);
  }

  /** The observable row of §1 at the current step, from the engine's outputs on both sets. */
  protected observableRowOf(trainOutputs: Float64Array, testOutputs: Float64Array, ntk: boolean): ObservableRow {
    let drift = NaN;
    if (ntk && this.probe) {
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
      testTargets: this.testInputs.n > 0 ? this.data.test.y : NO_TARGETS,
      params: this.params,
      initialParams: this.initialParams,
      ntkDrift: drift,
    });
  }

  /**
   * Population SGD: writes update t's fresh samples (raw x into `rawX`, y into `y`) and their x̃
   * into `batchX` (the same array as rawX without bias).
   */
  protected drawPopulationBatch(t: number, rawX: Float64Array, batchX: Float64Array, y: Float64Array): void {
    const B = this.plan.batchSize;
    const d = this.data.train.d;
    (this.data.sampler as NonNullable<DataSplit['sampler']>).sample(this.plan.batchStart(t), B, rawX, y);
    if (this.config.model.bias) augmentInto(B, d, rawX, true, batchX);
  }
}

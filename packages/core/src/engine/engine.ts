/**
 * The engine interface: what every implementation of a model's training — core's single-thread
 * engines of the two-layer (`Simulation`) and deep (`DeepSimulation`) networks, the sharded
 * engine of @mflab/parallel — offers the run loop (run.ts), the app and library users. And
 * `EngineBase`, what every model family shares, written once: the run's checks, w(0) and resume,
 * the step pipeline (step-plan.ts: η_t, weight decay, SGD batches), the centering of outputs,
 * the observable row of ARCHITECTURE.md §1, the NTK probe and drift, and prediction. What is
 * particular to a family (its parameters, forward pass, tangent kernel, parameter statistics;
 * particles for the two-layer net) sits behind a few abstract methods.
 */
import { InvalidInputError } from '../errors.js';
import { augmentInputs, augmentInto, inputDimension, type AugmentedInputs } from '../model/inputs.js';
import type { NetworkParams } from '../model/params.js';
import type { DeepParams } from '../deep/params.js';
import type { DataSplit, Dataset, Precision } from '../types.js';
import { gatherRows } from './batches.js';
import { checkBatchSize, flowTime, resolveRunLength, usesFiniteBatches, type SimulationConfig } from './config.js';
import { observableRow, type ObservableRow, type ParameterSummary, type ParticleSnapshot } from './observables.js';
import { StepPlan } from './step-plan.js';
import { relativeFrobeniusDistance } from './tangent-kernel.js';

/** A value, or a promise of it: single-thread engines answer at once, sharded ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The parameters of any model family: the two-layer network's neurons ({@link NetworkParams}) or
 * a deep network's layers ({@link DeepParams}).
 *
 * @example
 * const isDeep = (p: ModelParams): p is DeepParams => 'weights' in p;
 */
export type ModelParams = NetworkParams | DeepParams;

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
 * ARCHITECTURE.md §1 (and §7's per-layer ones for deep networks), outputs and prediction;
 * particle snapshots for the two-layer network. Calls that touch the step machinery may be
 * asynchronous (a sharded engine's workers); the rest never are. `Params` is the family's
 * parameter type: `Engine<NetworkParams>` is a two-layer engine, plain `Engine` any engine.
 */
export interface Engine<Params extends ModelParams = ModelParams> {
  /** The model family (`two-layer` or `deep`: the registry key). */
  readonly family: string;
  /** The resolved config, its run length resolved on the data (`train.steps`). */
  readonly config: SimulationConfig;
  readonly data: DataSplit;
  /** D: input dimension seen by the first layer (d + 1 with bias). */
  readonly D: number;
  /** k: outputs per sample (the classes of multi-class data, else 1). */
  readonly outputs: number;
  readonly backendInfo: BackendInfo;
  /** Updates applied so far (the parameters describe step `currentStep`). */
  readonly currentStep: number;
  /** The flow's time Σ_{t < step} η_t. */
  readonly time: number;
  /** w(t), a float64 copy (read-only). */
  readonly params: Params;
  /** w(0), as the run's precision rounds it. */
  readonly initialParams: Params;
  /** Runs `count` updates (default 1). */
  step(count?: number): MaybePromise<void>;
  /** Every observable at the current step (`ntk`: also ntk_drift, when the probe is on). */
  observe(options?: { ntk?: boolean }): MaybePromise<ObservableRow>;
  /** (a_j, b_j) of the fixed neuron subsample, copied (two-layer network only; others throw). */
  particles(): ParticleSnapshot;
  /** f on the training / test set at the current step (a view, valid until the next call or step). */
  trainOutputs(): MaybePromise<Float64Array>;
  testOutputs(): MaybePromise<Float64Array>;
  /** f_w(x) (eq. 1, or §7's network) on any points, in float64. */
  predict(points: Dataset): Float64Array;
  /** The empirical tangent kernel of the dynamics on the probe set. */
  tangentKernelOnProbe(params?: Params): Float64Array;
  /**
   * What run.json records of the model beyond its config: the family, and for deep networks
   * the widths and the init actually drawn (e.g. the edge-of-chaos point).
   */
  modelInfo(): Record<string, unknown>;
  /** Frees threads and backend memory; safe to call twice. */
  dispose(): MaybePromise<void>;
  /**
   * The optimizer's state (momentum's or Adam's buffers, optim/optimizer.ts's
   * `optimizerStateEntries`) for the checkpoint: views of the engine's own buffers, valid until
   * the next step. Empty for sgd; absent on engines that run sgd only.
   */
  optimizerState?(): Record<string, Float64Array>;
}

/** Where an engine starts: w(0) and, to resume, w(t) at `startStep`. */
export interface EngineStart<Params extends ModelParams = ModelParams> {
  /** w(0) (default: drawn from `config.model.init` and the seed). */
  initialParams?: Params;
  /** w(t) to start from with `startStep` (resuming); default w(0). */
  params?: Params;
  startStep?: number;
  /** The optimizer state at `startStep` (a checkpoint's `optimizerState()`; momentum and adam resume bitwise from it). */
  optimizerState?: Readonly<Record<string, Float64Array | number>>;
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
 * What a model family tells the shared base before anything else is built: how to draw w(0),
 * how to check given parameters (resume), and how to copy them. Passed to the base constructor
 * (a subclass's fields do not exist yet while it runs).
 */
export interface FamilyStart<Params extends ModelParams> {
  /** w(0) from the config's init and seed, for inputs of dimension D and k outputs. */
  init(D: number, k: number): Params;
  /** Throws (naming `field`) unless `params` has the config's shape for D and k. */
  check(field: string, params: Params, D: number, k: number): void;
  clone(params: Params): Params;
}

/** An SGD step's batch buffers (see EngineBase.sgdBatchBuffers). */
export interface SgdBatchBuffers {
  readonly batch: AugmentedInputs;
  /** Population SGD: the raw (unaugmented) points drawn; null for finite-data SGD. */
  readonly rawX: Float64Array | null;
  readonly y: Float64Array;
  readonly f0: Float64Array | null;
}

/**
 * What every engine of every model family shares, written once: the run's checks (data, outputs,
 * batch size, given parameters), w(0), the step pipeline (`plan`), the SGD batch gathering, the
 * centering of outputs, the NTK probe and drift, the observable row and prediction. A family
 * adds its parameters, forward pass, tangent kernel and parameter statistics; an engine owns
 * the step and the outputs.
 */
export abstract class EngineBase<Params extends ModelParams> {
  /** The model family (registry key). */
  abstract readonly family: string;
  readonly config: SimulationConfig;
  readonly data: DataSplit;
  readonly D: number;
  readonly outputs: number;
  /** w(0): subclasses round it to their precision in place before the first step. */
  readonly initialParams: Params;
  /** The coefficients and batches of every update (step-plan.ts). */
  readonly plan: StepPlan;
  /** x̃ of the training and test sets (sample-major float64; test may be empty). */
  protected readonly trainInputs: AugmentedInputs;
  protected readonly testInputs: AugmentedInputs;
  protected stepCount: number;
  /** Minibatch SGD over the finite training set (seeded epochs). */
  protected readonly finiteBatches: boolean;
  /** The first `log.ntk.probe` training inputs when the NTK drift is logged, else null. */
  protected readonly probe: AugmentedInputs | null;
  private kernelAtInit: Float64Array | null = null;

  /**
   * `drives`: one data-term factor per parameter group for the StepPlan (default: the two-layer
   * network's κγs).
   */
  protected constructor(config: SimulationConfig, data: DataSplit, start: EngineStart<Params>, family: FamilyStart<Params>, drives?: readonly number[]) {
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
    this.finiteBatches = usesFiniteBatches(config, data);
    if (this.finiteBatches) checkBatchSize(config, data);
    this.D = inputDimension(d, model.bias);
    this.trainInputs = augmentInputs(data.train, model.bias, 'data.train');
    this.testInputs = data.test.n > 0 ? augmentInputs(data.test, model.bias, 'data.test') : { n: 0, D: this.D, x: new Float64Array(0) };
    if (start.initialParams) family.check('initialParams', start.initialParams, this.D, k);
    if (start.params) family.check('params', start.params, this.D, k);
    this.initialParams = start.initialParams ? family.clone(start.initialParams) : family.init(this.D, k);
    this.stepCount = start.startStep ?? 0;
    this.plan = new StepPlan(config, { nTrain: data.train.n, finiteBatches: this.finiteBatches }, drives);
    const probeCount = Math.min(config.log.ntk.probe, this.trainInputs.n);
    this.probe = config.log.ntk.every > 0 ? { n: probeCount, D: this.D, x: this.trainInputs.x.subarray(0, probeCount * this.D) } : null;
  }

  /** w(t): a float64 copy of the engine's parameters (read-only). */
  abstract get params(): Params;

  /** The family's tangent kernel of the dynamics on `inputs` (p × p) for the given parameters. */
  protected abstract tangentKernelOf(params: Params, inputs: AugmentedInputs): Float64Array;

  /** f without centering on augmented inputs (n × k), in float64: what `predict` evaluates. */
  protected abstract forward(params: Params, inputs: AugmentedInputs): Float64Array;

  /** move, l2, path and the weight-decay term of F for the row (observables.ts). */
  protected abstract parameterSummary(params: Params, initial: Params): ParameterSummary;

  /** κ, the weight of the risk in F. */
  protected abstract get riskWeight(): number;

  /** Updates applied so far (the parameters describe step `currentStep`). */
  get currentStep(): number {
    return this.stepCount;
  }

  /** The flow's time: Σ_{t < step} η_t (step · η for a constant step size). */
  get time(): number {
    return flowTime(this.config.train, this.stepCount);
  }

  /** The empirical tangent kernel on the probe set for the given parameters. */
  tangentKernelOnProbe(params: Params = this.params): Float64Array {
    if (!this.probe) throw new InvalidInputError('log.ntk.every', 'the NTK probe is off; set log.ntk.every > 0');
    return this.tangentKernelOf(params, this.probe);
  }

  /** f_w(x) (centered if configured) on any points, in float64 on the current parameters. */
  predict(points: Dataset): Float64Array {
    const inputs = augmentInputs(points, this.config.model.bias, 'points');
    const out = this.forward(this.params, inputs);
    if (this.config.model.centered) {
      const f0 = this.forward(this.initialParams, inputs);
      for (let i = 0; i < out.length; i++) out[i] -= f0[i];
    }
    return out;
  }

  /** Particle snapshots are a two-layer notion: other families throw (their configs reject `log.particles`). */
  particles(): ParticleSnapshot {
    throw new InvalidInputError('log.particles.every', `particle snapshots are a two-layer feature; the ${this.family} model has none (set log.particles.every: 0)`);
  }

  /** The family and what the config does not say about the model (run.json's `model`). */
  modelInfo(): Record<string, unknown> {
    return { family: this.family };
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
      kappa: this.riskWeight,
      classification: this.data.classification,
      outputs: this.outputs,
      trainOutputs,
      trainTargets: this.data.train.y,
      testOutputs,
      testTargets: this.testInputs.n > 0 ? this.data.test.y : NO_TARGETS,
      parameters: this.parameterSummary(this.params, this.initialParams),
      ntkDrift: drift,
    });
  }

  /**
   * The buffers of an SGD step's batch, written once for every family: finite-data SGD gathers
   * x̃ rows into `batch`; population SGD draws raw points into `rawX` (the same array as
   * `batch.x` without bias); `y` the labels and `f0` f_{w(0)} on the batch when centered. Null
   * for full-batch GD (the step then runs on the training set).
   */
  protected sgdBatchBuffers(): SgdBatchBuffers | null {
    if (this.config.train.integrator !== 'sgd') return null;
    const size = this.plan.batchSize;
    const { model } = this.config;
    let rawX: Float64Array | null = null;
    let batch: AugmentedInputs;
    if (this.plan.batches) {
      batch = { n: size, D: this.D, x: new Float64Array(size * this.D) };
    } else {
      rawX = new Float64Array(size * this.data.train.d);
      batch = { n: size, D: this.D, x: model.bias ? new Float64Array(size * this.D) : rawX };
    }
    return { batch, rawX, y: new Float64Array(size), f0: model.centered ? new Float64Array(size * this.outputs) : null };
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

  /**
   * Finite-data SGD: copies the samples of update t — x̃ into `batchX` (B × D), y into `batchY`
   * and, when centered, f_{w(0)} (k per sample) from `f0Train` into `batchF0` — in the order of
   * the plan's epoch.
   */
  protected gatherFiniteBatch(t: number, batchX: Float64Array, batchY: Float64Array, f0Train: Float64Array | null, batchF0: Float64Array | null): void {
    const batches = this.plan.batches as NonNullable<StepPlan['batches']>;
    const offset = this.plan.batchStart(t);
    const { order } = batches;
    const { D, outputs: k } = this;
    const B = this.plan.batchSize;
    gatherRows(order, offset, 0, B, D, this.trainInputs.x, 0, D, 1, batchX, 0, D, 1);
    gatherRows(order, offset, 0, B, 1, this.data.train.y, 0, 1, 1, batchY, 0, 1, 1);
    if (f0Train && batchF0) gatherRows(order, offset, 0, B, k, f0Train, 0, k, 1, batchF0, 0, k, 1);
  }
}

/**
 * The step pipeline: what update t does, from the resolved config alone (ARCHITECTURE.md §1,
 * eq. 3). Every backend applies
 *
 *     w_j ← shrink · w_j − step · g_j,     step = η_t κγs,     shrink = 1 − η_t λ,
 *
 * with g_j the data term of the velocity (eq. 3), η_t the schedule's step size and κγs the
 * parameterization's drive (γρ = 1 in every row of §1's table, so weight decay is λ per unit of
 * time). Which samples the update uses (minibatch SGD) is decided here too. The single-thread
 * engine and the shard workers build a StepPlan from the same config, so they apply the same
 * numbers bit for bit; a new coefficient is added in this file (and in the kernels that apply it).
 */
import { InvalidInputError } from '../errors.js';
import { driveOf, scalingOf } from '../model/scaling.js';
import { twoLayerModel } from '../model/spec.js';
import { EpochBatches } from './batches.js';
import { stepSizeAt, type SimulationConfig, type TrainSpec } from './config.js';

/** The numbers one update applies (read by every kernel; written in place, never reallocated). */
export interface StepCoefficients {
  /** η_t */
  lr: number;
  /** η_t κγs: the factor of the data term. */
  step: number;
  /** 1 − η_t λ: weight decay's shrink factor. */
  shrink: number;
}

/**
 * The one place where (η_t, κγs, λ) become the coefficients a kernel applies. Writes into `out`
 * (allocation-free in the step) or a new object.
 *
 * @example
 * updateCoefficients(0.1, 1, 1e-3); // { lr: 0.1, step: 0.1, shrink: 0.9999 }
 */
export function updateCoefficients(lr: number, drive: number, decay: number, out: StepCoefficients = { lr: 0, step: 0, shrink: 1 }): StepCoefficients {
  out.lr = lr;
  out.step = lr * drive;
  out.shrink = 1 - lr * decay;
  return out;
}

/** What a StepPlan needs of the data: the training set's size, and whether SGD visits it in epochs. */
export interface StepPlanData {
  /** n: training points. */
  readonly nTrain: number;
  /** Minibatch SGD over the finite training set (seeded epochs); false: full batch, or population SGD. */
  readonly finiteBatches: boolean;
}

/**
 * The coefficients and batch of every update t of a run. A model family with several groups of
 * parameters that take different learning-rate factors (a deep network's tensors, each with
 * its γ_l) passes one drive per group; the two-layer network has one group, κγs of §1.
 *
 * @example
 * const plan = new StepPlan(config, { nTrain: 256, finiteBatches: false });
 * const { step, shrink } = plan.at(0); // η κγs and 1 − ηλ of update 0
 */
export class StepPlan {
  /** κγs of the config's parameterization (group 0's drive). */
  readonly drive: number;
  /** The drive of every parameter group (one for the two-layer network). */
  readonly drives: readonly number[];
  /** Samples per update: the SGD batch, else the training set. */
  readonly batchSize: number;
  /** Finite-data SGD: the epochs' visiting order, else null. */
  readonly batches: EpochBatches | null;
  private readonly train: Pick<TrainSpec, 'lr' | 'schedule' | 'steps' | 'weightDecay'>;
  private readonly coefficients: StepCoefficients[];
  private readonly constant: boolean;

  /**
   * `drives`: one factor of the data term per parameter group (default: the two-layer network's
   * κγs, `driveOf(scalingOf(config.model))`).
   */
  constructor(config: SimulationConfig, data: StepPlanData, drives?: readonly number[]) {
    const { train } = config;
    this.train = train;
    this.drives = drives ?? [driveOf(scalingOf(twoLayerModel(config.model)))];
    if (this.drives.length === 0) throw new InvalidInputError('drives', 'expected at least one parameter group');
    this.drive = this.drives[0];
    this.batchSize = train.integrator === 'sgd' ? (train.batchSize ?? data.nTrain) : data.nTrain;
    this.batches = train.integrator === 'sgd' && data.finiteBatches ? new EpochBatches(config.seed, data.nTrain, this.batchSize) : null;
    this.constant = train.schedule === 'constant';
    this.coefficients = this.drives.map((drive) => updateCoefficients(train.lr, drive, train.weightDecay));
  }

  /**
   * The coefficients of update t (0-based) for parameter group `group` (default 0). The returned
   * object is the plan's own, updated in place: a constant step size is computed once (no number
   * is written per step at all).
   */
  at(t: number, group = 0): StepCoefficients {
    const c = this.coefficients[group];
    if (!this.constant) updateCoefficients(stepSizeAt(this.train, t), this.drives[group], this.train.weightDecay, c);
    return c;
  }

  /**
   * Where update t's batch starts: finite-data SGD, its offset in `batches.order` (the samples
   * are order[offset .. offset + B)); population SGD, its first sample index t·B (fresh samples
   * [tB, (t+1)B) of the generator).
   */
  batchStart(t: number): number {
    return this.batches ? this.batches.offsetOf(t) : t * this.batchSize;
  }
}

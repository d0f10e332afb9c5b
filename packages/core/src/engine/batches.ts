import { CounterRng, RandomStream } from '../random/index.js';

/**
 * The batches of finite-data minibatch SGD: epoch e visits the n training samples in a seeded
 * random order (Fisher–Yates driven by the draws of (seed, batchOrder stream, e)), cut into
 * ⌊n/B⌋ batches of B; the n mod B samples at the end of that order wait for a later epoch.
 * Batch t is a pure function of (seed, n, B, t), so every engine and any worker count sees
 * the same batches (ARCHITECTURE.md §4).
 */
export class EpochBatches {
  readonly n: number;
  readonly batchSize: number;
  readonly perEpoch: number;
  /** The current epoch's visiting order (read after {@link offsetOf}). */
  readonly order: Int32Array;
  private readonly rng: CounterRng;
  private epoch = -1;

  constructor(seed: number, n: number, batchSize: number) {
    this.n = n;
    this.batchSize = batchSize;
    this.perEpoch = Math.max(1, Math.floor(n / batchSize));
    this.rng = new CounterRng(seed, RandomStream.batchOrder);
    this.order = new Int32Array(n);
  }

  /**
   * Where the samples of update `step` (0-based) start in {@link order}: they are
   * order[offset .. offset + B), valid until a call for a step of another epoch.
   */
  offsetOf(step: number): number {
    const epoch = Math.floor(step / this.perEpoch);
    if (epoch !== this.epoch) this.shuffle(epoch);
    return (step - epoch * this.perEpoch) * this.batchSize;
  }

  /** Writes the indices of update `step` into out[0 .. B). */
  indicesInto(step: number, out: Int32Array): void {
    const offset = this.offsetOf(step);
    for (let i = 0; i < this.batchSize; i++) out[i] = this.order[offset + i];
  }

  private shuffle(epoch: number): void {
    const { order, n } = this;
    for (let i = 0; i < n; i++) order[i] = i;
    const draws = this.rng.at(epoch);
    for (let i = n - 1; i > 0; i--) {
      const pick = draws.below(i + 1);
      const t = order[i];
      order[i] = order[pick];
      order[pick] = t;
    }
    this.epoch = epoch;
  }
}

import { RandomStream, checkSeed, philox4x32 } from '../random/index.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_53 = 1 / 9007199254740992;

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
  // The Philox key and stream of CounterRng(seed, batchOrder), kept to draw without allocating.
  private readonly k0: number;
  private readonly k1: number;
  private readonly words = new Uint32Array(4);
  private epoch = -1;

  constructor(seed: number, n: number, batchSize: number) {
    this.n = n;
    this.batchSize = batchSize;
    this.perEpoch = Math.max(1, Math.floor(n / batchSize));
    checkSeed(seed);
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / TWO_POW_32) >>> 0;
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

  /**
   * Fisher–Yates with the draws of `new CounterRng(seed, RandomStream.batchOrder).at(epoch)`:
   * swap i with below(i + 1) for i = n−1 … 1 — the same numbers (a test checks), computed from
   * Philox blocks directly so that an epoch boundary allocates nothing either.
   */
  private shuffle(epoch: number): void {
    const { order, n, words } = this;
    for (let i = 0; i < n; i++) order[i] = i;
    const c0 = epoch >>> 0;
    const c1 = Math.floor(epoch / TWO_POW_32) >>> 0;
    let block = 0;
    for (let i = n - 1; i > 0; i--) {
      philox4x32(c0, c1, block++, RandomStream.batchOrder, this.k0, this.k1, words);
      const uniform = ((words[0] >>> 5) * 67108864 + (words[1] >>> 6)) * TWO_POW_NEG_53;
      const pick = Math.min(i, Math.floor(uniform * (i + 1)));
      const t = order[i];
      order[i] = order[pick];
      order[pick] = t;
    }
    this.epoch = epoch;
  }
}

/**
 * Copies rows order[offset + i] (i0 ≤ i < i1) of a strided source matrix into rows i of a
 * strided destination, `width` values each — the batch gathering of finite-data SGD, written
 * once for every layout: the single-thread engine's sample-major float64 x̃ (sampleStride D,
 * featureStride 1), the shard workers' sample-minor rows in the run's precision (sampleStride 1,
 * featureStride nPad), labels (width 1) and f_{w(0)} (width k).
 *
 * @example
 * // Rows 2 and 0 of a sample-major 3 × 2 matrix, into a 2 × 2 batch:
 * const x = Float64Array.of(1, 2, 3, 4, 5, 6);
 * const batch = new Float64Array(4);
 * gatherRows(Int32Array.of(2, 0), 0, 0, 2, 2, x, 0, 2, 1, batch, 0, 2, 1); // batch = 5 6 1 2
 */
export function gatherRows(
  order: Int32Array,
  offset: number,
  i0: number,
  i1: number,
  width: number,
  src: Float32Array | Float64Array,
  srcBase: number,
  srcSampleStride: number,
  srcFeatureStride: number,
  dst: Float32Array | Float64Array,
  dstBase: number,
  dstSampleStride: number,
  dstFeatureStride: number,
): void {
  for (let i = i0; i < i1; i++) {
    const from = srcBase + order[offset + i] * srcSampleStride;
    const to = dstBase + i * dstSampleStride;
    for (let q = 0; q < width; q++) dst[to + q * dstFeatureStride] = src[from + q * srcFeatureStride];
  }
}

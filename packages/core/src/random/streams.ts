import { philox4x32 } from './philox.js';

/**
 * Stream identifiers: every consumer of randomness draws from its own stream, so adding draws
 * to one (say, a new init scheme) never shifts another (the data, the SGD batches).
 */
export const RandomStream = {
  init: 1,
  trainData: 2,
  testData: 3,
  populationSgd: 4,
  particleSubsample: 5,
  teacher: 6,
  labelNoise: 7,
  probe: 8,
  batchOrder: 9,
} as const;
/**
 * The number of one of {@link RandomStream}'s streams (1…9), the `stream` key of
 * {@link CounterRng}. The numbers are part of the determinism contract (ARCHITECTURE.md §4):
 * renumbering a stream changes every draw from it.
 */
export type RandomStreamId = (typeof RandomStream)[keyof typeof RandomStream];

const TWO_POW_32 = 4294967296;
const TWO_POW_NEG_53 = 1 / 9007199254740992;

/** Validates a seed: an integer in [0, 2^53). Seeds are part of the determinism contract. */
export function checkSeed(seed: number, field = 'seed'): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${field}: expected a non-negative integer below 2^53, got ${String(seed)}`);
  }
}

/**
 * A keyed family of draws: `at(index)` gives the draws belonging to one item (neuron j, data
 * point i), a pure function of (seed, stream, index) — ARCHITECTURE.md §4.
 */
export class CounterRng {
  readonly seed: number;
  readonly stream: number;
  private readonly k0: number;
  private readonly k1: number;

  constructor(seed: number, stream: number) {
    checkSeed(seed);
    this.seed = seed;
    this.stream = stream >>> 0;
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / TWO_POW_32) >>> 0;
  }

  /** The sequential draws of item `index` (0 ≤ index < 2^53). */
  at(index: number): Draws {
    return new Draws(this.k0, this.k1, this.stream, index);
  }
}

/**
 * Sequential draws for one (seed, stream, index). Each block of Philox gives two 53-bit
 * uniforms; normals come in Box–Muller pairs, the second kept for the next call.
 */
export class Draws {
  private block = 0;
  private readonly words = new Uint32Array(4);
  private spareNormal = 0;
  private hasSpare = false;
  private readonly c0: number;
  private readonly c1: number;

  constructor(
    private readonly k0: number,
    private readonly k1: number,
    private readonly stream: number,
    index: number,
  ) {
    this.c0 = index >>> 0;
    this.c1 = Math.floor(index / TWO_POW_32) >>> 0;
  }

  private nextBlock(): Uint32Array {
    philox4x32(this.c0, this.c1, this.block, this.stream, this.k0, this.k1, this.words);
    this.block++;
    return this.words;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const w = this.nextBlock();
    return ((w[0] >>> 5) * 67108864 + (w[1] >>> 6)) * TWO_POW_NEG_53;
  }

  /** Standard normal (Box–Muller on two uniforms from one block). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    const w = this.nextBlock();
    // u1 in (0, 1] so that log(u1) is finite.
    const u1 = ((w[0] >>> 5) * 67108864 + (w[1] >>> 6) + 1) * TWO_POW_NEG_53;
    const u2 = ((w[2] >>> 5) * 67108864 + (w[3] >>> 6)) * TWO_POW_NEG_53;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  /** +1 or −1 with probability ½ each. */
  sign(): number {
    return this.uniform() < 0.5 ? -1 : 1;
  }

  /** Integer uniform on [0, n). */
  below(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  /** Fills out[offset..offset+len) with standard normals. */
  normals(out: Float64Array, offset: number, len: number): void {
    for (let k = 0; k < len; k++) out[offset + k] = this.normal();
  }

  /** A point uniform on the unit sphere S^{len−1}, written to out[offset..offset+len). */
  onSphere(out: Float64Array, offset: number, len: number): void {
    let norm2 = 0;
    do {
      norm2 = 0;
      for (let k = 0; k < len; k++) {
        const z = this.normal();
        out[offset + k] = z;
        norm2 += z * z;
      }
    } while (norm2 === 0);
    const inv = 1 / Math.sqrt(norm2);
    for (let k = 0; k < len; k++) out[offset + k] *= inv;
  }
}

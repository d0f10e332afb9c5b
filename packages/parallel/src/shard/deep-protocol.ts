/**
 * What the main thread of a sharded deep run (deep-shard.ts) and its workers
 * (deep-shard-worker.ts) exchange: the setup, once, and two calls per step.
 */
import type { DeepSpec } from '@mflab/core';
import type { DeepParamsOf, DeepStepBuffers, RealArray } from '@mflab/core/internal';

/** A worker's setup: every array is backed by a SharedArrayBuffer (shared, not copied). */
export interface DeepShardSetup {
  readonly spec: DeepSpec;
  /** The parameters in the run's precision. */
  readonly params: DeepParamsOf<RealArray>;
  readonly buffers: DeepStepBuffers;
  /** (shrink, step) per tensor, weights 0..L then biases 0..L, written by the main thread before `backward`. */
  readonly coefficients: Float64Array;
  /** Whether tensor l has a bias vector the update touches. */
  readonly hasBias: readonly boolean[];
  /** Int32 control words of the barrier (protocol.ts's CONTROL). */
  readonly control: SharedArrayBuffer;
  readonly blockSize: number;
  readonly workerIndex: number;
  readonly workerCount: number;
  /** Spin iterations before a barrier sleeps. */
  readonly spin: number;
}

/** A deep shard worker's calls (comlink). */
export interface DeepShardWorkerApi {
  init(setup: DeepShardSetup): void;
  /** Its blocks of every layer's forward phase, then its samples of the output f. */
  forward(): void;
  /** Its blocks of every δ phase and of every tensor's update (the residuals r written). */
  backward(): void;
}

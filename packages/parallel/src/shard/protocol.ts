/**
 * The shard protocol: what the main thread and the shard workers agree on. Everything a step
 * touches lives in one shared wasm memory (a SharedArrayBuffer) laid out by `ShardLayout`; the
 * workers are driven through comlink with the typed `ShardWorkerApi`, and inside a call they
 * move in lockstep through Atomics barriers on a small shared control buffer — so `step(k)`
 * costs one round trip per call, not per step.
 */
import type { Precision, SimulationConfig } from '@mflab/core';
import type { SharedWasmMemory } from '@mflab/core/internal';

/** One input set (x̃ stored D × nPad sample-minor, as the wasm kernels expect) and its f64 vectors. */
export interface InputSetLayout {
  readonly n: number;
  /** Row stride of x̃ in values: core's sampleStride (whole SIMD chunks, an odd number of cache lines). */
  readonly nPad: number;
  /** Byte offsets in the shared memory. */
  readonly x: number;
  /** f on this set (f64, n × k sample-major), written by the reduce phase. */
  readonly outputs: number;
  /** f_{w(0)} on this set (f64, n × k) when the model is centered, else 0. */
  readonly centering: number;
}

/** The scratch one worker owns (the wasm kernels' accumulators and coefficients). */
export interface WorkerScratch {
  /** k × nPad values of T: a block's partial sums (k rows of the input set's stride). */
  readonly acc: number;
  /** 4·D v128: the update's gradient accumulators. */
  readonly ga: number;
  /** 4·k v128 (k > 1): the vector update's b-gradient accumulators, else 0. */
  readonly gb: number;
  /** Two f64: η κγs and 1 − ηλ (read by the kernels from memory: no boxed doubles per call). */
  readonly coef: number;
}

/**
 * Where everything sits in the shared memory (byte offsets). Pure data: built by the main
 * thread, posted to every worker with the memory.
 */
export interface ShardLayout {
  /** Which kernels run the forward and update phases: the fused wasm kernels, or the native GEMM kernel (native-shard.ts). */
  readonly kernel: 'wasm' | 'native';
  readonly precision: Precision;
  readonly bytesPerValue: 4 | 8;
  readonly m: number;
  readonly D: number;
  /** Outputs per sample (b_j ∈ R^k); 1 is the scalar network and its kernels. */
  readonly k: number;
  /** Neurons per block: within a block partial outputs are summed in T, across blocks in f64 in block order. */
  readonly blockSize: number;
  readonly blocks: number;
  readonly train: InputSetLayout;
  readonly test: InputSetLayout | null;
  /**
   * Finite-data minibatch SGD: the current batch, gathered from the training set by the workers
   * at the start of each step (else null: steps run on the training set).
   */
  readonly batch: InputSetLayout | null;
  /** Targets (labels) of the batch (f64, B), or 0. */
  readonly batchY: number;
  /** w(t): a (m × D) and b (m × k) in T. */
  readonly a: number;
  readonly b: number;
  /** w(0), same layout. */
  readonly a0: number;
  readonly b0: number;
  /** Targets y of the training set (f64, n). */
  readonly y: number;
  /**
   * Residuals r of the stepping set (the batch, else the training set) in T: k rows of that
   * set's nPad (zero padding), as the kernels read them.
   */
  readonly residuals: number;
  /** Partial outputs P[block][i] (f64, blocks × nPadMax). */
  readonly partials: number;
  readonly partialsStride: number;
  /** Samples per data shard block, or 0 when the update is not data-sharded. */
  readonly sampleBlockSize: number;
  readonly sampleBlocks: number;
  /** Per-sample-block gradient sums G[s][j] (f64, D + 1 values per neuron, k + D when k > 1), when data-sharded, else 0. */
  readonly gradients: number;
  readonly scratch: readonly WorkerScratch[];
  readonly totalBytes: number;
}

/** What `init` gives a worker. */
export interface ShardSetup {
  readonly memory: SharedWasmMemory;
  /** Int32 control words: see CONTROL below. */
  readonly control: SharedArrayBuffer;
  readonly layout: ShardLayout;
  /**
   * The run's resolved config (its run length resolved on the data): each worker builds core's
   * StepPlan from it — the same coefficients and batches as the single-thread engine — and reads
   * the loss, s and centering from it. Nothing of the step is restated here.
   */
  readonly config: SimulationConfig;
  /** n, the training set's size (the epochs' batches of finite-data SGD). */
  readonly nTrain: number;
  readonly workerIndex: number;
  readonly workerCount: number;
  /** Spin iterations before a barrier sleeps in Atomics.wait (0 when threads outnumber cores). */
  readonly spin: number;
}

/** Indices into the Int32 control buffer. */
export const CONTROL = {
  /** Workers arrived at the current barrier. */
  arrived: 0,
  /** Barrier generation: bumped by the last arrival, waited on by the others. */
  generation: 1,
  /** Non-zero: a worker died or the run was disposed; every barrier throws. */
  abort: 2,
  length: 4,
} as const;

export type InputSetName = 'train' | 'test';
export type ParamsName = 'current' | 'initial';

/** The typed API every shard worker exposes over comlink. All calls are made on every worker at once. */
export interface ShardWorkerApi {
  /** Instantiates the shared-memory wasm kernels over `setup.memory` and computes this worker's work split. */
  init(setup: ShardSetup): void;
  /** Runs updates start .. start + count − 1 (GD, or SGD on their batches) in lockstep with the other workers. */
  step(count: number, start: number): void;
  /**
   * Forward pass of `params` on `set`: f = s Σ_blocks P (block order), minus f_{w(0)} when centered
   * and `into` is 'outputs'; written to the set's `outputs` (or `centering`) vector.
   */
  evaluate(set: InputSetName, params: ParamsName, into: 'outputs' | 'centering'): void;
}

/**
 * A deep shard worker: one long-lived thread of a sharded deep run (deep-shard.ts). It sees the
 * run's parameters and step buffers in shared memory and, on each call, runs core's blocked
 * phases (deep/blocks.ts) on the blocks of every layer it owns, meeting its siblings at an Atomics
 * barrier after each phase. The math is core's, not restated: this file only wires the shared
 * arrays to a `DeepBlockRunner`. Nothing is allocated per step.
 */
import { parentPort } from 'node:worker_threads';
import { deepCoefficients } from '@mflab/core';
import { DeepBlockRunner, sgdBlockUpdate, type BlockUpdateCoefficients, type DeepUpdateCoefficients } from '@mflab/core/internal';
import { Barrier } from './barrier.js';
import { exposeOnPort } from './comlink-node.js';
import type { DeepShardSetup, DeepShardWorkerApi } from './deep-protocol.js';

class DeepShardWorker implements DeepShardWorkerApi {
  private runner!: DeepBlockRunner;
  private barrier!: Barrier;
  private arrive!: () => void;
  /** The step's coefficients, (shrink, step) per tensor in shared memory (weights 0..L, then biases). */
  private shared!: Float64Array;
  private coefficients!: DeepUpdateCoefficients;

  init(setup: DeepShardSetup): void {
    const { spec } = setup;
    this.runner = new DeepBlockRunner({ spec, co: deepCoefficients(spec), params: setup.params, buffers: setup.buffers, update: sgdBlockUpdate }, setup.blockSize, setup.workerCount, setup.workerIndex);
    this.barrier = new Barrier(new Int32Array(setup.control), setup.workerCount, setup.spin);
    this.arrive = () => this.barrier.arrive();
    this.shared = setup.coefficients;
    const slot = (): BlockUpdateCoefficients & { shrink: number; step: number } => ({ shrink: 1, step: 0 });
    this.coefficients = { weights: spec.widths.map(slot).concat([slot()]), biases: setup.hasBias.map((b) => (b ? slot() : null)) };
  }

  forward(): void {
    this.barrier.checkAbort();
    this.runner.forwardPhases(this.arrive);
  }

  backward(): void {
    this.barrier.checkAbort();
    const c = this.shared;
    const { weights, biases } = this.coefficients as { weights: { shrink: number; step: number }[]; biases: ({ shrink: number; step: number } | null)[] };
    const tensors = weights.length;
    for (let l = 0; l < tensors; l++) {
      weights[l].shrink = c[2 * l];
      weights[l].step = c[2 * l + 1];
      const b = biases[l];
      if (b) {
        b.shrink = c[2 * (tensors + l)];
        b.step = c[2 * (tensors + l) + 1];
      }
    }
    this.runner.backwardPhases(this.coefficients, this.arrive);
  }
}

exposeOnPort(new DeepShardWorker(), parentPort);

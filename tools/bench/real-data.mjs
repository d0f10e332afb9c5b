// The real-data benchmark (issue: real data): one minibatch SGD step of a k-output network on
// softmax cross-entropy at the Fashion-MNIST shape (d = 784, k = 10), batches of B from a
// finite training set — mflab's single-thread engines (wasm SIMD f32, tfjs f32), the sharded
// engine on every core, and PyTorch (tools/bench/torch_softmax_sgd_step.py, written after the
// project's scalar anchor ../shared/anchors/torch_gd_step.py) on the same shapes, in the same
// script. Measures, never asserts.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CounterRng, Simulation, TfjsKernel, loadTensorBackend } from '@mflab/core';
import { ShardedSimulation } from '@mflab/parallel';
import { blasOfRow } from './kernels.mjs';
import { secondsPerStep } from './parallel.mjs';

/** (B, d, m, k): the Fashion-MNIST preset's step (B = 100) at two widths, and a larger batch. */
export const REAL_DATA_WORKLOADS = [
  { n: 100, d: 784, m: 1024, k: 10 },
  { n: 100, d: 784, m: 4096, k: 10 },
  { n: 1000, d: 784, m: 1024, k: 10 },
];

const TORCH_SCRIPT = fileURLToPath(new URL('./torch_softmax_sgd_step.py', import.meta.url));
/** Training points the batches are drawn from (the step's cost does not depend on it). */
const POOL = 6000;

function classSplit(n, d, k) {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(0, 998);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    for (let q = 0; q < d; q++) x[i * d + q] = draws.normal() / Math.sqrt(d);
    y[i] = draws.below(k);
  }
  return { train: { n, d, x, y }, test: { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) }, classification: true, classes: k };
}

const configOf = ({ n, m }, backend) => ({
  seed: 0,
  loss: 'softmax',
  model: { width: m, parameterization: 'mean-field' },
  train: { integrator: 'sgd', batchSize: n, epochs: 1_000_000, lr: 0.1, weightDecay: 1e-4, precision: 'f32', backend },
  log: { ntk: { every: 0 } },
});

/** mflab's rows for one workload: wasm and tfjs on one thread, sharded on every core. */
export async function benchRealData(w, { seconds = 2, workers = availableParallelism() } = {}) {
  const data = classSplit(POOL, w.d, w.k);
  const rows = [];
  const row = (impl, threads, s) => ({ impl, ...w, threads, ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s });
  const wasm = Simulation.create(configOf(w, 'wasm'), data);
  rows.push(row('mflab-wasm', 1, await secondsPerStep((k) => wasm.step(k), seconds)));
  const info = await loadTensorBackend();
  const tfjs = Simulation.create(configOf(w, 'tfjs'), data, { kernel: new TfjsKernel() });
  rows.push(row(`mflab-${info.name}`, info.threads ?? 1, await secondsPerStep((k) => tfjs.step(k), seconds)));
  if (workers > 1) {
    const sharded = await ShardedSimulation.create(configOf(w, 'wasm'), data, { workers });
    try {
      rows.push(row('mflab-sharded', workers, await secondsPerStep((k) => sharded.step(k), seconds)));
    } finally {
      await sharded.dispose();
    }
  }
  return rows;
}

/**
 * PyTorch on the same workloads (2 threads, float32, autograd and manual). The script reports the
 * BLAS it ran on (torch_blas.py); each row records it as `blas`, `valid`, `openblas_env`.
 */
export function runTorchRealData(workloads, { threads = 2, seconds = 3 } = {}) {
  const args = [TORCH_SCRIPT, '--threads', String(threads), '--seconds', String(seconds)];
  for (const w of workloads) args.push('--workload', `${w.n},${w.d},${w.m},${w.k}`);
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`torch softmax step failed: ${run.stderr.trim().split('\n').pop()}`);
  return run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map(({ blas, ...row }) => ({ ...row, ...blasOfRow(blas) }));
}

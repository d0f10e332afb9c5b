// The deep-network benchmark (issues: deep networks; native-speed GEMM): one minibatch SGD step of
// a depth-4, width-2048 ReLU MLP (standard scaling, softmax cross-entropy, k = 10) on batches of
// 256 784-dimensional inputs — mflab's deep engine (`createEngine`: single-thread, and sharded on
// every core where it runs the config) in f32 and f64, and PyTorch (tools/bench/
// torch_deep_sgd_step.py, OpenBLAS, 2 threads) on the same shape, in the same script. Measures,
// never asserts.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CounterRng, resolveSimulationConfig } from '@mflab/core';
import { createEngine } from '@mflab/parallel';
import { engineThreads } from './gemm.mjs';
import { blasOfRow } from './kernels.mjs';
import { secondsPerStep } from './parallel.mjs';

/** (B, d, m, k, L): the row the issues name. */
export const DEEP_WORKLOADS = [{ n: 256, d: 784, m: 2048, k: 10, depth: 4 }];
/** A smaller shape for `--quick`. */
export const DEEP_WORKLOAD_QUICK = { n: 64, d: 784, m: 256, k: 10, depth: 4 };

const TORCH_SCRIPT = fileURLToPath(new URL('./torch_deep_sgd_step.py', import.meta.url));
/** Training points the batches are drawn from (the step's cost does not depend on it). */
const POOL = 2048;

function classSplit(n, d, k) {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(0, 997);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    for (let q = 0; q < d; q++) x[i * d + q] = draws.normal() / Math.sqrt(d);
    y[i] = draws.below(k);
  }
  return { train: { n, d, x, y }, test: { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) }, classification: true, classes: k };
}

const configOf = (w, precision) => ({
  seed: 0,
  loss: 'softmax',
  model: { depth: w.depth, width: w.m, parameterization: 'standard' },
  train: { integrator: 'sgd', batchSize: w.n, epochs: 1_000_000, lr: 0.1, weightDecay: 1e-4, precision, backend: 'auto' },
  log: { ntk: { every: 0 } },
});

/**
 * Seconds per step: steps of a second or more are timed once after one warm-up step (the
 * reference-speed paths take tens of seconds a step); shorter ones by `secondsPerStep`.
 */
async function timeStep(engine, seconds) {
  const t0 = performance.now();
  await engine.step(1);
  const first = (performance.now() - t0) / 1000;
  if (first < 1) return secondsPerStep((k) => engine.step(k), seconds);
  const t1 = performance.now();
  await engine.step(1);
  return (performance.now() - t1) / 1000;
}

/** mflab's rows for one workload: f32 and f64, one thread and every core (rows the engines refuse are reported as skipped). */
export async function benchDeep(w, { seconds = 2, workers = availableParallelism(), precisions = ['f32', 'f64'] } = {}) {
  const data = classSplit(POOL, w.d, w.k);
  const rows = [];
  for (const precision of precisions) {
    for (const threads of workers > 1 ? [1, workers] : [1]) {
      const base = { ...w, precision, requested_threads: threads };
      let engine;
      try {
        engine = await createEngine(resolveSimulationConfig(configOf(w, precision)), data, { threads });
      } catch (error) {
        rows.push({ ...base, impl: 'mflab', skipped: error.message });
        continue;
      }
      try {
        const s = await timeStep(engine, seconds);
        const info = engine.backendInfo;
        rows.push({ ...base, impl: `mflab-${info.workers !== undefined ? 'sharded/' : ''}${info.backend}`, threads: engineThreads(info), ms_per_step: s * 1e3 });
      } finally {
        await engine.dispose();
      }
    }
  }
  return rows;
}

/** PyTorch on the same workloads (float32, autograd, `threads` threads), with the BLAS it ran on. */
export function runTorchDeep(workloads, { threads = 2, seconds = 3 } = {}) {
  const args = [TORCH_SCRIPT, '--threads', String(threads), '--seconds', String(seconds)];
  for (const w of workloads) args.push('--workload', `${w.n},${w.d},${w.m},${w.k},${w.depth}`);
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`torch deep step failed: ${run.stderr.trim().split('\n').pop()}`);
  return run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map(({ blas, ...row }) => ({ ...row, ...blasOfRow(blas) }));
}

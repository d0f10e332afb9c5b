// The real-data benchmark (issue: real data): one minibatch SGD step of a k-output network on
// softmax cross-entropy at the Fashion-MNIST shape (d = 784, k = 10), batches of B from a
// finite training set — mflab's single-thread engine on every f32 backend the registry lists
// (wasm SIMD, tfjs, native when registered), the sharded engine on every core, and PyTorch
// (tools/bench/torch_softmax_sgd_step.py, written after the project's scalar anchor
// ../shared/anchors/torch_gd_step.py) on the same shapes, in the same script. Measures, never
// asserts.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CounterRng, resolveSimulationConfig } from '@mflab/core';
import { ShardedSimulation, createEngine } from '@mflab/parallel';
import { benchBackends, engineThreads } from './gemm.mjs';
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

/**
 * mflab's rows for one workload: every f32 backend the kernel registry lists (benchBackends: wasm,
 * tfjs, and native when it is registered), each on the single-thread engine, then sharded on
 * every core where the sharded engine runs that backend (others are reported as skipped).
 */
export async function benchRealData(w, { seconds = 2, workers = availableParallelism(), backends = benchBackends().filter((b) => b !== 'auto') } = {}) {
  const data = classSplit(POOL, w.d, w.k);
  const rows = [];
  const kinds = workers > 1 ? ['single-thread', 'sharded'] : ['single-thread'];
  for (const kind of kinds) {
    for (const backend of backends) {
      let engine;
      try {
        const config = resolveSimulationConfig(configOf(w, backend));
        engine = kind === 'sharded' ? await ShardedSimulation.create(config, data, { workers }) : await createEngine(config, data, { threads: 1 });
      } catch (error) {
        rows.push({ impl: kind === 'sharded' ? `mflab-sharded/${backend}` : `mflab-${backend}`, backend, engine: kind, ...w, skipped: error.message });
        continue;
      }
      try {
        const s = await secondsPerStep((k) => engine.step(k), seconds);
        const info = engine.backendInfo;
        const name = info.tensorBackend ?? info.backend;
        rows.push({ impl: kind === 'sharded' ? `mflab-sharded/${name}` : `mflab-${name}`, backend, engine: kind, ...w, threads: engineThreads(info), ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s });
      } finally {
        await engine.dispose();
      }
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

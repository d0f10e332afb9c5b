// The GEMM-bound section of the bench (issue 16): the full-batch GD step at (n, d, m) =
// (10 000, 784, 1024) — square loss, mean-field, f32, generated data as in kernels.mjs — for
// every mflab backend the kernel registry lists (looked up at run time: `auto` and each f32
// backend but the plain-JS reference), on one thread and sharded on 2 workers, beside the
// PyTorch anchor at the same shape (2 threads, f32); and the start-up of each engine (construct
// to end of the first step, in a fresh process) with the data generation timed apart.
// Measures, never asserts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, TWO_LAYER, kernelsOfModel, resolveSimulationConfig, tensorBackendInfo } from '@mflab/core';
import { ShardedSimulation, createEngine } from '@mflab/parallel';
import { syntheticSplit } from './kernels.mjs';
import { secondsPerStep } from './parallel.mjs';

/** The GEMM-bound shape, and the shrunk one `--quick` runs instead. */
export const GEMM_WORKLOAD = { n: 10_000, d: 784, m: 1024 };
export const GEMM_WORKLOAD_QUICK = { n: 1000, d: 784, m: 256 };
export const GEMM_WORKERS = 2;

/** The config of every row: the kernels section's (mean-field, square loss), f32, on `backend`. */
export const gemmConfig = ({ d, m }, backend) => ({
  seed: 0,
  model: { width: m, parameterization: 'mean-field', init: { sigmaA: 1 / Math.sqrt(d) } },
  train: { lr: 0.1, weightDecay: 1e-3, backend, precision: 'f32' },
});

/**
 * `train.backend` values to measure, from the registry at run time: `auto`, then every backend
 * with an f32 kernel of the two-layer model in registration order (wasm, tfjs, and any added
 * later, e.g. native), less the plain-JS reference (float64 only, minutes per step here).
 */
export function benchBackends(precision = 'f32') {
  const registered = kernelsOfModel(TWO_LAYER).filter((k) => k.precision === precision && k.backend !== 'reference').map((k) => k.backend);
  return ['auto', ...new Set(registered)];
}

/** Threads one engine computes with: its workers, else the tensor backend's, else 1. */
export function engineThreads(info) {
  if (info.workers !== undefined) return info.workers;
  if (info.threads !== undefined) return info.threads;
  if (info.tensorBackend) return tensorBackendInfo()?.threads ?? 1;
  return 1;
}

/** Why an engine cannot be built here: a config the engine refuses, or a backend that does not load. */
const skipReason = (error) => (error instanceof InvalidInputError ? error.message : `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`);

/**
 * One row per (backend, engine): ms/step and pairs/s of the GD step, or `skipped` with the
 * reason (e.g. the sharded engine runs the wasm kernels only). `engine` is 'single-thread' or
 * 'sharded'; the data are generated once.
 */
export async function benchGemmSteps(w, { backends = benchBackends(), workers = GEMM_WORKERS, seconds = 2, log = () => {} } = {}) {
  const data = syntheticSplit(w.n, w.d);
  const rows = [];
  for (const engineKind of ['single-thread', 'sharded']) {
    for (const backend of backends) {
      const base = { ...w, backend, engine: engineKind };
      let engine;
      try {
        const config = resolveSimulationConfig(gemmConfig(w, backend));
        engine = engineKind === 'sharded' ? await ShardedSimulation.create(config, data, { workers }) : await createEngine(config, data, { threads: 1 });
      } catch (error) {
        const row = { ...base, skipped: skipReason(error) };
        rows.push(row);
        log(row);
        continue;
      }
      try {
        const s = await secondsPerStep((k) => engine.step(k), seconds);
        const info = engine.backendInfo;
        const row = { ...base, impl: `mflab-${info.tensorBackend ?? info.backend}`, precision: 'f32', threads: engineThreads(info), ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s };
        rows.push(row);
        log(row);
      } finally {
        await engine.dispose();
      }
    }
  }
  return rows;
}

const STARTUP = fileURLToPath(new URL('./startup.mjs', import.meta.url));

/** Start-up of each (backend, engine) in a fresh process: data generation, then construct → end of first step. */
export function benchStartup(w, { backends = benchBackends(), workers = GEMM_WORKERS, log = () => {} } = {}) {
  const rows = [];
  for (const [engineKind, count] of [['single-thread', 1], ['sharded', workers]]) {
    for (const backend of backends) {
      const child = spawnSync(process.execPath, [STARTUP, String(w.n), String(w.d), String(w.m), backend, String(count)], { encoding: 'utf8' });
      const row = child.status === 0 ? { ...JSON.parse(child.stdout.trim()), engine: engineKind } : { ...w, backend, engine: engineKind, workers: count, skipped: lastLine(child.stderr) };
      rows.push(row);
      log(row);
    }
  }
  return rows;
}

function lastLine(text) {
  const lines = text.trim().split('\n').filter((l) => l.trim() && !l.trim().startsWith('at '));
  return lines.find((l) => /^\w*Error\b/.test(l.trim())) ?? lines.pop() ?? 'failed';
}

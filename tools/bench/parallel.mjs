// The partitioner benchmark (issue: @mflab/parallel): speed-up of the sharded GD step with
// W workers over 1 worker, the per-step cost of a tiny problem (the synchronisation overhead),
// and, beside them, the single-thread engine on the same problem. Measures, never asserts.
//   node tools/bench/parallel.mjs [--quick] [--workers 1,2,4]
import { availableParallelism } from 'node:os';
import { Simulation, resolveSimulationConfig } from '@mflab/core';
import { ShardedSimulation } from '@mflab/parallel';
import { syntheticSplit } from './kernels.mjs';

/** The workloads: two large ones for the speed-up, a tiny one for the overhead. */
export const SCALING_WORKLOADS = [
  { n: 1024, d: 2, m: 262_144 },
  { n: 256, d: 8, m: 1_048_576 },
];
export const TINY_WORKLOAD = { n: 64, d: 2, m: 256 };

const configOf = ({ d, m }, precision) => ({
  seed: 0,
  model: { width: m, parameterization: 'mean-field', init: { sigmaA: 1 / Math.sqrt(d) } },
  train: { lr: 0.1, weightDecay: 1e-3, precision, backend: 'wasm' },
});

/** Median seconds per step over calls of `run(k)` lasting ≥ ~50 ms each, for ≥ `seconds` (≥ 3 calls). */
export async function secondsPerStep(run, seconds) {
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    await run(k);
    if (performance.now() - t0 > 50 || k >= 1 << 20) break;
    k *= 4;
  }
  const times = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || times.length < 3) {
    const t0 = performance.now();
    await run(k);
    times.push((performance.now() - t0) / 1000 / k);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Seconds per GD step of the sharded engine with `workers` threads (k steps per call, as runs do between log points). */
export async function benchSharded(workload, workers, { precision = 'f32', seconds = 2 } = {}) {
  const sim = await ShardedSimulation.create(resolveSimulationConfig(configOf(workload, precision)), syntheticSplit(workload.n, workload.d), { workers });
  try {
    return await secondsPerStep((k) => sim.step(k), seconds);
  } finally {
    await sim.dispose();
  }
}

/** Seconds per GD step of core's single-thread engine (wasm) on the same problem. */
export async function benchSingleThread(workload, { precision = 'f32', seconds = 2 } = {}) {
  const sim = Simulation.create(configOf(workload, precision), syntheticSplit(workload.n, workload.d));
  return secondsPerStep((k) => sim.step(k), seconds);
}

/** Speed-up rows for each workload and worker count, relative to 1 worker. */
export async function benchScaling({ workloads = SCALING_WORKLOADS, workerCounts = [1, 2], precision = 'f32', seconds = 2, log = () => {} } = {}) {
  const rows = [];
  for (const w of workloads) {
    const single = await benchSingleThread(w, { precision, seconds });
    let one = NaN;
    for (const workers of workerCounts) {
      const s = await benchSharded(w, workers, { precision, seconds });
      if (workers === 1) one = s;
      const row = { ...w, precision, workers, ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s, speedup_vs_1_worker: one / s, single_thread_ms_per_step: single * 1e3 };
      rows.push(row);
      log(row);
    }
  }
  return rows;
}

/** Per-step time of a tiny problem: what synchronisation costs (compute is a few µs). */
export async function benchOverhead({ workload = TINY_WORKLOAD, workerCounts = [1, 2], seconds = 2 } = {}) {
  const single = await benchSingleThread(workload, { seconds });
  const rows = [];
  for (const workers of workerCounts) {
    const s = await benchSharded(workload, workers, { seconds });
    rows.push({ ...workload, workers, us_per_step: s * 1e6, single_thread_us_per_step: single * 1e6 });
  }
  return rows;
}

export function defaultWorkerCounts() {
  const cores = availableParallelism();
  const counts = [1, 2, 4, 8, 16, 32].filter((w) => w < cores);
  return [...counts, cores];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const workerCounts = args.includes('--workers') ? args[args.indexOf('--workers') + 1].split(',').map(Number) : defaultWorkerCounts();
  const seconds = quick ? 0.5 : 2;
  console.log(`sharded GD step, f32, ${availableParallelism()} cores`);
  await benchScaling({
    workerCounts,
    seconds,
    log: (r) => console.log(`  ${r.n},${r.d},${r.m} workers ${r.workers}: ${r.ms_per_step.toFixed(1)} ms/step, ${(r.pairs_per_s / 1e9).toFixed(3)} G pairs/s, ×${r.speedup_vs_1_worker.toFixed(2)} vs 1 worker (single-thread engine ${r.single_thread_ms_per_step.toFixed(1)} ms/step)`),
  });
  for (const r of await benchOverhead({ workerCounts: workerCounts.filter((w) => w <= 2), seconds })) {
    console.log(`  tiny ${r.n},${r.d},${r.m} workers ${r.workers}: ${r.us_per_step.toFixed(1)} µs/step (single-thread engine ${r.single_thread_us_per_step.toFixed(1)} µs/step)`);
  }
}

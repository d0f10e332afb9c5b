// The sweep benchmark: the same independent runs (one grid, one seed per run) made one after
// another in this process, then through the sweep executor's piscina pool, on the built
// packages. Measures, never asserts. Runnable alone:
//   node tools/bench/sweep.mjs [--runs R] [--steps S] [--workers W]
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Simulation, loadDataset, resolveSimulationConfig, runSimulation } from '@mflab/core';
import { SIMULATION_TASK_MODULE, SweepExecutor, simulationTaskCost } from '@mflab/parallel';

/** Run k of the sweep: seed k, the same grid cell otherwise (logging as a real sweep would). */
export function sweepInput(k, { n, d, m, steps, precision }) {
  return {
    config: { seed: k, model: { width: m, parameterization: 'mean-field' }, train: { steps, lr: 0.5, precision }, log: { every: 100, particles: { every: 0 } } },
    data: { kind: 'teacher', d, n, nTest: n },
  };
}

/**
 * Seconds for `runs` runs of (n, d, m, steps) one after another in-process, and through the pool
 * (pool start-up and shutdown included). Both sides build the data and the simulation per run.
 */
export async function benchSweep({ runs = 32, n = 256, d = 2, m = 1024, steps = 2000, workers = availableParallelism(), precision = 'f64' } = {}) {
  const inputs = Array.from({ length: runs }, (_, k) => sweepInput(k, { n, d, m, steps, precision }));

  const t0 = performance.now();
  const sequential = [];
  for (const input of inputs) {
    const config = resolveSimulationConfig(input.config);
    const sim = new Simulation(config, await loadDataset(input.data, config.seed));
    sequential.push(runSimulation(sim).last);
  }
  const sequentialSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const executor = new SweepExecutor({ taskModule: SIMULATION_TASK_MODULE, workers });
  const outcomes = await executor.run(inputs.map((input, k) => ({ id: `seed=${k}`, input, cost: simulationTaskCost(input) })));
  await executor.close();
  const poolSeconds = (performance.now() - t1) / 1000;

  // Same runs on both sides: a check that the pool did the work, not a test.
  const failed = outcomes.filter((o) => o.status !== 'done');
  if (failed.length > 0) throw new Error(`pool run ${failed[0].id} ended ${failed[0].status}: ${failed[0].error ?? ''}`);
  const identical = outcomes.every((o, k) => o.result.final.objective === sequential[k].objective);

  return { runs, n, d, m, steps, precision, workers, sequentialSeconds, poolSeconds, speedup: sequentialSeconds / poolSeconds, identical };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
  const r = await benchSweep({ runs: option('--runs'), steps: option('--steps'), workers: option('--workers') });
  console.log(
    `sweep of ${r.runs} runs (n = ${r.n}, d = ${r.d}, m = ${r.m}, ${r.steps} steps, ${r.precision}): one after another ${r.sequentialSeconds.toFixed(1)} s, ` +
      `pool of ${r.workers} ${r.poolSeconds.toFixed(1)} s — ${r.speedup.toFixed(2)}× (target ≥ 1.8× on 2 cores)${r.identical ? '' : ' — WARNING: results differ'}`,
  );
}

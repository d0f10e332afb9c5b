// Child process of the bench: runs a few GD steps of one workload and prints its peak RSS.
// Run alone so that nothing else in the process counts towards the peak.
import { Simulation } from '@mflab/core';
import { syntheticSplit } from './kernels.mjs';

const [n, d, m] = process.argv.slice(2, 5).map(Number);
const precision = process.argv[5] ?? 'f32';
const sim = Simulation.create(
  { seed: 0, model: { width: m }, train: { lr: 0.1, backend: 'wasm', precision }, log: { particles: { count: 0 } } },
  syntheticSplit(n, d),
);
const t0 = performance.now();
sim.step(3);
const msPerStep = (performance.now() - t0) / 3;
const row = sim.observe();
process.stdout.write(JSON.stringify({ n, d, m, precision, peak_rss_mib: process.resourceUsage().maxRSS / 1024, ms_per_step: msPerStep, risk_train: row.risk_train }) + '\n');

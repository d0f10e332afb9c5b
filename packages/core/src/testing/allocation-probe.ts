/**
 * Child process of allocation.test.ts (run with --expose-gc): measures what 10 000 single steps
 * allocate on the JS heap after warm-up. With a young generation far larger than any per-step
 * garbage could fill, heap growth without a GC in between is what the steps allocated.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Simulation } from '../engine/simulation.js';
import { randomClassSplit, randomSplit } from './fixtures.js';

// 'minibatch': softmax on 4 classes (k = 4 outputs), SGD over a finite set of 1024 points in
// batches of 8 (a reshuffle, which allocates its draws, every 128 steps).
// A fourth argument picks train.optimizer (momentum, adam: the reference kernel's gradients and optim/'s update).
const [backend, precision, integrator, optimizer = 'sgd'] = process.argv.slice(2) as ['reference' | 'wasm', 'f32' | 'f64', 'gd' | 'sgd' | 'minibatch', ('sgd' | 'momentum' | 'adam')?];
// The heap counter moves in chunks of ~32 KiB (allocation buffers), so the window is long
// enough that one chunk is ~3 bytes per step.
const STEPS = 10_000;
const split = randomSplit(64, 0, 2, 1);
const sampler = { d: 2, sample: (start: number, count: number, x: Float64Array, y: Float64Array) => {
  for (let i = 0; i < count; i++) {
    x[2 * i] = Math.sin(start + i);
    x[2 * i + 1] = Math.cos(3 * (start + i));
    y[i] = Math.sin(7 * (start + i));
  }
} };
const sim =
  integrator === 'minibatch'
    ? Simulation.create(
        { model: { width: 256 }, loss: 'softmax', train: { lr: 0.1, backend, precision, integrator: 'sgd', batchSize: 8 }, log: { ntk: { every: 0 } } },
        randomClassSplit(1024, 0, 2, 4, 1),
      )
    : // The optimizers' probe uses m = 64: a per-step allocation shows at any width, and the reference kernel is slow.
      Simulation.create({ model: { width: optimizer === 'sgd' ? 256 : 64 }, train: { lr: optimizer === 'adam' ? 1e-3 : 0.1, backend, precision, integrator, optimizer } }, integrator === 'sgd' ? { ...split, sampler } : split);
// Warm up: optimizing compilers must be done before the windows, or their own allocations
// (feedback, code) are counted. On a busy machine they may still run late, so the measurement
// is repeated and the quietest window kept (below).
const warmUntil = performance.now() + 3000;
for (let k = 0; k < 300 || performance.now() < warmUntil; k++) sim.step(1);

// A test of the test: MFLAB_PROBE_INJECT=1 allocates one boxed double (16 bytes) per step, which
// the probe must report.
let sink: unknown = null;
const inject = process.env.MFLAB_PROBE_INJECT === '1';
const step = inject
  ? (k: number) => {
      sim.step(1);
      sink = k + 0.5;
    }
  : () => sim.step(1);

let gcs = 0;
const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
observer.observe({ entryTypes: ['gc'] });
const gc = (globalThis as unknown as { gc: () => void }).gc;
// Several windows; the one with the fewest collections and bytes is kept. A real per-step
// allocation shows in every window, a late compilation or a busy machine in some only: taking
// the minimum makes the probe robust to load without hiding 16 bytes per step.
const WINDOWS = 5;
let best = { bytesPerStep: Infinity, gcs: Infinity };
for (let w = 0; w < WINDOWS; w++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  gcs = 0;
  const before = process.memoryUsage().heapUsed;
  for (let k = 0; k < STEPS; k++) step(k);
  const after = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const window = { bytesPerStep: (after - before) / STEPS, gcs };
  if (window.gcs < best.gcs || (window.gcs === best.gcs && window.bytesPerStep < best.bytesPerStep)) best = window;
}
observer.disconnect();
process.stdout.write(JSON.stringify({ ...best, windows: WINDOWS, injected: inject && sink !== null }) + '\n');

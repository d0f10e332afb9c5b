/**
 * Child process for the SIGKILL test: writes a deterministic trajectory to a run directory,
 * resuming from its checkpoint if there is one. Usage: kill-child.ts DIR STEPS [PAUSE_MS].
 *
 * The "dynamics" are any deterministic float64 recurrence with integrator and RNG state, so that
 * a resume that restored anything wrongly would change every later value.
 */
import { readCheckpoint, readRunInfo, TrajectoryWriter, updateRunInfo, writeRunInfo } from '../index.js';
import * as fs from 'node:fs';
import * as path from 'node:path';

const [dir, stepsArg, pauseArg] = process.argv.slice(2);
const totalSteps = Number(stepsArg);
const pauseMs = Number(pauseArg ?? '0');
export const KILL_CHILD_OBSERVABLES = ['risk_train', 'l2', 'move'] as const;
const m = 24;
const D = 3;
const particleEvery = 25;
const flushEveryRows = 4;
const checkpointEvery = 12; // steps: after every third flush

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

if (fs.existsSync(path.join(dir, 'run.json')) && readRunInfo(dir).status === 'done') process.exit(0);

const ckpt = readCheckpoint(dir, 'two-layer');
let step: number;
let a: Float64Array;
let b: Float64Array;
let v: Float64Array;
let counter: number;
let a0: Float64Array;
let b0: Float64Array;
if (ckpt === null) {
  step = 0;
  a = new Float64Array(m * D).map((_, i) => Math.sin(i * 1.3 + 0.1));
  b = new Float64Array(m).map((_, j) => Math.cos(j * 0.7));
  v = new Float64Array(m * D);
  counter = 0;
  a0 = a.slice();
  b0 = b.slice();
  writeRunInfo(dir, { config: { steps: totalSteps }, seed: 0, status: 'running', error: null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
} else {
  step = ckpt.step;
  a = ckpt.params.a;
  b = ckpt.params.b;
  a0 = ckpt.initialParams.a;
  b0 = ckpt.initialParams.b;
  v = ckpt.integrator?.v as Float64Array;
  counter = ckpt.rng?.counter as number;
}

// Lets the test aim a kill at the resume itself (cutting the streams back to the checkpoint).
process.stdout.write('opening\n');
const writer = TrajectoryWriter.open({
  dir,
  observables: KILL_CHILD_OBSERVABLES,
  precision: 'f64',
  particleDimension: D,
  flushEveryRows,
  flushEverySeconds: 0,
  resumeFrom: ckpt,
  config: { steps: totalSteps },
});
const values = new Float64Array(3);
const neurons = Int32Array.from({ length: m }, (_, j) => j);

function log(): void {
  let risk = 0;
  let l2 = 0;
  let move = 0;
  for (let i = 0; i < a.length; i++) {
    risk += a[i] * a[i] * b[i % m];
    l2 += a[i] * a[i];
    move += (a[i] - a0[i]) ** 2;
  }
  for (let j = 0; j < m; j++) move += (b[j] - b0[j]) ** 2;
  values[0] = risk / a.length;
  values[1] = l2 / m;
  values[2] = Math.sqrt(move);
  writer.logMetrics(step, step * 0.01, values);
  if (step % particleEvery === 0) writer.logParticles({ step, neurons, a, b });
}

if (ckpt === null) log();
process.stdout.write('ready\n');
while (step < totalSteps) {
  step += 1;
  counter += 1;
  for (let i = 0; i < a.length; i++) {
    v[i] = 0.9 * v[i] + 0.01 * Math.sin(3 * a[i] + counter * 1e-3);
    a[i] += v[i];
  }
  for (let j = 0; j < m; j++) b[j] = 0.999 * b[j] + 0.001 * Math.tanh(b[j] + a[j * D]);
  log();
  if (step % checkpointEvery === 0) {
    writer.checkpoint({ step, params: { m, D, a, b }, initialParams: { m, D, a: a0, b: b0 }, rng: { counter }, integrator: { v, lr: 0.01 } });
  }
  if (pauseMs > 0) Atomics.wait(sleepCell, 0, 0, pauseMs);
}
writer.close();
updateRunInfo(dir, { status: 'done' });

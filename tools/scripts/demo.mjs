#!/usr/bin/env node
// `npm start` until the mflab app exists: a small, documented run of the core engine.
// A mean-field network (s = 1/m, particle time) learns a 3-neuron ReLU teacher in d = 3 from
// 128 points on the sphere, at widths 64, 256 and 1024 with the same seed. Mean-field theory
// predicts that the trajectories converge as m grows: the printed risks and movements should
// agree better and better between consecutive widths.
import { Simulation, makeDataset, resolveDataSpec, runSimulation } from '@mflab/core';

const data = makeDataset(resolveDataSpec({ kind: 'teacher', d: 3, n: 128, nTest: 512, teacherWidth: 3 }), 0);
const widths = [64, 256, 1024];
const steps = 1000;
console.log(`mflab demo: mean-field GD on a 3-neuron ReLU teacher (d = 3, n = ${data.train.n}, ${steps} steps of η = 0.5)\n`);
console.log('width  risk_train(0)  risk_train  risk_test     move      path   ms/step  backend');
for (const width of widths) {
  const sim = Simulation.create(
    { seed: 0, model: { width, parameterization: 'mean-field', init: { kind: 'gaussian', scale: 1 } }, loss: 'square',
      train: { steps, lr: 0.5 }, log: { every: steps, particles: { every: 0 } } },
    data,
  );
  const rows = [];
  const start = performance.now();
  const result = runSimulation(sim, { onMetrics: (r) => rows.push(r) });
  const ms = (performance.now() - start) / steps;
  const last = result.last;
  const { backend, precision } = sim.backendInfo;
  console.log(
    `${String(width).padStart(5)}  ${rows[0].risk_train.toExponential(3).padStart(13)}  ${last.risk_train.toExponential(3).padStart(10)}` +
      `  ${last.risk_test.toExponential(3).padStart(9)}  ${last.move.toFixed(4).padStart(7)}  ${last.path.toFixed(4).padStart(8)}` +
      `  ${ms.toFixed(2).padStart(7)}  ${backend}/${precision}  (${result.status})`,
  );
}

/**
 * Golden trajectories: a fixed set of runs — 3 parameterizations × 2 losses × k = 1 and 10 ×
 * f32/f64 × the reference, wasm, tfjs and sharded (1–3 workers) engines, with weight decay,
 * minibatch SGD and a cosine schedule — each hashed (every logged row, the final parameters, the
 * test outputs: their exact bits). The hashes in golden/trajectories.json were written before
 * the engine was restructured ("One engine"); every later engine must reproduce them bit for bit.
 *
 * `MFLAB_GOLDEN_WRITE=1` rewrites the file (only when a change of results is intended: say so in
 * the commit). A tfjs run is compared only when the same TensorFlow.js backend ran.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CounterRng, makeDataset, resolveDataSpec, type DataSplit, type Dataset } from '@mflab/core';
import { runGolden, type GoldenEngine, type GoldenOutcome } from './helpers/golden-engine.js';

const FILE = fileURLToPath(new URL('./golden/trajectories.json', import.meta.url));

/**
 * Gaussian blobs around `classes` random centres in R^d, labels 0..classes−1: the generator of
 * parallel's vector-sgd test, kept here as a frozen copy on purpose — the recorded hashes depend on
 * every bit of these inputs, so an edit to another test's fixture must not reach them.
 */
function blobs(n: number, d: number, classes: number, seed: number): Dataset {
  const centres = new CounterRng(99, 1).at(0);
  const mu = Float64Array.from({ length: classes * d }, () => 1.5 * centres.normal());
  const rng = new CounterRng(seed, 2);
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    const c = draws.below(classes);
    y[i] = c;
    for (let q = 0; q < d; q++) x[i * d + q] = mu[c * d + q] + draws.normal();
  }
  return { n, d, x, y };
}

const DATA: Record<string, () => DataSplit> = {
  teacher: () => makeDataset(resolveDataSpec({ kind: 'teacher', d: 3, n: 96, nTest: 24 }), 0),
  checkerboard: () => makeDataset(resolveDataSpec({ kind: 'checkerboard', d: 2, n: 96, nTest: 24 }), 0),
  classes10: () => ({ train: blobs(120, 5, 10, 1), test: blobs(30, 5, 10, 2), classification: true, classes: 10 }),
};

export interface GoldenCase {
  name: string;
  data: keyof typeof DATA;
  config: Record<string, unknown>;
  engine: GoldenEngine;
}

function cases(): GoldenCase[] {
  const out: GoldenCase[] = [];
  const parameterizations = [
    { parameterization: 'mean-field' },
    { parameterization: 'ntk' },
    { parameterization: 'lazy', alpha: 2 },
  ];
  const engines: GoldenEngine[] = [
    { kind: 'reference' },
    { kind: 'wasm', precision: 'f64' },
    { kind: 'wasm', precision: 'f32' },
    { kind: 'tfjs' },
    { kind: 'sharded', precision: 'f64', workers: 1 },
    { kind: 'sharded', precision: 'f64', workers: 2 },
    { kind: 'sharded', precision: 'f32', workers: 3 },
  ];
  const integrators = [
    { train: { integrator: 'gd', steps: 30, lr: 0.2, weightDecay: 1e-3 } },
    { train: { integrator: 'sgd', epochs: 3, batchSize: 32, lr: 0.2, weightDecay: 1e-3, schedule: 'cosine' } },
  ];
  const losses: { k: 1 | 10; loss: string; data: keyof typeof DATA }[] = [
    { k: 1, loss: 'square', data: 'teacher' },
    { k: 1, loss: 'logistic', data: 'checkerboard' },
    { k: 10, loss: 'softmax', data: 'classes10' },
    { k: 10, loss: 'square', data: 'classes10' },
  ];
  let variant = 0;
  for (const p of parameterizations) {
    for (const l of losses) {
      for (const engine of engines) {
        // Alternate GD and SGD-with-cosine across the grid, so both meet every engine and loss.
        const integrator = integrators[variant++ % 2];
        const centered = variant % 5 === 0;
        const ntk = l.k === 1 && variant % 3 === 0;
        out.push({
          name: `${p.parameterization}/${l.loss}/k=${l.k}/${integrator.train.integrator}/${engine.kind}${'precision' in engine ? `-${engine.precision}` : ''}${'workers' in engine ? `-${engine.workers}w` : ''}${centered ? '/centered' : ''}`,
          data: l.data,
          engine,
          config: {
            seed: 7,
            model: { width: 200, ...p, centered, init: { symmetric: !centered } },
            loss: l.loss,
            train: { ...integrator.train, precision: engine.kind === 'reference' ? 'f64' : engine.kind === 'tfjs' ? 'f32' : engine.precision },
            log: { every: 5, particles: { every: 0, count: 0 }, ntk: { every: ntk ? 10 : 0, probe: 16 } },
          },
        });
      }
    }
  }
  // Population SGD (fresh samples from the generator every step) runs on one thread.
  for (const precision of ['f64', 'f32'] as const) {
    out.push({
      name: `mean-field/square/k=1/population-sgd/wasm-${precision}`,
      data: 'teacher',
      engine: { kind: 'wasm', precision },
      config: { seed: 3, model: { width: 128 }, loss: 'square', train: { integrator: 'sgd', batchSize: 16, steps: 40, lr: 0.3, weightDecay: 1e-2, precision }, log: { every: 10, particles: { every: 0, count: 0 } } },
    });
  }
  return out;
}

/**
 * The row fields the recorded hashes cover, in the order they were hashed: the observables that
 * existed when the hashes were recorded. An observable added later does not change them.
 */
const HASHED_FIELDS = ['step', 'time', 'risk_train', 'risk_test', 'objective', 'error_train', 'error_test', 'move', 'l2', 'path', 'margin', 'ntk_drift'] as const;

function hashOf(outcome: GoldenOutcome): string {
  const h = createHash('sha256');
  for (const row of outcome.rows) h.update(Buffer.from(Float64Array.from(HASHED_FIELDS, (name) => row[name]).buffer));
  for (const part of [outcome.a, outcome.b, outcome.testOutputs]) h.update(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  return h.digest('hex');
}

interface GoldenFile {
  note: string;
  runs: Record<string, { hash: string; backend: string }>;
}

describe('golden trajectories (bitwise, every engine)', () => {
  const all = cases();
  it(`${all.length} runs reproduce their recorded hashes`, { timeout: 600_000 }, async () => {
    expect(all.length).toBeGreaterThanOrEqual(24);
    const got: GoldenFile['runs'] = {};
    for (const c of all) {
      const outcome = await runGolden(c.config, DATA[c.data](), c.engine);
      got[c.name] = { hash: hashOf(outcome), backend: outcome.backend };
    }
    if (process.env.MFLAB_GOLDEN_WRITE === '1' || !existsSync(FILE)) {
      if (process.env.MFLAB_GOLDEN_WRITE !== '1') throw new Error(`${FILE} is missing: write it with MFLAB_GOLDEN_WRITE=1 (only from a commit whose results are trusted)`);
      writeFileSync(FILE, `${JSON.stringify({ note: 'sha256 of every logged row, the final parameters and the test outputs of each run (test/src/golden-trajectories.test.ts)', runs: got }, null, 1)}\n`);
      return;
    }
    const want = (JSON.parse(readFileSync(FILE, 'utf8')) as GoldenFile).runs;
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    const mismatched = Object.entries(got).filter(([name, g]) => g.backend === want[name].backend && g.hash !== want[name].hash);
    const compared = Object.entries(got).filter(([name, g]) => g.backend === want[name].backend).length;
    expect(mismatched.map(([name]) => name), `${compared} runs compared`).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(all.length - all.filter((c) => c.engine.kind === 'tfjs').length);
  });
});

/**
 * Small seeded problems for unit tests (not part of the published API). Built directly from
 * the counter RNG so the engine tests do not depend on the datasets module.
 */
import { CounterRng } from '../random/index.js';
import type { DataSplit, Dataset, PopulationSampler } from '../types.js';

const TEST_STREAM = 1000;

/** n points with Gaussian coordinates; targets from a fixed nonlinear function or ±1 labels. */
export function randomDataset(n: number, d: number, seed: number, labels: 'regression' | 'classification' = 'regression'): Dataset {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(seed, TEST_STREAM);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    let s = 0;
    for (let k = 0; k < d; k++) {
      x[i * d + k] = draws.normal();
      s += Math.sin(1 + k) * x[i * d + k];
    }
    y[i] = labels === 'classification' ? (s > 0 ? 1 : -1) : Math.tanh(s) + 0.1 * draws.normal();
  }
  return { n, d, x, y };
}

export function randomSplit(n: number, nTest: number, d: number, seed: number, labels: 'regression' | 'classification' = 'regression'): DataSplit {
  return {
    train: randomDataset(n, d, seed, labels),
    test: randomDataset(nTest, d, seed + 1, labels),
    classification: labels === 'classification',
  };
}

/** A sampler that always returns the same fixed set (population SGD on it must equal full-batch GD). */
export function fixedSampler(data: Dataset): PopulationSampler {
  return {
    d: data.d,
    sample(_start, count, x, y) {
      x.set(data.x.subarray(0, count * data.d));
      y.set(data.y.subarray(0, count));
    },
  };
}

/** Relative L2 distance ‖u − v‖ / max(‖v‖, tiny). */
export function relativeError(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < v.length; i++) {
    num += (u[i] - v[i]) ** 2;
    den += v[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

export function maxAbsDifference(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(u[i] - v[i]));
  return max;
}

/** n points with Gaussian coordinates and labels 0..classes−1 from the argmax of fixed random projections (multi-class). */
export function randomClassDataset(n: number, d: number, classes: number, seed: number): Dataset {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(seed, TEST_STREAM + 1);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    for (let k = 0; k < d; k++) x[i * d + k] = draws.normal();
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let k = 0; k < d; k++) score += Math.sin(1 + 3 * c + k * (c + 1)) * x[i * d + k];
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    y[i] = best;
  }
  return { n, d, x, y };
}

export function randomClassSplit(n: number, nTest: number, d: number, classes: number, seed: number): DataSplit {
  return { train: randomClassDataset(n, d, classes, seed), test: randomClassDataset(nTest, d, classes, seed + 1), classification: true, classes };
}

import { CounterRng, RandomStream } from '../random/index.js';
import { allocateParams, type NetworkParams } from './params.js';
import type { InitSpec } from './spec.js';

/**
 * Draws the initial parameters (ARCHITECTURE.md §1 "Initialization"). Neuron j's draws come
 * from `rng.at(j)` alone, so its init depends only on (seed, j) — §4 — and a width-2m network
 * shares its first m neurons with the width-m one. With `symmetric`, neuron 2k+1 is neuron
 * 2k with b negated (it reuses the draws of index 2k).
 */
export function initParams(init: InitSpec, m: number, D: number, seed: number, k = 1): NetworkParams {
  if (k !== 1) return initVectorParams(init, m, D, seed, k);
  const params = allocateParams(m, D);
  const rng = new CounterRng(seed, RandomStream.init);
  const { a, b } = params;
  const tau = init.scale;
  for (let j = 0; j < m; j++) {
    if (init.symmetric && j % 2 === 1) {
      const src = (j - 1) * D;
      for (let k = 0; k < D; k++) a[j * D + k] = a[src + k];
      b[j] = -b[j - 1];
      continue;
    }
    const draws = rng.at(j);
    const off = j * D;
    switch (init.kind) {
      case 'gaussian':
        for (let k = 0; k < D; k++) a[off + k] = tau * init.sigmaA * draws.normal();
        b[j] = tau * init.sigmaB * draws.normal();
        break;
      case 'sphere':
        draws.onSphere(a, off, D);
        for (let k = 0; k < D; k++) a[off + k] *= tau;
        b[j] = tau * draws.sign();
        break;
      case 'uniform-b':
        draws.onSphere(a, off, D);
        for (let k = 0; k < D; k++) a[off + k] *= tau;
        b[j] = tau * draws.uniform();
        break;
    }
  }
  return params;
}

/**
 * k outputs: b_j ∈ R^k, each entry drawn as the scalar b_j is (gaussian N(0, σ_b²), sphere ±τ,
 * uniform-b U[0, τ]), after a_j from the same per-neuron draws; `symmetric` negates all of b_j.
 */
function initVectorParams(init: InitSpec, m: number, D: number, seed: number, k: number): NetworkParams {
  const params = allocateParams(m, D, k);
  const rng = new CounterRng(seed, RandomStream.init);
  const { a, b } = params;
  const tau = init.scale;
  for (let j = 0; j < m; j++) {
    if (init.symmetric && j % 2 === 1) {
      for (let q = 0; q < D; q++) a[j * D + q] = a[(j - 1) * D + q];
      for (let c = 0; c < k; c++) b[j * k + c] = -b[(j - 1) * k + c];
      continue;
    }
    const draws = rng.at(j);
    const off = j * D;
    if (init.kind === 'gaussian') {
      for (let q = 0; q < D; q++) a[off + q] = tau * init.sigmaA * draws.normal();
      for (let c = 0; c < k; c++) b[j * k + c] = tau * init.sigmaB * draws.normal();
    } else {
      draws.onSphere(a, off, D);
      for (let q = 0; q < D; q++) a[off + q] *= tau;
      for (let c = 0; c < k; c++) b[j * k + c] = tau * (init.kind === 'sphere' ? draws.sign() : draws.uniform());
    }
  }
  return params;
}
